using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Reconciliation;

/// <summary>A ledger and a statement built from pieces, each made to meet (or nearly meet) by one rule.</summary>
public sealed record MatchScenario(LedgerItem[] Ledger, StatementLine[] Statement, int Shuffle)
{
    public override string ToString() => string.Join('\n',
        Ledger.Select(i => $"{i.Id} {i.Amount} {i.Date:MM-dd} ref={i.Reference} e2e={i.EndToEndId} {i.Counterparty}")
            .Concat(Statement.Select(e => $"{e.LineId} {e.Amount} {e.ValueDate:MM-dd} ref={e.Reference} e2e={e.EndToEndId} {e.Counterparty}")));
}

/// <summary>
/// Explicit generators: FsCheck's default sized ones made ints of about ±100, so a seed's bits never
/// reached the references R1/R2, the competing counterparties or a large amount. Here each piece of a
/// scenario is drawn with <c>Gen.Frequency</c> among the situations every rule exists for: keyed pairs
/// (equal amounts, other amounts, another currency, letter case, the NOTPROVIDED placeholder), amount
/// and date pairs in and out of the window, twins that only a counterparty tells apart, payouts of
/// several ledger items net of a fee, items split over several lines, and unrelated noise — with
/// amounts from everyday prices up to the edges of the 64-bit range, in currencies of exponent 0 to 3.
/// Keys and names come from small sets, so pieces also collide with each other.
/// </summary>
public static class MatchScenarios
{
    public static readonly MatchOptions Options = new() { DateWindowDays = 2, FeeTolerance = new FeeTolerance(3, 250) };

    private static readonly Currency[] Currencies = [.. new[] { "EUR", "USD", "JPY", "KWD" }.Select(Currency.Of)];
    private static readonly DateOnly Start = new(2025, 1, 1);
    private static readonly string[] Keys = ["R0", "R1", "R2"];
    private static readonly string?[] Names = [null, "Acme GmbH", "ACME", "Globex Corp", "Initech"];

    /// <param name="Flag">On a line: a reversal; on a ledger item: a refund or adjustment.</param>
    /// <param name="Fee">On a line: the charges it states.</param>
    private sealed record Draft(long Minor, Currency Currency, int Day, string? Reference = null, string? EndToEndId = null, string? Name = null,
        string? PayoutId = null, bool Flag = false, long Fee = 0);

    private sealed record Piece(Draft[] Ledger, Draft[] Statement);

    private static readonly Gen<Currency> AnyCurrency = Gen.Elements(Currencies);

    private static readonly Gen<int> AnyDay = Gen.Choose(0, 9);

    private static readonly Gen<int> AnySign = Gen.Elements(1, -1);

    /// <summary>A magnitude small enough that four of them and a fee still fit in 64 bits: everyday prices, anything, or near a fifth of the range.</summary>
    private static readonly Gen<long> Member = Gen.Frequency(
        (6, Gen.Elements(97L, 100L, 101L, 250L, 350L, 600L, 1_000L)),
        (3, Gen.Choose(1, 10_000_000).Select(m => (long)m)),
        (1, Gen.Choose(0, int.MaxValue).Zip(Gen.Choose(0, int.MaxValue), (high, low) => ((long)high << 29) | (uint)low)),
        (1, Gen.Elements(long.MaxValue / 5, (long.MaxValue / 5) - 1, 1L << 60)));

    /// <summary>Any signed amount, both ends of the range included.</summary>
    private static readonly Gen<long> AnyAmount = Gen.Frequency(
        (8, Member.Zip(AnySign, (magnitude, sign) => magnitude * sign)),
        (1, Gen.Elements(long.MaxValue, long.MinValue, long.MinValue + 1, long.MaxValue - 1)));

    private static readonly Gen<string?> AnyName = Gen.Elements(Names);

