namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Rule 2: a free statement line and a free ledger item of exactly the same amount and currency whose
/// dates differ by at most the window. Each candidate scores
/// 40 + 20·(window − distance)/window + 30·similarity/100, rounded down (40–90, under rule 1's), where
/// similarity compares counterparty and description (<see cref="Similarity"/>: case, punctuation and
/// legal forms ignored).
/// </summary>
/// <remarks>
/// <para>Two passes. The first makes a match automatically only when it is unambiguous: the best
/// candidate reaches the auto-match threshold and beats every rival — every other ledger item of the
/// amount in the line's window, and every other line of the amount in the item's window — by the
/// margin, and on the names: a higher similarity than each rival's. An amount that appears once on
/// each side within the window has no rival; a common amount is matched only when the names tell the
/// items apart, never by amount and date alone. The second pass turns what is left into suggestions:
/// the best free candidate, held, with the rivals listed beside it.</para>
/// <para>Free items are sorted once per side by (currency, amount, day, rank), O(k log k); each line
/// then costs a binary search and at most <see cref="MaxExamined"/> candidates per side, and
/// <see cref="FreeList"/>s skip matched ones. Lines visit in (value day, rank) order: deterministic.</para>
/// </remarks>
internal static class AmountDateRule
{
    private const int MaxExamined = 64;

    /// <summary>The most rivals a suggestion lists beside its proposal.</summary>
    private const int MaxRivals = 4;

    public static void Apply(MatchRun run)
    {
        var state = new State(run);
        foreach (var external in run.ExternalOrder)
        {
            if (run.ExternalUsed[external] || !state.Candidates(external) || !run.Automatic(state.Scored[0].Confidence))
            {
                continue;
            }

            var best = state.Scored[0];
            if (state.Scored.Skip(1).All(rival => Beats(run, best, rival)) && state.RivalLines(best.Rank, external).All(rival => Beats(run, best, rival)))
            {
                state.Take(best, external);
                run.Pair(best.Rank, external, MatchRule.AmountAndDate, best.Confidence);
            }
        }

        foreach (var external in run.ExternalOrder)
        {
            if (run.ExternalUsed[external] || !state.Candidates(external))
            {
                continue;
            }

            // The proposal must be free; a rival may already be held by another suggestion.
            var proposal = state.Scored.FindIndex(s => !run.InternalUsed[s.Rank]);
            if (proposal < 0)
            {
                continue;
            }

            var best = state.Scored[proposal];
            var rivals = state.Scored.Where((_, i) => i != proposal).Select(s => run.PairCandidate(s.Rank, external, MatchRule.AmountAndDate, s.Confidence))
                .Concat(state.RivalLines(best.Rank, external).Select(s => run.PairCandidate(best.Rank, s.Rank, MatchRule.AmountAndDate, s.Confidence)))
                .Take(MaxRivals);
            run.Suggest([run.PairCandidate(best.Rank, external, MatchRule.AmountAndDate, best.Confidence), .. rivals], [best.Rank], [external]);
        }
    }

    /// <summary>Ahead by the margin, and on the names: date alone never decides between equal amounts.</summary>
    private static bool Beats(MatchRun run, Scored best, Scored rival) =>
        best.Confidence - rival.Confidence >= run.Options.AmbiguityMargin && best.Similarity > rival.Similarity;

    private static int Confidence(int window, int distance, int similarity) =>
        40 + (window == 0 ? 20 : 20 * (window - distance) / window) + (similarity * 30 / 100);

    /// <summary>A candidate of the other side: its rank, position in its pool, score and name similarity.</summary>
    private readonly record struct Scored(int Rank, int Position, int Confidence, int Similarity, int Distance, int Day);

    private sealed class State
    {
        private readonly MatchRun _run;
        private readonly Candidate[] _ledger;
        private readonly Candidate[] _lines;
        private readonly FreeList _ledgerFree;
        private readonly FreeList _linesFree;
        private readonly int[] _linePosition;
        private readonly string[]?[] _ledgerWords;
        private readonly string[]?[] _lineWords;
        private readonly List<(int, int, int)> _ledgerWindow = [];
        private readonly List<(int, int, int)> _lineWindow = [];

        public State(MatchRun run)
        {
            _run = run;
            _ledger = Pool(run.InternalSlots, run.InternalUsed);
            _lines = Pool(run.ExternalSlots, run.ExternalUsed);
            _ledgerFree = new FreeList(_ledger.Length);
            _linesFree = new FreeList(_lines.Length);
            _linePosition = new int[run.External.Length];
            for (var position = 0; position < _lines.Length; position++)
            {
                _linePosition[_lines[position].Rank] = position;
            }

            _ledgerWords = new string[]?[run.Internal.Length];
            _lineWords = new string[]?[run.External.Length];
        }

