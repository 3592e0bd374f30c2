using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// Reads SWIFT MT940 customer statements and MT942 interim transaction reports, as Dutch and German
/// banks send them: several statements a file, each from its :20: to the '-' that ends it (or the next
/// :20:), with or without the SWIFT {1:}{2:}{4: … -} block wrappers and a bank's header lines.
/// </summary>
/// <remarks>
/// <para>Each :61: is one line, signed from the account holder's side: C and RD (a reversed debit)
/// positive, D and RC (a reversed credit) negative, with <see cref="StatementLine.IsReversal"/> set on
/// RC/RD. Its booking date is the entry date (MMDD, in the year nearest the value date, so a line
/// valued 31 December and booked 2 January lands in the next year), else the value date. Amounts
/// are decimal-comma text converted exactly in the statement's currency (from :60F:, else :34F: or
/// :90D:/:90C:): more fraction digits than the currency has refuse the file rather than round.</para>
/// <para>The :86: after a :61: describes it, in one of three shapes: ING/ABN AMRO SEPA keywords
/// (/EREF/, /REMI/, /NAME/, /CNTP/…, lines joined as written since banks wrap at 65 characters
/// mid-word); German subfields (?00 posting text, ?20–?29 remittance with SEPA qualifiers EREF+ and
/// SVWZ+, ?32/?33 name); or free text. Line id: the bank reference after '//' on the :61:, else a
/// hash of the normalised fields (see <see cref="LineIds"/>).</para>
/// <para>Every MT940 statement must balance: opening + lines = closing, else the file is refused naming
/// the statement and the difference. An MT942 has no balances; its :90D:/:90C: counts and sums of
/// debits and credits, when given, must match its lines.</para>
/// </remarks>
public static partial class Mt940Statement
{
    private static readonly HashSet<string> Tags =
        ["13", "13D", "20", "21", "25", "28", "28C", "34F", "60F", "60M", "61", "62F", "62M", "64", "65", "86", "90C", "90D"];

    /// <summary>Keywords of the ING/ABN AMRO :86: ("/EREF/…/REMI/…"); other words between slashes are values.</summary>
    private static readonly HashSet<string> Keywords =
        ["TRTP", "EREF", "PREF", "MARF", "CSID", "CNTP", "ORDP", "BENM", "ULTC", "ULTD", "ULTB", "NAME", "IBAN", "BIC", "ID", "ADDR", "REMI", "PURP", "RTRN", "SVCL", "ISDT", "FX", "TRCD", "SUM", "CREF", "BUSP", "ACCW", "CNTR"];

