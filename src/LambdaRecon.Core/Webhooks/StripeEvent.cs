using System.Text.Json;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Webhooks;

/// <summary>
/// What a Stripe event means to the provider's clearing account: the statement lines it records (none for a
/// type that moves no money there), and what it must wait for. Each line's id is the Stripe balance
/// transaction (txn_…) that moved the money when the event names it, else the event's id, so different
/// events about the same money (a dispute's created and funds_withdrawn, a balance-transaction event and
/// its charge's) make one record, and the same event never makes two.
/// </summary>
/// <param name="Account">The connected account it happened on (the event's <c>account</c>, acct_…), or null for the platform's own.</param>
/// <param name="Lines">The lines to record; empty when the type is not one read here or the object moved no money yet.</param>
/// <param name="Charge">The charge (ch_…/py_…) this event records, which events held for it wait for.</param>
/// <param name="After">The charge that must be recorded before this event is (a refund's or a dispute's), or null.</param>
/// <param name="IsPayout">A payout.paid: held while the clearing account's records do not cover it.</param>
/// <param name="NothingBecause">Why a read type records no line (a dispute with no balance transaction yet); null otherwise.</param>
public sealed record StripeEvent(
    string? Account, IReadOnlyList<StatementLine> Lines, string? Charge = null, string? After = null, bool IsPayout = false,
    string? NothingBecause = null)
{
    /// <summary>The types read by name; any event whose <c>data.object</c> is a balance_transaction is read as well.</summary>
    public static readonly string[] Types =
    [
        "charge.succeeded", "charge.refunded", "refund.created", "charge.dispute.created", "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated", "charge.dispute.closed", "payout.paid",
    ];

    /// <summary>
    /// charge.succeeded: a credit of <c>amount</c>, its end-to-end id our <c>metadata.transaction_id</c> and its
    /// reference our <c>metadata.idempotency_key</c> (the two keys the matcher's reference rule compares with a
    /// ledger transaction's id and idempotency key), else the charge id; keyed by the charge's <c>balance_transaction</c>.
    /// charge.refunded: a debit of what this event refunded (<c>amount_refunded</c> less
    /// <c>previous_attributes.amount_refunded</c>: Stripe's total is cumulative over partial refunds), referenced by the
    /// charge id, keyed by the balance transaction of the newest listed refund of that amount. refund.created: a debit
    /// of the Refund's <c>amount</c>, keyed by its <c>balance_transaction</c>. charge.dispute.*: one line per entry of the
    /// Dispute's <c>balance_transactions</c> (signed amount, fee, net), referenced by the disputed charge. An event whose
    /// object is a balance_transaction: one line of its signed amount, fee and net, referenced by its <c>source</c>.
    /// payout.paid: a debit of <c>amount</c> with the payout id, valued on its <c>arrival_date</c>.
    /// </summary>
    /// <exception cref="FormatException">A read type lacks a field it needs, or an amount or currency is not one Stripe writes.</exception>
    public static StripeEvent Read(ReadOnlySpan<byte> body)
    {
        using var document = JsonDocument.Parse(body.ToArray());
        var root = document.RootElement;
        var id = Text(root, "id") ?? throw new FormatException("the event has no id");
        var type = Text(root, "type") ?? throw new FormatException("the event has no type");
        var account = Text(root, "account");
        var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var obj = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.Object ? o : default;
        var isBalanceTransaction = Text(obj, "object") == "balance_transaction";
        if (!Types.Contains(type) && !isBalanceTransaction)
        {
            return new StripeEvent(account, []);
        }

        if (obj.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the event has no data.object");
        }

        var objectId = Text(obj, "id") ?? throw new FormatException("data.object has no id");
        var created = DateOf(obj, "created") ?? DateOf(root, "created") ?? throw new FormatException("the event has no created time");
        var description = Text(obj, "description");
        if (isBalanceTransaction)
        {
            var line = Transaction(obj, 1, IdOf(obj, "source"), Text(obj, "reporting_category") ?? Text(obj, "type") ?? "balance_transaction");
            var source = line.Reference;
            return new StripeEvent(account, [line], Charge: Text(obj, "type") is "charge" or "payment" ? source : null);
        }

        if (type.StartsWith("charge.dispute.", StringComparison.Ordinal))
        {
            var charge = IdOf(obj, "charge") ?? throw new FormatException("the dispute names no charge");
            var transactions = obj.TryGetProperty("balance_transactions", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select((t, i) => Transaction(t, i + 1, charge, "dispute")).ToArray()
                : [];
            return transactions.Length == 0
                ? new StripeEvent(account, [], NothingBecause: "the dispute has no balance transaction yet (an inquiry, or no funds withdrawn): no money moved")
                : new StripeEvent(account, transactions, After: charge);
        }

        var currency = CurrencyOf(obj);
        var metadata = obj.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        switch (type)
        {
            case "charge.succeeded":
                return new StripeEvent(account, [new StatementLine(
                    IdOf(obj, "balance_transaction") ?? id, 1, Minor(obj, "amount", currency), created, created,
                    Reference: Text(metadata, "idempotency_key") ?? objectId, EndToEndId: Text(metadata, "transaction_id"), Counterparty: null,
                    Description: description ?? objectId, Category: "charge")], Charge: objectId);
            case "charge.refunded":
                var refunded = Refunded(obj, data, currency);
                return new StripeEvent(account, [new StatementLine(
                    RefundTransaction(obj, refunded) ?? id, 1, -refunded, created, created,
                    Reference: objectId, EndToEndId: null, Counterparty: null, Description: description ?? objectId, Category: "refund")],
                    After: objectId);
            case "refund.created":
                var refundedCharge = IdOf(obj, "charge") ?? throw new FormatException("the refund names no charge");
                return new StripeEvent(account, [new StatementLine(
                    IdOf(obj, "balance_transaction") ?? id, 1, -Minor(obj, "amount", currency), created, created,
                    Reference: refundedCharge, EndToEndId: null, Counterparty: null, Description: description ?? objectId, Category: "refund")],
                    After: refundedCharge);
            default:
                return new StripeEvent(account, [new StatementLine(
                    IdOf(obj, "balance_transaction") ?? id, 1, -Minor(obj, "amount", currency), created, DateOf(obj, "arrival_date") ?? created,
                    Reference: objectId, EndToEndId: null, Counterparty: null, Description: description ?? objectId,
                    PayoutId: objectId, Category: "payout")], IsPayout: true);
        }
    }

    /// <summary>
    /// A BalanceTransaction as a line keyed by its id: <c>amount</c> is signed as Stripe writes it (negative for money
    /// taken, a dispute's withdrawal), <c>fee</c> what Stripe kept on top and <c>net</c> = amount − fee.
    /// </summary>
    private static StatementLine Transaction(JsonElement txn, int sourceLine, string? reference, string category)
    {
        var txnId = Text(txn, "id") ?? throw new FormatException("a balance transaction has no id");
        var currency = CurrencyOf(txn);
        var created = DateOf(txn, "created") ?? throw new FormatException($"balance transaction {txnId} has no created time");
        return new StatementLine(
            txnId, sourceLine, Signed(txn, "amount", currency), created, DateOf(txn, "available_on") ?? created,
            Reference: reference, EndToEndId: null, Counterparty: null, Description: Text(txn, "description") ?? txnId,
            Fee: Signed(txn, "fee", currency), Net: Signed(txn, "net", currency), Category: Text(txn, "reporting_category") ?? category);
    }

    /// <summary>The balance transaction of the newest refund listed on the charge whose amount is what this event refunded.</summary>
    private static string? RefundTransaction(JsonElement charge, Money refunded) =>
        charge.TryGetProperty("refunds", out var refunds) && refunds.ValueKind == JsonValueKind.Object
        && refunds.TryGetProperty("data", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray()
                .Where(r => r.ValueKind == JsonValueKind.Object && r.TryGetProperty("amount", out var a) && a.ValueKind == JsonValueKind.Number
                            && a.TryGetInt64(out var minor) && minor >= 0 && Minor(r, "amount", refunded.Currency).Minor == refunded.Minor)
                .OrderByDescending(r => r.TryGetProperty("created", out var c) && c.TryGetInt64(out var s) ? s : 0)
                .Select(r => IdOf(r, "balance_transaction"))
                .FirstOrDefault(t => t is not null)
            : null;

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

    private static Money Minor(JsonElement obj, string name, Currency currency) =>
        Signed(obj, name, currency) is { Minor: >= 0 } money ? money : throw new FormatException($"'{name}' is not a non-negative integer amount");

    // Stripe writes amounts as integers in the currency's smallest unit, which is ISO 4217's minor unit
    // except for ISK and UGX: ISO gives them none, Stripe writes them with two decimals that must be 00.
    private static Money Signed(JsonElement obj, string name, Currency currency)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var minor))
        {
            throw new FormatException($"'{name}' is not an integer amount");
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

    /// <summary>An id Stripe writes either as a string or, expanded, as an object holding it.</summary>
    private static string? IdOf(JsonElement obj, string name) =>
        Text(obj, name) ?? (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var expanded) ? Text(expanded, "id") : null);

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } text
            ? text
            : null;
}
