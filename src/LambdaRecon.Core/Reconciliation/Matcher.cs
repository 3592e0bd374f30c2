using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>Matches one account's ledger items against its statement lines. Pure and deterministic.</summary>
public static class Matcher
{
    /// <summary>
    /// Runs the rules in order — <see cref="ReferenceRule"/> (end-to-end id or reference),
    /// <see cref="PayoutRule"/> (payout id), <see cref="AmountDateRule"/> (amount, currency and date
    /// window), <see cref="GroupRule"/> (one-to-many within the fee tolerance) — each on what the
    /// earlier ones left. A match is made automatically only when it is unambiguous and its confidence
    /// reaches <see cref="MatchOptions.AutoMatchThreshold"/>; otherwise it becomes a
    /// <see cref="MatchSuggestion"/> that holds its items. A pairing in <see cref="MatchOptions.Rejected"/>
    /// is no candidate of any rule. Every item ends in exactly one place of the result. Both sides are first sorted by id and every choice breaks ties
    /// on that order, so shuffling either input gives the same result.
    /// </summary>
    /// <remarks>O((n + m) log(n + m)) time and O(n + m) memory for n ledger items and m lines; see each rule.</remarks>
    /// <exception cref="ArgumentException">An id repeats on one side, or the options are out of range.</exception>
    public static MatchResult Match(IEnumerable<LedgerItem> ledger, IEnumerable<StatementLine> statement, MatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(statement);
        options ??= new MatchOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.DateWindowDays, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.FeeTolerance.Minor, nameof(options));
        if (options.AutoMatchThreshold is < 0 or > 100 || options.AmbiguityMargin is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "the auto-match threshold and the ambiguity margin must be 0 to 100");
        }

        if (options.FeeTolerance.BasisPoints is < 0 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "fee tolerance must be 0 to 10 000 basis points");
        }

        if (options.Rejected is null || options.Rejected.Any(r => r?.LedgerIds is null || r.LineIds is null))
        {
            throw new ArgumentException("a rejected pairing is null or lacks a side", nameof(options));
        }

        LedgerItem[] internals = [.. ledger];
        StatementLine[] externals = [.. statement];
        if (internals.Contains(null) || externals.Contains(null))
        {
            throw new ArgumentException("an item is null");
        }

        // The two sorts are the largest cost of a big run and are independent: one per core.
        string? repeatedInternal = null, repeatedExternal = null;
        Parallel.Invoke(
            () => repeatedInternal = SortById(internals, i => i.Id),
            () => repeatedExternal = SortById(externals, e => e.LineId));
        if ((repeatedInternal ?? repeatedExternal) is { } repeated)
        {
            throw new ArgumentException($"{(repeatedInternal is null ? "statement line" : "ledger item")} id '{repeated}' appears twice; ids must be unique on each side");
        }

        var run = new MatchRun(internals, externals, options);
        ReferenceRule.Apply(run);
        PayoutRule.Apply(run);
        AmountDateRule.Apply(run);
        GroupRule.Apply(run);

        return new MatchResult(
            run.Pairs,
            run.Groups,
            run.Mismatches,
            [.. internals.Where((_, rank) => !run.InternalUsed[rank])],
            [.. externals.Where((_, rank) => !run.ExternalUsed[rank])],
            run.Suggestions);
    }

    /// <summary>Sorts by ordinal id; returns an id that appears twice, or null.</summary>
    private static string? SortById<T>(T[] items, Func<T, string> id)
    {
        var keys = Array.ConvertAll(items, item => id(item));
        Array.Sort(keys, items, StringComparer.Ordinal);
        for (var i = 1; i < keys.Length; i++)
        {
            if (string.Equals(keys[i - 1], keys[i], StringComparison.Ordinal))
            {
                return keys[i];
            }
        }

        return null;
    }
}
