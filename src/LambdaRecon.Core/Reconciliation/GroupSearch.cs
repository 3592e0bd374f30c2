namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Finds which of a window's candidate members (magnitudes of one sign, in day-then-rank order) settle
/// a single item's magnitude within the fee tolerance. A fit: at least two members and a fee — signed
/// ledger total − statement total — from zero to the allowance (see <see cref="FeeRule"/>).
/// </summary>
internal static class GroupSearch
{
    /// <summary>Windows up to this size also get the exact subset search: 2^16 subsets, cut by a budget.</summary>
    public const int MaxSubsetCandidates = 16;

    private const int SubsetBudget = 10_000;

    /// <summary>
    /// Whole days: every candidate booked on one day of the window, oldest day first, in O(n) given
    /// prefix sums. Settlement takes a day (a payout, the charges that became available that day; a
    /// batch, the transfers booked that day), while the order within a day means nothing once ids are
    /// UUIDs. Blocks of several days are not tried: sums of arbitrary day ranges fit by chance far too
    /// often, so a weekend payout of three days' charges is left for a person.
    /// </summary>
    /// <param name="another">Set when a second day fits too: the block is then no answer, only a suggestion.</param>
    public static bool TryDays(ReadOnlySpan<Int128> prefix, ReadOnlySpan<int> days, int count, FeeRule rule, out Found found, out bool another)
    {
        found = default;
        another = false;
        for (int start = 0, end; start < count; start = end)
        {
            for (end = start + 1; end < count && days[end] == days[start]; end++)
            {
            }

            var total = prefix[end] - prefix[start];
            if (end - start >= 2 && rule.TryFee(total, out var fee, out var allowance))
            {
                if (found.Members is not null)
                {
                    another = true;
                    return true;
                }

                found = new Found([.. Enumerable.Range(start, end - start)], total, fee, allowance);
            }
        }

        return found.Members is not null;
    }

    /// <summary>
    /// Any subset of a small window, for groups an unrelated item interrupts: depth-first in
    /// lexicographic order, pruning a branch once it overshoots or cannot reach the target, and stopping
    /// after <see cref="SubsetBudget"/> nodes. Smallest fee wins, then fewer members, then the
    /// lexicographically first: the same answer for the same window, every time.
    /// </summary>
    /// <param name="another">
    /// Set when a second subset fits, or when the budget ran out before the search was complete: then
    /// nobody knows the fit is the only one, and it is no more than a suggestion.
    /// </param>
    public static bool TrySubset(ReadOnlySpan<Int128> magnitudes, FeeRule rule, out Found found, out bool another)
    {
        var search = new SubsetSearch(magnitudes.ToArray(), rule);
        search.Visit(0, 0, 0, 0);
        found = search.Best;
        another = search.Fits > 1 || search.Exhausted;
        return found.Members is not null;
    }

    /// <param name="Members">Indexes into the window's candidates, ascending.</param>
    /// <param name="Fee">Signed ledger total − statement total: zero or more.</param>
    /// <param name="Allowance">The allowance that applied: the confidence says how much of it the fee used.</param>
    internal readonly record struct Found(int[] Members, Int128 Total, Int128 Fee, Int128 Allowance);

    private sealed class SubsetSearch(Int128[] magnitudes, FeeRule rule)
    {
        private readonly Int128[] _suffix = Suffixes(magnitudes);
        private int _nodes;
        private int _bestSize;

        public Found Best { get; private set; }

        /// <summary>How many subsets fit.</summary>
        public int Fits { get; private set; }

        public bool Exhausted => _nodes > SubsetBudget;

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

            if (rule.CannotReach(total + _suffix[next]))
            {
                return;
            }

            for (var i = next; i < magnitudes.Length; i++)
            {
                var grown = total + magnitudes[i];
                if (!rule.Overshoots(grown))
                {
                    Visit(i + 1, grown, size + 1, mask | (1u << i));
                }
            }
        }

        private void Consider(Int128 total, int size, uint mask)
        {
            if (!rule.TryFee(total, out var fee, out var allowance))
            {
                return;
            }

            Fits++;
            if (Best.Members is null || fee < Best.Fee || (fee == Best.Fee && size < _bestSize))
            {
                _bestSize = size;
                Best = new Found([.. Enumerable.Range(0, magnitudes.Length).Where(i => (mask & (1u << i)) != 0)], total, fee, allowance);
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