    private static readonly Gen<string?> AnyKey = Gen.Frequency(
        (6, Gen.Constant<string?>(null)), (4, Gen.Elements(Keys).Select(k => (string?)k)), (1, Gen.Elements<string?>("NOTPROVIDED", " ", "r1")));

    private static readonly Gen<Draft> Noise =
        from amount in AnyAmount
        from currency in AnyCurrency
        from day in AnyDay
        from reference in AnyKey
        from endToEnd in AnyKey
        from name in AnyName
        select new Draft(amount, currency, day, reference, endToEnd, name);

    /// <summary>Rule 1: a line naming a ledger item by reference or end-to-end id, with its amount, another one, or another currency.</summary>
    private static readonly Gen<Piece> Keyed =
        from key in Gen.Elements(Keys)
        from ledgerSide in Gen.Elements(0, 1)
        from lineSide in Gen.Elements(0, 1)
        from upper in Gen.Elements(false, true)
        from amount in AnyAmount
        from currency in AnyCurrency
        from differs in Gen.Frequency((4, Gen.Constant(0)), (2, Gen.Choose(1, 5)), (1, Gen.Constant(-1)))
        from day in AnyDay
        from lateBy in Gen.Choose(-8, 8)
        select new Piece(
            [new Draft(amount, currency, day, ledgerSide == 0 ? key : null, ledgerSide == 1 ? key : null)],
            [new Draft(
                differs > 0 ? (amount > 0 ? amount - differs : amount + differs) : amount,
                differs < 0 ? Currencies[(Array.IndexOf(Currencies, currency) + 1) % Currencies.Length] : currency,
                day + lateBy,
                lineSide == 0 ? (upper ? key.ToLowerInvariant() : key) : null,
                lineSide == 1 ? key : null)]);

    /// <summary>Rule 2: the same amount and currency, the line up to one day outside the window either way.</summary>
    private static readonly Gen<Piece> AmountAndDate =
        from amount in AnyAmount
        from currency in AnyCurrency
        from day in AnyDay
        from lateBy in Gen.Choose(-3, 3)
        from ledgerName in AnyName
        from lineName in AnyName
        select new Piece([new Draft(amount, currency, day, Name: ledgerName)], [new Draft(amount, currency, day + lateBy, Name: lineName)]);

    /// <summary>Rule 2's tie-breaker: two ledger twins of one amount and day, and a line naming one of them.</summary>
    private static readonly Gen<Piece> Twins =
        from amount in AnyAmount
        from currency in AnyCurrency
        from day in AnyDay
        from lateBy in Gen.Choose(0, 2)
        from chosen in Gen.Elements("Acme GmbH", "Globex Corp")
        select new Piece(
            [new Draft(amount, currency, day, Name: "Acme GmbH"), new Draft(amount, currency, day, Name: "Globex Corp")],
            [new Draft(amount, currency, day + lateBy, Name: chosen.ToUpperInvariant())]);

    /// <summary>Up to the allowance (3 minor units at least), sometimes nothing, sometimes one past what is allowed.</summary>
    private static readonly Gen<long> Fee = Gen.Frequency((3, Gen.Constant(0L)), (3, Gen.Choose(1, 3).Select(f => (long)f)), (1, Gen.Constant(4L)));

    /// <summary>
    /// Rule 3: members on one day and a single item within the window on its settled side, the single
    /// short of the members by a fee when money comes in, over them by it when money goes out.
    /// </summary>
    private static Gen<Piece> Group(bool membersAreLedger) =>
        from count in Gen.Choose(2, 4)
        from magnitudes in Gen.ArrayOf(Member, count)
        from sign in AnySign
        from currency in AnyCurrency
        from day in AnyDay
        from settledAfter in Gen.Choose(0, 2)
        from fee in Fee
        let total = magnitudes.Sum()
        // A fee only ever takes money: the ledger side is larger for a credit, smaller for a debit.
        let single = membersAreLedger == (sign > 0) ? total - fee : total + fee
        let members = magnitudes.Select(m => new Draft(m * sign, currency, membersAreLedger ? day : day + settledAfter)).ToArray()
        let one = new[] { new Draft(single * sign, currency, membersAreLedger ? day + settledAfter : day) }
        select membersAreLedger ? new Piece(members, one) : new Piece(one, members);