    [GeneratedRegex(@"^[A-Z0-9][A-Z0-9 ]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"\?(\d{2})", RegexOptions.CultureInvariant)]
    private static partial Regex Subfield();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Blanks();

    private static readonly char[] Framing = ['\u0001', '\u0003'];

    private sealed record Field(string Tag, int Line, List<string> Lines);

    /// <summary>Parses every statement of the file, or returns the first fault with its line.</summary>
    /// <exception cref="OperationCanceledException">The caller gave up.</exception>
    public static bool TryParse(TextReader reader, out IReadOnlyList<BankStatement> statements, out StatementError? error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        statements = [];
        var result = new List<BankStatement>();
        // A bank reference is unique within one account's statements: the same transfer between two
        // accounts of one file carries one reference on its debit and its credit.
        var ids = new Dictionary<string, LineIds>(StringComparer.Ordinal);
        List<Field>? fields = null;
        var number = 0;
        var skipping = false;
        error = null;

        bool Close(out StatementError? fault)
        {
            fault = null;
            if (fields is null)
            {
                return true;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var ok = TryBuild(fields, ids, out var statement, out fault);
            fields = null;
            if (ok)
            {
                result.Add(statement!);
            }

            return ok;
        }

        for (var text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            number++;
            // Trailing blanks are kept in a field's text: a bank wrapping :86: at 65 characters may end a line with a word's space.
            // SOH and ETX (0x01, 0x03) frame messages as SWIFT interfaces and banks such as PostFinance and mBank write them.
            var raw = text.Trim(Framing);
            if (raw.StartsWith('{'))
            {
                // "{1:F01…}{2:I940…}{4:" opens a message; what follows "{4:" on the same line is its first line.
                if (!Close(out error))
                {
                    return false;
                }

                var at = raw.IndexOf("{4:", StringComparison.Ordinal);
                raw = at < 0 ? "" : raw[(at + 3)..].TrimStart();
            }

            var line = raw.TrimEnd();
            if (line.Length == 0)
            {
                continue;
            }

            if (line == "-" || line.StartsWith("-}", StringComparison.Ordinal))
            {
                // "-" ends a statement, "-}" a SWIFT message, perhaps followed by its {5:} trailer. Any other line
                // starting with '-' continues a :86: that the bank wrapped before a hyphen ("…Ve?21rtrags" / "-Nr. 1000…").
                if (!Close(out error))
                {
                    return false;
                }

                continue;
            }

            if (line is ":940:" or ":942:")
            {
                // Rabobank opens each message with its type written as a tag: a header, like "{2:I940…}".
                if (!Close(out error))
                {
                    return false;
                }

                continue;
            }

            if (line.StartsWith(":NS:", StringComparison.Ordinal))
            {
                // A German bank's non-SWIFT field (Sberbank, Raiffeisen): its data is not part of MT940; it and its continuation lines are skipped.
                skipping = true;
                continue;
            }

            var close = line[0] == ':' ? line.IndexOf(':', 1) : -1;
            var wellFormed = close is 3 or 4 && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2]) && (close == 3 || char.IsAsciiLetterUpper(line[3]));
            if (line[0] == ':' && fields is [.., { Tag: "86" }] && !(wellFormed && Tags.Contains(line[1..close])))
            {
                // Deutsche Bank and German savings banks wrap :86: at a fixed width, so a wrapped line may start with
                // ':' (":KO:NR:4011…"): after a :86:, what is not a known tag continues it.
                fields[^1].Lines.Add(raw);
                continue;
            }

            if (line[0] == ':')
            {
                skipping = false;
                // A SWIFT field line may not start with ':', so this is a tag, well formed or not.
                if (!wellFormed)
                {
                    error = new StatementError(number, null, $"'{Clip(line)}' is not a well-formed tag such as :61:");
                    return false;
                }

                var tag = line[1..close];
                if (!Tags.Contains(tag))
                {
                    error = new StatementError(number, null, $"unknown tag :{tag}: in an MT940/MT942 statement");
                    return false;
                }

                if (tag == "20")
                {
                    if (!Close(out error))
                    {
                        return false;
                    }

                    fields = [];
                }
                else if (fields is null)
                {
                    error = new StatementError(number, null, $"tag :{tag}: comes before the statement's :20:");
                    return false;
                }

                fields.Add(new Field(tag, number, [raw[(close + 1)..]]));
                continue;
            }

            if (skipping)
            {
                continue;
            }

            if (fields is null)
            {
                // Header lines before a statement, such as ABN AMRO's "ABNANL2A" and "940".
                if (HeaderLine().IsMatch(line))
                {
                    continue;
                }

                error = new StatementError(number, null, $"'{Clip(line)}' is outside any statement: expected :20:");
                return false;
            }

            var last = fields[^1];
            if (last.Tag is not ("86" or "61") || (last.Tag == "61" && last.Lines.Count == 2))
            {
                error = new StatementError(number, null, $"'{Clip(line)}' is neither a tag nor a continuation of :86: or :61:");
                return false;
            }

            last.Lines.Add(raw);
        }

        if (!Close(out error))
        {
            return false;
        }

        if (result.Count == 0)
        {
            error = new StatementError(0, null, "the file holds no MT940 or MT942 statement (no :20: tag)");
            return false;
        }

        statements = result;
        return true;
    }

    private static bool TryBuild(List<Field> fields, Dictionary<string, LineIds> idsByAccount, out BankStatement? statement, out StatementError? error)
    {
        statement = null;
        var start = fields[0];
        var reference = start.Lines[0].Trim();
        var account = FieldOf(fields, "25");
        var numberField = FieldOf(fields, "28C") ?? FieldOf(fields, "28");
        var name = Describe(reference, account?.Lines[0].Trim(), numberField?.Lines[0].Trim());

        foreach (var group in fields.GroupBy(f => f.Tag[..2]).Where(g => g.Key is "20" or "25" or "28" or "60" or "62" && g.Count() > 1))
        {
            error = new StatementError(group.ElementAt(1).Line, null, $"{name} has a second :{group.ElementAt(1).Tag}:");
            return false;
        }

        if (account is null)
        {
            error = new StatementError(start.Line, null, $"{name} has no account (:25:)");
            return false;
        }

        var accountKey = account.Lines[0].Replace(" ", "", StringComparison.Ordinal);
        if (!idsByAccount.TryGetValue(accountKey, out var ids))
        {
            idsByAccount[accountKey] = ids = new LineIds();
        }

        var openingField = fields.FirstOrDefault(f => f.Tag.StartsWith("60", StringComparison.Ordinal));
        var closingField = fields.FirstOrDefault(f => f.Tag.StartsWith("62", StringComparison.Ordinal));
        if ((openingField is null) != (closingField is null))
        {
            error = new StatementError((openingField ?? closingField)!.Line, null,
                openingField is null ? $"{name} has a closing balance but no opening balance (:60F:)" : $"{name} has an opening balance but no closing balance (:62F:)");
            return false;
        }

        StatementBalance? opening = null, closing = null;
        Currency currency = default;
        if (openingField is not null)
        {
            if (!TryBalance(openingField, out var open, out error) || !TryBalance(closingField!, out var close, out error))
            {
                return false;
            }

            if (open.Amount.Currency != close.Amount.Currency)
            {
                error = new StatementError(closingField!.Line, null, $"{name} opens in {open.Amount.Currency} and closes in {close.Amount.Currency}");
                return false;
            }

            (opening, closing, currency) = (open, close, open.Amount.Currency);
        }
        else if (!TryInterimCurrency(fields, name, out currency, out error))
        {
            return false;
        }

        var lines = new List<StatementLine>();
        var after = closingField is null ? int.MaxValue : fields.IndexOf(closingField);
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields[i].Tag != "61")
            {
                continue;
            }

            if (i > after || (openingField is not null && i < fields.IndexOf(openingField)))
            {
                error = new StatementError(fields[i].Line, null, $"a :61: line of {name} lies outside its opening and closing balances");
                return false;
            }

            var information = i + 1 < fields.Count && fields[i + 1].Tag == "86" ? fields[i + 1] : null;
            if (!TryLine(fields[i], information, currency, ids, out var line, out error))
            {
                return false;
            }

            lines.Add(line!);
        }

