using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;
using LambdaRecon.Core.Tests.Statements;

namespace LambdaRecon.Core.Tests.Reconciliation;

/// <summary>Statement fixtures through the matcher, against hand-made ledgers with known answers.</summary>
public class FixtureReconciliationTests
{
    private static LedgerItem Item(string id, string amount, string currency, string date, string? reference = null, string? endToEnd = null, string? counterparty = null)
    {
        var code = Currency.Of(currency);
        return new LedgerItem(id, Money.Parse(amount, code), DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), reference, endToEnd, counterparty);
    }

    [Fact]
    public void A_camt_053_statement_pairs_by_end_to_end_id_and_reference_and_groups_a_batch_credit()
    {
        var statement = CamtStatementTests.ParseFixture("camt053-v02.xml");
        LedgerItem[] ledger =
        [
            Item("tx-1", "100.00", "EUR", "2025-03-03", endToEnd: "E2E-1001"),
            Item("tx-2", "-25.50", "EUR", "2025-03-03", reference: "RF18539007547034"),
            Item("tx-3", "100.00", "EUR", "2025-03-03", endToEnd: "E2E-A"),
            Item("tx-4", "200.00", "EUR", "2025-03-04", endToEnd: "E2E-B"),
            Item("tx-5", "42.00", "EUR", "2025-03-03"),
        ];

        var result = Matcher.Match(ledger, statement);

        Assert.Equal(
            [("tx-1", "BANK-REF-1", MatchRule.EndToEndId), ("tx-2", statement[1].LineId, MatchRule.Reference)],
            result.Pairs.Select(p => (p.Internal.Id, p.External.LineId, p.Rule)));
        var batch = Assert.Single(result.Groups);
        Assert.Equal(["tx-3", "tx-4"], batch.Internal.Select(i => i.Id));
        Assert.Equal(("BANK-REF-3", 0L), (batch.External[0].LineId, batch.Fee.Minor));
        Assert.Equal(["tx-5"], result.UnmatchedInternal.Select(i => i.Id));
        Assert.Empty(result.UnmatchedExternal);
    }

    [Fact]
    public void A_stripe_export_pairs_charges_at_gross_by_source_id_and_flags_a_refund_that_differs()
    {
        var statement = CsvStatementTests.ParseFixture("stripe.csv", CsvMapping.Stripe);
        LedgerItem[] ledger =
        [
            Item("charge-1", "100.00", "USD", "2025-03-01", reference: "ch_1"),
            Item("charge-2", "50.00", "USD", "2025-03-01", reference: "ch_2"),
            Item("refund-1", "-20.01", "USD", "2025-03-02", reference: "re_1"),
            Item("payout-1", "-145.05", "USD", "2025-03-03", reference: "po_1"),
        ];

        var result = Matcher.Match(ledger, statement);

        Assert.Equal(
            [("charge-1", "txn_1"), ("charge-2", "txn_2"), ("payout-1", "txn_4")],
            result.Pairs.Select(p => (p.Internal.Id, p.External.LineId)).Order());
        var mismatch = Assert.Single(result.Mismatches);
        Assert.Equal(("refund-1", "txn_3"), (mismatch.Internal.Id, mismatch.External.LineId));
        Assert.Empty(result.UnmatchedInternal);
        Assert.Empty(result.UnmatchedExternal);
    }

    [Fact]
    public void A_bank_payout_of_stripe_charges_is_a_group_whose_fee_is_what_stripe_kept()
    {
        // The bank sees only the payout: 145.05 for charges of 100.00 and 50.00 gross.
        var bank = new StatementLine("BANK-9", 1, Money.Parse("145.05", Currency.Of("USD")), new(2025, 3, 3), new(2025, 3, 3), "STRIPE PAYOUT po_1", null, "STRIPE", null);
        LedgerItem[] ledger =
        [
            Item("charge-1", "100.00", "USD", "2025-03-01", reference: "ch_1"),
            Item("charge-2", "50.00", "USD", "2025-03-01", reference: "ch_2"),
        ];
        var options = new MatchOptions { FeeTolerance = new FeeTolerance(Minor: 60, BasisPoints: 290), AutoMatchThreshold = 20 };

        var group = Assert.Single(Matcher.Match(ledger, [bank], options).Groups);

        // 3.20 + 1.75 of fees: exactly the allowance of 0.60 + 2.9 % of 150.00.
        Assert.Equal(Money.Parse("4.95", Currency.Of("USD")), group.Fee);
        Assert.Empty(Matcher.Match(ledger, [bank], options with { FeeTolerance = new FeeTolerance(59, 290) }).Groups);
    }

    [Fact]
    public void Two_identical_card_payments_on_a_bank_export_are_two_lines_and_only_one_is_booked()
    {
        var statement = CsvStatementTests.ParseFixture("generic.csv", CsvMapping.Generic);
        LedgerItem[] ledger =
        [
            Item("tx-1", "100.00", "EUR", "2025-03-03", endToEnd: "E2E-1001"),
            Item("tx-2", "-25.50", "EUR", "2025-03-04", reference: "rent-03"),
            Item("tx-3", "1500.00", "EUR", "2025-03-06"),
            Item("tx-4", "-4.99", "EUR", "2025-03-05", counterparty: "Coffee Shop"),
        ];

        var result = Matcher.Match(ledger, statement);

        Assert.Equal(
            [("tx-1", MatchRule.EndToEndId), ("tx-2", MatchRule.Reference), ("tx-3", MatchRule.AmountAndDate)],
            result.Pairs.Select(p => (p.Internal.Id, p.Rule)).Order());
        // Which of two identical lines was booked nobody can tell: a suggestion proposing the first, listing the second.
        var suggestion = Assert.Single(result.Suggestions);
        Assert.Equal([statement[3].LineId, statement[4].LineId], suggestion.Candidates.Select(c => c.External[0].LineId));
        Assert.Equal(statement[4].LineId, Assert.Single(result.UnmatchedExternal).LineId);
    }
}