    /// <summary>
    /// Rule 1b: ledger items of a payout id (charges and a refund), and the line naming it by payout id,
    /// reference or end-to-end id (in another letter case), the line short by a fee, by its own charges, or
    /// by far more than any allowance (a charge missing from the payout).
    /// </summary>
    private static readonly Gen<Piece> Payout =
        from id in Gen.Elements("po_1", "po_2")
        from count in Gen.Choose(1, 3)
        from magnitudes in Gen.ArrayOf(Gen.Choose(1, 100_000).Select(m => (long)m), count)
        from refund in Gen.Elements(0L, 0L, 500L)
        from currency in AnyCurrency
        from day in AnyDay
        from named in Gen.Elements(0, 1, 2)
        from fee in Fee
        from ownCharges in Gen.Elements(false, true)
        from missing in Gen.Frequency((4, Gen.Constant(0L)), (1, Gen.Constant(1_000_000L)))
        let total = magnitudes.Sum() - refund - missing
        let ledger = magnitudes.Select(m => new Draft(m, currency, day, PayoutId: id))
            .Concat(refund > 0 ? [new Draft(-refund, currency, day, PayoutId: id)] : []).ToArray()
        let line = new Draft(total - fee, currency, day + 2, named == 1 ? id.ToUpperInvariant() : null, named == 2 ? id : null,
            PayoutId: named == 0 ? id : null, Fee: ownCharges ? fee : 0)
        select new Piece(ledger, [line]);

    /// <summary>Reversals: a reversal line and, by chance, a refund or adjustment of its amount, or an ordinary movement naming it.</summary>
    private static readonly Gen<Piece> Reversal =
        from amount in AnyAmount
        from currency in AnyCurrency
        from day in AnyDay
        from kind in Gen.Elements(0, 1, 2)
        from key in Gen.Elements(Keys)
        select new Piece(
            kind switch
            {
                0 => [new Draft(amount, currency, day, Flag: true)],
                1 => [new Draft(amount, currency, day, Reference: key)],
                _ => [],
            },
            [new Draft(amount, currency, day + 1, Reference: kind == 1 ? key : null, Flag: true)]);

    /// <summary>Common amounts: several items and lines of one everyday price around the same days, sometimes named.</summary>
    private static readonly Gen<Piece> Common =
        from price in Gen.Elements(499L, 999L)
        from items in Gen.Choose(1, 3)
        from lines in Gen.Choose(1, 3)
        from ledgerDays in Gen.ArrayOf(AnyDay, items)
        from lineDays in Gen.ArrayOf(AnyDay, lines)
        from ledgerNames in Gen.ArrayOf(AnyName, items)
        from lineNames in Gen.ArrayOf(AnyName, lines)
        select new Piece(
            [.. ledgerDays.Select((d, i) => new Draft(price, Currencies[0], d, Name: ledgerNames[i]))],
            [.. lineDays.Select((d, i) => new Draft(price, Currencies[0], d, Name: lineNames[i]))]);

    private static readonly Gen<Piece> AnyPiece = Gen.Frequency(
        (3, Noise.Select(d => new Piece([d], []))),
        (3, Noise.Select(d => new Piece([], [d]))),
        (4, Keyed),
        (4, AmountAndDate),
        (2, Twins),
        (2, Group(membersAreLedger: true)),
        (2, Group(membersAreLedger: false)),
        (2, Payout),
        (2, Reversal),
        (2, Common));

