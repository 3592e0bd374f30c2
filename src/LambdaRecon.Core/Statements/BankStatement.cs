using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// One statement of a file that carries its own account and balances (an MT940 final statement or an
/// MT942 interim report): what the file says it is about, not only its lines.
/// </summary>
/// <param name="SourceLine">The line the statement starts on (its :20:).</param>
/// <param name="Reference">The sender's reference for the statement (:20:).</param>
/// <param name="Number">The statement and sequence number as written (:28C:), or null when the file has none.</param>
/// <param name="Opening">The opening balance; null for an interim report, which has none.</param>
/// <param name="Closing">The closing booked balance; null for an interim report.</param>
public sealed record BankStatement(
    int SourceLine,
    string Reference,
    StatementAccount Account,
    string? Number,
    Currency Currency,
    StatementBalance? Opening,
    StatementBalance? Closing,
    bool IsInterim,
    IReadOnlyList<StatementLine> Lines);

/// <summary>
/// The account a statement is for. <paramref name="Id"/> is the account without the bank part or a
/// trailing currency code (ING writes "NL20INGB0001234567EUR"); <paramref name="Scheme"/> is "IBAN"
/// when Id passes the IBAN check digits, else "OTHER".
/// </summary>
/// <param name="AsWritten">The :25: field as the bank wrote it.</param>
/// <param name="Bank">The bank code or BIC before a '/', or null.</param>
public sealed record StatementAccount(string AsWritten, string? Bank, string Id, string Scheme);

/// <summary>A signed balance (credit positive) on a date; IsFinal is false for an intermediate balance (:60M:/:62M:) of a statement split over several messages.</summary>
public readonly record struct StatementBalance(Money Amount, DateOnly Date, bool IsFinal);
