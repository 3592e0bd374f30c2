using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Rule 3: one item settled by several on the other side: first many ledger items by one statement
/// line (a provider payout of many charges net of fees, a batch credit), then one ledger item by
/// several lines. Members share the single item's currency and sign, number at least two, lie
/// within the date window on the settled side of it (ledger items on or before the line's value date,
/// lines on or after the ledger item's date), and total within the fee tolerance of it. The fee is reported exactly:
/// ledger total − statement total, never negative (see <see cref="FeeRule"/>).
/// </summary>
/// <remarks>
/// <para>General subset-sum is exponential, so the search is bounded. Settlement takes whole days (a
/// payout, the charges that became available that day; a batch, the transfers booked that day), so
/// the candidates are the free members of one day within the window
/// (<see cref="GroupSearch.TryDays"/>). Windows of at most <see cref="GroupSearch.MaxSubsetCandidates"/>
/// free members also get an exact subset search under a node budget, for a batch that an unrelated
/// item on the same day interrupts.</para>
/// <para>Singles visit in (day, rank) order and take the oldest block that fits: settlement is first
/// in, first out, so each payout takes its own day before a later one can. Cost: free members are sorted once,
/// O(k log k); per single, its window's free members (at most <see cref="MaxWindow"/>, else the
/// cut day is dropped) are gathered through a <see cref="FreeList"/> and their days tried in O(w),
/// plus a fixed budget for small windows: O(k log k + s·w) in all. A payout that nets refunds against charges mixes signs and is left for a person.</para>
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
            if (!memberUsed[rank] && members[rank].Amount != 0 && (membersAreLedger || !run.External[rank].IsReversal))
            {
                var slot = members[rank];
                pool.Add(new Member(slot.Currency, Math.Sign(slot.Amount), slot.Day, rank, Int128.Abs(slot.Amount)));
            }
        }

        var sorted = pool.ToArray();
        Array.Sort(sorted);
        var singlesByAmount = new List<SingleItem>();
        for (var rank = 0; rank < singles.Length; rank++)
        {
            if (!singleUsed[rank] && singles[rank].Amount != 0)
            {
                singlesByAmount.Add(new SingleItem(singles[rank].Currency, singles[rank].Amount, singles[rank].Day, rank));
            }
        }

        var rivals = singlesByAmount.ToArray();
        Array.Sort(rivals);
        var free = new FreeList(sorted.Length);
        var window = run.Options.DateWindowDays;
        var positions = new int[MaxWindow];
        var days = new int[MaxWindow];
        var magnitudes = new Int128[MaxWindow];
        var prefix = new Int128[MaxWindow + 1];

        foreach (var single in singleOrder)
        {
            var target = singles[single];
            if (singleUsed[single] || target.Amount == 0 || (membersAreLedger && run.External[single].IsReversal))
            {
                continue;
            }

            // Money is settled after it is booked: ledger members lie up to the window before the
            // line, line members up to the window after the ledger item.
            var (from, to) = membersAreLedger ? (target.Day - window, target.Day) : (target.Day, target.Day + window);

            var sign = Math.Sign(target.Amount);
            var count = 0;
            var position = free.NextFree(Sorted.LowerBound(sorted, new Member(target.Currency, sign, from, -1, 0)));
            for (; position < sorted.Length; position = free.NextFree(position + 1))
            {
                var member = sorted[position];
                if (member.Currency != target.Currency || member.Sign != sign || member.Day > to)
                {
                    break;
                }

                if (count == MaxWindow)
                {
                    // Too many to search: keep the whole days gathered so far, drop the cut one.
                    while (count > 0 && days[count - 1] == member.Day)
                    {
                        count--;
                    }

                    break;
                }

                positions[count] = position;
                days[count] = member.Day;
                magnitudes[count] = member.Magnitude;
                prefix[count + 1] = prefix[count] + member.Magnitude;
                count++;
            }

            var ownCharges = membersAreLedger ? Int128.Abs(run.External[single].Fee?.Minor ?? 0) : 0;
            var rule = new FeeRule(Int128.Abs(target.Amount), membersAreLedger, Credit: sign > 0, run.Options.FeeTolerance, ownCharges);
            var another = false;
            if (count < 2
                || (!GroupSearch.TryDays(prefix, days, count, rule, out var found, out another)
                    && (count > GroupSearch.MaxSubsetCandidates || !GroupSearch.TrySubset(magnitudes.AsSpan(0, count), rule, out found, out another))))
            {
                continue;
            }

            var ranks = new int[found.Members.Length];
            for (var i = 0; i < ranks.Length; i++)
            {
                ranks[i] = sorted[positions[found.Members[i]]].Rank;
            }

            // A group a person rejected is not proposed again; its members stay free for another single.
            int[] one = [single];
            if (membersAreLedger ? run.Rejected(ranks, one) : run.Rejected(one, ranks))
            {
                continue;
            }

            // Another free single of the same amount whose window holds every member could be the one they settle.
            var (first, last) = (days[found.Members[0]], days[found.Members[^1]]);
            another |= membersAreLedger
                ? HasRival(rivals, singleUsed, target, single, last, first + window)
                : HasRival(rivals, singleUsed, target, single, last - window, first);

            foreach (var member in found.Members)
            {
                free.Take(positions[member]);
            }

            var candidate = Describe(run, single, ranks, membersAreLedger, found, ownCharges);
            if (another || !run.Automatic(candidate.Confidence))
            {
                run.Suggest([candidate], membersAreLedger ? ranks : one, membersAreLedger ? one : ranks);
                continue;
            }

            singleUsed[single] = true;
            foreach (var rank in ranks)
            {
                memberUsed[rank] = true;
            }

            run.Groups.Add(new MatchedGroup(candidate.Internal, candidate.External, candidate.Fee, candidate.Rule, candidate.Confidence));
        }
    }

    /// <summary>
    /// Confidence 50 when the totals are equal or differ by exactly the line's own charges, else 20–40,
    /// less as the fee nears the allowance: under the default auto-match threshold, since a fee that only
    /// fits the allowance is a guess.
    /// </summary>
    private static MatchCandidate Describe(MatchRun run, int single, int[] memberRanks, bool membersAreLedger, GroupSearch.Found found, Int128 ownCharges)
    {
        var fee = (long)found.Fee;
        var confidence = found.Allowance == 0 || found.Fee == 0 || found.Fee == ownCharges
            ? 50
            : 20 + (int)(20 * (found.Allowance - found.Fee) / found.Allowance);
        if (membersAreLedger)
        {
            var line = run.External[single];
            return new MatchCandidate(
                Array.ConvertAll(memberRanks, rank => run.Internal[rank]),
                [line],
                MatchRule.ManyInternalToOneExternal,
                confidence,
                new Money(fee, line.Amount.Currency));
        }

        var item = run.Internal[single];
        return new MatchCandidate(
            [item],
            Array.ConvertAll(memberRanks, rank => run.External[rank]),
            MatchRule.OneInternalToManyExternal,
            confidence,
            new Money(fee, item.Amount.Currency));
    }

    private static bool HasRival(SingleItem[] rivals, bool[] singleUsed, Slot target, int single, int fromDay, int toDay)
    {
        for (var position = Sorted.LowerBound(rivals, new SingleItem(target.Currency, target.Amount, fromDay, -1)); position < rivals.Length; position++)
        {
            var rival = rivals[position];
            if (rival.Currency != target.Currency || rival.Amount != target.Amount || rival.Day > toDay)
            {
                return false;
            }

            if (rival.Rank != single && !singleUsed[rival.Rank])
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct SingleItem(int Currency, long Amount, int Day, int Rank) : IComparable<SingleItem>
    {
        public int CompareTo(SingleItem other)
        {
            var order = Currency.CompareTo(other.Currency);
            order = order != 0 ? order : Amount.CompareTo(other.Amount);
            order = order != 0 ? order : Day.CompareTo(other.Day);
            return order != 0 ? order : Rank.CompareTo(other.Rank);
        }
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
