using System.Text.Json;
using System.Text.Json.Nodes;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Api.Transactions;

/// <summary>
/// Money in every response is written one way, as transactions and balances write it: <c>"12.34"</c> in the currency's
/// exponent (<see cref="Money.ToDecimalString"/>) beside <c>*_minor</c>, the integer count of minor units.
/// </summary>
public static class MoneyFields
{
    public static string Text(long minor, string currency) => new Money(minor, Currency.Of(currency)).ToDecimalString();

    /// <summary>
    /// A copy of JSON stored with minor units only (a break's detail, a suggestion's candidates), each amount written both ways:
    /// an integer <c>x_minor</c> gains <c>x</c>; an integer <c>amount</c>, <c>x_amount</c> or <c>overdraft_limit</c> (as details were
    /// stored) becomes that name as a string plus its <c>_minor</c>. An object's own <c>currency</c>, or <c>x_currency</c> for
    /// <c>x_amount</c> (a mismatch's statement_currency), names the currency; else <paramref name="currency"/> does.
    /// </summary>
    public static JsonElement WithDecimals(JsonElement stored, string currency)
    {
        var node = JsonNode.Parse(stored.GetRawText());
        Rewrite(node, currency);
        return JsonSerializer.SerializeToElement(node);
    }

    private static void Rewrite(JsonNode? node, string currency)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    Rewrite(item, currency);
                }

                break;
            case JsonObject obj:
                foreach (var (name, value) in obj.ToArray())
                {
                    if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var minor))
                    {
                        if (name.EndsWith("_minor", StringComparison.Ordinal) && !obj.ContainsKey(name[..^"_minor".Length]))
                        {
                            obj[name[..^"_minor".Length]] = Text(minor, currency);
                        }
                        else if (name is "amount" or "overdraft_limit" || name.EndsWith("_amount", StringComparison.Ordinal))
                        {
                            var own = (name.EndsWith("_amount", StringComparison.Ordinal) ? obj[name[..^"_amount".Length] + "_currency"] : null)?.GetValue<string>()
                                ?? obj["currency"]?.GetValue<string>() ?? currency;
                            obj[name] = Text(minor, own);
                            obj[name + "_minor"] = minor;
                        }
                    }
                    else
                    {
                        Rewrite(value, currency);
                    }
                }

                break;
        }
    }
}
