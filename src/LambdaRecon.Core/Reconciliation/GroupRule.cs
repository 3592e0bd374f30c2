using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Rule 3: one item settled by several on the other side: first many ledger items by one statement
/// line (a provider payout of many charges net of fees, a batch credit), then one ledger item by
/// several lines. Members share the single item's currency and sign, lie within its date window,
/// number at least two, and total within the fee tolerance of it. The fee is reported exactly:
/// ledger total − statement total.
/// </summary>
/// <remarks>
/// <para>General subset-sum is exponential, so the search is bounded. Runs of consecutive free items
/// (day, then rank order) are what settlement produces — a payout takes every charge that became
/// available since the last — and are found in linear time (<see cref="GroupSearch.TryRun"/>).
/// Windows of at most <see cref="GroupSearch.MaxSubsetCandidates"/> free members also get an exact
/// subset search under a node budget, for a batch that an unrelated item interrupts.</para>
/// <para>Singles visit in (day, rank) order, oldest first as providers settle. Cost: free members are
/// sorted once, O(k log k); per single, its window's free members (at most <see cref="MaxWindow"/>)
/// are gathered through a <see cref="FreeList"/> and searched in O(w), plus at most a fixed budget for
/// small windows: O(k log k + s·w) in all. A payout that nets refunds against charges mixes signs and
/// is left unmatched, for a person.</para>
/// </remarks>
internal static class GroupRule
{
    private const int MaxWindow = 4096;

    public static void Apply(MatchRun run)
    {
        Apply(run, run.ExternalSlots, run.ExternalUsed, run.ExternalOrder, run.InternalSlots, run.InternalUsed, membersAreLedger: true);
        Apply(run, run.InternalSlots, run.InternalUsed, run.InternalOrder, run.ExternalSlots, run.ExternalUsed, membersAreLedger: false);
    }

    private static void Apply(
        MatchRun run, Slot[] singles, bool[] singleUsed, int[] singleOrder, Slot[] members, bool[] memberUsed, bool membersAreLedger)
    {
        var pool = new List<Member>();
        for (var rank = 0; rank < members.Length; rank++)
        {
            if (!memberUsed[rank] && members[rank].Amount != 0)
            {
                var slot = members[rank];
                pool.Add(new Member(slot.Currency, Math.Sign(slot.Amount), slot.Day, rank, Int128.Abs(slot.Amount)));
            }
        }

        var sorted = pool.ToArray();
        Array.Sort(sorted);
        var free = new FreeList(sorted.Length);
        var window = run.Options.DateWindowDays;
        var positions = new int[MaxWindow];
        var magnitudes = new Int128[MaxWindow];
        var prefix = new Int128[MaxWindow + 1];

        foreach (var single in singleOrder)
        {
            var target = singles[single];
            if (singleUsed[single] || target.Amount == 0)
            {
                continue;
            }

            var sign = Math.Sign(target.Amount);
            var count = 0;
            var position = free.NextFree(Sorted.LowerBound(sorted, new Member(target.Currency, sign, target.Day - window, -1, 0)));
            for (; position < sorted.Length && count < MaxWindow; position = free.NextFree(position + 1))
            {
                var member = sorted[position];
                if (member.Currency != target.Currency || member.Sign != sign || member.Day > target.Day + window)
                {
                    break;
                }

                positions[count] = position;
                magnitudes[count] = member.Magnitude;
                prefix[count + 1] = prefix[count] + member.Magnitude;
                count++;
            }

            var magnitude = Int128.Abs(target.Amount);
            var tolerance = run.Options.FeeTolerance;
            if (count < 2
                || (!GroupSearch.TryRun(prefix, count, magnitude, membersAreLedger, tolerance, out var found)
                    && (count > GroupSearch.MaxSubsetCandidates
                        || !GroupSearch.TrySubset(magnitudes.AsSpan(0, count), magnitude, membersAreLedger, tolerance, out found))))
            {
                continue;
            }

            singleUsed[single] = true;
            var ranks = new int[found.Members.Length];
            for (var i = 0; i < ranks.Length; i++)
            {
                var taken = positions[found.Members[i]];
                free.Take(taken);
                ranks[i] = sorted[taken].Rank;
                memberUsed[ranks[i]] = true;
            }

            run.Groups.Add(Describe(run, single, ranks, membersAreLedger, found, sign));
        }
    }

    private static MatchedGroup Describe(MatchRun run, int single, int[] memberRanks, bool membersAreLedger, GroupSearch.Found found, int sign)
    {
        var members = sign * found.Total;
        var singleAmount = membersAreLedger ? run.ExternalSlots[single].Amount : run.InternalSlots[single].Amount;
        var fee = (long)(membersAreLedger ? members - singleAmount : singleAmount - members);
        var confidence = found.Allowance == 0 ? 50 : 30 + (int)(20 * (found.Allowance - found.Difference) / found.Allowance);
        if (membersAreLedger)
        {
            var line = run.External[single];
            return new MatchedGroup(
                Array.ConvertAll(memberRanks, rank => run.Internal[rank]),
                [line],
                new Money(fee, line.Amount.Currency),
                MatchRule.ManyInternalToOneExternal,
                confidence);
        }

        var item = run.Internal[single];
        return new MatchedGroup(
            [item],
            Array.ConvertAll(memberRanks, rank => run.External[rank]),
            new Money(fee, item.Amount.Currency),
            MatchRule.OneInternalToManyExternal,
            confidence);
    }

    private readonly record struct Member(int Currency, int Sign, int Day, int Rank, Int128 Magnitude) : IComparable<Member>
    {
        public int CompareTo(Member other)
        {
            var order = Currency.CompareTo(other.Currency);
            order = order != 0 ? order : Sign.CompareTo(other.Sign);
            order = order != 0 ? order : Day.CompareTo(other.Day);
            return order != 0 ? order : Rank.CompareTo(other.Rank);
        }
    }
}
