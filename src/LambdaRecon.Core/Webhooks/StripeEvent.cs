using System.Text.Json;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Webhooks;

/// <summary>
/// What a Stripe event means to the provider's clearing account: one statement line, or nothing (an event
/// type that moves no money there). The line's id is the event's id, so the same event never makes two.
/// </summary>
/// <param name="Account">The connected account it happened on (the event's <c>account</c>, acct_…), or null for the platform's own.</param>
/// <param name="Line">The line, or null when the type is not one read here.</param>
public sealed record StripeEvent(string? Account, StatementLine? Line)
{
    /// <summary>The types that become a line; every other type is stored and ignored.</summary>
    public static readonly string[] Types = ["charge.succeeded", "charge.refunded", "payout.paid"];

    /// <summary>
    /// charge.succeeded: a credit of <c>amount</c>, its end-to-end id our <c>metadata.transaction_id</c> and its
    /// reference our <c>metadata.idempotency_key</c> (the two keys the matcher's reference rule compares with a
    /// ledger transaction's id and idempotency key), else the charge id. charge.refunded: a debit of what this
    /// event refunded (<c>amount_refunded</c> less <c>previous_attributes.amount_refunded</c>: Stripe's total is
    /// cumulative over partial refunds), referenced by the charge id. payout.paid: a debit of <c>amount</c> with
    /// the payout id, valued on its <c>arrival_date</c>.
    /// </summary>
    /// <exception cref="FormatException">A read type lacks a field it needs, or an amount or currency is not one Stripe writes.</exception>
    public static StripeEvent Read(ReadOnlySpan<byte> body)
    {
        using var document = JsonDocument.Parse(body.ToArray());
        var root = document.RootElement;
        var id = Text(root, "id") ?? throw new FormatException("the event has no id");
        var type = Text(root, "type") ?? throw new FormatException("the event has no type");
        var account = Text(root, "account");
        if (!Types.Contains(type))
        {
            return new StripeEvent(account, null);
        }

        var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : throw new FormatException("the event has no data");
        var obj = data.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.Object ? o : throw new FormatException("the event has no data.object");
        var objectId = Text(obj, "id") ?? throw new FormatException("data.object has no id");
        var currency = CurrencyOf(obj);
        var created = DateOf(obj, "created") ?? DateOf(root, "created") ?? throw new FormatException("the event has no created time");
        var metadata = obj.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        var description = Text(obj, "description");
        StatementLine line = type switch
        {
            "charge.succeeded" => new StatementLine(
                id, 1, Minor(obj, "amount", currency), created, created,
                Reference: Text(metadata, "idempotency_key") ?? objectId, EndToEndId: Text(metadata, "transaction_id"), Counterparty: null,
                Description: description ?? objectId, Fee: null, Net: null, Category: "charge"),
            "charge.refunded" => new StatementLine(
                id, 1, -Refunded(obj, data, currency), created, created,
                Reference: objectId, EndToEndId: null, Counterparty: null, Description: description ?? objectId, Fee: null, Net: null,
                Category: "refund"),
            _ => new StatementLine(
                id, 1, -Minor(obj, "amount", currency), created, DateOf(obj, "arrival_date") ?? created,
                Reference: objectId, EndToEndId: null, Counterparty: null, Description: description ?? objectId, Fee: null, Net: null,
                PayoutId: objectId, Category: "payout"),
        };
        return new StripeEvent(account, line);
    }

    private static Money Refunded(JsonElement charge, JsonElement data, Currency currency)
    {
        var total = Minor(charge, "amount_refunded", currency);
        var before = data.TryGetProperty("previous_attributes", out var previous) && previous.ValueKind == JsonValueKind.Object
                     && previous.TryGetProperty("amount_refunded", out _)
            ? Minor(previous, "amount_refunded", currency)
            : new Money(0, currency);
        return total.Minor > before.Minor
            ? new Money(total.Minor - before.Minor, currency)
            : throw new FormatException("amount_refunded is not above its previous value");
    }

    // Stripe writes amounts as integers in the currency's smallest unit, which is ISO 4217's minor unit
    // except for ISK and UGX: ISO gives them none, Stripe writes them with two decimals that must be 00.
    private static Money Minor(JsonElement obj, string name, Currency currency)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var minor) || minor < 0)
        {
            throw new FormatException($"'{name}' is not a non-negative integer amount");
        }

        if (currency.Code is "ISK" or "UGX")
        {
            minor = minor % 100 == 0 ? minor / 100 : throw new FormatException($"'{name}' in {currency.Code} is not a whole number of units");
        }

        return new Money(minor, currency);
    }

    private static Currency CurrencyOf(JsonElement obj) =>
        Text(obj, "currency") is { } code && Currency.TryGet(code.ToUpperInvariant(), out var currency)
            ? currency
            : throw new FormatException("data.object has no ISO 4217 currency");

    private static DateOnly? DateOf(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt64(out var seconds) && seconds is >= 0 and < 253402300800
            ? DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime)
            : null;

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } text
            ? text
            : null;
}