        /// <summary>The line's candidates, best first (then nearer, earlier, lower rank); false when none.</summary>
        public List<Scored> Scored { get; } = [];

        public bool Candidates(int external)
        {
            Scored.Clear();
            var target = _run.ExternalSlots[external];
            var words = LineWords(external);
            foreach (var (rank, position, day) in Window(_ledger, _ledgerFree, target, -1, _ledgerWindow))
            {
                if (_run.MaySettle(rank, external) && !_run.Rejected(rank, external))
                {
                    Scored.Add(Score(rank, position, day, target.Day, words, LedgerWords(rank)));
                }
            }

            Scored.Sort(Order);
            return Scored.Count > 0;
        }

        /// <summary>The other free lines of the item's amount within the window of its date, scored against it.</summary>
        public IEnumerable<Scored> RivalLines(int internalRank, int external)
        {
            var item = _run.InternalSlots[internalRank];
            var words = LedgerWords(internalRank);
            foreach (var (rank, position, day) in Window(_lines, _linesFree, item, external, _lineWindow))
            {
                if (_run.MaySettle(internalRank, rank) && !_run.Rejected(internalRank, rank))
                {
                    yield return Score(rank, position, day, item.Day, words, LineWords(rank));
                }
            }
        }

        public void Take(Scored best, int external)
        {
            _ledgerFree.Take(best.Position);
            _linesFree.Take(_linePosition[external]);
        }

        private Scored Score(int rank, int position, int day, int targetDay, string[] words, string[] otherWords)
        {
            var distance = Math.Abs(day - targetDay);
            var similarity = Similarity.Percent(words, otherWords);
            return new Scored(rank, position, Confidence(_run.Options.DateWindowDays, distance, similarity), similarity, distance, day);
        }

        /// <summary>The unmatched members of a pool with the target's currency and amount within the window, except one rank.</summary>
        private List<(int Rank, int Position, int Day)> Window(Candidate[] pool, FreeList free, Slot target, int except, List<(int, int, int)> found)
        {
            var window = _run.Options.DateWindowDays;
            found.Clear();
            var position = free.NextFree(Sorted.LowerBound(pool, new Candidate(target.Currency, target.Amount, target.Day - window, -1)));
            for (; position < pool.Length && found.Count < MaxExamined; position = free.NextFree(position + 1))
            {
                var candidate = pool[position];
                if (candidate.Currency != target.Currency || candidate.Amount != target.Amount || candidate.Day > target.Day + window)
                {
                    break;
                }

                if (candidate.Rank != except)
                {
                    found.Add((candidate.Rank, position, candidate.Day));
                }
            }

            return found;
        }

        private string[] LedgerWords(int rank) =>
            _ledgerWords[rank] ??= Similarity.Words(_run.Internal[rank].Counterparty, _run.Internal[rank].Description);

        private string[] LineWords(int rank) =>
            _lineWords[rank] ??= Similarity.Words(_run.External[rank].Counterparty, _run.External[rank].Description);

        private static int Order(Scored a, Scored b)
        {
            var order = b.Confidence.CompareTo(a.Confidence);
            order = order != 0 ? order : a.Distance.CompareTo(b.Distance);
            order = order != 0 ? order : a.Day.CompareTo(b.Day);
            return order != 0 ? order : a.Rank.CompareTo(b.Rank);
        }

        private static Candidate[] Pool(Slot[] slots, bool[] used)
        {
            var pool = new List<Candidate>();
            for (var rank = 0; rank < slots.Length; rank++)
            {
                if (!used[rank])
                {
                    pool.Add(new Candidate(slots[rank].Currency, slots[rank].Amount, slots[rank].Day, rank));
                }
            }

            var sorted = pool.ToArray();
            Array.Sort(sorted);
            return sorted;
        }
    }

    private readonly record struct Candidate(int Currency, long Amount, int Day, int Rank) : IComparable<Candidate>
    {
        public int CompareTo(Candidate other)
        {
            var order = Currency.CompareTo(other.Currency);
            order = order != 0 ? order : Amount.CompareTo(other.Amount);
            order = order != 0 ? order : Day.CompareTo(other.Day);
            return order != 0 ? order : Rank.CompareTo(other.Rank);
        }
    }
}
