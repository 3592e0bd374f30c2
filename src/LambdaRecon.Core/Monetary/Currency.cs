using System.Collections.Frozen;

namespace LambdaRecon.Core.Monetary;

/// <summary>An ISO 4217 currency and its exponent: the number of digits after the decimal point of its minor unit.</summary>
public readonly record struct Currency
{
    // ISO 4217 active codes by exponent (List One, 2024). Codes not listed here are refused, so a
    // typo such as "USX" can never create an account in a currency nobody can settle.
    private const string Exponent0 =
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";

    private const string Exponent3 = "BHD IQD JOD KWD LYD OMR TND";

    private const string Exponent4 = "CLF UYW";

    private const string Exponent2 =
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
        "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS " +
        "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL " +
        "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK " +
        "PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS " +
        "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG";

    private static readonly FrozenDictionary<string, int> Exponents =
        new[] { (Exponent0, 0), (Exponent2, 2), (Exponent3, 3), (Exponent4, 4) }
            .SelectMany(group => group.Item1.Split(' ').Select(code => KeyValuePair.Create(code, group.Item2)))
            .ToFrozenDictionary(StringComparer.Ordinal);

    private Currency(string code, int exponent)
    {
        Code = code;
        Exponent = exponent;
    }

    public string Code { get; }

    public int Exponent { get; }

    /// <summary>10^Exponent: minor units in one major unit.</summary>
    public long MinorPerMajor => Exponent switch { 0 => 1, 2 => 100, 3 => 1000, _ => 10_000 };

    public static bool TryGet(string? code, out Currency currency)
    {
        if (code is not null && Exponents.TryGetValue(code, out var exponent))
        {
            currency = new Currency(code, exponent);
            return true;
        }

        currency = default;
        return false;
    }

    /// <exception cref="ArgumentException">The code is not an active ISO 4217 code.</exception>
    public static Currency Of(string code) =>
        TryGet(code, out var currency)
            ? currency
            : throw new ArgumentException($"'{code}' is not an ISO 4217 currency code", nameof(code));

    public override string ToString() => Code;
}
