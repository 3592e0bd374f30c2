namespace LambdaRecon.Core.Reconciliation;

/// <summary>How far the matcher may stretch.</summary>
public sealed record MatchOptions
{
    /// <summary>
    /// Days the statement's value date may differ from the ledger date, either way, for the amount and
    /// date rule and for groups. Three covers a weekend plus the provider's usual T+2 settlement.
    /// </summary>
    public int DateWindowDays { get; init; } = 3;

    /// <summary>What a group may lose to fees. The default is none: groups must sum exactly.</summary>
    public FeeTolerance FeeTolerance { get; init; }

    /// <summary>
    /// 0–100: the least confidence a match is made automatically at. Below it, a match is only a
    /// suggestion for a person to accept or reject. The default 40 lets identifiers (95–100), payouts
    /// by id (80–100), unambiguous amount-and-date pairs (40–90) and groups that sum exactly or differ by
    /// the line's own charges (50) through, and leaves groups that lean on the fee allowance (20–39) to a person.
    /// </summary>
    public int AutoMatchThreshold { get; init; } = 40;

    /// <summary>
    /// 0–100: how far ahead of every other candidate, on either side, a match must score to be made
    /// automatically. A rival within the margin makes it a suggestion listing both.
    /// </summary>
    public int AmbiguityMargin { get; init; } = 10;

    /// <summary>
    /// Pairings a person rejected. The matcher never proposes one again — not as a match, a suggestion
    /// or a rival — while its items stay free to pair with other counterparts.
    /// </summary>
    public IReadOnlyCollection<RejectedPairing> Rejected { get; init; } = [];
}

/// <summary>A candidate a person rejected: exactly this set of ledger items with exactly this set of statement lines.</summary>
/// <param name="LedgerIds">The ledger item ids (<see cref="LedgerItem.Id"/>), in any order.</param>
/// <param name="LineIds">The statement line ids (<see cref="Statements.StatementLine.LineId"/>), in any order.</param>
public sealed record RejectedPairing(IReadOnlyCollection<string> LedgerIds, IReadOnlyCollection<string> LineIds);

/// <summary>
/// The fee a group may differ by: a fixed amount in minor units plus a share of the ledger side's
/// total in basis points (250 = 2.5 %). The share is computed with integers and rounded toward zero,
/// so the allowance is never more generous than configured.
/// </summary>
public readonly record struct FeeTolerance(long Minor, int BasisPoints)
{
    /// <summary>The largest fee allowed on a ledger total of this magnitude.</summary>
    public Int128 AllowanceFor(Int128 ledgerMagnitude) => Minor + (ledgerMagnitude * BasisPoints / 10_000);
}
