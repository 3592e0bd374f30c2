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

        var line = read.Line!;
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

        Assert.Equal((-2000L, "ch_1", "refund"), (second.Line!.Amount.Minor, second.Line.Reference, second.Line.Category));
        Assert.Equal(-1000L, first.Line!.Amount.Minor);
    }

    [Fact]
    public void A_paid_payout_is_a_debit_with_its_payout_id_valued_on_its_arrival_date()
    {
        var line = Read("""
            {"id":"evt_4","type":"payout.paid","created":1700000000,
             "data":{"object":{"id":"po_1","object":"payout","amount":99900,"currency":"jpy","created":1700000000,"arrival_date":1700179200}}}
            """).Line!;

        Assert.Equal((-99900L, "JPY", "po_1"), (line.Amount.Minor, line.Amount.Currency.Code, line.PayoutId));
        Assert.Equal(new DateOnly(2023, 11, 17), line.ValueDate);
    }

    [Fact]
    public void Stripe_writes_ISK_with_two_decimals_that_ISO_does_not_give_it()
    {
        var json = """{"id":"evt_5","type":"charge.succeeded","data":{"object":{"id":"ch_5","amount":AMOUNT,"currency":"isk","created":1700000000}}}""";

        Assert.Equal(500L, Read(json.Replace("AMOUNT", "50000", StringComparison.Ordinal)).Line!.Amount.Minor);
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
        var read = Read("""{"id":"evt_7","type":"charge.dispute.created","data":{"object":{"id":"dp_1"}}}""");

        Assert.Null(read.Line);
    }
}
