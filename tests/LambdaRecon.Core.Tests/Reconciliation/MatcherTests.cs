using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Reconciliation;

public class MatcherTests
{
    private static readonly Currency Eur = Currency.Of("EUR");
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly DateOnly Day = new(2025, 3, 3);

    private static LedgerItem Item(string id, long minor, int day = 0, string? reference = null, string? endToEnd = null, string? counterparty = null, Currency? currency = null) =>
        new(id, new Money(minor, currency ?? Eur), Day.AddDays(day), reference, endToEnd, counterparty);

    private static StatementLine Line(string id, long minor, int day = 0, string? reference = null, string? endToEnd = null, string? counterparty = null, Currency? currency = null) =>
        new(id, 0, new Money(minor, currency ?? Eur), Day.AddDays(day), Day.AddDays(day), reference, endToEnd, counterparty, null);

    [Fact]
    public void An_end_to_end_id_with_the_same_amount_is_a_certain_pair_whatever_the_dates()
    {
        var result = Matcher.Match([Item("i1", 10000, endToEnd: "E2E-1")], [Line("e1", 10000, day: 30, endToEnd: "E2E-1")]);

        var pair = Assert.Single(result.Pairs);
        Assert.Equal(("i1", "e1", MatchRule.EndToEndId, 100), (pair.Internal.Id, pair.External.LineId, pair.Rule, pair.Confidence));
        Assert.Empty(result.UnmatchedInternal);
        Assert.Empty(result.UnmatchedExternal);
    }

    [Fact]
    public void A_reference_matches_ignoring_letter_case_and_against_either_ledger_key()
    {
        var result = Matcher.Match(
            [Item("i1", 500, reference: "inv-1001"), Item("i2", 700, endToEnd: "PAY-2")],
            [Line("e1", 500, reference: "INV-1001"), Line("e2", 700, reference: "PAY-2")]);

        Assert.Equal([("i1", "e1", MatchRule.Reference, 95), ("i2", "e2", MatchRule.Reference, 95)], result.Pairs.Select(p => (p.Internal.Id, p.External.LineId, p.Rule, p.Confidence)));
    }

    [Fact]
    public void A_reference_whose_amount_is_one_minor_unit_off_is_a_mismatch_and_never_paired_by_amount()
    {
        var result = Matcher.Match(
            [Item("i1", 10000, reference: "INV-1"), Item("i2", 9999)],
            [Line("e1", 9999, reference: "INV-1")]);

        var mismatch = Assert.Single(result.Mismatches);
        Assert.Equal(("i1", "e1", MatchRule.Reference), (mismatch.Internal.Id, mismatch.External.LineId, mismatch.Rule));
        Assert.Empty(result.Pairs);
        Assert.Equal(["i2"], result.UnmatchedInternal.Select(i => i.Id));
    }

    [Fact]
    public void A_reference_in_another_currency_is_a_mismatch()
    {
        var result = Matcher.Match([Item("i1", 10000, reference: "INV-1")], [Line("e1", 10000, reference: "INV-1", currency: Usd)]);

        Assert.Single(result.Mismatches);
    }

    [Fact]
    public void A_repeated_statement_line_pairs_once_and_the_repeat_stays_unmatched()
    {
        var result = Matcher.Match(
            [Item("i1", -499, endToEnd: "CARD-7")],
            [Line("h-1", -499, endToEnd: "CARD-7"), Line("h-1#2", -499, endToEnd: "CARD-7")]);

        Assert.Equal("h-1", Assert.Single(result.Pairs).External.LineId);
        Assert.Equal("h-1#2", Assert.Single(result.UnmatchedExternal).LineId);
    }

    [Theory]
    [InlineData(0, 90)]
    [InlineData(-1, 83)]
    [InlineData(2, 76)]
    [InlineData(3, 70)]
    public void Amount_and_currency_match_inside_the_date_window_with_confidence_falling_by_distance(int days, int confidence)
    {
        var result = Matcher.Match([Item("i1", 2500, counterparty: "Acme GmbH")], [Line("e1", 2500, day: days, counterparty: "ACME GMBH")]);

        var pair = Assert.Single(result.Pairs);
        Assert.Equal((MatchRule.AmountAndDate, confidence), (pair.Rule, pair.Confidence));
    }

    [Fact]
    public void Near_misses_do_not_match_one_minor_unit_off_one_day_outside_the_window_or_another_currency()
    {
        var result = Matcher.Match(
            [Item("off-by-one", 2500), Item("too-late", 2600), Item("wrong-currency", 2700)],
            [Line("a", 2501), Line("b", 2600, day: 4), Line("c", 2700, currency: Usd)]);

        Assert.Empty(result.Pairs);
        Assert.Empty(result.Groups);
        Assert.Equal(3, result.UnmatchedInternal.Count);
        Assert.Equal(3, result.UnmatchedExternal.Count);
    }

