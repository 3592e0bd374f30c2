namespace LambdaRecon.Core.Ledger;

/// <summary>
/// The posting rules: whether a transaction may post against the accounts as they stand, and the
/// two entries it makes. Pure: the caller supplies the state and writes the result.
/// </summary>
public static class PostingRules
{
    /// <summary>
    /// Applies the transactions in order against <paramref name="accounts"/> (updated in place, so a
    /// later transaction sees the balances an earlier one left) and <paramref name="refundTargets"/>
    /// (the originals of the batch's refunds, also updated as refunds post).
    /// </summary>
    public static IReadOnlyList<PostingDecision> ApplyBatch(
        IReadOnlyList<TransactionRecord> transactions,
        IReadOnlyDictionary<string, AccountState> accounts,
        IReadOnlyDictionary<Guid, RefundTarget> refundTargets)
    {
        var decisions = new PostingDecision[transactions.Count];
        for (var i = 0; i < transactions.Count; i++)
        {
            var transaction = transactions[i];
            refundTargets.TryGetValue(transaction.RefundOf ?? Guid.Empty, out var target);
            decisions[i] = Apply(transaction, accounts, target);
            if (decisions[i].Posted && target is not null)
            {
                target.RefundedSoFar += transaction.Amount;
            }

            // An original posted earlier in the same batch can be refunded later in it; one that failed
            // earlier in it is FAILED for its refunds too, not "not posted yet".
            if (refundTargets.TryGetValue(transaction.Id, out var self))
            {
                self.Status = decisions[i].Posted ? TransactionStatus.Posted : TransactionStatus.Failed;
            }
        }

        return decisions;
    }

    public static PostingDecision Apply(
        TransactionRecord transaction, IReadOnlyDictionary<string, AccountState> accounts, RefundTarget? refundTarget)
    {
        var id = transaction.Id;
        if (!accounts.TryGetValue(transaction.SourceAccountId, out var source))
        {
            return PostingDecision.Fail(id, FailureCodes.UnknownAccount, $"source account '{transaction.SourceAccountId}' does not exist");
        }

        if (!accounts.TryGetValue(transaction.DestinationAccountId, out var destination))
        {
            return PostingDecision.Fail(id, FailureCodes.UnknownAccount, $"destination account '{transaction.DestinationAccountId}' does not exist");
        }

        foreach (var account in new[] { source, destination })
        {
            if (!account.IsOpen)
            {
                return PostingDecision.Fail(id, FailureCodes.AccountClosed, $"account '{account.Id}' is closed");
            }

            if (account.Currency != transaction.Currency)
            {
                return PostingDecision.Fail(id, FailureCodes.CurrencyMismatch,
                    $"account '{account.Id}' holds {account.Currency}, the transaction is in {transaction.Currency}");
            }
        }

        if (transaction.Type != TransactionType.Adjustment && (source.IsSuspense || destination.IsSuspense))
        {
            return PostingDecision.Fail(id, FailureCodes.SuspenseReserved,
                $"account '{(source.IsSuspense ? source : destination).Id}' is a suspense account: only adjustments move money there");
        }

        var refused = transaction.Type switch
        {
            TransactionType.Refund => CheckRefund(transaction, refundTarget),
            TransactionType.Adjustment => CheckAdjustment(transaction, source, destination),
            _ => null,
        };
        if (refused is not null)
        {
            return refused;
        }

        long sourceAfter, destinationAfter;
        try
        {
            sourceAfter = checked(source.Balance - transaction.Amount);
            destinationAfter = checked(destination.Balance + transaction.Amount);
        }
        catch (OverflowException)
        {
            return PostingDecision.Fail(id, FailureCodes.BalanceOverflow, "the resulting balance does not fit in 64 bits of minor units");
        }

        if (source.OverdraftLimit is { } limit && sourceAfter < -limit)
        {
            return PostingDecision.Fail(id, FailureCodes.InsufficientFunds,
                $"account '{source.Id}' has {source.Balance} minor units and may go down to {-limit}; the transaction needs {transaction.Amount}");
        }

        source.Balance = sourceAfter;
        destination.Balance = destinationAfter;
        var debit = new LedgerEntry(id, source.Id, -transaction.Amount, transaction.Currency, sourceAfter, ++source.LastSequence);
        var credit = new LedgerEntry(id, destination.Id, transaction.Amount, transaction.Currency, destinationAfter, ++destination.LastSequence);
        return new PostingDecision(id, debit, credit, null, null);
    }

    // A refund sends money back the way it came, never more than what is left of the original.
    private static PostingDecision? CheckRefund(TransactionRecord refund, RefundTarget? target)
    {
        var id = refund.Id;
        if (target is null)
        {
            return PostingDecision.Fail(id, FailureCodes.RefundOfUnknownTransaction, $"transaction {refund.RefundOf} does not exist");
        }

        var original = target.Original;
        if (target.Status == TransactionStatus.Failed)
        {
            return PostingDecision.Fail(id, FailureCodes.RefundOfFailedTransaction, $"transaction {original.Id} FAILED: there is nothing to refund");
        }

        if (target.Status != TransactionStatus.Posted)
        {
            return PostingDecision.Fail(id, FailureCodes.RefundOfUnpostedTransaction, $"transaction {original.Id} is not posted yet");
        }

        if (refund.SourceAccountId != original.DestinationAccountId || refund.DestinationAccountId != original.SourceAccountId
            || refund.Currency != original.Currency)
        {
            return PostingDecision.Fail(id, FailureCodes.RefundMismatch,
                $"a refund of {original.Id} must move {original.Currency} from '{original.DestinationAccountId}' back to '{original.SourceAccountId}'");
        }

        if (refund.Amount > target.Refundable)
        {
            return PostingDecision.Fail(id, FailureCodes.RefundExceedsOriginal,
                $"{refund.Amount} minor units asked, {target.Refundable} of {original.Amount} left to refund");
        }

        return null;
    }

    // Adjustments correct differences found by reconciliation: always against the suspense account, always explained.
    private static PostingDecision? CheckAdjustment(TransactionRecord adjustment, AccountState source, AccountState destination)
    {
        if (!source.IsSuspense && !destination.IsSuspense)
        {
            return PostingDecision.Fail(adjustment.Id, FailureCodes.AdjustmentWithoutSuspense,
                "an adjustment must move money to or from a suspense account");
        }

        return string.IsNullOrWhiteSpace(adjustment.Description)
            ? PostingDecision.Fail(adjustment.Id, FailureCodes.AdjustmentWithoutReason, "an adjustment needs a reason")
            : null;
    }
}
