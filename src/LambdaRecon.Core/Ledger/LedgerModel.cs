namespace LambdaRecon.Core.Ledger;

public enum TransactionType
{
    Transfer,
    Refund,
    Adjustment,
}

public enum TransactionStatus
{
    Accepted,
    Posted,
    Failed,
}

/// <summary>A transaction as recorded: what it moves, from where to where, in minor units.</summary>
public sealed record TransactionRecord(
    Guid Id,
    TransactionType Type,
    long Amount,
    string Currency,
    string SourceAccountId,
    string DestinationAccountId,
    Guid? RefundOf = null,
    string? Description = null)
{
    /// <summary>
    /// A new transaction's id: a UUIDv7, whose leading bits are the time, so the ids of a busy minute are
    /// neighbours in the primary key and its inserts touch a few pages at the index's end instead of a
    /// random page each (a random UUID's index outgrows memory and reads one page per insert).
    /// </summary>
    public static Guid NewId() => Guid.CreateVersion7();
}

/// <summary>
/// An account as the posting rules see it inside one batch: its balance and sequence move as the
/// batch's transactions are applied in order, and the store writes the final state once.
/// </summary>
public sealed class AccountState(
    string id, string currency, string kind, long? overdraftLimit, bool isOpen, long balance, long lastSequence)
{
    public string Id { get; } = id;

    public string Currency { get; } = currency;

    public string Kind { get; } = kind;

    /// <summary>How far below zero the balance may go, in minor units; null for no limit.</summary>
    public long? OverdraftLimit { get; } = overdraftLimit;

    public bool IsOpen { get; } = isOpen;

    public long Balance { get; set; } = balance;

    public long LastSequence { get; set; } = lastSequence;

    public bool IsSuspense => Kind == AccountKinds.Suspense;
}

public static class AccountKinds
{
    public const string Customer = "customer";
    public const string Funding = "funding";
    public const string Settlement = "settlement";
    public const string Fee = "fee";

    /// <summary>Where reconciliation adjustments are booked against: one per tenant and currency, no limit.</summary>
    public const string Suspense = "suspense";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Customer, Funding, Settlement, Fee, Suspense };
}

/// <summary>What a refund needs to know about the transaction it refunds.</summary>
public sealed class RefundTarget(TransactionRecord original, TransactionStatus status, long refundedSoFar)
{
    public TransactionRecord Original { get; } = original;

    public TransactionStatus Status { get; set; } = status;

    /// <summary>The sum of the original's POSTED refunds, in minor units.</summary>
    public long RefundedSoFar { get; set; } = refundedSoFar;

    public long Refundable => Original.Amount - RefundedSoFar;
}

public sealed record LedgerEntry(
    Guid TransactionId, string AccountId, long Amount, string Currency, long BalanceAfter, long Sequence);

/// <summary>The outcome of applying one transaction: its two entries, or the business reason it failed.</summary>
public sealed record PostingDecision(Guid TransactionId, LedgerEntry? Debit, LedgerEntry? Credit, string? FailureCode, string? FailureReason)
{
    public bool Posted => FailureCode is null;

    public static PostingDecision Fail(Guid id, string code, string reason) => new(id, null, null, code, reason);
}

/// <summary>Stable failure codes: clients and reconciliation match on them, so they never change.</summary>
public static class FailureCodes
{
    public const string UnknownAccount = "unknown_account";
    public const string AccountClosed = "account_closed";
    public const string CurrencyMismatch = "currency_mismatch";
    public const string InsufficientFunds = "insufficient_funds";
    public const string BalanceOverflow = "balance_overflow";
    public const string RefundExceedsOriginal = "refund_exceeds_original";
    public const string RefundOfUnknownTransaction = "refund_of_unknown_transaction";
    public const string RefundOfFailedTransaction = "refund_of_failed_transaction";
    public const string RefundOfUnpostedTransaction = "refund_of_unposted_transaction";
    public const string RefundMismatch = "refund_mismatch";
    public const string AdjustmentWithoutSuspense = "adjustment_without_suspense_account";
    public const string AdjustmentWithoutReason = "adjustment_without_reason";
    public const string SuspenseReserved = "suspense_account_reserved";
}
