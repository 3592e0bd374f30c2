using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// One ledger transaction as it moved one account: positive when money came in, negative when it left,
/// the same sign convention as <see cref="Statements.StatementLine"/>.
/// </summary>
/// <param name="Id">Unique among the items given to one match: the ledger transaction id.</param>
/// <param name="Date">The day the money should move on the statement, in the statement's time zone.</param>
/// <param name="Reference">What the counterparty sees: the idempotency key, the transaction id or an invoice number.</param>
/// <param name="EndToEndId">The ISO 20022 end-to-end id we sent with a payment, when there is one.</param>
/// <param name="PayoutId">The provider's payout or settlement that paid this item out (transaction metadata <c>payout_id</c>).</param>
/// <param name="Reverses">A refund or an adjustment: the only kind of item a statement's reversal line may settle.</param>
public sealed record LedgerItem(
    string Id,
    Money Amount,
    DateOnly Date,
    string? Reference = null,
    string? EndToEndId = null,
    string? Counterparty = null,
    string? Description = null,
    string? PayoutId = null,
    bool Reverses = false);
