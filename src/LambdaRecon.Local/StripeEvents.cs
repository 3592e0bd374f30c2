using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Webhooks;

namespace LambdaRecon.Local;

/// <summary>
/// `generate-event stripe &lt;type&gt;`: a Stripe event of one of the types reconciliation reads, shaped as
/// Stripe's API reference documents the Event object and its data.object (Charge, Dispute, Payout),
/// signed as Stripe signs a delivery, printed as a curl command for the local API.
/// </summary>
public static class StripeEvents
{
    public static readonly string[] Types = ["charge.succeeded", "charge.refunded", "charge.dispute.created", "payout.paid", "payout.failed"];

    /// <param name="amount">Minor units, as Stripe writes amounts (2000 is 20.00 USD).</param>
    public static JsonObject Event(string type, long amount, string currency, IReadOnlyDictionary<string, string> metadata, DateTimeOffset now)
    {
        var created = now.ToUnixTimeSeconds();
        var charge = "ch_" + Suffix();
        JsonObject Metadata() => new(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)JsonValue.Create(m.Value))));
        JsonObject data = type switch
        {
            "charge.succeeded" or "charge.refunded" => new JsonObject
            {
                ["id"] = charge, ["object"] = "charge", ["amount"] = amount, ["amount_captured"] = amount,
                ["amount_refunded"] = type == "charge.refunded" ? amount : 0, ["balance_transaction"] = "txn_" + Suffix(), ["captured"] = true,
                ["created"] = created, ["currency"] = currency, ["livemode"] = false, ["metadata"] = Metadata(), ["paid"] = true,
                ["payment_intent"] = "pi_" + Suffix(), ["refunded"] = type == "charge.refunded", ["status"] = "succeeded",
            },
            "charge.dispute.created" => new JsonObject
            {
                ["id"] = "dp_" + Suffix(), ["object"] = "dispute", ["amount"] = amount, ["charge"] = charge, ["created"] = created,
                ["currency"] = currency, ["livemode"] = false, ["metadata"] = Metadata(), ["payment_intent"] = "pi_" + Suffix(),
                ["reason"] = "fraudulent", ["status"] = "needs_response",
            },
            "payout.paid" or "payout.failed" => new JsonObject
            {
                ["id"] = "po_" + Suffix(), ["object"] = "payout", ["amount"] = amount,
                ["arrival_date"] = now.Date.AddDays(2).Subtract(DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerSecond,
                ["automatic"] = true, ["balance_transaction"] = "txn_" + Suffix(), ["created"] = created, ["currency"] = currency,
                ["failure_code"] = type == "payout.failed" ? "account_closed" : null,
                ["failure_message"] = type == "payout.failed" ? "The bank account has been closed." : null,
                ["livemode"] = false, ["metadata"] = Metadata(), ["method"] = "standard", ["source_type"] = "card",
                ["status"] = type == "payout.failed" ? "failed" : "paid", ["type"] = "bank_account",
            },
            _ => throw new ArgumentException($"generate-event stripe knows {string.Join(", ", Types)}; '{type}' is not one of them"),
        };

        return new JsonObject
        {
            ["id"] = "evt_" + Suffix(), ["object"] = "event", ["api_version"] = "2024-06-20", ["created"] = created,
            ["data"] = new JsonObject { ["object"] = data }, ["livemode"] = false, ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null }, ["type"] = type,
        };
    }

    /// <summary>A curl command that posts <paramref name="body"/> signed with the first secret of <paramref name="secrets"/>.</summary>
    public static string Curl(string url, string body, string secrets, DateTimeOffset now)
    {
        var secret = WebhookProviders.ParseSecrets(secrets, ByteEncoding.Utf8, "the secret")[0];
        var signature = WebhookSignature.Sign(WebhookProvider.Stripe, secret.Key, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            Encoding.UTF8.GetBytes(body));
        return $"curl -sS -X POST '{url}' -H 'Content-Type: application/json' -H 'Stripe-Signature: {signature}' --data-binary '{body.Replace("'", "'\\''", StringComparison.Ordinal)}'";
    }

    public static string Json(JsonObject node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    private static string Suffix() => Guid.NewGuid().ToString("N")[..24];
}
