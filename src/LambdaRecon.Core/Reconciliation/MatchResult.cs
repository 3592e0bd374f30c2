using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>The rule that made a match, in the order the rules run.</summary>
public enum MatchRule
{
    /// <summary>Rule 1: the statement line's end-to-end id equals a ledger item's.</summary>
    EndToEndId,

    /// <summary>Rule 1: the statement line's reference equals a ledger item's reference or end-to-end id.</summary>
    Reference,

    /// <summary>Rule 2: same amount and currency, dates within the window.</summary>
    AmountAndDate,

    /// <summary>Rule 3: several ledger items settled by one statement line (a provider payout).</summary>
    ManyInternalToOneExternal,

    /// <summary>Rule 3: one ledger item settled by several statement lines.</summary>
    OneInternalToManyExternal,

    /// <summary>
    /// Rule 1b: the ledger items carrying a payout id (transaction metadata payout_id) and the lines
    /// naming it (their payout id, reference or end-to-end id), totals within the fee tolerance.
    /// </summary>
    PayoutId,
}

/// <summary>One ledger item and one statement line of the same amount.</summary>
/// <param name="Confidence">0–100: 100 for an end-to-end id, 95 for a reference, 40–90 for amount and date.</param>
public sealed record MatchedPair(LedgerItem Internal, StatementLine External, MatchRule Rule, int Confidence);

/// <summary>Items that settle each other as a group.</summary>
/// <param name="Fee">Exactly the ledger total minus the statement total: what fees took, never negative.</param>
/// <param name="Confidence">
/// Groups of rule 3: 50 when the totals are equal or differ by the line's own charges, 20–40 as the fee
/// nears the allowance. Payouts by id: 100 (equal, or the lines' own charges), 80 (within the allowance).
/// </param>
public sealed record MatchedGroup(
    IReadOnlyList<LedgerItem> Internal,
    IReadOnlyList<StatementLine> External,
    Money Fee,
    MatchRule Rule,
    int Confidence);

/// <summary>A ledger item and a statement line that name each other by id or reference but disagree on the amount (or currency).</summary>
public sealed record AmountMismatch(LedgerItem Internal, StatementLine External, MatchRule Rule);

/// <summary>One way to settle items: what a rule proposed, how sure it was, and the fee it would book.</summary>
/// <param name="Fee">Ledger total − statement total: zero for a pair.</param>
public sealed record MatchCandidate(
    IReadOnlyList<LedgerItem> Internal,
    IReadOnlyList<StatementLine> External,
    MatchRule Rule,
    int Confidence,
    Money Fee);

/// <summary>
/// A match the matcher would not make on its own: a rival scored within the margin, or the confidence
/// was under the auto-match threshold. The first candidate is the proposal and holds its items (they
/// are in no other place of the result); the others are the rivals, shown so a person can choose, and
/// may hold items placed elsewhere.
/// </summary>
public sealed record MatchSuggestion(IReadOnlyList<MatchCandidate> Candidates)
{
    public MatchCandidate Proposal => Candidates[0];
}

/// <summary>
/// Every input item lands in exactly one place: a pair, a group, a mismatch, a suggestion's proposal,
/// or one of the unmatched lists (those in id order).
/// </summary>
public sealed record MatchResult(
    IReadOnlyList<MatchedPair> Pairs,
    IReadOnlyList<MatchedGroup> Groups,
    IReadOnlyList<AmountMismatch> Mismatches,
    IReadOnlyList<LedgerItem> UnmatchedInternal,
    IReadOnlyList<StatementLine> UnmatchedExternal,
    IReadOnlyList<MatchSuggestion> Suggestions);
