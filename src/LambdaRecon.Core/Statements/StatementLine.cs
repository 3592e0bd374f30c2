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
    Money? Net = null);
