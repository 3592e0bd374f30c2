namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// When members totalling a magnitude settle a single item's magnitude (<see cref="Target"/>): the fee,
/// signed ledger total − statement total, must be from zero to the allowance. A fee only ever takes
/// money: a payout arrives short of its charges, a debit leaves with the bank's fee on top. A
/// statement that is better for the account holder than the ledger is a break, not a fee.
/// </summary>
/// <param name="Target">The single item's magnitude.</param>
/// <param name="MembersAreLedger">Members are ledger items (the allowance is on their total) or statement lines (on the target).</param>
/// <param name="Credit">The direction of the flow: whether a larger ledger magnitude means a larger fee.</param>
/// <param name="OwnCharges">
/// The charges the single line itself states (<see cref="Statements.StatementLine.Fee"/>): a fee of exactly
/// that much is no guess, so the allowance is never below it.
/// </param>
internal readonly record struct FeeRule(Int128 Target, bool MembersAreLedger, bool Credit, FeeTolerance Tolerance, Int128 OwnCharges = default)
{
    /// <summary>Whether the fee grows with the members' total (else it shrinks).</summary>
    private bool Grows => MembersAreLedger == Credit;

    public bool TryFee(Int128 total, out Int128 fee, out Int128 allowance)
    {
        fee = Grows ? total - Target : Target - total;
        allowance = Allowance(total);
        return fee >= 0 && fee <= allowance && fee <= long.MaxValue;
    }

    /// <summary>
    /// The total is past any fit, and so is every larger one: the fee is negative where it shrinks, or
    /// above the allowance where it grows (it grows faster than an allowance of at most 10 000 bp).
    /// </summary>
    public bool Overshoots(Int128 total) => Grows ? total - Target > Allowance(total) : total > Target;

    /// <summary>Even the largest total still reachable is short of any fit.</summary>
    public bool CannotReach(Int128 largest) => Grows ? largest < Target : Target - largest > Allowance(largest);

    private Int128 Allowance(Int128 total) => Int128.Max(OwnCharges, Tolerance.AllowanceFor(MembersAreLedger ? total : Target));
}
