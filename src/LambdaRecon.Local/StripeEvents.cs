using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Webhooks;

namespace LambdaRecon.Local;

/// <summary>
/// `generate-event stripe &lt;type&gt;`: a Stripe event of one of the types reconciliation reads, shaped as
/// Stripe's API reference documents the Event object and its data.object (Charge, Refund, Dispute with its
/// BalanceTransactions, Payout), signed as Stripe signs a delivery, printed as a curl command for the local API.
/// </summary>
public static class StripeEvents
{
    /// <summary>Those processing reads, and payout.failed, which it stores and ignores.</summary>
    public static readonly string[] Types = [.. StripeEvent.Types, "payout.failed"];

    /// <summary>What Stripe charges for a dispute (15.00 USD), shown as the withdrawal's fee.</summary>
    private const long DisputeFee = 1500;

    /// <param name="amount">Minor units, as Stripe writes amounts (2000 is 20.00 USD).</param>
    /// <param name="charge">The charge (ch_…) the event is, or that a refund or dispute names; a new id when null.</param>
    /// <param name="account">The connected account (acct_…) it happened on: the event's <c>account</c>; none when null.</param>
    /// <param name="balanceTransaction">The balance transaction (txn_…) that moved the money; a new id when null.</param>
    public static JsonObject Event(
        string type, long amount, string currency, IReadOnlyDictionary<string, string> metadata, DateTimeOffset now, string? charge = null,
        string? account = null, string? balanceTransaction = null)
    {
        var created = now.ToUnixTimeSeconds();
        charge ??= "ch_" + Suffix();
        var txn = balanceTransaction ?? "txn_" + Suffix();
        var dispute = "dp_" + Suffix();
        JsonObject DisputeTransaction(string id, long signedAmount, long fee, string category) => new()
        {
            ["id"] = id, ["object"] = "balance_transaction", ["amount"] = signedAmount, ["available_on"] = created, ["created"] = created,
            ["currency"] = currency, ["description"] = (signedAmount < 0 ? "Chargeback withdrawal for " : "Chargeback reversal for ") + charge,
            ["exchange_rate"] = null, ["fee"] = fee,
            ["fee_details"] = fee == 0 ? new JsonArray() : new JsonArray(new JsonObject
            {
                ["amount"] = fee, ["application"] = null, ["currency"] = currency, ["description"] = "Dispute fee", ["type"] = "stripe_fee",
            }),
            ["net"] = signedAmount - fee, ["reporting_category"] = category, ["source"] = dispute, ["status"] = "available", ["type"] = "adjustment",
        };
        // Stripe withdraws the disputed amount (and its fee) when the dispute opens, and reinstates it when it is won.
        JsonArray DisputeTransactions() => type == "charge.dispute.funds_reinstated"
            ? [DisputeTransaction(txn, -amount, DisputeFee, "dispute"), DisputeTransaction("txn_" + Suffix(), amount, -DisputeFee, "dispute_reversal")]
            : [DisputeTransaction(txn, -amount, DisputeFee, "dispute")];
        JsonObject Metadata() => new(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)JsonValue.Create(m.Value))));
        JsonObject data = type switch
        {
            "charge.succeeded" or "charge.refunded" => new JsonObject
            {
                ["id"] = charge, ["object"] = "charge", ["amount"] = amount, ["amount_captured"] = amount,
                ["amount_refunded"] = type == "charge.refunded" ? amount : 0,
                ["balance_transaction"] = type == "charge.refunded" ? "txn_" + Suffix() : txn, ["captured"] = true,
                ["created"] = created, ["currency"] = currency, ["livemode"] = false, ["metadata"] = Metadata(), ["paid"] = true,
                ["payment_intent"] = "pi_" + Suffix(), ["refunded"] = type == "charge.refunded", ["status"] = "succeeded",
                ["refunds"] = new JsonObject
                {
                    ["object"] = "list", ["has_more"] = false, ["url"] = $"/v1/charges/{charge}/refunds",
                    ["data"] = type == "charge.refunded" ? new JsonArray(Refund()) : new JsonArray(),
                },
            },
            "refund.created" => Refund(),
            _ when type.StartsWith("charge.dispute.", StringComparison.Ordinal) => new JsonObject
            {
                ["id"] = dispute, ["object"] = "dispute", ["amount"] = amount, ["balance_transactions"] = DisputeTransactions(), ["charge"] = charge,
                ["created"] = created, ["currency"] = currency, ["is_charge_refundable"] = false, ["livemode"] = false, ["metadata"] = Metadata(),
                ["payment_intent"] = "pi_" + Suffix(), ["reason"] = "fraudulent",
                ["status"] = type switch { "charge.dispute.funds_reinstated" or "charge.dispute.closed" => "won", _ => "needs_response" },
            },
            "payout.paid" or "payout.failed" => new JsonObject
            {
                ["id"] = "po_" + Suffix(), ["object"] = "payout", ["amount"] = amount,
                ["arrival_date"] = now.Date.AddDays(2).Subtract(DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerSecond,
                ["automatic"] = true, ["balance_transaction"] = txn, ["created"] = created, ["currency"] = currency,
                ["failure_balance_transaction"] = type == "payout.failed" ? "txn_" + Suffix() : null,
                ["failure_code"] = type == "payout.failed" ? "account_closed" : null,
                ["failure_message"] = type == "payout.failed" ? "The bank account has been closed." : null,
                ["livemode"] = false, ["metadata"] = Metadata(), ["method"] = "standard", ["source_type"] = "card",
                ["status"] = type == "payout.failed" ? "failed" : "paid", ["type"] = "bank_account",
            },
            _ => throw new ArgumentException($"generate-event stripe knows {string.Join(", ", Types)}; '{type}' is not one of them"),
        };

        var stripeEvent = new JsonObject
        {
            ["id"] = "evt_" + Suffix(), ["object"] = "event", ["api_version"] = "2024-06-20", ["created"] = created,
            ["data"] = new JsonObject { ["object"] = data }, ["livemode"] = false, ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null }, ["type"] = type,
        };
        if (account is not null)
        {
            stripeEvent["account"] = account;
        }

        return stripeEvent;

        JsonObject Refund() => new()
        {
            ["id"] = "re_" + Suffix(), ["object"] = "refund", ["amount"] = amount, ["balance_transaction"] = txn, ["charge"] = charge,
            ["created"] = created, ["currency"] = currency, ["metadata"] = Metadata(), ["payment_intent"] = "pi_" + Suffix(),
            ["reason"] = "requested_by_customer", ["status"] = "succeeded",
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
