using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// One booked line of a bank statement or payment-provider export, from the account holder's side:
/// a credit is positive, a debit negative.
/// </summary>
/// <param name="LineId">
/// Stable within the file: the provider's id or the bank's AcctSvcrRef when the file has one, else
/// "h-" and a content hash (with "#2", "#3"… for repeats of an identical line, see <see cref="LineIds"/>).
/// </param>
/// <param name="SourceLine">The line of the file the record starts on, for people reading a break.</param>
/// <param name="Amount">
/// The signed amount booked. For provider exports this is the gross amount (what the customer paid,
/// the amount the ledger recorded); <paramref name="Fee"/> and <paramref name="Net"/> say what the
/// provider kept and what reaches the bank.
/// </param>
/// <param name="ValueDate">The value date; the booking date when the statement gives none.</param>
/// <param name="IsReversal">
/// The bank undid an earlier movement (MT940 RC/RD): the amount is still signed as booked (a reversed
/// credit is negative), and the mark says it is no ordinary debit or credit.
/// </param>
/// <param name="EntryRef">
/// The bank's reference of the entry this line belongs to: set on each payment of a batch entry (camt
/// TxDtls) and on the lines of a camt.054 notification, which detail a batch booked on a camt.053.
/// </param>
/// <param name="BatchCount">
/// On a batch entry booked as one line because the statement gives none of its payments: how many it
/// holds (camt NbOfTxs). Its payments may come in a camt.054 whose lines carry this line's EntryRef.
/// 0 for every other line.
/// </param>
/// <param name="PayoutId">The provider's payout or settlement the line was paid out in (Stripe automatic_payout_id).</param>
/// <param name="Category">The provider's kind of line as it names it (Stripe reporting_category: charge, refund, payout…).</param>
public sealed record StatementLine(
    string LineId,
    int SourceLine,
    Money Amount,
    DateOnly BookingDate,
    DateOnly ValueDate,
    string? Reference,
    string? EndToEndId,
    string? Counterparty,
    string? Description,
    Money? Fee = null,
    Money? Net = null,
    bool IsReversal = false,
    string? EntryRef = null,
    int BatchCount = 0,
    string? PayoutId = null,
    string? Category = null)
{
    /// <summary>
    /// The most characters a line id, reference or end-to-end id may hold. Ids are keys of the
    /// statement tables' indexes, where PostgreSQL refuses rows over about 2.7 KB; real ones (a bank's
    /// AcctSvcrRef, a SEPA end-to-end id, a provider's txn id) hold at most a few dozen.
    /// </summary>
    public const int MaxIdLength = 512;

    /// <summary>Why the first of the named values is too long, or null when each fits <see cref="MaxIdLength"/>.</summary>
    public static string? TooLong(params ReadOnlySpan<(string What, string? Value)> values)
    {
        foreach (var (what, value) in values)
        {
            if (value is { Length: > MaxIdLength })
            {
                return $"the {what} holds {value.Length} characters, more than the {MaxIdLength} allowed";
            }
        }

        return null;
    }
}