        if (opening is { } o && closing is { } c)
        {
            var sum = lines.Aggregate(Money.Zero(currency), (total, l) => total + l.Amount);
            var expected = o.Amount + sum;
            if (expected != c.Amount)
            {
                error = new StatementError(closingField!.Line, null,
                    $"{name} does not balance: opening {o.Amount} + lines {sum} = {expected}, but the closing balance is {c.Amount} (a difference of {(c.Amount - expected).ToDecimalString()} {currency})");
                return false;
            }
        }
        else if (!TryInterimTotals(fields, lines, currency, name, out error))
        {
            return false;
        }

        statement = new BankStatement(start.Line, reference, Account(account.Lines[0].Trim(), currency), numberField?.Lines[0].Trim(),
            currency, opening, closing, openingField is null, lines);
        error = null;
        return true;
    }

    /// <summary>How errors name a statement: its reference, account and number as the bank wrote them.</summary>
    private static string Describe(string reference, string? account, string? number) =>
        $"statement '{reference}'" + (account is null ? "" : $" of account {account}") + (number is null ? "" : $" no. {number}");

    private static Field? FieldOf(List<Field> fields, string tag) => fields.FirstOrDefault(f => f.Tag == tag);

    /// <summary>":60F:C250301EUR1234,56": mark, date, currency, amount.</summary>
    private static bool TryBalance(Field field, out StatementBalance balance, out StatementError? error)
    {
        balance = default;
        var text = field.Lines[0].Trim();
        if (text.Length < 11 || text[0] is not ('C' or 'D'))
        {
            error = new StatementError(field.Line, null, $":{field.Tag}: '{Clip(text)}' is not a balance such as C250301EUR1234,56");
            return false;
        }

        if (!TryDate(text.AsSpan(1, 6), field, out var date, out error)
            || !TryCurrency(text.Substring(7, 3), field, out var currency, out error)
            || !TryAmount(text[10..], currency, field, out var amount, out error))
        {
            return false;
        }

        balance = new StatementBalance(text[0] == 'D' ? -amount : amount, date, field.Tag[2] == 'F');
        return true;
    }

    /// <summary>An interim report has no balance: its currency is that of its floor limit (:34F:) or its totals (:90D:/:90C:).</summary>
    private static bool TryInterimCurrency(List<Field> fields, string name, out Currency currency, out StatementError? error)
    {
        currency = default;
        var holder = fields.FirstOrDefault(f => f.Tag == "34F") ?? fields.FirstOrDefault(f => f.Tag is "90D" or "90C");
        if (holder is null)
        {
            error = new StatementError(fields[0].Line, null, $"{name} has neither balances (:60F:/:62F:) nor a floor limit (:34F:): its currency is unknown");
            return false;
        }

        var text = holder.Lines[0].Trim();
        var code = holder.Tag == "34F" ? text : text.TrimStart("0123456789".ToCharArray());
        return TryCurrency(code.Length >= 3 ? code[..3] : code, holder, out currency, out error);
    }

    /// <summary>":90D:2EUR125,50": the number and sum of debit lines (":90C:" of credits) must be those of the lines.</summary>
    private static bool TryInterimTotals(List<Field> fields, List<StatementLine> lines, Currency currency, string name, out StatementError? error)
    {
        error = null;
        foreach (var field in fields.Where(f => f.Tag is "90D" or "90C"))
        {
            var text = field.Lines[0].Trim();
            var digits = text.Length - text.TrimStart("0123456789".ToCharArray()).Length;
            if (digits == 0 || text.Length < digits + 4 || !TryCurrency(text.Substring(digits, 3), field, out var code, out error)
                || !TryAmount(text[(digits + 3)..], code, field, out var amount, out error))
            {
                error ??= new StatementError(field.Line, null, $":{field.Tag}: '{Clip(text)}' is not a count and sum such as 2EUR125,50");
                return false;
            }

            var debit = field.Tag == "90D";
            var counted = lines.Where(l => debit ? l.Amount.Minor < 0 : l.Amount.Minor > 0).ToList();
            var sum = new Money(counted.Sum(l => Math.Abs(l.Amount.Minor)), currency);
            var count = int.Parse(text.AsSpan(0, digits), CultureInfo.InvariantCulture);
            if (code != currency || count != counted.Count || amount != sum)
            {
                error = new StatementError(field.Line, null,
                    $"{name} states {count} {(debit ? "debits" : "credits")} of {amount}, but its lines hold {counted.Count} of {sum}");
                return false;
            }
        }

        return true;
    }

    /// <summary>":61:2503030303C1234,56NTRFcustomer-ref//bank-ref" and, on the next line, supplementary details.</summary>
    private static bool TryLine(Field field, Field? information, Currency currency, LineIds ids, out StatementLine? line, out StatementError? error)
    {
        line = null;
        var text = field.Lines[0].Trim();
        string Bad(string what) => $":61: '{Clip(text)}' has {what}";
        if (text.Length < 6)
        {
            error = new StatementError(field.Line, null, Bad("no value date (YYMMDD)"));
            return false;
        }

        if (!TryDate(text.AsSpan(0, 6), field, out var valueDate, out error))
        {
            return false;
        }

        var at = 6;
        var bookingDate = valueDate;
        if (text.Length >= at + 4 && char.IsAsciiDigit(text[at]))
        {
            if (!int.TryParse(text.AsSpan(at, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var mmdd) || !TryEntryDate(mmdd, valueDate, out bookingDate))
            {
                error = new StatementError(field.Line, null, Bad($"an entry date '{text.Substring(at, 4)}' that is not MMDD"));
                return false;
            }

            at += 4;
        }
        else if (text.AsSpan(at).StartsWith("    ", StringComparison.Ordinal))
        {
            at += 4; // Citi and ASN write an absent entry date as four spaces.
        }

        var reversal = text.AsSpan(at).StartsWith("RC", StringComparison.Ordinal) || text.AsSpan(at).StartsWith("RD", StringComparison.Ordinal);
        if (reversal)
        {
            at++;
        }

        if (at >= text.Length || text[at] is not ('C' or 'D'))
        {
            error = new StatementError(field.Line, null, Bad("no mark C, D, RC or RD after its dates"));
            return false;
        }

        // RC undoes a credit, so it takes money out; RD undoes a debit and brings money in.
        var credit = (text[at] == 'C') != reversal;
        at++;
        if (at < text.Length && char.IsAsciiLetterUpper(text[at]))
        {
            at++; // the funds code: the third letter of the currency, which the statement already gives.
        }

        var amountEnd = at;
        while (amountEnd < text.Length && (char.IsAsciiDigit(text[amountEnd]) || text[amountEnd] == ','))
        {
            amountEnd++;
        }

        // A whole amount ("500") only where the transaction type follows it: "25.00" is a decimal point, not 25.
        var wholeAllowed = amountEnd < text.Length && text[amountEnd] is 'N' or 'F' or 'S' or ' ';
        if (!TryAmount(text[at..amountEnd], currency, field, out var magnitude, out error, wholeAllowed))
        {
            return false;
        }

        // Commerzbank and Deutsche Bank put a space after the amount; ING pads a two-letter code ("NOV NONREF"), Sberbank an empty one ("S   ").
        while (amountEnd < text.Length && text[amountEnd] == ' ')
        {
            amountEnd++;
        }

        if (text.Length < amountEnd + 4 || text[amountEnd] is not ('N' or 'F' or 'S') || text.AsSpan(amountEnd + 1, 3).ContainsAnyExcept(AlphaNumericOrSpace))
        {
            error = new StatementError(field.Line, null, Bad("no transaction type (N, F or S and three characters) after its amount"));
            return false;
        }

        var type = text.Substring(amountEnd, 4).TrimEnd();
        var references = text[(amountEnd + 4)..];
        var slashes = references.IndexOf("//", StringComparison.Ordinal);
        var customerReference = Clean(slashes < 0 ? references : references[..slashes]);
        var bankReference = slashes < 0 ? null : Clean(references[(slashes + 2)..]);
        if (bankReference == "NONREF")
        {
            bankReference = null; // PostFinance writes "//NONREF" on every line: no reference at all.
        }

        var supplementary = field.Lines.Count > 1 ? Clean(field.Lines[1]) : null;
        var info = Information.Read(information?.Lines ?? []);

        var amount = credit ? magnitude : -magnitude;
        var reference = info.Reference ?? (customerReference is null or "NONREF" ? null : customerReference);
        var description = info.Description ?? supplementary;
        if (StatementLine.TooLong(("bank reference", bankReference), ("reference", reference), ("end-to-end id", info.EndToEndId)) is { } tooLong)
        {
            error = new StatementError(field.Line, null, tooLong);
            return false;
        }

        string id;
        int firstLine;
        var unique = bankReference is null
            ? ids.TryTakeHashed(string.Join('|', currency.Code, valueDate.DayNumber, bookingDate.DayNumber,
                amount.Minor, reversal ? "R" : "", type, customerReference, info.EndToEndId, reference, info.Counterparty, description), field.Line, out id, out firstLine)
            : ids.TryTake(id = bankReference, field.Line, out firstLine);
        if (!unique)
        {
            error = new StatementError(field.Line, null, $"bank reference '{id}' repeats the line on line {firstLine}");
            return false;
        }

        line = new StatementLine(id, field.Line, amount, bookingDate, valueDate, reference, info.EndToEndId, info.Counterparty, description, IsReversal: reversal);
        error = null;
        return true;
    }

    private static readonly SearchValues<char> AlphaNumericOrSpace =
        SearchValues.Create(" ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");

    private static readonly SearchValues<char> AlphaNumeric =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");

    /// <summary>The entry date has no year: it is the one of the year before, of, or after the value date that lies nearest to it.</summary>
    private static bool TryEntryDate(int mmdd, DateOnly valueDate, out DateOnly date)
    {
        date = default;
        var found = false;
        for (var year = valueDate.Year - 1; year <= valueDate.Year + 1; year++)
        {
            if (TryMake(year, mmdd / 100, mmdd % 100, out var candidate)
                && (!found || Math.Abs(candidate.DayNumber - valueDate.DayNumber) < Math.Abs(date.DayNumber - valueDate.DayNumber)))
            {
                (date, found) = (candidate, true);
            }
        }

        return found;
    }

    /// <summary>YYMMDD, years 00–79 in this century and 80–99 in the last.</summary>
    private static bool TryDate(ReadOnlySpan<char> text, Field field, out DateOnly date, out StatementError? error)
    {
        date = default;
        error = null;
        if (text.Length == 6 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var yymmdd)
            && TryMake(yymmdd / 10000 < 80 ? 2000 + (yymmdd / 10000) : 1900 + (yymmdd / 10000), yymmdd / 100 % 100, yymmdd % 100, out date))
        {
            return true;
        }

        error = new StatementError(field.Line, null, $":{field.Tag}: '{text}' is not a date (YYMMDD)");
        return false;
    }

    private static bool TryMake(int year, int month, int day, out DateOnly date)
    {
        var valid = year is >= 1 and <= 9999 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);
        date = valid ? new DateOnly(year, month, day) : default;
        return valid;
    }

    private static bool TryCurrency(string code, Field field, out Currency currency, out StatementError? error)
    {
        error = Currency.TryGet(code, out currency) ? null : new StatementError(field.Line, null, $":{field.Tag}: '{code}' is not an ISO 4217 currency code");
        return error is null;
    }

    /// <summary>
    /// "1234,56", "1234," or "0,5": digits and exactly one decimal comma, converted without rounding; on a :61:
    /// (<paramref name="wholeAllowed"/>) also "500", as Knab writes whole amounts, where the transaction type ends the amount.
    /// </summary>
    private static bool TryAmount(string text, Currency currency, Field field, out Money amount, out StatementError? error, bool wholeAllowed = false)
    {
        amount = default;
        if (wholeAllowed && text.Length > 0 && !text.Contains(',', StringComparison.Ordinal))
        {
            text += ",";
        }

        var comma = text.IndexOf(',');
        if (comma <= 0 || comma != text.LastIndexOf(',') || !text.All(c => char.IsAsciiDigit(c) || c == ','))
        {
            error = new StatementError(field.Line, null, $":{field.Tag}: '{Clip(text)}' is not an amount with a decimal comma such as 1234,56");
            return false;
        }

        var fraction = text[(comma + 1)..];
        var ok = Money.TryParse(fraction.Length == 0 ? text[..comma] : $"{text[..comma]}.{fraction}", currency, out amount, out var reason);
        error = ok ? null : new StatementError(field.Line, null, $":{field.Tag}: {reason}");
        return ok;
    }

    /// <summary>":25:" as the bank wrote it, split into bank and account, with ING's trailing currency code dropped from an IBAN.</summary>
    private static StatementAccount Account(string asWritten, Currency currency)
    {
        var slash = asWritten.LastIndexOf('/');
        var bank = slash > 0 ? Clean(asWritten[..slash]) : null;
        var id = asWritten[(slash + 1)..].Replace(" ", "", StringComparison.Ordinal);
        if (id.Length > 3 && id.EndsWith(currency.Code, StringComparison.Ordinal) && IsIban(id[..^3]))
        {
            id = id[..^3];
        }

        return new StatementAccount(asWritten, bank, id, IsIban(id) ? "IBAN" : "OTHER");
    }

    /// <summary>ISO 13616: two letters, two check digits, up to 30 letters or digits, and the whole mod 97 equal to 1.</summary>
    internal static bool IsIban(string text)
    {
        if (text.Length is < 15 or > 34 || !char.IsAsciiLetterUpper(text[0]) || !char.IsAsciiLetterUpper(text[1])
            || !char.IsAsciiDigit(text[2]) || !char.IsAsciiDigit(text[3]) || text.AsSpan().ContainsAnyExcept(AlphaNumeric))
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

    /// <summary>Whitespace runs as one space, trimmed; null when nothing is left.</summary>
    private static string? Clean(string? text)
    {
        if (text is null)
        {
            return null;
        }

        // Most values need nothing done: the regular expression only runs on those that do.
        var plain = text.Length > 0 && text[0] != ' ' && text[^1] != ' ' && !text.Contains("  ", StringComparison.Ordinal) && !HasOtherWhiteSpace(text);
        var cleaned = plain ? text : Blanks().Replace(text, " ").Trim();
        return cleaned.Length == 0 ? null : cleaned;
    }

    private static bool HasOtherWhiteSpace(string text)
    {
        foreach (var c in text)
        {
            if (c != ' ' && char.IsWhiteSpace(c))
            {
                return true;
            }
        }

        return false;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>What a :86: says about its line.</summary>
    private readonly record struct Information(string? Reference, string? EndToEndId, string? Counterparty, string? Description)
    {
        public static Information Read(List<string> lines)
        {
            if (lines.Count == 0)
            {
                return default;
            }

            // Banks wrap structured information at a fixed width, mid-word: its lines join as written.
            var joined = string.Concat(lines);
            var trimmed = joined.TrimStart();
            if (trimmed.StartsWith('/') && trimmed.IndexOf('/', 1) is > 1 and var end && Keywords.Contains(trimmed[1..end]))
            {
                return Keyworded(trimmed);
            }

            if (trimmed.Length >= 4 && (trimmed[0] == '?' || (char.IsAsciiDigit(trimmed[0]) && trimmed[3] == '?')) && Subfield().IsMatch(trimmed))
            {
                return Subfields(trimmed);
            }

            return new Information(null, null, null, Clean(string.Join(' ', lines)));
        }

        /// <summary>"/EREF/E2E-1//CNTP/NL32INGB0000012345/INGBNL2A/J Jansen///REMI/USTD//Invoice 1/".</summary>
        private static Information Keyworded(string text)
        {
            var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            List<string>? current = null;
            foreach (var token in text.Split('/'))
            {
                if (Keywords.Contains(token) && !values.ContainsKey(token))
                {
                    values[token] = current = [];
                }
                else
                {
                    current?.Add(token);
                }
            }

            string? Value(string key) => values.TryGetValue(key, out var v) ? Clean(string.Join('/', v).Trim('/')) : null;

            var remittance = Value("REMI");
            foreach (var prefix in (string[])["USTD/", "STRD/CUR/", "STRD/ISO/", "STRD/"])
            {
                if (remittance is not null && remittance.StartsWith(prefix, StringComparison.Ordinal))
                {
                    remittance = Clean(remittance[prefix.Length..].Trim('/'));
                    break;
                }
            }

            var endToEnd = Value("EREF");
            var counterparty = Value("NAME");
            if (counterparty is null && values.TryGetValue("CNTP", out var party) && party.Count > 2)
            {
                counterparty = Clean(party[2]); // CNTP: account / BIC / name / city.
            }

            return new Information(remittance, endToEnd is "NOTPROVIDED" ? null : endToEnd, counterparty, Value("TRTP") ?? Clean(text));
        }

        /// <summary>"166?00SEPA-UEBERWEISUNG?20EREF+E2E-1?21SVWZ+Invoice 1?32Acme GmbH".</summary>
        private static Information Subfields(string text)
        {
            // Subfield ?NN's text, by NN; a repeated subfield keeps its last text.
            var parts = new string?[100];
            var matches = Subfield().Matches(text);
            for (var i = 0; i < matches.Count; i++)
            {
                var from = matches[i].Index + 3;
                var to = i + 1 < matches.Count ? matches[i + 1].Index : text.Length;
                parts[((text[from - 2] - '0') * 10) + (text[from - 1] - '0')] = text[from..to];
            }

            string Join(int first, int last) => string.Concat(parts.AsSpan(first, last - first + 1));

            var remittance = Join(20, 29);
            string? endToEnd = null;
            string? purpose = null;
            var qualifiers = SepaQualifier().Matches(remittance);
            for (var i = 0; i < qualifiers.Count; i++)
            {
                var from = qualifiers[i].Index + qualifiers[i].Length;
                var value = Clean(remittance[from..(i + 1 < qualifiers.Count ? qualifiers[i + 1].Index : remittance.Length)]);
                switch (qualifiers[i].Groups[1].Value)
                {
                    case "EREF":
                        endToEnd = value;
                        break;
                    case "SVWZ":
                        purpose = value;
                        break;
                }
            }

            return new Information(
                qualifiers.Count > 0 ? purpose : Clean(remittance),
                endToEnd is "NOTPROVIDED" ? null : endToEnd,
                Clean(Join(32, 33)),
                Clean(parts[0]));
        }
    }

    /// <summary>The SEPA qualifiers German banks put in ?20–?29: EREF+ end-to-end id, SVWZ+ purpose, and the others that end a value.</summary>
    [GeneratedRegex(@"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+", RegexOptions.CultureInvariant)]
    private static partial Regex SepaQualifier();
}
