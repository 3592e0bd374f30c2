namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Rule 2: a free statement line and a free ledger item of exactly the same amount and currency whose
/// dates differ by at most the window. Candidates are visited nearest day first (the earlier day
/// before the later at the same distance, then by rank); the counterparty-and-description similarity
/// picks among them and raises the confidence:
/// 40 + 20·(window − distance)/window + 30·similarity/100, rounded down: 40–90, under rule 1's.
/// </summary>
/// <remarks>
/// Free ledger items are sorted once by (currency, amount, day, rank), O(k log k); each line then costs
/// 2·window+1 binary searches plus at most <see cref="MaxExamined"/> candidates, and a
/// <see cref="FreeList"/> skips taken ones. Lines visit in (value day, rank) order and take the best
/// candidate greedily: deterministic, and linear in practice.
/// </remarks>
internal static class AmountDateRule
{
    private const int MaxExamined = 64;

    public static void Apply(MatchRun run)
    {
        var pool = new List<Candidate>();
        for (var rank = 0; rank < run.Internal.Length; rank++)
        {
            if (!run.InternalUsed[rank])
            {
                var slot = run.InternalSlots[rank];
                pool.Add(new Candidate(slot.Currency, slot.Amount, slot.Day, rank));
            }
        }

        var sorted = pool.ToArray();
        Array.Sort(sorted);
        var free = new FreeList(sorted.Length);
        var window = run.Options.DateWindowDays;
        var words = new string[]?[run.Internal.Length];

        foreach (var external in run.ExternalOrder)
        {
            if (run.ExternalUsed[external])
            {
                continue;
            }

            var target = run.ExternalSlots[external];
            var first = free.NextFree(Sorted.LowerBound(sorted, new Candidate(target.Currency, target.Amount, target.Day - window, -1)));
            if (first == sorted.Length || !sorted[first].Fits(target, window))
            {
                continue;
            }

            var line = run.External[external];
            var lineWords = Similarity.Words(line.Counterparty, line.Description);
            var (best, confidence) = Choose(run, sorted, free, words, target, lineWords);
            if (best >= 0)
            {
                free.Take(best);
                run.Pair(sorted[best].Rank, external, MatchRule.AmountAndDate, confidence);
            }
        }
    }

    private static (int Position, int Confidence) Choose(
        MatchRun run, Candidate[] sorted, FreeList free, string[]?[] words, Slot target, string[] lineWords)
    {
        var window = run.Options.DateWindowDays;
        int best = -1, bestConfidence = -1, examined = 0;
        for (var distance = 0; distance <= window; distance++)
        {
            // Nothing farther can beat what is found: confidence falls with distance, ties keep the first.
            var ceiling = Confidence(window, distance, lineWords.Length > 0 ? 100 : 0);
            if (ceiling <= bestConfidence)
            {
                break;
            }

            for (var side = distance == 0 ? 1 : -1; side <= 1; side += 2)
            {
                var day = target.Day + (side * distance);
                var position = free.NextFree(Sorted.LowerBound(sorted, new Candidate(target.Currency, target.Amount, day, -1)));
                for (; position < sorted.Length && examined < MaxExamined; position = free.NextFree(position + 1))
                {
                    var candidate = sorted[position];
                    if (candidate.Currency != target.Currency || candidate.Amount != target.Amount || candidate.Day != day)
                    {
                        break;
                    }

                    examined++;
                    var item = run.Internal[candidate.Rank];
                    var similarity = lineWords.Length == 0
                        ? 0
                        : Similarity.Percent(lineWords, words[candidate.Rank] ??= Similarity.Words(item.Counterparty, item.Description));
                    var confidence = Confidence(window, distance, similarity);
                    if (confidence > bestConfidence)
                    {
                        (best, bestConfidence) = (position, confidence);
                    }

                    if (confidence == ceiling)
                    {
                        return (best, bestConfidence);
                    }
                }
            }
        }

        return (best, bestConfidence);
    }

    private static int Confidence(int window, int distance, int similarity) =>
        40 + (window == 0 ? 20 : 20 * (window - distance) / window) + (similarity * 30 / 100);

    private readonly record struct Candidate(int Currency, long Amount, int Day, int Rank) : IComparable<Candidate>
    {
        public bool Fits(Slot target, int window) =>
            Currency == target.Currency && Amount == target.Amount && Day <= target.Day + window;

        public int CompareTo(Candidate other)
        {
            var order = Currency.CompareTo(other.Currency);
            order = order != 0 ? order : Amount.CompareTo(other.Amount);
            order = order != 0 ? order : Day.CompareTo(other.Day);
            return order != 0 ? order : Rank.CompareTo(other.Rank);
        }
    }
}