    public static Gen<MatchScenario> Scenario() =>
        from count in Gen.Choose(0, 12)
        from pieces in Gen.ArrayOf(AnyPiece, count)
        from shuffle in Gen.Choose(0, int.MaxValue)
        select Assemble(pieces, shuffle);

    public static Arbitrary<MatchScenario> Arbitrary() => Scenario().ToArbitrary();

    private static MatchScenario Assemble(Piece[] pieces, int shuffle)
    {
        var ledger = pieces.SelectMany(p => p.Ledger).Select((d, i) => new LedgerItem(
            $"i{i}", new Money(d.Minor, d.Currency), Start.AddDays(d.Day), d.Reference, d.EndToEndId, d.Name, PayoutId: d.PayoutId, Reverses: d.Flag)).ToArray();
        var statement = pieces.SelectMany(p => p.Statement).Select((d, i) => new StatementLine(
            $"e{i}", i + 2, new Money(d.Minor, d.Currency), Start.AddDays(d.Day), Start.AddDays(d.Day), d.Reference, d.EndToEndId, d.Name, null,
            Fee: d.Fee == 0 ? null : new Money(d.Fee, d.Currency), IsReversal: d.Flag, PayoutId: d.PayoutId)).ToArray();
        return new MatchScenario(ledger, statement, shuffle);
    }
}

