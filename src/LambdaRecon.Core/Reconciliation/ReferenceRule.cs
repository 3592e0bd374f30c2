using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Rule 1: a statement line whose end-to-end id, else whose reference, equals a ledger item's
/// reference or end-to-end id, compared as <see cref="Key"/>s (letters and digits, case folded:
/// banks upper-case remittance text and drop punctuation). Equal amount and currency make a pair —
/// automatically only when the key is unambiguous: exactly one free ledger item with the key and the
/// amount, and no other line of the same direction carrying the key; otherwise a suggestion listing every such item. A
/// different amount makes an <see cref="AmountMismatch"/> that takes both items, since they plainly
/// name each other and must not be paired elsewhere by amount.
/// </summary>
/// <remarks>
/// One hash lookup per key, so O(n + m). Ledger items sharing a key are chained in rank order; taken
/// items are unlinked as the walk passes them, and at most <see cref="MaxCandidates"/> free ones are
/// looked at: a key that many items share is a label ("RENT"), not an identifier, and those items
/// are left to the amount and date rule.
/// </remarks>
internal static class ReferenceRule
{
    private const int MaxCandidates = 64;

    /// <summary>The most rivals a suggestion lists beside its proposal.</summary>
    private const int MaxRivals = 4;

    public static void Apply(MatchRun run)
    {
        var count = run.Internal.Length;
        var heads = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var next = new int[count * 2];
        for (var rank = count - 1; rank >= 0; rank--)
        {
            // Slot 2r is item r's end-to-end id, 2r+1 its reference; prepending in falling rank order
            // leaves every chain in rising rank order.
            Link(heads, next, Key.Of(run.Internal[rank].EndToEndId), rank * 2);
            Link(heads, next, Key.Of(run.Internal[rank].Reference), (rank * 2) + 1);
        }

        // How many lines of each direction carry each key: a key on two credits (or two debits) identifies
        // neither; a payment and its reversal or refund, one each way, share the payment's reference.
        var lineKeys = new Dictionary<(string, bool), int>();
        var endToEnds = new string?[run.External.Length];
        var references = new string?[run.External.Length];
        for (var rank = 0; rank < run.External.Length; rank++)
        {
            var line = run.External[rank];
            var (endToEnd, reference) = (endToEnds[rank], references[rank]) = (Key.Of(line.EndToEndId), Key.Of(line.Reference));
            var credit = line.Amount.Minor > 0;
            Count(lineKeys, endToEnd, credit);
            if (reference != endToEnd)
            {
                Count(lineKeys, reference, credit);
            }
        }

        var equal = new List<int>();
        foreach (var external in run.ExternalOrder)
        {
            var line = run.External[external];
            int mismatch = -1;
            var mismatchRule = MatchRule.EndToEndId;
            foreach (var (candidateKey, rule) in (ReadOnlySpan<(string?, MatchRule)>)[(endToEnds[external], MatchRule.EndToEndId), (references[external], MatchRule.Reference)])
            {
                if (candidateKey is not { } key)
                {
                    continue;
                }

                var differing = Find(run, heads, next, key, external, equal);
                if (equal.Count > 0)
                {
                    var confidence = rule == MatchRule.EndToEndId ? 100 : 95;
                    if (equal.Count == 1 && lineKeys[(key, line.Amount.Minor > 0)] == 1 && run.Automatic(confidence))
                    {
                        run.Pair(equal[0], external, rule, confidence);
                    }
                    else
                    {
                        run.Suggest([.. equal.Take(MaxRivals + 1).Select(rank => run.PairCandidate(rank, external, rule, confidence))], [equal[0]], [external]);
                    }

                    mismatch = -1;
                    break;
                }

                if (mismatch < 0 && differing >= 0)
                {
                    (mismatch, mismatchRule) = (differing, rule);
                }
            }

            if (mismatch >= 0)
            {
                run.Mismatch(mismatch, external, mismatchRule);
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="equal"/> with the free items with the key and the line's amount, nearest
    /// date first (then by rank); returns the nearest with another amount, or -1.
    /// </summary>
    private static int Find(MatchRun run, Dictionary<string, int> heads, int[] next, string key, int external, List<int> equal)
    {
        equal.Clear();
        int differing = -1;
        var target = run.ExternalSlots[external];
        ref var link = ref CollectionsMarshal.GetValueRefOrNullRef(heads, key);
        if (Unsafe.IsNullRef(ref link))
        {
            return differing;
        }

        for (var looked = 0; link >= 0 && looked < MaxCandidates;)
        {
            var rank = link >> 1;
            if (run.InternalUsed[rank])
            {
                link = next[link];
                continue;
            }

            looked++;
            var slot = run.InternalSlots[rank];
            if (!run.MaySettle(rank, external))
            {
                // A reversal line names the movement it undoes; only a refund or adjustment settles it.
            }
            else if (slot.Currency == target.Currency && slot.Amount == target.Amount)
            {
                // A pairing a person rejected names each other but is no candidate: the line may still settle another item.
                if (!equal.Contains(rank) && !run.Rejected(rank, external))
                {
                    equal.Add(rank);
                }
            }
            else
            {
                differing = Nearer(run, rank, differing, target.Day);
            }

            link = ref next[link];
        }

        if (equal.Count > 1)
        {
            equal.Sort((a, b) => Math.Abs(run.InternalSlots[a].Day - target.Day).CompareTo(Math.Abs(run.InternalSlots[b].Day - target.Day)) is var order and not 0
                ? order
                : a.CompareTo(b));
        }

        return differing;
    }

    /// <summary>The candidate nearer the day; on a tie the one seen first, which has the lower rank.</summary>
    private static int Nearer(MatchRun run, int candidate, int best, int day) =>
        best < 0 || Math.Abs(run.InternalSlots[candidate].Day - day) < Math.Abs(run.InternalSlots[best].Day - day)
            ? candidate
            : best;

    private static void Link(Dictionary<string, int> heads, int[] next, string? key, int slot)
    {
        if (key is null)
        {
            next[slot] = -1;
            return;
        }

        ref var head = ref CollectionsMarshal.GetValueRefOrAddDefault(heads, key, out var exists);
        next[slot] = exists ? head : -1;
        head = slot;
    }

    private static void Count(Dictionary<(string, bool), int> counts, string? key, bool credit)
    {
        if (key is not null)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(counts, (key, credit), out _)++;
        }
    }
}

/// <summary>An identifier as compared: its letters and digits, upper-cased ("inv-1001 " and "INV1001" are one key).</summary>
internal static class Key
{
    /// <summary>
    /// Null for no identifier: empty, no letter or digit, or "NOTPROVIDED" (ISO 20022's placeholder for a
    /// missing end-to-end id). An id already in canonical form is returned as it is, without a copy.
    /// </summary>
    public static string? Of(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var canonical = true;
        foreach (var c in text)
        {
            if (!(char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)))
            {
                canonical = false;
                break;
            }
        }

        if (!canonical)
        {
            Span<char> buffer = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
            var length = 0;
            foreach (var c in text)
            {
                if (char.IsLetterOrDigit(c))
                {
                    buffer[length++] = char.ToUpperInvariant(c);
                }
            }

            text = new string(buffer[..length]);
        }

        return text.Length == 0 || text == "NOTPROVIDED" ? null : text;
    }
}
