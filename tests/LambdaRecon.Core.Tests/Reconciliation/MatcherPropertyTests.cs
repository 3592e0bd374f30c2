using FsCheck.Xunit;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Reconciliation;

/// <summary>
/// Each generated int describes one item with few distinct values per field, so that references,
/// amounts, dates and group sums collide often and every rule gets exercised.
/// </summary>
public class MatcherPropertyTests
{
    private static readonly Currency[] Currencies = [Currency.Of("EUR"), Currency.Of("USD")];
    private static readonly long[] Amounts = [100, 101, 250, 350, 600, -100, -250, 1000, 0, 97];
    private static readonly string?[] Names = [null, "Acme GmbH", "ACME", "Globex Corp"];
    private static readonly DateOnly Start = new(2025, 1, 1);
    private static readonly MatchOptions Options = new() { DateWindowDays = 2, FeeTolerance = new FeeTolerance(3, 250) };

    private static Money AmountOf(int seed) => new(Amounts[(seed & 0xF) % Amounts.Length], Currencies[(seed >> 4) & 1]);

    private static DateOnly DayOf(int seed) => Start.AddDays((seed >> 5) & 7);

    private static string? KeyOf(int bits) => (bits & 7) < 3 ? $"R{bits & 7}" : null;

    private static LedgerItem[] Ledger(int[] seeds) =>
        [.. seeds.Select((seed, i) => new LedgerItem($"i{i}", AmountOf(seed), DayOf(seed), KeyOf(seed >> 8), KeyOf(seed >> 11), Names[(seed >> 14) & 3]))];

    private static StatementLine[] Statement(int[] seeds) =>
        [.. seeds.Select((seed, i) => new StatementLine($"e{i}", i + 2, AmountOf(seed), DayOf(seed), DayOf(seed), KeyOf(seed >> 8), KeyOf(seed >> 11), Names[(seed >> 14) & 3], null))];

    private static T[] Shuffled<T>(T[] items, int seed)
    {
        var copy = (T[])items.Clone();
        new Random(seed).Shuffle(copy);
        return copy;
    }

    /// <summary>The whole result as ids, in output order: equal summaries mean equal results.</summary>
    private static string Summary(MatchResult result) => string.Join('\n',
        result.Pairs.Select(p => $"pair {p.Internal.Id} {p.External.LineId} {p.Rule} {p.Confidence}")
            .Concat(result.Groups.Select(g => $"group {string.Join(',', g.Internal.Select(i => i.Id))} {string.Join(',', g.External.Select(e => e.LineId))} {g.Fee} {g.Rule} {g.Confidence}"))
            .Concat(result.Mismatches.Select(m => $"mismatch {m.Internal.Id} {m.External.LineId} {m.Rule}"))
            .Concat(result.UnmatchedInternal.Select(i => $"internal {i.Id}"))
            .Concat(result.UnmatchedExternal.Select(e => $"external {e.LineId}")));

    [Property(MaxTest = 300)]
    public bool Shuffling_either_side_does_not_change_the_result(int[] ledgerSeeds, int[] statementSeeds, int shuffle)
    {
        var ledger = Ledger(ledgerSeeds);
        var statement = Statement(statementSeeds);

        var expected = Summary(Matcher.Match(ledger, statement, Options));

        return expected == Summary(Matcher.Match(Shuffled(ledger, shuffle), statement, Options))
            && expected == Summary(Matcher.Match(ledger, Shuffled(statement, shuffle), Options))
            && expected == Summary(Matcher.Match(Shuffled(ledger, shuffle + 1), Shuffled(statement, shuffle - 1), Options));
    }

    [Property(MaxTest = 300)]
    public void Every_item_lands_in_exactly_one_place(int[] ledgerSeeds, int[] statementSeeds)
    {
        var ledger = Ledger(ledgerSeeds);
        var statement = Statement(statementSeeds);

        var result = Matcher.Match(ledger, statement, Options);

        var internals = result.Pairs.Select(p => p.Internal)
            .Concat(result.Groups.SelectMany(g => g.Internal))
            .Concat(result.Mismatches.Select(m => m.Internal))
            .Concat(result.UnmatchedInternal)
            .Select(i => i.Id);
        var externals = result.Pairs.Select(p => p.External)
            .Concat(result.Groups.SelectMany(g => g.External))
            .Concat(result.Mismatches.Select(m => m.External))
            .Concat(result.UnmatchedExternal)
            .Select(e => e.LineId);
        Assert.Equal(ledger.Select(i => i.Id).Order(), internals.Order());
        Assert.Equal(statement.Select(e => e.LineId).Order(), externals.Order());
    }

    [Property(MaxTest = 300)]
    public void Matched_amounts_agree_exactly_and_a_group_fee_is_the_exact_difference_within_the_allowance(int[] ledgerSeeds, int[] statementSeeds)
    {
        var result = Matcher.Match(Ledger(ledgerSeeds), Statement(statementSeeds), Options);

        Assert.All(result.Pairs, p => Assert.Equal(p.Internal.Amount, p.External.Amount));
        Assert.All(result.Pairs, p => Assert.InRange(p.Confidence, 40, 100));
        Assert.All(result.Mismatches, m => Assert.NotEqual(m.Internal.Amount, m.External.Amount));
        Assert.All(result.Groups, group =>
        {
            var currency = group.Fee.Currency;
            Assert.All(group.Internal.Select(i => i.Amount).Concat(group.External.Select(e => e.Amount)), amount => Assert.Equal(currency, amount.Currency));
            Assert.True(group.Internal.Count + group.External.Count >= 3);
            var ledgerTotal = group.Internal.Sum(i => i.Amount.Minor);
            var statementTotal = group.External.Sum(e => e.Amount.Minor);
            Assert.Equal(ledgerTotal - statementTotal, group.Fee.Minor);
            Assert.InRange(group.Fee.Minor, 0, Options.FeeTolerance.AllowanceFor(Math.Abs(ledgerTotal)));
            Assert.InRange(group.Confidence, 30, 50);
        });
    }

    [Property(MaxTest = 100)]
    public bool A_ledger_matched_against_its_own_statement_pairs_everything_by_reference(int[] seeds)
    {
        // Unique end-to-end ids on both sides: every item must pair with its twin, whatever the amounts.
        var ledger = Ledger(seeds).Select(i => i with { EndToEndId = "E" + i.Id }).ToArray();
        var statement = ledger.Select(i => new StatementLine("L" + i.Id, 0, i.Amount, i.Date, i.Date, null, i.EndToEndId, null, null)).ToArray();

        var result = Matcher.Match(ledger, statement, Options);

        return result.Pairs.Count == ledger.Length && result.Pairs.All(p => p.External.LineId == "L" + p.Internal.Id && p.Rule == MatchRule.EndToEndId);
    }
}
