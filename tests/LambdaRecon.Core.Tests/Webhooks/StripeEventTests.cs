using System.Text;
using LambdaRecon.Core.Webhooks;

namespace LambdaRecon.Core.Tests.Webhooks;

/// <summary>Stripe events (shaped as Stripe's API reference documents Event, Charge and Payout) as lines of the clearing account.</summary>
public class StripeEventTests
{
    private static StripeEvent Read(string json) => StripeEvent.Read(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_succeeded_charge_is_a_credit_carrying_our_transaction_id_and_idempotency_key()
    {
        var read = Read("""
            {"id":"evt_1","object":"event","type":"charge.succeeded","created":1700000100,"account":"acct_9",
             "data":{"object":{"id":"ch_1","object":"charge","amount":123456789012,"currency":"usd","created":1700000000,
                               "metadata":{"transaction_id":"0199aa00-0000-7000-8000-000000000001","idempotency_key":"order-17"}}}}
            """);

        var line = read.Lines[0];
        Assert.Equal("acct_9", read.Account);
        Assert.Equal(("evt_1", 123456789012L, "USD"), (line.LineId, line.Amount.Minor, line.Amount.Currency.Code));
        Assert.Equal(new DateOnly(2023, 11, 14), line.BookingDate);
        Assert.Equal(("0199aa00-0000-7000-8000-000000000001", "order-17"), (line.EndToEndId, line.Reference));
    }

    [Fact]
    public void A_refund_is_a_debit_of_what_this_event_refunded_not_of_the_cumulative_total()
    {
        var second = Read("""
            {"id":"evt_2","type":"charge.refunded","created":1700000000,
             "data":{"object":{"id":"ch_1","object":"charge","amount":5000,"amount_refunded":3000,"currency":"eur","created":1700000000},
                     "previous_attributes":{"amount_refunded":1000}}}
            """);
        var first = Read("""
            {"id":"evt_3","type":"charge.refunded","created":1700000000,
             "data":{"object":{"id":"ch_1","object":"charge","amount":5000,"amount_refunded":1000,"currency":"eur","created":1700000000}}}
            """);

        Assert.Equal((-2000L, "ch_1", "refund"), (second.Lines[0].Amount.Minor, second.Lines[0].Reference, second.Lines[0].Category));
        Assert.Equal(-1000L, first.Lines[0].Amount.Minor);
    }

    [Fact]
    public void A_paid_payout_is_a_debit_with_its_payout_id_valued_on_its_arrival_date()
    {
        var line = Read("""
            {"id":"evt_4","type":"payout.paid","created":1700000000,
             "data":{"object":{"id":"po_1","object":"payout","amount":99900,"currency":"jpy","created":1700000000,"arrival_date":1700179200}}}
            """).Lines[0];

        Assert.Equal((-99900L, "JPY", "po_1"), (line.Amount.Minor, line.Amount.Currency.Code, line.PayoutId));
        Assert.Equal(new DateOnly(2023, 11, 17), line.ValueDate);
    }

    [Fact]
    public void Stripe_writes_ISK_with_two_decimals_that_ISO_does_not_give_it()
    {
        var json = """{"id":"evt_5","type":"charge.succeeded","data":{"object":{"id":"ch_5","amount":AMOUNT,"currency":"isk","created":1700000000}}}""";

        Assert.Equal(500L, Read(json.Replace("AMOUNT", "50000", StringComparison.Ordinal)).Lines[0].Amount.Minor);
        Assert.Throws<FormatException>(() => Read(json.Replace("AMOUNT", "50050", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("\"amount\":20.5,\"currency\":\"usd\"")]
    [InlineData("\"amount\":\"2000\",\"currency\":\"usd\"")]
    [InlineData("\"amount\":-1,\"currency\":\"usd\"")]
    [InlineData("\"amount\":2000,\"currency\":\"usx\"")]
    [InlineData("\"amount\":2000")]
    public void An_amount_or_currency_Stripe_never_writes_is_refused(string fields) =>
        Assert.Throws<FormatException>(() => Read(
            "{\"id\":\"evt_6\",\"type\":\"charge.succeeded\",\"data\":{\"object\":{\"id\":\"ch_6\",\"created\":1700000000," + fields + "}}}"));

    [Fact]
    public void Other_types_move_nothing()
    {
        var read = Read("""{"id":"evt_7","type":"customer.created","data":{"object":{"id":"cus_1","object":"customer"}}}""");

        Assert.Empty(read.Lines);
    }

    // Dispute and BalanceTransaction as Stripe's API reference documents them: the dispute's balance_transactions
    // are expanded BalanceTransaction objects, amount signed, fee on top, net = amount - fee.
    private const string Withdrawn = """
        {"id":"evt_d2","object":"event","type":"charge.dispute.funds_withdrawn","created":1700000300,
         "data":{"object":{"id":"dp_1","object":"dispute","amount":2000,"charge":"ch_1","currency":"usd","created":1700000200,
           "status":"needs_response","reason":"fraudulent","is_charge_refundable":false,
           "balance_transactions":[{"id":"txn_dw","object":"balance_transaction","amount":-2000,"available_on":1700000200,
             "created":1700000200,"currency":"usd","description":"Chargeback withdrawal for ch_1","fee":1500,
             "fee_details":[{"amount":1500,"currency":"usd","description":"Dispute fee","type":"stripe_fee"}],
             "net":-3500,"reporting_category":"dispute","source":"dp_1","status":"available","type":"adjustment"}]}}}
        """;

    [Fact]
    public void A_disputes_balance_transactions_are_its_lines_keyed_by_txn_with_signed_amount_fee_and_net()
    {
        var read = Read(Withdrawn);

        var line = Assert.Single(read.Lines);
        Assert.Equal(("txn_dw", -2000L, 1500L, -3500L), (line.LineId, line.Amount.Minor, line.Fee!.Value.Minor, line.Net!.Value.Minor));
        Assert.Equal(("ch_1", "dispute", "ch_1"), (line.Reference, line.Category, read.After));
    }

    [Fact]
    public void A_dispute_created_and_its_funds_withdrawn_name_the_same_balance_transaction_so_the_same_line()
    {
        var created = Read(Withdrawn.Replace("evt_d2", "evt_d1", StringComparison.Ordinal)
            .Replace("charge.dispute.funds_withdrawn", "charge.dispute.created", StringComparison.Ordinal));

        Assert.Equal(Read(Withdrawn).Lines[0], created.Lines[0]);
    }

    [Fact]
    public void A_dispute_with_no_balance_transaction_yet_records_nothing_and_says_why()
    {
        var read = Read("""
            {"id":"evt_d0","type":"charge.dispute.created","data":{"object":{"id":"dp_2","object":"dispute","amount":2000,
             "charge":"ch_2","currency":"usd","created":1700000200,"status":"warning_needs_response","balance_transactions":[]}}}
            """);

        Assert.Empty(read.Lines);
        Assert.Contains("no balance transaction", read.NothingBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void A_charge_is_keyed_by_its_balance_transaction_and_names_itself_as_the_charge_others_wait_for()
    {
        var read = Read("""
            {"id":"evt_c","type":"charge.succeeded","data":{"object":{"id":"ch_3","object":"charge","amount":2000,"currency":"usd",
             "created":1700000000,"balance_transaction":"txn_c3"}}}
            """);

        Assert.Equal(("txn_c3", "ch_3", (string?)null), (read.Lines[0].LineId, read.Charge, read.After));
    }

    [Fact]
    public void A_balance_transaction_event_is_its_txn_and_meets_the_charge_event_on_the_same_line_id()
    {
        var read = Read("""
            {"id":"evt_b","type":"balance_transaction.created","data":{"object":{"id":"txn_c3","object":"balance_transaction",
             "amount":2000,"available_on":1700172800,"created":1700000000,"currency":"usd","fee":88,"net":1912,
             "reporting_category":"charge","source":"ch_3","status":"pending","type":"charge"}}}
            """);

        var line = Assert.Single(read.Lines);
        Assert.Equal(("txn_c3", 2000L, 88L, 1912L), (line.LineId, line.Amount.Minor, line.Fee!.Value.Minor, line.Net!.Value.Minor));
        Assert.Equal(("ch_3", "charge", "ch_3", new DateOnly(2023, 11, 16)), (line.Reference, line.Category, read.Charge, line.ValueDate));
    }

    [Fact]
    public void A_refund_waits_for_its_charge_and_is_keyed_by_the_refunds_balance_transaction()
    {
        var viaCharge = Read("""
            {"id":"evt_r1","type":"charge.refunded","data":{"object":{"id":"ch_4","object":"charge","amount":2000,"amount_refunded":500,
             "currency":"usd","created":1700000000,"balance_transaction":"txn_c4",
             "refunds":{"object":"list","data":[{"id":"re_1","object":"refund","amount":500,"balance_transaction":"txn_r1",
                                                  "charge":"ch_4","created":1700000500,"currency":"usd","status":"succeeded"}]}},
             "previous_attributes":{"amount_refunded":0}}}
            """);
        var viaRefund = Read("""
            {"id":"evt_r2","type":"refund.created","data":{"object":{"id":"re_1","object":"refund","amount":500,
             "balance_transaction":"txn_r1","charge":"ch_4","created":1700000500,"currency":"usd","status":"succeeded"}}}
            """);

        Assert.Equal(("txn_r1", -500L, "ch_4", "ch_4"), (viaCharge.Lines[0].LineId, viaCharge.Lines[0].Amount.Minor, viaCharge.Lines[0].Reference, viaCharge.After));
        Assert.Equal(viaCharge.Lines[0] with { Description = null }, viaRefund.Lines[0] with { Description = null });
    }

    [Fact]
    public void A_payout_is_keyed_by_its_balance_transaction_and_marked_as_a_payout()
    {
        var read = Read("""
            {"id":"evt_p","type":"payout.paid","data":{"object":{"id":"po_1","object":"payout","amount":1500,"arrival_date":1700200000,
             "balance_transaction":"txn_p1","created":1700000000,"currency":"usd","status":"paid"}}}
            """);

        Assert.Equal(("txn_p1", -1500L, true), (read.Lines[0].LineId, read.Lines[0].Amount.Minor, read.IsPayout));
    }
}
