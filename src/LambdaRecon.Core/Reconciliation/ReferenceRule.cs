using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Rule 1: a statement line whose end-to-end id, else whose reference, equals a ledger item's
/// reference or end-to-end id (ignoring letter case: banks upper-case remittance text). Equal amount
/// and currency make a pair; a different one makes an <see cref="AmountMismatch"/> that takes both
/// items, since they plainly name each other and must not be paired elsewhere by amount.
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

    public static void Apply(MatchRun run)
    {
        var count = run.Internal.Length;
        var heads = new Dictionary<string, int>(count, StringComparer.OrdinalIgnoreCase);
        var next = new int[count * 2];
        for (var rank = count - 1; rank >= 0; rank--)
        {
            // Slot 2r is item r's end-to-end id, 2r+1 its reference; prepending in falling rank order
            // leaves every chain in rising rank order.
            Link(heads, next, run.Internal[rank].EndToEndId, rank * 2);
            Link(heads, next, run.Internal[rank].Reference, (rank * 2) + 1);
        }

        foreach (var external in run.ExternalOrder)
        {
            var line = run.External[external];
            int mismatch = -1;
            var mismatchRule = MatchRule.EndToEndId;
            foreach (var (key, rule) in (ReadOnlySpan<(string?, MatchRule)>)[(line.EndToEndId, MatchRule.EndToEndId), (line.Reference, MatchRule.Reference)])
            {
                if (!IsKey(key))
                {
                    continue;
                }

                var (equal, differing) = Find(run, heads, next, key!, external);
                if (equal >= 0)
                {
                    run.Pair(equal, external, rule, rule == MatchRule.EndToEndId ? 100 : 95);
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

    /// <summary>The nearest-dated free item with the key and the line's amount, and the nearest with another amount.</summary>
    private static (int Equal, int Differing) Find(MatchRun run, Dictionary<string, int> heads, int[] next, string key, int external)
    {
        int equal = -1, differing = -1;
        var target = run.ExternalSlots[external];
        ref var link = ref CollectionsMarshal.GetValueRefOrNullRef(heads, key);
        if (Unsafe.IsNullRef(ref link))
        {
            return (equal, differing);
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
            if (slot.Currency == target.Currency && slot.Amount == target.Amount)
            {
                equal = Nearer(run, rank, equal, target.Day);
            }
            else
            {
                differing = Nearer(run, rank, differing, target.Day);
            }

            link = ref next[link];
        }

        return (equal, differing);
    }

    /// <summary>The candidate nearer the day; on a tie the one seen first, which has the lower rank.</summary>
    private static int Nearer(MatchRun run, int candidate, int best, int day) =>
        best < 0 || Math.Abs(run.InternalSlots[candidate].Day - day) < Math.Abs(run.InternalSlots[best].Day - day)
            ? candidate
            : best;

    private static void Link(Dictionary<string, int> heads, int[] next, string? key, int slot)
    {
        if (!IsKey(key))
        {
            next[slot] = -1;
            return;
        }

        ref var head = ref CollectionsMarshal.GetValueRefOrAddDefault(heads, key!, out var exists);
        next[slot] = exists ? head : -1;
        head = slot;
    }

    /// <summary>"NOTPROVIDED" is ISO 20022's placeholder for a missing end-to-end id: it identifies nothing.</summary>
    private static bool IsKey(string? key) =>
        !string.IsNullOrWhiteSpace(key) && !key.Equals("NOTPROVIDED", StringComparison.OrdinalIgnoreCase);
}
