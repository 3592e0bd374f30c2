namespace LambdaRecon.Core.Monetary;

/// <summary>
/// An amount of money: a 64-bit count of the currency's minor units. Every operation is exact:
/// parsing refuses what it would have to round, and arithmetic refuses what would overflow.
/// </summary>
public readonly record struct Money(long Minor, Currency Currency)
{
    public static Money Zero(Currency currency) => new(0, currency);

    /// <summary>
    /// Parses a major-unit amount such as "100.00", "100", "-5.5" or "0.125" (KWD). Refuses signs
    /// other than a leading '-', exponents, separators, blanks, and more fraction digits than the
    /// currency has; "100.50" and "100.5" are the same amount.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, Currency currency, out Money money, out string? error)
    {
        money = default;
        var negative = text.Length > 0 && text[0] == '-';
        var digits = negative ? text[1..] : text;
        var point = digits.IndexOf('.');
        var whole = point < 0 ? digits : digits[..point];
        var fraction = point < 0 ? [] : digits[(point + 1)..];

        if (whole.Length == 0 || (point >= 0 && fraction.Length == 0) || !IsDigits(whole) || !IsDigits(fraction))
        {
            error = $"'{text}' is not a decimal amount (digits, an optional '.' and fraction digits, an optional leading '-')";
            return false;
        }

        // Trailing zeros carry no value: "1.500" is a valid USD amount.
        fraction = fraction.TrimEnd('0');
        if (fraction.Length > currency.Exponent)
        {
            error = $"'{text}' has more fraction digits than {currency.Code} allows ({currency.Exponent})";
            return false;
        }

        // The magnitude as unsigned: a negative amount reaches one further (long.MinValue has no positive twin).
        ulong magnitude = 0;
        try
        {
            checked
            {
                foreach (var c in whole)
                {
                    magnitude = (magnitude * 10) + (uint)(c - '0');
                }

                for (var i = 0; i < currency.Exponent; i++)
                {
                    magnitude = (magnitude * 10) + (uint)(i < fraction.Length ? fraction[i] - '0' : 0);
                }
            }
        }
        catch (OverflowException)
        {
            magnitude = ulong.MaxValue;
        }

        if (magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
        {
            error = $"'{text}' is too large for a 64-bit count of {currency.Code} minor units";
            return false;
        }

        money = new Money(negative ? unchecked((long)(0 - magnitude)) : (long)magnitude, currency);
        error = null;
        return true;
    }

    /// <exception cref="FormatException">The text is not an exact amount in the currency.</exception>
    public static Money Parse(string text, Currency currency) =>
        TryParse(text, currency, out var money, out var error) ? money : throw new FormatException(error);

    /// <summary>Converts an exact decimal (a JSON number, say) without rounding.</summary>
    public static bool TryFromDecimal(decimal amount, Currency currency, out Money money, out string? error)
    {
        money = default;
        decimal scaled;
        try
        {
            scaled = amount * currency.MinorPerMajor;
        }
        catch (OverflowException)
        {
            error = $"{amount} is too large for {currency.Code}";
            return false;
        }

        if (scaled != decimal.Truncate(scaled))
        {
            error = $"{amount} has more fraction digits than {currency.Code} allows ({currency.Exponent})";
            return false;
        }

        if (scaled is > long.MaxValue or < long.MinValue)
        {
            error = $"{amount} is too large for a 64-bit count of {currency.Code} minor units";
            return false;
        }

        money = new Money((long)scaled, currency);
        error = null;
        return true;
    }

    public bool IsPositive => Minor > 0;

    public static Money operator +(Money left, Money right) => new(checked(left.Minor + right.SameCurrency(left).Minor), left.Currency);

    public static Money operator -(Money left, Money right) => new(checked(left.Minor - right.SameCurrency(left).Minor), left.Currency);

    public static Money operator -(Money value) => new(checked(-value.Minor), value.Currency);

    public Money Add(Money other) => this + other;

    public Money Subtract(Money other) => this - other;

    public Money Negate() => -this;

    /// <summary>The major-unit text with exactly the currency's fraction digits: "70.00", "-0.05", "1000" (JPY).</summary>
    public string ToDecimalString()
    {
        if (Currency.Exponent == 0)
        {
            return Minor.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Through UInt128 so that long.MinValue has a magnitude.
        var magnitude = Minor < 0 ? (UInt128)(-(Int128)Minor) : (UInt128)Minor;
        var per = (UInt128)Currency.MinorPerMajor;
        var fraction = (magnitude % per).ToString().PadLeft(Currency.Exponent, '0');
        return $"{(Minor < 0 ? "-" : "")}{magnitude / per}.{fraction}";
    }

    public override string ToString() => $"{ToDecimalString()} {Currency.Code}";

    private Money SameCurrency(Money other) =>
        other.Currency == Currency
            ? this
            : throw new InvalidOperationException($"cannot combine {Currency.Code} with {other.Currency.Code}");

    private static bool IsDigits(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}
