namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Finds which of a window's candidate members (magnitudes of one sign, in day-then-rank order) settle
/// a single item's magnitude within the fee tolerance. A fit: at least two members and
/// |members' total − target| ≤ allowance, the allowance taken on the ledger side's total.
/// </summary>
internal static class GroupSearch
{
    /// <summary>Windows up to this size also get the exact subset search: 2^16 subsets, cut by a budget.</summary>
    public const int MaxSubsetCandidates = 16;

    private const int SubsetBudget = 10_000;

    /// <summary>
    /// Runs of consecutive candidates, in O(n): the earliest start that fits, with its end nearest the
    /// target. A run's total grows with its end, so the end that first reaches the target or the one
    /// before it is nearest, and that crossing only moves right as the start does. Farther ends cannot
    /// fit when the nearest does not: the allowance grows by at most the amount added (≤ 10 000 bp).
    /// </summary>
    public static bool TryRun(ReadOnlySpan<Int128> prefix, int count, Int128 target, bool membersAreLedger, FeeTolerance tolerance, out Found found)
    {
        found = default;
        var end = 2;
        for (var start = 0; start + 2 <= count; start++)
        {
            end = Math.Max(end, start + 2);
            while (end <= count && prefix[end] - prefix[start] < target)
            {
                end++;
            }

            for (var candidate = Math.Max(end - 1, start + 2); candidate <= Math.Min(end, count); candidate++)
            {
                var total = prefix[candidate] - prefix[start];
                var allowance = tolerance.AllowanceFor(membersAreLedger ? total : target);
                var difference = Int128.Abs(total - target);
                if (Fits(difference, allowance) && (found.Members is null || difference < found.Difference))
                {
                    found = new Found([.. Enumerable.Range(start, candidate - start)], total, difference, allowance);
                }
            }

            if (found.Members is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Any subset of a small window, for groups an unrelated item interrupts: depth-first in
    /// lexicographic order, pruning a branch once it overshoots or cannot reach the target, and stopping
    /// after <see cref="SubsetBudget"/> nodes. Smallest |fee| wins, then fewer members, then the
    /// lexicographically first: the same answer for the same window, every time.
    /// </summary>
    public static bool TrySubset(ReadOnlySpan<Int128> magnitudes, Int128 target, bool membersAreLedger, FeeTolerance tolerance, out Found found)
    {
        var search = new SubsetSearch(magnitudes.ToArray(), target, membersAreLedger, tolerance);
        search.Visit(0, 0, 0, 0);
        found = search.Best;
        return found.Members is not null;
    }

    /// <summary>Within the allowance, and a fee a 64-bit amount can report.</summary>
    private static bool Fits(Int128 difference, Int128 allowance) => difference <= allowance && difference <= long.MaxValue;

    /// <param name="Members">Indexes into the window's candidates, ascending.</param>
    /// <param name="Allowance">The allowance that applied: the confidence says how much of it the fee used.</param>
    internal readonly record struct Found(int[] Members, Int128 Total, Int128 Difference, Int128 Allowance);

    private sealed class SubsetSearch(Int128[] magnitudes, Int128 target, bool membersAreLedger, FeeTolerance tolerance)
    {
        private readonly Int128[] _suffix = Suffixes(magnitudes);
        private int _nodes;
        private int _bestSize;

        public Found Best { get; private set; }

        public void Visit(int next, Int128 total, int size, uint mask)
        {
            if (++_nodes > SubsetBudget)
            {
                return;
            }

            if (size >= 2)
            {
                Consider(total, size, mask);
            }

            // Even taking everything left cannot come within the allowance of the target.
            var reachable = total + _suffix[next];
            if (target - reachable > tolerance.AllowanceFor(membersAreLedger ? reachable : target))
            {
                return;
            }

            for (var i = next; i < magnitudes.Length; i++)
            {
                var grown = total + magnitudes[i];
                // Past the allowance already: every superset is farther still.
                if (grown - target <= tolerance.AllowanceFor(membersAreLedger ? grown : target))
                {
                    Visit(i + 1, grown, size + 1, mask | (1u << i));
                }
            }
        }

        private void Consider(Int128 total, int size, uint mask)
        {
            var difference = Int128.Abs(total - target);
            var allowance = tolerance.AllowanceFor(membersAreLedger ? total : target);
            var better = Best.Members is null
                || difference < Best.Difference
                || (difference == Best.Difference && size < _bestSize);
            if (Fits(difference, allowance) && better)
            {
                _bestSize = size;
                Best = new Found([.. Enumerable.Range(0, magnitudes.Length).Where(i => (mask & (1u << i)) != 0)], total, difference, allowance);
            }
        }

        private static Int128[] Suffixes(Int128[] magnitudes)
        {
            var suffix = new Int128[magnitudes.Length + 1];
            for (var i = magnitudes.Length - 1; i >= 0; i--)
            {
                suffix[i] = suffix[i + 1] + magnitudes[i];
            }

            return suffix;
        }
    }
}