public class MatcherPropertyTests
{
    private static readonly MatchOptions Options = MatchScenarios.Options;

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
            .Concat(result.UnmatchedExternal.Select(e => $"external {e.LineId}"))
            .Concat(result.Suggestions.SelectMany((s, n) => s.Candidates.Select(c =>
                $"suggestion {n} {string.Join(',', c.Internal.Select(i => i.Id))} {string.Join(',', c.External.Select(e => e.LineId))} {c.Rule} {c.Confidence} {c.Fee}"))));

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(MatchScenarios) })]
    public bool Shuffling_either_side_does_not_change_the_result(MatchScenario scenario)
    {
        var (ledger, statement, shuffle) = (scenario.Ledger, scenario.Statement, scenario.Shuffle);

        var expected = Summary(Matcher.Match(ledger, statement, Options));

        return expected == Summary(Matcher.Match(Shuffled(ledger, shuffle), statement, Options))
            && expected == Summary(Matcher.Match(ledger, Shuffled(statement, shuffle), Options))
            && expected == Summary(Matcher.Match(Shuffled(ledger, shuffle + 1), Shuffled(statement, shuffle - 1), Options));
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(MatchScenarios) })]
    public void Every_item_lands_in_exactly_one_place_so_no_item_is_in_two_matches(MatchScenario scenario)
    {
        var result = Matcher.Match(scenario.Ledger, scenario.Statement, Options);

        var internals = result.Pairs.Select(p => p.Internal)
            .Concat(result.Groups.SelectMany(g => g.Internal))
            .Concat(result.Mismatches.Select(m => m.Internal))
            .Concat(result.Suggestions.SelectMany(s => s.Proposal.Internal))
            .Concat(result.UnmatchedInternal)
            .Select(i => i.Id);
        var externals = result.Pairs.Select(p => p.External)
            .Concat(result.Groups.SelectMany(g => g.External))
            .Concat(result.Mismatches.Select(m => m.External))
            .Concat(result.Suggestions.SelectMany(s => s.Proposal.External))
            .Concat(result.UnmatchedExternal)
            .Select(e => e.LineId);
        Assert.Equal(scenario.Ledger.Select(i => i.Id).Order(), internals.Order());
        Assert.Equal(scenario.Statement.Select(e => e.LineId).Order(), externals.Order());
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(MatchScenarios) })]
    public void Matched_amounts_agree_exactly_and_a_group_fee_is_the_exact_difference_within_the_allowance(MatchScenario scenario)
    {
        var result = Matcher.Match(scenario.Ledger, scenario.Statement, Options);

        Assert.All(result.Pairs, p => Assert.Equal(p.Internal.Amount, p.External.Amount));
        Assert.All(result.Pairs, p => Assert.InRange(p.Confidence, 40, 100));
        Assert.All(result.Mismatches, m => Assert.NotEqual(m.Internal.Amount, m.External.Amount));
        Assert.All(result.Pairs.Where(p => p.External.IsReversal), p => Assert.True(p.Internal.Reverses));
        Assert.All(result.Groups, group =>
        {
            var currency = group.Fee.Currency;
            Assert.All(group.Internal.Select(i => i.Amount).Concat(group.External.Select(e => e.Amount)), amount => Assert.Equal(currency, amount.Currency));
            Assert.True(group.Internal.Count + group.External.Count >= (group.Rule == MatchRule.PayoutId ? 2 : 3));
            // Int128: the totals of items near the ends of the 64-bit range do not fit in a long.
            var ledgerTotal = group.Internal.Aggregate(Int128.Zero, (sum, i) => sum + i.Amount.Minor);
            var statementTotal = group.External.Aggregate(Int128.Zero, (sum, e) => sum + e.Amount.Minor);
            var netTotal = group.External.Aggregate(Int128.Zero, (sum, e) => sum + (e.Net ?? e.Amount).Minor);
            Assert.Equal(ledgerTotal == netTotal ? 0 : ledgerTotal - statementTotal, group.Fee.Minor);
            var ownCharges = group.External.Sum(e => Math.Abs(e.Fee?.Minor ?? 0));
            Assert.True(group.Fee.Minor == ownCharges || (group.Fee.Minor >= 0 && group.Fee.Minor <= Options.FeeTolerance.AllowanceFor(Int128.Abs(ledgerTotal))));
            Assert.InRange(group.Confidence, group.Rule == MatchRule.PayoutId ? 80 : 40, group.Rule == MatchRule.PayoutId ? 100 : 50);
        });
    }

    [Property(MaxTest = 100, Arbitrary = new[] { typeof(MatchScenarios) })]
    public bool A_ledger_matched_against_its_own_statement_pairs_everything_by_end_to_end_id(MatchScenario scenario)
    {
        // Unique end-to-end ids on both sides: every item must pair with its twin, whatever the amounts.
        var ledger = scenario.Ledger.Select(i => i with { EndToEndId = "E" + i.Id }).ToArray();
        var statement = ledger.Select(i => new StatementLine("L" + i.Id, 0, i.Amount, i.Date, i.Date, null, i.EndToEndId, null, null)).ToArray();

        var result = Matcher.Match(ledger, statement, Options);

        return result.Pairs.Count == ledger.Length && result.Pairs.All(p => p.External.LineId == "L" + p.Internal.Id && p.Rule == MatchRule.EndToEndId);
    }

    /// <summary>
    /// A person rejects everything a run proposed — every match, group and suggestion candidate — and the
    /// next run proposes none of it again, still puts every item in exactly one place, and still does not
    /// depend on the input order.
    /// </summary>
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(MatchScenarios) })]
    public void What_a_person_rejected_is_never_proposed_again(MatchScenario scenario)
    {
        var first = Matcher.Match(scenario.Ledger, scenario.Statement, Options);
        var rejected = Pairings(first).Select(p => new RejectedPairing(p.Ledger, p.Lines)).ToArray();
        var options = Options with { Rejected = rejected };

        var second = Matcher.Match(scenario.Ledger, scenario.Statement, options);

        var keys = Pairings(first).Select(p => p.Key).ToHashSet();
        Assert.DoesNotContain(Pairings(second), p => keys.Contains(p.Key));
        Assert.Equal(scenario.Ledger.Length, second.Pairs.Count + second.Groups.Sum(g => g.Internal.Count) + second.Mismatches.Count
            + second.Suggestions.Sum(s => s.Proposal.Internal.Count) + second.UnmatchedInternal.Count);
        Assert.Equal(Summary(second), Summary(Matcher.Match(Shuffled(scenario.Ledger, scenario.Shuffle), Shuffled(scenario.Statement, scenario.Shuffle), options)));
    }

    private static IEnumerable<(string[] Ledger, string[] Lines, string Key)> Pairings(MatchResult result) =>
        result.Pairs.Select(p => (new[] { p.Internal.Id }, new[] { p.External.LineId }))
            .Concat(result.Groups.Select(g => (g.Internal.Select(i => i.Id).ToArray(), g.External.Select(e => e.LineId).ToArray())))
            .Concat(result.Suggestions.SelectMany(s => s.Candidates).Select(c => (c.Internal.Select(i => i.Id).ToArray(), c.External.Select(e => e.LineId).ToArray())))
            .Select(p => (p.Item1, p.Item2, $"{string.Join(',', p.Item1.Order())}|{string.Join(',', p.Item2.Order())}"));

    /// <summary>
    /// Precision: a match made automatically has no rival. Add a copy (another id) of any item of a pair or a
    /// rule-3 group — a candidate exactly as good — and the match is made automatically no more: no
    /// automatic match holds the item or its copy together with the rest of the original match. (A payout-id
    /// group is decided by the id, not by the absence of rivals: its items are copied without the id, and
    /// the group stays.)
    /// </summary>
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(MatchScenarios) })]
    public void Every_automatic_match_stays_unique_when_any_single_other_item_is_added(MatchScenario scenario)
    {
        var result = Matcher.Match(scenario.Ledger, scenario.Statement, Options);
        foreach (var match in Automatic(result))
        {
            var ids = Ids(match);
            foreach (var item in match.Internal)
            {
                var copy = item with { Id = item.Id + "-copy", PayoutId = match.Rule == MatchRule.PayoutId ? null : item.PayoutId };
                Check(Matcher.Match([.. scenario.Ledger, copy], scenario.Statement, Options), item.Id, copy.Id);
            }

            foreach (var line in match.External.Where(_ => match.Rule != MatchRule.PayoutId))
            {
                Check(Matcher.Match(scenario.Ledger, [.. scenario.Statement, line with { LineId = line.LineId + "-copy" }], Options), line.LineId, line.LineId + "-copy");
            }

            void Check(MatchResult again, string original, string copy)
            {
                var rest = ids.Where(id => id != original).ToHashSet();
                var holding = Automatic(again).Select(Ids).Where(m => (m.Contains(original) || m.Contains(copy)) && m.Overlaps(rest)).ToList();
                Assert.True(match.Rule == MatchRule.PayoutId ? holding.Count == 1 : holding.Count == 0,
                    $"{match.Rule} match of {string.Join(',', ids)} still automatic after adding a copy of {original}");
            }
        }
    }

    private static HashSet<string> Ids((IReadOnlyList<LedgerItem> Internal, IReadOnlyList<StatementLine> External, MatchRule Rule) match) =>
        [.. match.Internal.Select(i => i.Id), .. match.External.Select(e => e.LineId)];

    private static IEnumerable<(IReadOnlyList<LedgerItem> Internal, IReadOnlyList<StatementLine> External, MatchRule Rule)> Automatic(MatchResult result) =>
        result.Pairs.Select(p => ((IReadOnlyList<LedgerItem>)[p.Internal], (IReadOnlyList<StatementLine>)[p.External], p.Rule))
            .Concat(result.Groups.Select(g => (g.Internal, g.External, g.Rule)));

    private static readonly string[] EveryRule =
    [
        "amount and date chosen by counterparty between twins",
        "group ManyInternalToOneExternal",
        "group OneInternalToManyExternal",
        "group of debits",
        "group with a fee",
        "match beyond 2^53",
        "mismatch EndToEndId",
        "mismatch Reference",
        "pair AmountAndDate",
        "pair EndToEndId",
        "pair Reference",
        "unmatched ledger item",
        "unmatched statement line",
        "group PayoutId",
        "group with the line's own charges",
        "reversal paired with a refund",
        "reversal left unmatched",
        "suggestion AmountAndDate",
        "suggestion EndToEndId",
        "suggestion Reference",
        "suggestion ManyInternalToOneExternal",
        "suggestion OneInternalToManyExternal",
        "suggestion PayoutId",
        "common amount told apart by names",
    ];

    /// <summary>
    /// The generators do what they are for: over as many scenarios as the properties above see, every rule
    /// fires, and so do the cases a rule exists to decide (a counterparty that breaks a tie, a fee, a debit
    /// payout, amounts a double cannot hold).
    /// </summary>
    [Fact]
    public void Across_a_run_the_scenarios_make_every_rule_fire()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Prop.ForAll(MatchScenarios.Arbitrary(), scenario =>
        {
            var result = Matcher.Match(scenario.Ledger, scenario.Statement, Options);
            foreach (var pair in result.Pairs)
            {
                seen.Add("pair " + pair.Rule);
                if (pair.Rule == MatchRule.AmountAndDate && ChoseByCounterparty(scenario, pair))
                {
                    seen.Add("amount and date chosen by counterparty between twins");
                }

                if (pair.External.IsReversal)
                {
                    seen.Add("reversal paired with a refund");
                }

                if (pair.Rule == MatchRule.AmountAndDate && pair.Internal.Amount.Minor is 499 or 999
                    && scenario.Ledger.Count(i => i.Amount == pair.Internal.Amount) + scenario.Statement.Count(e => e.Amount == pair.External.Amount) > 2)
                {
                    seen.Add("common amount told apart by names");
                }
            }

            seen.UnionWith(result.Suggestions.Select(s => "suggestion " + s.Proposal.Rule));
            seen.UnionWith(result.UnmatchedExternal.Where(e => e.IsReversal).Take(1).Select(_ => "reversal left unmatched"));

            foreach (var group in result.Groups)
            {
                seen.Add("group " + group.Rule);
                seen.Add(group.Fee.Minor > 0 ? "group with a fee" : "group without a fee");
                seen.Add(group.Internal[0].Amount.Minor < 0 ? "group of debits" : "group of credits");
                if (group.Fee.Minor > 0 && group.Fee.Minor == group.External.Sum(e => e.Fee?.Minor ?? 0))
                {
                    seen.Add("group with the line's own charges");
                }
            }

            seen.UnionWith(result.Mismatches.Select(m => "mismatch " + m.Rule));
            seen.UnionWith(result.UnmatchedInternal.Take(1).Select(_ => "unmatched ledger item"));
            seen.UnionWith(result.UnmatchedExternal.Take(1).Select(_ => "unmatched statement line"));
            var matched = result.Pairs.Select(p => p.Internal).Concat(result.Groups.SelectMany(g => g.Internal));
            if (matched.Any(i => Int128.Abs(i.Amount.Minor) > (1L << 53)))
            {
                seen.Add("match beyond 2^53");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));

        Assert.Empty(EveryRule.Except(seen));
    }

    /// <summary>
    /// The pair's confidence holds a share for the counterparty's name (above 40 + the date share), and the
    /// ledger held a twin of the paired item (amount, currency, day) under another name.
    /// </summary>
    private static bool ChoseByCounterparty(MatchScenario scenario, MatchedPair pair)
    {
        var window = Options.DateWindowDays;
        var distance = Math.Abs(pair.Internal.Date.DayNumber - pair.External.ValueDate.DayNumber);
        var withoutName = 40 + (20 * (window - distance) / window);
        return pair.Confidence > withoutName && scenario.Ledger.Any(i =>
            i.Id != pair.Internal.Id && i.Amount == pair.Internal.Amount && i.Date == pair.Internal.Date && i.Counterparty != pair.Internal.Counterparty);
    }
}
