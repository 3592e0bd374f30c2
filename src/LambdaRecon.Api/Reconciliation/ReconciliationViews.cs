using System.Text.Json;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Infrastructure.Reconciliation;

namespace LambdaRecon.Api.Reconciliation;

/// <summary>A break as clients see it: its amount (and any in its detail) as an exact decimal string and as minor units.</summary>
public sealed record BreakResponse(
    Guid BreakId, string Kind, string AccountId, Guid? TransactionId, string? LineId, string Amount, long AmountMinor, string Currency,
    JsonElement Detail, string Status, string? ResolvedBy, DateTimeOffset? ResolvedAt, string? ResolutionNote, Guid? AdjustmentTransactionId,
    Guid? StatementId, DateOnly? ItemDate, string? Counterparty)
{
    public static BreakResponse From(BreakView b) => new(
        b.BreakId, b.Kind, b.AccountId, b.TransactionId, b.LineId, MoneyFields.Text(b.Amount, b.Currency), b.Amount, b.Currency,
        MoneyFields.WithDecimals(b.Detail, b.Currency), b.Status, b.ResolvedBy, b.ResolvedAt, b.ResolutionNote, b.AdjustmentTransactionId,
        b.StatementId, b.ItemDate, b.Counterparty);
}

/// <summary>A ledger integrity difference: what the entries add up to (expected), what is recorded (actual), and actual − expected.</summary>
public sealed record DifferenceResponse(
    string Kind, string? AccountId, Guid? TransactionId, string Currency, string Expected, long ExpectedMinor, string Actual, long ActualMinor,
    string Difference, long DifferenceMinor, long? FirstEntryId)
{
    public static DifferenceResponse From(Difference d) => Of(d.Kind, d.AccountId, d.TransactionId, d.Currency, d.Expected, d.Actual, d.Amount, d.FirstEntryId);

    public static DifferenceResponse From(DifferenceView d) =>
        Of(d.Kind, d.AccountId, d.TransactionId, d.Currency, d.Expected, d.Actual, d.Difference, d.FirstEntryId);

    private static DifferenceResponse Of(string kind, string? account, Guid? transaction, string currency, long expected, long actual, long difference, long? entry) =>
        new(kind, account, transaction, currency, MoneyFields.Text(expected, currency), expected, MoneyFields.Text(actual, currency), actual,
            MoneyFields.Text(difference, currency), difference, entry);
}

public sealed record RunResponse(RunView Run, IReadOnlyList<BreakResponse> Breaks, string? NextCursor);

/// <summary>The answer of a finished reconcile: its counts, and what it matched and left, every amount both ways.</summary>
public static class ReconcileResult
{
    public static ReconcileResponse Of(string accountId, bool dryRun, AccountRun run, string currency)
    {
        var summary = run.Summary;
        return new ReconcileResponse(summary.RunId, accountId, dryRun, summary.Matched, summary.UnmatchedInternal,
            summary.UnmatchedExternal, summary.AmountMismatches, summary.Differences,
            new
            {
                pairs = run.Matches.Pairs.Select(p => new { transaction_id = p.Internal.Id, line_id = p.External.LineId, rule = p.Rule.ToString(), p.Confidence }),
                groups = run.Matches.Groups.Select(g => new
                {
                    transaction_ids = g.Internal.Select(i => i.Id),
                    line_ids = g.External.Select(e => e.LineId),
                    rule = g.Rule.ToString(),
                    fee = g.Fee.ToDecimalString(),
                    fee_minor = g.Fee.Minor,
                    g.Confidence,
                }),
                amount_mismatches = run.Matches.Mismatches.Select(m => new
                {
                    transaction_id = m.Internal.Id,
                    line_id = m.External.LineId,
                    ledger_amount = m.Internal.Amount.ToDecimalString(),
                    ledger_amount_minor = m.Internal.Amount.Minor,
                    statement_amount = m.External.Amount.ToDecimalString(),
                    statement_amount_minor = m.External.Amount.Minor,
                }),
                unmatched_internal = run.Matches.UnmatchedInternal.Select(i => i.Id),
                unmatched_external = run.Matches.UnmatchedExternal.Select(e => e.LineId),
                suggestions = run.Matches.Suggestions.Select(s => s.Candidates.Select(c =>
                    MoneyFields.WithDecimals(JsonSerializer.SerializeToElement(SuggestionStore.Describe(c)), currency))),
                differences = run.Differences.Select(DifferenceResponse.From),
            }, summary.Suggestions);
    }
}
