using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// One statement of a file, as every format reads it: what the file says it is about (its account,
/// currency and balances, when the format carries them) and its lines. A file may hold several
/// (an MT940 file, a camt document with several Stmt, a BAI2 file with several accounts).
/// </summary>
/// <param name="SourceLine">The line the statement starts on (MT940 :20:, camt Stmt, BAI2 03 record; 1 for a CSV export).</param>
/// <param name="Reference">The sender's id for the statement (MT940 :20:, camt Stmt/Id), or null when the format has none.</param>
/// <param name="Account">The account the statement is for, or null when the file does not say (a CSV export).</param>
/// <param name="Number">The statement's sequence number as written (MT940 :28C:, camt ElctrncSeqNb or LglSeqNb), or null.</param>
/// <param name="Currency">The statement's currency, or null when the file does not say (a CSV export may mix several).</param>
/// <param name="Opening">The opening booked balance; null for an interim report or a notification, which have none.</param>
/// <param name="Closing">The closing booked balance; null for an interim report or a notification.</param>
/// <param name="IsInterim">An intraday report or notification (MT942, camt.052, camt.054) rather than a final statement.</param>
public sealed record BankStatement(
    int SourceLine,
    string? Reference,
    StatementAccount? Account,
    string? Number,
    Currency? Currency,
    StatementBalance? Opening,
    StatementBalance? Closing,
    bool IsInterim,
    IReadOnlyList<StatementLine> Lines);

/// <summary>
/// The account a statement is for, as an identifier an account's external_ids can hold.
/// <paramref name="Id"/> is the account without the bank part or a trailing currency code (ING writes
/// "NL20INGB0001234567EUR"); <paramref name="Scheme"/> is "IBAN" when Id passes the IBAN check digits,
/// "BBAN" when the file says so (camt Othr/SchmeNm/Cd), "STRIPE" for a provider account, else "OTHER".
/// </summary>
/// <param name="AsWritten">The :25: field as the bank wrote it.</param>
/// <param name="Bank">The bank code or BIC before a '/', or null.</param>
public sealed record StatementAccount(string AsWritten, string? Bank, string Id, string Scheme);

/// <summary>A signed balance (credit positive) on a date; IsFinal is false for an intermediate balance (:60M:/:62M:) of a statement split over several messages.</summary>
public readonly record struct StatementBalance(Money Amount, DateOnly Date, bool IsFinal);
