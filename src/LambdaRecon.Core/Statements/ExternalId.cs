namespace LambdaRecon.Core.Statements;

/// <summary>
/// An identifier a bank or provider names an account by, as an account's external_ids hold it and as a
/// statement's <see cref="StatementAccount"/> is looked up: IBAN (ISO 13616, check digits verified),
/// BBAN (a domestic account number), OTHER (whatever else a bank writes, an MT940 :25: without IBAN),
/// STRIPE (a provider account, acct_…).
/// </summary>
public readonly record struct ExternalId(string Scheme, string Id)
{
    public static readonly string[] Schemes = ["IBAN", "BBAN", "OTHER", "STRIPE"];

    /// <summary>The most characters an identifier may hold (an IBAN holds at most 34).</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// The identifier as it is stored and compared: without spaces, upper case except for STRIPE (its
    /// ids are case-sensitive), and an IBAN only when its check digits hold.
    /// </summary>
    /// <param name="error">Why the identifier is refused, for a person to read.</param>
    public static bool TryNormalise(string? scheme, string? id, out ExternalId normalised, out string? error)
    {
        normalised = default;
        var upperScheme = scheme?.ToUpperInvariant();
        if (upperScheme is null || !Schemes.Contains(upperScheme))
        {
            error = $"scheme '{scheme}' is not one of {string.Join(", ", Schemes)}";
            return false;
        }

        var compact = string.Concat((id ?? "").Where(c => !char.IsWhiteSpace(c)));
        if (upperScheme != "STRIPE")
        {
            compact = compact.ToUpperInvariant();
        }

        if (compact.Length is 0 or > MaxLength || compact.Any(c => char.IsControl(c)))
        {
            error = $"id '{id}' must be 1 to {MaxLength} printable characters";
            return false;
        }

        if (upperScheme == "IBAN" && !IsIban(compact))
        {
            error = $"'{id}' is not an IBAN: two letters, two check digits and up to 30 letters or digits whose check digits hold (ISO 13616)";
            return false;
        }

        normalised = new ExternalId(upperScheme, compact);
        error = null;
        return true;
    }

    /// <summary>
    /// The identifiers a statement's account may be held under, in the order to try: its own scheme
    /// first; an OTHER id is also tried as a BBAN and a BBAN as an OTHER, since whether a bank's bare
    /// account number is "the BBAN" is a matter of how the file and the person registering it put it.
    /// An IBAN is only an IBAN: its BBAN part is not tried, which would cross banks.
    /// </summary>
    public static IReadOnlyList<ExternalId> Candidates(StatementAccount account)
    {
        if (!TryNormalise(account.Scheme, account.Id, out var own, out _))
        {
            return [];
        }

        return own.Scheme switch
        {
            "OTHER" => [own, own with { Scheme = "BBAN" }],
            "BBAN" => [own, own with { Scheme = "OTHER" }],
            _ => [own],
        };
    }

    /// <summary>ISO 13616: two letters, two check digits, 11 to 30 letters or digits, and the whole mod 97 equal to 1.</summary>
    public static bool IsIban(string text)
    {
        if (text.Length is < 15 or > 34 || !char.IsAsciiLetterUpper(text[0]) || !char.IsAsciiLetterUpper(text[1])
            || !char.IsAsciiDigit(text[2]) || !char.IsAsciiDigit(text[3]) || text.Any(c => !char.IsAsciiLetterOrDigit(c)))
        {
            return false;
        }

        var remainder = 0;
        foreach (var c in text[4..] + text[..4])
        {
            remainder = char.IsAsciiDigit(c) ? ((remainder * 10) + (c - '0')) % 97 : ((remainder * 100) + (char.ToUpperInvariant(c) - 'A' + 10)) % 97;
        }

        return remainder == 1;
    }

    public override string ToString() => $"{Scheme} {Id}";
}
