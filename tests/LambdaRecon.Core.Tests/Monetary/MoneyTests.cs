using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
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
    [InlineData("-92233720368547758.08", "USD", long.MinValue)]
    [InlineData("-9223372036854775808", "JPY", long.MinValue)]
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
    [InlineData("-92233720368547758.09", "USD", "too large")]
    [InlineData("184467440737095516.16", "USD", "too large")]
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

    [Property(MaxTest = 1_000, Arbitrary = new[] { typeof(MoneyGenerators) })]
    public bool Formatting_then_parsing_gives_back_the_same_amount(Money money) =>
        Money.TryParse(money.ToDecimalString(), money.Currency, out var parsed, out _) && parsed == money;

    [Property(MaxTest = 1_000, Arbitrary = new[] { typeof(MoneyGenerators) })]
    public void The_text_has_exactly_the_currency_fraction_digits_and_one_more_nonzero_digit_is_refused(Money money)
    {
        var text = money.ToDecimalString();
        var point = text.IndexOf('.', StringComparison.Ordinal);

        Assert.Equal(money.Currency.Exponent, point < 0 ? 0 : text.Length - point - 1);
        Assert.False(Money.TryParse(text + (point < 0 ? ".5" : "5"), money.Currency, out _, out var error));
        Assert.Contains("more fraction digits", error, StringComparison.Ordinal);
        Assert.True(Money.TryParse(text + (point < 0 ? ".0" : "0"), money.Currency, out var padded, out _));
        Assert.Equal(money, padded);
    }

    [Property(MaxTest = 1_000, Arbitrary = new[] { typeof(MoneyGenerators) })]
    public bool A_decimal_of_the_same_value_converts_to_the_same_amount(Money money) =>
        Money.TryFromDecimal((decimal)money.Minor / money.Currency.MinorPerMajor, money.Currency, out var converted, out _) && converted == money;

    [Property(MaxTest = 1_000, Arbitrary = new[] { typeof(MoneyGenerators) })]
    public void Sums_and_differences_are_exact_or_refused_never_wrapped(Money left, long right)
    {
        var other = new Money(right, left.Currency);
        var sum = (Int128)left.Minor + right;
        var difference = (Int128)left.Minor - right;

        if (sum >= long.MinValue && sum <= long.MaxValue)
        {
            Assert.Equal((long)sum, (left + other).Minor);
        }
        else
        {
            Assert.Throws<OverflowException>(() => left + other);
        }

        if (difference >= long.MinValue && difference <= long.MaxValue)
        {
            Assert.Equal((long)difference, (left - other).Minor);
        }
        else
        {
            Assert.Throws<OverflowException>(() => left - other);
        }
    }

    /// <summary>
    /// FsCheck's default long generator is sized (|n| ≤ about 100 over a run), so alone it never reaches the
    /// amounts that break money code. Run the same generators by hand and prove they reach every exponent, both
    /// ends of the 64-bit range, magnitudes a double cannot hold exactly, and additions that overflow.
    /// </summary>
    private static readonly string[] MustReach =
        ["a sum that overflows", "beyond a double's exact integers", "exponent 0", "exponent 2", "exponent 3", "exponent 4", "long.MaxValue", "long.MinValue"];

    [Fact]
    public void The_generators_reach_every_exponent_the_ends_of_the_range_and_overflow()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var all = MoneyGenerators.Money().Generator.Zip(MoneyGenerators.Minor());
        Prop.ForAll(all.ToArbitrary(), pair =>
        {
            var (money, right) = pair;
            seen.Add("exponent " + money.Currency.Exponent);
            if (money.Minor is long.MinValue or long.MaxValue)
            {
                seen.Add(money.Minor == long.MinValue ? "long.MinValue" : "long.MaxValue");
            }

            if (Int128.Abs(money.Minor) > (1L << 53))
            {
                seen.Add("beyond a double's exact integers");
            }

            var sum = (Int128)money.Minor + right;
            if (sum > long.MaxValue || sum < long.MinValue)
            {
                seen.Add("a sum that overflows");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1_000));

        Assert.Equal(MustReach, seen.Order(StringComparer.Ordinal));
    }
}

/// <summary>
/// Amounts over the whole 64-bit range with weight on its edges, in currencies of every ISO 4217 exponent.
/// </summary>
public static class MoneyGenerators
{
    private static readonly Currency[] Currencies = [.. new[] { "JPY", "ISK", "USD", "EUR", "KWD", "BHD", "CLF", "UYW" }.Select(Currency.Of)];

    private static readonly long[] Edges =
    [
        long.MinValue, long.MinValue + 1, long.MaxValue, long.MaxValue - 1, 0, 1, -1,
        int.MaxValue, (long)int.MaxValue + 1, int.MinValue, (long)int.MinValue - 1,
        (1L << 53) + 1, -(1L << 53) - 1, 999_999_999_999_999_999, -1_000_000_000_000_000_000,
    ];

    /// <summary>Minor units: an edge, anywhere in the 64-bit range (two 32-bit halves), or a small everyday amount.</summary>
    public static Gen<long> Minor() => Gen.Frequency(
        (2, Gen.Elements(Edges)),
        (5, Gen.Choose(int.MinValue, int.MaxValue).Zip(Gen.Choose(int.MinValue, int.MaxValue), (high, low) => ((long)high << 32) | (uint)low)),
        (3, Gen.Choose(-1_000_000, 1_000_000).Select(minor => (long)minor)));

    public static Arbitrary<Money> Money() =>
        Gen.Elements(Currencies).Zip(Minor(), (currency, minor) => new Money(minor, currency)).ToArbitrary();

    public static Arbitrary<long> MinorUnits() => Minor().ToArbitrary();
}
