using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Tests.Monetary;

public class MoneyTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");
    private static readonly Currency Kwd = Currency.Of("KWD");

    [Theory]
    [InlineData("100.00", "USD", 10000)]
    [InlineData("100", "USD", 10000)]
    [InlineData("100.5", "USD", 10050)]
    [InlineData("0.01", "USD", 1)]
    [InlineData("1.500", "USD", 150)]
    [InlineData("-5.25", "USD", -525)]
    [InlineData("1000", "JPY", 1000)]
    [InlineData("1000.0", "JPY", 1000)]
    [InlineData("0.125", "KWD", 125)]
    [InlineData("92233720368547758.07", "USD", long.MaxValue)]
    public void Exact_amounts_parse_to_minor_units(string text, string code, long minor)
    {
        Assert.True(Money.TryParse(text, Currency.Of(code), out var money, out var error), error);
        Assert.Equal(minor, money.Minor);
    }

    [Theory]
    [InlineData("100.001", "USD", "more fraction digits")]
    [InlineData("100.5", "JPY", "more fraction digits")]
    [InlineData("0.1255", "KWD", "more fraction digits")]
    [InlineData("92233720368547758.08", "USD", "too large")]
    [InlineData("1e3", "USD", "not a decimal amount")]
    [InlineData("1,000.00", "USD", "not a decimal amount")]
    [InlineData(" 100", "USD", "not a decimal amount")]
    [InlineData("+100", "USD", "not a decimal amount")]
    [InlineData(".5", "USD", "not a decimal amount")]
    [InlineData("5.", "USD", "not a decimal amount")]
    [InlineData("", "USD", "not a decimal amount")]
    [InlineData("-", "USD", "not a decimal amount")]
    [InlineData("NaN", "USD", "not a decimal amount")]
    public void Inexact_or_malformed_amounts_are_refused_with_the_reason(string text, string code, string reason)
    {
        Assert.False(Money.TryParse(text, Currency.Of(code), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decimals_convert_exactly_or_not_at_all()
    {
        Assert.True(Money.TryFromDecimal(100.5m, Usd, out var money, out _));
        Assert.Equal(10050, money.Minor);
        Assert.True(Money.TryFromDecimal(100.500m, Usd, out money, out _));
        Assert.Equal(10050, money.Minor);
        Assert.False(Money.TryFromDecimal(100.505m, Usd, out _, out var error));
        Assert.Contains("more fraction digits", error, StringComparison.Ordinal);
        Assert.False(Money.TryFromDecimal(0.5m, Jpy, out _, out _));
        Assert.False(Money.TryFromDecimal(decimal.MaxValue, Usd, out _, out error));
        Assert.Contains("too large", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7000, "USD", "70.00")]
    [InlineData(-5, "USD", "-0.05")]
    [InlineData(0, "USD", "0.00")]
    [InlineData(1000, "JPY", "1000")]
    [InlineData(125, "KWD", "0.125")]
    [InlineData(long.MinValue, "USD", "-92233720368547758.08")]
    public void Formatting_shows_exactly_the_currency_fraction_digits(long minor, string code, string expected)
    {
        Assert.Equal(expected, new Money(minor, Currency.Of(code)).ToDecimalString());
    }

    [Fact]
    public void Arithmetic_refuses_overflow_and_mixed_currencies()
    {
        var max = new Money(long.MaxValue, Usd);

        Assert.Throws<OverflowException>(() => max + new Money(1, Usd));
        Assert.Throws<OverflowException>(() => -new Money(long.MinValue, Usd));
        Assert.Throws<InvalidOperationException>(() => new Money(1, Usd) + new Money(1, Kwd));
        Assert.Equal(new Money(30, Usd), new Money(100, Usd) - new Money(70, Usd));
    }

    [Fact]
    public void Exponents_come_from_the_iso_table_and_unknown_codes_are_refused()
    {
        Assert.Equal((0, 2, 3), (Jpy.Exponent, Usd.Exponent, Kwd.Exponent));
        Assert.False(Currency.TryGet("USX", out _));
        Assert.False(Currency.TryGet("usd", out _));
    }

    [FsCheck.Xunit.Property]
    public bool Formatting_then_parsing_gives_back_the_same_amount(long minor, bool kwd)
    {
        var currency = kwd ? Kwd : Usd;
        var money = new Money(minor, currency);
        return Money.TryParse(money.ToDecimalString(), currency, out var parsed, out _) && parsed == money;
    }
}
