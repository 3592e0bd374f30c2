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
}

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