    [Fact]
    public void Similar_counterparties_break_ties_between_equal_amounts_and_raise_confidence()
    {
        var result = Matcher.Match(
            [Item("i1", 1000, counterparty: "Globex Corporation"), Item("i2", 1000, counterparty: "Acme GmbH")],
            [Line("e1", 1000, counterparty: "ACME GMBH MUENCHEN")]);

        var pair = Assert.Single(result.Pairs);
        // {ACME, GMBH} shared of {ACME, GMBH, MUENCHEN}: 66 %, worth 19 of 30 points.
        Assert.Equal(("i2", 40 + 20 + 19), (pair.Internal.Id, pair.Confidence));
    }

    [Fact]
    public void Without_text_the_nearest_date_wins_then_the_earlier_then_the_lower_id()
    {
        var result = Matcher.Match(
            [Item("i-late", 1000, day: 1), Item("i-b", 1000, day: -1), Item("i-a", 1000, day: -1), Item("i-far", 1000, day: -2)],
            [Line("e1", 1000)]);

        Assert.Equal("i-a", Assert.Single(result.Pairs).Internal.Id);
    }

    [Fact]
    public void A_payout_that_nets_many_charges_minus_fees_is_one_group_with_the_exact_fee()
    {
        LedgerItem[] charges = [Item("ch1", 10000, day: -2), Item("ch2", 5000, day: -2), Item("ch3", 2500, day: -1), Item("refund", -1000, day: -1)];
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(30, 250) };

        var result = Matcher.Match(charges, [Line("po1", 17100, reference: "STRIPE PAYOUT")], options);

        var group = Assert.Single(result.Groups);
        Assert.Equal(["ch1", "ch2", "ch3"], group.Internal.Select(i => i.Id));
        Assert.Equal("po1", Assert.Single(group.External).LineId);
        Assert.Equal(new Money(400, Eur), group.Fee);
        // Allowance 30 + ⌊17 500 × 250 / 10 000⌋ = 467; 400 of it used.
        Assert.Equal((MatchRule.ManyInternalToOneExternal, 30 + (20 * 67 / 467)), (group.Rule, group.Confidence));
        Assert.Equal(["refund"], result.UnmatchedInternal.Select(i => i.Id));
    }

    [Theory]
    [InlineData(17033, true)]
    [InlineData(17032, false)]
    [InlineData(17500, true)]
    [InlineData(17501, false)]
    public void The_fee_allowance_is_inclusive_and_a_fee_never_adds_money(long payout, bool grouped)
    {
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(30, 250) };

        var result = Matcher.Match([Item("ch1", 10000), Item("ch2", 7500)], [Line("po1", payout)], options);

        Assert.Equal(grouped, result.Groups.Count == 1);
    }

    [Theory]
    [InlineData(-17600, 100L)]
    [InlineData(-17500, 0L)]
    [InlineData(-17400, null)]
    public void A_debit_group_takes_the_bank_fee_on_top_and_never_less(long debit, long? fee)
    {
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(100, 0) };

        var result = Matcher.Match([Item("pay1", -10000), Item("pay2", -7500)], [Line("batch", debit)], options);

        Assert.Equal(fee, result.Groups.SingleOrDefault()?.Fee.Minor);
    }

    [Fact]
    public void Without_a_fee_tolerance_a_group_must_sum_exactly()
    {
        var exact = Matcher.Match([Item("ch1", 10000), Item("ch2", 7500)], [Line("po1", 17500)]);
        var short_ = Matcher.Match([Item("ch1", 10000), Item("ch2", 7500)], [Line("po1", 17499)]);

        Assert.Equal(new Money(0, Eur), Assert.Single(exact.Groups).Fee);
        Assert.Equal(50, exact.Groups[0].Confidence);
        Assert.Empty(short_.Groups);
    }

    [Fact]
    public void One_ledger_item_settled_by_several_statement_lines_is_a_group_too()
    {
        var result = Matcher.Match(
            [Item("transfer", -30000, reference: "BATCH-9")],
            [Line("e1", -10000, day: 1), Line("e2", -20000, day: 1), Line("e3", -5000, day: 9)]);

        var group = Assert.Single(result.Groups);
        Assert.Equal((MatchRule.OneInternalToManyExternal, "transfer"), (group.Rule, Assert.Single(group.Internal).Id));
        Assert.Equal(["e1", "e2"], group.External.Select(e => e.LineId));
        Assert.Equal(["e3"], result.UnmatchedExternal.Select(e => e.LineId));
    }

    [Fact]
    public void A_single_item_is_never_a_group_so_a_near_miss_stays_unmatched_even_with_a_tolerance()
    {
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(100, 250) };

        var result = Matcher.Match([Item("i1", 10000)], [Line("e1", 9999)], options);

        Assert.Empty(result.Groups);
        Assert.Single(result.UnmatchedInternal);
    }

    [Fact]
    public void Ids_must_be_unique_on_each_side()
    {
        var error = Assert.Throws<ArgumentException>(() => Matcher.Match([Item("i1", 1), Item("i1", 2)], []));

        Assert.Contains("ledger item id 'i1' appears twice", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Matcher.Match([], [], new MatchOptions { FeeTolerance = new FeeTolerance(0, 10_001) }));
    }
}
