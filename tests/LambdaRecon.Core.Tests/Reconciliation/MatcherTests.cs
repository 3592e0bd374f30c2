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
    public void A_key_on_two_lines_identifies_neither_so_the_first_is_a_suggestion_and_the_repeat_stays_unmatched()
    {
        var result = Matcher.Match(
            [Item("i1", -499, endToEnd: "CARD-7")],
            [Line("h-1", -499, endToEnd: "CARD-7"), Line("h-1#2", -499, endToEnd: "CARD-7")]);

        Assert.Empty(result.Pairs);
        var proposal = Assert.Single(result.Suggestions).Proposal;
        Assert.Equal(("i1", "h-1", MatchRule.EndToEndId), (proposal.Internal[0].Id, proposal.External[0].LineId, proposal.Rule));
        Assert.Equal("h-1#2", Assert.Single(result.UnmatchedExternal).LineId);
    }

    [Fact]
    public void A_key_two_ledger_items_share_with_the_same_amount_is_a_suggestion_listing_both()
    {
        var result = Matcher.Match(
            [Item("i1", 1000, reference: "INV-7", day: 2), Item("i2", 1000, reference: "inv 7")],
            [Line("e1", 1000, reference: "INV7")]);

        Assert.Empty(result.Pairs);
        var suggestion = Assert.Single(result.Suggestions);
        Assert.Equal(["i2", "i1"], suggestion.Candidates.Select(c => c.Internal[0].Id));
        Assert.All(suggestion.Candidates, c => Assert.Equal((MatchRule.Reference, 95), (c.Rule, c.Confidence)));
        Assert.Equal(["i1"], result.UnmatchedInternal.Select(i => i.Id));
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
        // The legal form is no part of the name: {ACME} shared of {ACME, MUENCHEN}: 50 %, worth 15 of 30 points.
        Assert.Equal(("i2", 40 + 20 + 15), (pair.Internal.Id, pair.Confidence));
    }

    [Fact]
    public void Amount_and_date_alone_on_a_common_amount_is_a_suggestion_proposing_the_nearest_then_the_earlier_then_the_lower_id()
    {
        var result = Matcher.Match(
            [Item("i-late", 1000, day: 1), Item("i-b", 1000, day: -1), Item("i-a", 1000, day: -1), Item("i-far", 1000, day: -2)],
            [Line("e1", 1000)]);

        Assert.Empty(result.Pairs);
        var suggestion = Assert.Single(result.Suggestions);
        Assert.Equal(["i-a", "i-b", "i-late", "i-far"], suggestion.Candidates.Select(c => c.Internal[0].Id));
        Assert.Equal(3, result.UnmatchedInternal.Count);
    }

    [Fact]
    public void A_rival_line_on_the_other_side_makes_an_amount_and_date_pair_a_suggestion_too()
    {
        var result = Matcher.Match([Item("i1", 1000)], [Line("e1", 1000), Line("e2", 1000, day: 3)]);

        Assert.Empty(result.Pairs);
        Assert.Equal(["e1", "e2"], Assert.Single(result.Suggestions).Candidates.Select(c => c.External[0].LineId));
        Assert.Equal("e2", Assert.Single(result.UnmatchedExternal).LineId);
    }

    [Fact]
    public void Names_that_differ_only_in_case_punctuation_and_legal_form_tell_a_common_amount_apart()
    {
        var result = Matcher.Match(
            [Item("i1", 999, counterparty: "Globex B.V."), Item("i2", 999, counterparty: "Initech LLC")],
            [Line("e1", 999, day: 1, counterparty: "INITECH"), Line("e2", 999, counterparty: "globex")]);

        Assert.Equal([("i1", "e2"), ("i2", "e1")], result.Pairs.Select(p => (p.Internal.Id, p.External.LineId)).Order());
        Assert.Empty(result.Suggestions);
    }

    [Fact]
    public void The_auto_match_threshold_turns_a_weaker_match_into_a_suggestion()
    {
        var result = Matcher.Match([Item("i1", 2500)], [Line("e1", 2500, day: 3)], new MatchOptions { AutoMatchThreshold = 41 });

        Assert.Empty(result.Pairs);
        Assert.Equal(40, Assert.Single(result.Suggestions).Proposal.Confidence);
        Assert.Single(Matcher.Match([Item("i1", 2500)], [Line("e1", 2500, day: 3)]).Pairs);
    }

    [Fact]
    public void A_payout_that_nets_many_charges_minus_fees_is_one_group_with_the_exact_fee()
    {
        LedgerItem[] charges = [Item("ch1", 10000, day: -2), Item("ch2", 5000, day: -2), Item("ch3", 2500, day: -1), Item("refund", -1000, day: -1)];
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(30, 250), AutoMatchThreshold = 20 };

        var result = Matcher.Match(charges, [Line("po1", 17100, reference: "STRIPE PAYOUT")], options);

        var group = Assert.Single(result.Groups);
        Assert.Equal(["ch1", "ch2", "ch3"], group.Internal.Select(i => i.Id));
        Assert.Equal("po1", Assert.Single(group.External).LineId);
        Assert.Equal(new Money(400, Eur), group.Fee);
        // Allowance 30 + ⌊17 500 × 250 / 10 000⌋ = 467; 400 of it used.
        Assert.Equal((MatchRule.ManyInternalToOneExternal, 20 + (20 * 67 / 467)), (group.Rule, group.Confidence));
        Assert.Equal(["refund"], result.UnmatchedInternal.Select(i => i.Id));

        // At the default threshold a fee that only fits the allowance is a guess: a suggestion holding the same items.
        var suggested = Matcher.Match(charges, [Line("po1", 17100, reference: "STRIPE PAYOUT")], options with { AutoMatchThreshold = 40 });
        Assert.Empty(suggested.Groups);
        Assert.Equal(["ch1", "ch2", "ch3"], Assert.Single(suggested.Suggestions).Proposal.Internal.Select(i => i.Id));
    }

    [Fact]
    public void A_group_short_by_exactly_the_line_s_own_charges_matches_at_full_confidence_beyond_the_tolerance()
    {
        var line = Line("po1", 17100) with { Fee = new Money(400, Eur) };

        var result = Matcher.Match([Item("ch1", 10000, day: -1), Item("ch2", 7500, day: -1)], [line]);

        var group = Assert.Single(result.Groups);
        Assert.Equal((400L, 50), (group.Fee.Minor, group.Confidence));
        Assert.Empty(Matcher.Match([Item("ch1", 10000, day: -1), Item("ch2", 7500, day: -1)], [line with { Amount = new Money(17099, Eur) }]).Groups);
    }

    [Fact]
    public void Two_days_that_both_settle_a_payout_make_it_a_suggestion()
    {
        var result = Matcher.Match(
            [Item("a1", 1000, day: -2), Item("a2", 500, day: -2), Item("b1", 700, day: -1), Item("b2", 800, day: -1)],
            [Line("po1", 1500)]);

        Assert.Empty(result.Groups);
        Assert.Equal(["a1", "a2"], Assert.Single(result.Suggestions).Proposal.Internal.Select(i => i.Id));
    }

    [Fact]
    public void A_payout_id_on_ledger_items_groups_them_with_the_line_naming_it_whatever_the_amounts_and_days()
    {
        LedgerItem[] ledger =
        [
            Item("ch1", 10000, day: -6) with { PayoutId = "po_1" }, Item("ch2", 5000, day: -1) with { PayoutId = "po_1" },
            Item("re1", -2000, day: -1) with { PayoutId = "po_1" }, Item("ch3", 13000, day: -1) with { PayoutId = "po_2" },
        ];
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(0, 300) };

        var result = Matcher.Match(ledger, [Line("bank-1", 12700, reference: "STRIPE PO_1"), Line("bank-2", 12000, endToEnd: "po_2")], options);

        // "STRIPE PO_1" is not the key PO1; the end-to-end id po_2 is, and its fee of 10.00 is beyond 3 %: a suggestion.
        Assert.Empty(result.Groups);
        var suggested = Assert.Single(result.Suggestions).Proposal;
        Assert.Equal(("ch3", 1000L, 30), (Assert.Single(suggested.Internal).Id, suggested.Fee.Minor, suggested.Confidence));

        var named = Matcher.Match(ledger, [Line("bank-1", 12700, reference: "po_1")], options);
        var group = Assert.Single(named.Groups);
        Assert.Equal((MatchRule.PayoutId, 300L, 80), (group.Rule, group.Fee.Minor, group.Confidence));
        Assert.Equal(["ch1", "ch2", "re1"], group.Internal.Select(i => i.Id));
    }

    [Theory]
    [InlineData(true)] // the ledger booked Stripe's fees too: it equals the lines' net
    [InlineData(false)] // the ledger left the fees out: it equals the lines' gross
    public void A_stripe_payout_settles_a_ledger_that_books_the_fees_as_well_as_one_that_does_not(bool feesBooked)
    {
        // Stripe's itemized report: each charge's gross, fee and net, and the payout that sent their net to the bank.
        StatementLine Charge(string id, long gross, long stripeFee) =>
            Line(id, gross) with { Fee = new Money(stripeFee, Eur), Net = new Money(gross - stripeFee, Eur), PayoutId = "po_1" };
        StatementLine[] report = [Charge("txn_1", 10000, 165), Charge("txn_2", 25000, 390), Line("txn_3", -34445, reference: "po_1") with { Net = new Money(-34445, Eur) }];
        LedgerItem[] ledger =
        [
            Item("order-1", 10000) with { PayoutId = "po_1" }, Item("order-2", 25000) with { PayoutId = "po_1" },
            Item("payout", -34445) with { PayoutId = "po_1" }, .. feesBooked ? [Item("stripe-fees", -555) with { PayoutId = "po_1" }] : Array.Empty<LedgerItem>(),
        ];

        var group = Assert.Single(Matcher.Match(ledger, report).Groups);

        Assert.Equal((MatchRule.PayoutId, 0L, 100, 3), (group.Rule, group.Fee.Minor, group.Confidence, group.External.Count));
    }

    [Fact]
    public void A_reversal_line_settles_only_a_refund_or_adjustment()
    {
        var reversal = Line("rv1", -1000, reference: "INV-9") with { IsReversal = true };

        var ordinary = Matcher.Match([Item("pay1", -1000, reference: "INV-9")], [reversal]);
        var refund = Matcher.Match([Item("pay1", -1000, reference: "INV-9"), Item("ref1", -1000) with { Reverses = true }], [reversal]);

        Assert.Empty(ordinary.Pairs);
        Assert.Empty(ordinary.Mismatches);
        Assert.Equal("rv1", Assert.Single(ordinary.UnmatchedExternal).LineId);
        Assert.Equal(("ref1", MatchRule.AmountAndDate), (Assert.Single(refund.Pairs).Internal.Id, refund.Pairs[0].Rule));
    }

    [Theory]
    [InlineData(17033, true)]
    [InlineData(17032, false)]
    [InlineData(17500, true)]
    [InlineData(17501, false)]
    public void The_fee_allowance_is_inclusive_and_a_fee_never_adds_money(long payout, bool grouped)
    {
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(30, 250), AutoMatchThreshold = 0 };

        var result = Matcher.Match([Item("ch1", 10000), Item("ch2", 7500)], [Line("po1", payout)], options);

        Assert.Equal(grouped, result.Groups.Count == 1);
    }

    [Theory]
    [InlineData(-17600, 100L)]
    [InlineData(-17500, 0L)]
    [InlineData(-17400, null)]
    public void A_debit_group_takes_the_bank_fee_on_top_and_never_less(long debit, long? fee)
    {
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(100, 0), AutoMatchThreshold = 0 };

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

    /// <summary>Every pairing the result proposes — matches, groups and every candidate of a suggestion — as (ledger ids, line ids).</summary>
    private static List<string> Proposed(MatchResult result) =>
        [.. result.Pairs.Select(p => $"{p.Internal.Id}|{p.External.LineId}")
            .Concat(result.Groups.Select(g => $"{string.Join(',', g.Internal.Select(i => i.Id).Order())}|{string.Join(',', g.External.Select(e => e.LineId).Order())}"))
            .Concat(result.Suggestions.SelectMany(s => s.Candidates)
                .Select(c => $"{string.Join(',', c.Internal.Select(i => i.Id).Order())}|{string.Join(',', c.External.Select(e => e.LineId).Order())}"))];

    [Fact]
    public void A_rejected_pair_is_proposed_again_neither_as_a_match_nor_a_suggestion_but_a_rival_still_is()
    {
        LedgerItem[] ledger = [Item("i1", 1000), Item("i2", 1000), Item("i3", 1000, day: 1)];
        StatementLine[] lines = [Line("e1", 1000)];
        RejectedPairing i1 = new(["i1"], ["e1"]), i2 = new(["i2"], ["e1"]);

        var before = Matcher.Match(ledger, lines);
        var rivals = Matcher.Match(ledger, lines, new MatchOptions { Rejected = [i1] });
        var lastOne = Matcher.Match(ledger, lines, new MatchOptions { Rejected = [i1, i2] });
        var none = Matcher.Match(ledger, lines, new MatchOptions { Rejected = [i1, i2, new RejectedPairing(["i3"], ["e1"])] });

        Assert.Equal("i1", Assert.Single(before.Suggestions).Proposal.Internal[0].Id);
        // Without i1 the line is still ambiguous between i2 and i3 (same score band): suggested, i1 a break.
        Assert.Equal(["i2|e1", "i3|e1"], Proposed(rivals));
        Assert.Equal(["i2", "i3"], Assert.Single(rivals.Suggestions).Candidates.Select(c => c.Internal[0].Id));
        Assert.Contains("i1", rivals.UnmatchedInternal.Select(i => i.Id));
        // The only candidate left has no rival: a counterpart the person did not reject may still be matched.
        Assert.Equal(["i3|e1"], Proposed(lastOne));
        Assert.Equal(["i1", "i2"], lastOne.UnmatchedInternal.Select(i => i.Id));
        // Every counterpart rejected: all three items and the line are breaks.
        Assert.Empty(Proposed(none));
        Assert.Equal((3, 1), (none.UnmatchedInternal.Count, none.UnmatchedExternal.Count));
    }

    [Fact]
    public void A_rejected_reference_pair_leaves_the_line_to_another_item_of_its_amount()
    {
        LedgerItem[] ledger = [Item("i1", 5000, reference: "INV-7"), Item("i2", 5000, day: 1)];
        StatementLine[] lines = [Line("e1", 5000, reference: "inv 7")];

        var before = Matcher.Match(ledger, lines);
        var after = Matcher.Match(ledger, lines, new MatchOptions { Rejected = [new RejectedPairing(["i1"], ["e1"])] });

        Assert.Equal(("i1", MatchRule.Reference), (Assert.Single(before.Pairs).Internal.Id, before.Pairs[0].Rule));
        var pair = Assert.Single(after.Pairs);
        Assert.Equal(("i2", MatchRule.AmountAndDate), (pair.Internal.Id, pair.Rule));
        Assert.Equal(["i1"], after.UnmatchedInternal.Select(i => i.Id));
        Assert.Empty(after.Mismatches);
    }

    [Fact]
    public void A_rejected_group_is_its_exact_set_of_items_in_any_order_and_is_not_proposed_again()
    {
        LedgerItem[] charges = [Item("ch1", 10000, day: -1), Item("ch2", 7500, day: -1)];
        LedgerItem[] payout = [Item("p1", 9000, day: -6) with { PayoutId = "po_1" }, Item("p2", 6000, day: -1) with { PayoutId = "po_1" }];
        StatementLine[] lines = [Line("po1", 17500), Line("bank-1", 15000, reference: "po_1")];
        var rejectedGroup = new RejectedPairing(["ch2", "ch1"], ["po1"]);
        var rejectedPayout = new RejectedPairing(["p2", "p1"], ["bank-1"]);

        var before = Matcher.Match([.. charges, .. payout], lines);
        var subset = Matcher.Match([.. charges, .. payout], lines, new MatchOptions { Rejected = [new RejectedPairing(["ch1"], ["po1"])] });
        var after = Matcher.Match([.. charges, .. payout], lines, new MatchOptions { Rejected = [rejectedGroup, rejectedPayout] });

        Assert.Equal(["ch1,ch2|po1", "p1,p2|bank-1"], Proposed(before).Order());
        // Rejecting a pair of one of its items is another pairing: the group stands.
        Assert.Equal(Proposed(before).Order(), Proposed(subset).Order());
        Assert.Empty(Proposed(after));
        Assert.Equal(4, after.UnmatchedInternal.Count);
    }
}
