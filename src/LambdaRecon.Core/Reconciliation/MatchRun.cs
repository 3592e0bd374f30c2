using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// The working state of one <see cref="Matcher.Match"/>: both sides sorted by id (an item's position is
/// its rank, the tie-breaker of every rule), their amounts and days as flat arrays, what is taken, and
/// the results so far. Nothing here depends on the order the caller gave the items in.
/// </summary>
internal sealed class MatchRun
{
    /// <summary>The rejected pairings as keys; with the ledger ids they name, a cheap first test that needs no key.</summary>
    private readonly HashSet<string> _rejected;

    private readonly HashSet<string> _rejectedLedgerIds;

    public MatchRun(LedgerItem[] internals, StatementLine[] externals, MatchOptions options)
    {
        Internal = internals;
        External = externals;
        Options = options;

        // Currency numbers are given in rank order, so they too are independent of the input order.
        var currencies = new Dictionary<string, int>(StringComparer.Ordinal);
        InternalSlots = Array.ConvertAll(internals, i => Slot.Of(i.Amount, i.Date, currencies));
        ExternalSlots = Array.ConvertAll(externals, e => Slot.Of(e.Amount, e.ValueDate, currencies));
        InternalUsed = new bool[internals.Length];
        ExternalUsed = new bool[externals.Length];
        InternalOrder = ByDayThenRank(InternalSlots);
        ExternalOrder = ByDayThenRank(ExternalSlots);
        _rejected = new HashSet<string>(options.Rejected.Select(r => PairingKey(r.LedgerIds, r.LineIds)), StringComparer.Ordinal);
        _rejectedLedgerIds = new HashSet<string>(options.Rejected.SelectMany(r => r.LedgerIds), StringComparer.Ordinal);
    }

    public LedgerItem[] Internal { get; }

    public StatementLine[] External { get; }

    public MatchOptions Options { get; }

    public Slot[] InternalSlots { get; }

    public Slot[] ExternalSlots { get; }

    public bool[] InternalUsed { get; }

    public bool[] ExternalUsed { get; }

    /// <summary>Internal ranks by (day, rank): the order rules visit ledger items in.</summary>
    public int[] InternalOrder { get; }

    /// <summary>External ranks by (value day, rank): the order rules visit statement lines in.</summary>
    public int[] ExternalOrder { get; }

    public List<MatchedPair> Pairs { get; } = [];

    public List<MatchedGroup> Groups { get; } = [];

    public List<AmountMismatch> Mismatches { get; } = [];

    public List<MatchSuggestion> Suggestions { get; } = [];

    /// <summary>A reversal line settles only a refund or an adjustment, never an ordinary movement.</summary>
    public bool MaySettle(int internalRank, int externalRank) => !External[externalRank].IsReversal || Internal[internalRank].Reverses;

    public bool Automatic(int confidence) => confidence >= Options.AutoMatchThreshold;

    /// <summary>A person rejected exactly this pairing (<see cref="MatchOptions.Rejected"/>): it is no candidate at all, not even a rival.</summary>
    public bool Rejected(int internalRank, int externalRank) => _rejected.Count > 0 && Rejected([internalRank], [externalRank]);

    /// <inheritdoc cref="Rejected(int, int)"/>
    public bool Rejected(IReadOnlyList<int> internalRanks, IReadOnlyList<int> externalRanks) =>
        _rejected.Count > 0
        && internalRanks.All(rank => _rejectedLedgerIds.Contains(Internal[rank].Id))
        && _rejected.Contains(PairingKey(internalRanks.Select(rank => Internal[rank].Id), externalRanks.Select(rank => External[rank].LineId)));

    /// <summary>The same key for the same two sets of ids, whatever their order.</summary>
    private static string PairingKey(IEnumerable<string> ledgerIds, IEnumerable<string> lineIds) =>
        $"{string.Join('\u001f', ledgerIds.Order(StringComparer.Ordinal))}\u001e{string.Join('\u001f', lineIds.Order(StringComparer.Ordinal))}";

    /// <summary>Records a suggestion; its proposal's items, given by rank, are held by it.</summary>
    public void Suggest(IReadOnlyList<MatchCandidate> candidates, IEnumerable<int> proposalInternal, IEnumerable<int> proposalExternal)
    {
        foreach (var rank in proposalInternal)
        {
            InternalUsed[rank] = true;
        }

        foreach (var rank in proposalExternal)
        {
            ExternalUsed[rank] = true;
        }

        Suggestions.Add(new MatchSuggestion(candidates));
    }

    public MatchCandidate PairCandidate(int internalRank, int externalRank, MatchRule rule, int confidence) =>
        new([Internal[internalRank]], [External[externalRank]], rule, confidence, new Monetary.Money(0, Internal[internalRank].Amount.Currency));

    public void Pair(int internalRank, int externalRank, MatchRule rule, int confidence)
    {
        InternalUsed[internalRank] = ExternalUsed[externalRank] = true;
        Pairs.Add(new MatchedPair(Internal[internalRank], External[externalRank], rule, confidence));
    }

    public void Mismatch(int internalRank, int externalRank, MatchRule rule)
    {
        InternalUsed[internalRank] = ExternalUsed[externalRank] = true;
        Mismatches.Add(new AmountMismatch(Internal[internalRank], External[externalRank], rule));
    }

    private static int[] ByDayThenRank(Slot[] slots)
    {
        // One primitive sort of packed (day, rank) keys: days are non-negative and below 2^22.
        var keys = new long[slots.Length];
        for (var rank = 0; rank < slots.Length; rank++)
        {
            keys[rank] = ((long)slots[rank].Day << 32) | (uint)rank;
        }

        Array.Sort(keys);
        return Array.ConvertAll(keys, key => (int)key);
    }
}

/// <summary>An item's currency (numbered per run), signed minor units and day number.</summary>
internal readonly record struct Slot(int Currency, long Amount, int Day)
{
    public static Slot Of(Monetary.Money amount, DateOnly date, Dictionary<string, int> currencies)
    {
        if (!currencies.TryGetValue(amount.Currency.Code ?? "", out var currency))
        {
            currency = currencies.Count;
            currencies.Add(amount.Currency.Code ?? "", currency);
        }

        return new Slot(currency, amount.Minor, date.DayNumber);
    }
}
