using System.Globalization;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>Reads a CSV statement through a <see cref="CsvMapping"/>: every line, or the first fault.</summary>
public static class CsvStatement
{
    /// <summary>
    /// Parses the whole statement: after <see cref="CsvMapping.SkipRows"/> lines, the header (unless the
    /// mapping has none), then the lines. Any fault refuses the file whole, with the line it is on and the
    /// column at fault ("column 2 'Amount': …"): a malformed record, a field count that
    /// differs from the header's, a missing required value, an inexact amount, an unknown currency, a
    /// repeated id.
    /// </summary>
    /// <exception cref="ArgumentException">The mapping itself is inconsistent (a programming error, not a bad file).</exception>
    /// <exception cref="OperationCanceledException">The caller gave up.</exception>
    public static bool TryParse(
        TextReader reader,
        CsvMapping mapping,
        out IReadOnlyList<StatementLine> lines,
        out StatementError? error,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(mapping);
        CheckMapping(mapping);
        lines = [];

        // Excel writes a byte order mark that a TextReader built without detection leaves in place.
        if (reader.Peek() == '\uFEFF')
        {
            reader.Read();
        }

        for (var skipped = 0; skipped < mapping.SkipRows; skipped++)
        {
            if (reader.ReadLine() is null)
            {
                error = new StatementError(skipped + 1, null, $"the file ends within the {mapping.SkipRows} lines mapping '{mapping.Name}' skips");
                return false;
            }
        }

        var csv = new CsvRecordReader(reader, mapping.Delimiter, mapping.SkipRows + 1);
        if (!csv.TryRead(out var readError))
        {
            error = new StatementError(csv.Line == 0 ? mapping.SkipRows + 1 : csv.Line, null,
                readError ?? $"the file is empty: {(mapping.HasHeader ? "a header line" : "a line")} is expected");
            return false;
        }

        if (!CsvColumns.TryResolve(csv, mapping, out var columns, out var headerError))
        {
            error = new StatementError(csv.Line, null, headerError);
            return false;
        }

        var state = new State(mapping, columns, csv.FieldCount);
        var result = new List<StatementLine>();
        // Without a header the record just read is the first line.
        var pending = !mapping.HasHeader;
        while (pending || csv.TryRead(out readError))
        {
            pending = false;
            // Often enough that a client who leaves stops a long file within milliseconds; rarely enough to cost nothing.
            if (result.Count % 1024 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (csv.FieldCount != state.Fields)
            {
                error = new StatementError(csv.Line, null, $"{csv.FieldCount} fields where the {(mapping.HasHeader ? "header" : "first line")} has {state.Fields}");
                return false;
            }

            if (!Included(csv, columns, mapping))
            {
                continue;
            }

            if (!TryConvert(csv, state, out var line, out var column, out var reason))
            {
                error = new StatementError(csv.Line, null, columns.Label(column) is { } label ? $"{label}: {reason}" : reason);
                return false;
            }

            result.Add(line);
        }

        if (readError is not null)
        {
            error = new StatementError(csv.Line, null, readError);
            return false;
        }

        lines = result;
        error = null;
        return true;
    }

    /// <summary>What one parse carries from line to line.</summary>
    private sealed class State(CsvMapping mapping, CsvColumns columns, int fields)
    {
        public CsvMapping Mapping { get; } = mapping;

        public CsvColumns Columns { get; } = columns;

        public int Fields { get; } = fields;

        public string[] Formats { get; } = [.. mapping.DateFormats];

        public LineIds Ids { get; } = new();

        /// <summary>A statement is nearly always in one currency: the last one is reused rather than looked up again.</summary>
        public Currency? LastCurrency { get; set; }

        /// <summary>With a decimal separator "as the file writes it": the one the first amount with a fraction used, and its line.</summary>
        public (char Separator, int Line)? Decimal { get; set; }

        public CanonicalText Canonical { get; } = new();
    }

    private static bool Included(CsvRecordReader csv, CsvColumns columns, CsvMapping mapping)
    {
        if (columns.OnlyWhere < 0)
        {
            return true;
        }

        var value = csv.Field(columns.OnlyWhere).Trim();
        foreach (var wanted in mapping.OnlyValues)
        {
            if (value.Equals(wanted, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryConvert(CsvRecordReader csv, State state, out StatementLine line, out int column, out string reason)
    {
        line = null!;
        var columns = state.Columns;
        if (!TryCurrency(csv, state, out var currency, out column, out reason)
            || !TryDate(csv, columns.BookingDate, state.Formats, "booking date", out var booked, out column, out reason)
            || !TryAmount(csv, state, currency, out var amount, out column, out reason)
            || !TryOptionalAmount(csv, columns.Fee, state, currency, "fee", out var fee, out column, out reason)
            || !TryOptionalAmount(csv, columns.Net, state, currency, "net", out var net, out column, out reason))
        {
            return false;
        }

        var valueDate = booked;
        if (!csv.Field(columns.ValueDate).IsWhiteSpace()
            && !TryDate(csv, columns.ValueDate, state.Formats, "value date", out valueDate, out column, out reason))
        {
            return false;
        }

        if (fee is { } f && net is { } n && n != amount - f)
        {
            column = columns.Net;
            reason = $"net {n.ToDecimalString()} is not amount {amount.ToDecimalString()} minus fee {f.ToDecimalString()}";
            return false;
        }

        var provided = Text(csv, columns.LineId);
        var reference = Text(csv, columns.Reference);
        var endToEnd = Text(csv, columns.EndToEndId);
        var payout = Text(csv, columns.PayoutId);
        column = -1;
        if (StatementLine.TooLong(("id", provided), ("reference", reference), ("end-to-end id", endToEnd), ("payout id", payout)) is { } tooLong)
        {
            reason = tooLong;
            return false;
        }

        var counterparty = Text(csv, columns.Counterparty);
        var description = Text(csv, columns.Description);
        var category = Text(csv, columns.Category);
        string id;
        int firstLine;
        bool unique;
        if (provided is null)
        {
            // The line's meaning, not its text: the same line with other spacing, quoting, line breaks or
            // unmapped columns (a running balance) gets the same id.
            var canonical = state.Canonical;
            canonical.Clear();
            canonical.AppendNumbers(currency.Code, booked.DayNumber, valueDate.DayNumber, amount.Minor, fee?.Minor, net?.Minor);
            foreach (var part in (ReadOnlySpan<string?>)[reference, endToEnd, counterparty, description, category, payout])
            {
                canonical.AppendCollapsed(part);
            }

            unique = state.Ids.TryTakeHashed(canonical.Text, csv.Line, out id, out firstLine);
        }
        else
        {
            unique = state.Ids.TryTake(id = provided, csv.Line, out firstLine);
        }

        if (!unique)
        {
            column = columns.LineId;
            reason = $"id '{id}' repeats the line starting on line {firstLine}";
            return false;
        }

        line = new StatementLine(
            id, csv.Line, amount, booked, valueDate, reference, endToEnd, counterparty, description, fee, net,
            PayoutId: payout, Category: category);
        return true;
    }

    /// <summary>
    /// The fields a hashed line id covers, each ended by U+001F, in one reused buffer: numbers as invariant
    /// digits, texts with every run of white space (line breaks included) as one space and none at the ends.
    /// </summary>
    private sealed class CanonicalText
    {
        private char[] _buffer = new char[256];
        private int _length;

        public ReadOnlySpan<char> Text => _buffer.AsSpan(0, _length);

        public void Clear() => _length = 0;

        public void AppendNumbers(string currency, int booked, int value, long amount, long? fee, long? net)
        {
            Append(currency);
            Span<char> digits = stackalloc char[20];
            foreach (var number in (ReadOnlySpan<long?>)[booked, value, amount, fee, net])
            {
                if (number is { } n)
                {
                    n.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
                    Append(digits[..written]);
                }
                else
                {
                    Append("\u001F");
                }
            }
        }

        public void AppendCollapsed(string? text)
        {
            Reserve((text?.Length ?? 0) + 1);
            var space = false;
            foreach (var c in text ?? "")
            {
                if (char.IsWhiteSpace(c))
                {
                    space = true;
                    continue;
                }

                if (space && _length > 0 && _buffer[_length - 1] != '\u001F')
                {
                    _buffer[_length++] = ' ';
                }

                space = false;
                _buffer[_length++] = c;
            }

            _buffer[_length++] = '\u001F';
        }

        /// <summary>Appends the text and a field end.</summary>
        private void Append(ReadOnlySpan<char> text)
        {
            Reserve(text.Length + 1);
            text.CopyTo(_buffer.AsSpan(_length));
            _length += text.Length;
            _buffer[_length++] = '\u001F';
        }

        private void Reserve(int more)
        {
            if (_length + more > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
            }
        }
    }

    private static bool TryCurrency(CsvRecordReader csv, State state, out Currency currency, out int column, out string reason)
    {
        reason = "";
        column = state.Columns.Currency;
        var code = csv.Field(column).Trim();
        if (code.IsEmpty)
        {
            currency = state.Mapping.DefaultCurrency ?? default;
            reason = "the currency is empty and the mapping has no fixed currency";
            return state.Mapping.DefaultCurrency is not null;
        }

        if (state.LastCurrency is { } known && code.Equals(known.Code, StringComparison.OrdinalIgnoreCase))
        {
            currency = known;
            return true;
        }

        Span<char> upper = stackalloc char[3];
        if (code.Length == 3 && code.ToUpperInvariant(upper) == 3 && Currency.TryGet(new string(upper), out currency))
        {
            state.LastCurrency = currency;
            return true;
        }

        currency = default;
        reason = $"'{code}' is not an ISO 4217 currency code";
        return false;
    }

    private static bool TryDate(CsvRecordReader csv, int column, string[] formats, string what, out DateOnly date, out int at, out string reason)
    {
        at = column;
        var text = csv.Field(column).Trim();
        if (DateTime.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            date = DateOnly.FromDateTime(parsed);
            reason = "";
            return true;
        }

        date = default;
        reason = text.IsEmpty
            ? $"the {what} is empty"
            : $"{what} '{text}' is not in the format {string.Join(" or ", formats)}";
        return false;
    }

    private static bool TryAmount(CsvRecordReader csv, State state, Currency currency, out Money amount, out int column, out string reason)
    {
        var columns = state.Columns;
        switch (state.Mapping.Sign)
        {
            case CsvSign.SignedAmount or CsvSign.InvertedAmount:
                column = columns.Amount;
                if (!TryMoney(csv.Field(column), state, currency, "amount", csv.Line, out amount, out reason))
                {
                    return false;
                }

                amount = state.Mapping.Sign == CsvSign.InvertedAmount ? new Money(-amount.Minor, currency) : amount;
                return true;

            case CsvSign.Direction:
                column = columns.Direction;
                var direction = csv.Field(column).Trim().ToString();
                var debit = state.Mapping.DebitValues.Any(v => string.Equals(direction, v.Trim(), StringComparison.OrdinalIgnoreCase));
                if (!debit && !state.Mapping.CreditValues.Any(v => string.Equals(direction, v.Trim(), StringComparison.OrdinalIgnoreCase)))
                {
                    amount = default;
                    reason = $"direction '{direction}' is none of the debit values ({string.Join(", ", state.Mapping.DebitValues)}) "
                        + $"or credit values ({string.Join(", ", state.Mapping.CreditValues)})";
                    return false;
                }

                column = columns.Amount;
                if (!TryMoney(csv.Field(column), state, currency, "amount", csv.Line, out var magnitude, out reason))
                {
                    amount = default;
                    return false;
                }

                // A debit written negative agrees with its direction; a negative credit contradicts it: a broken export.
                if (magnitude.Minor < 0 && !debit)
                {
                    amount = default;
                    reason = $"amount {magnitude.ToDecimalString()} contradicts direction '{direction}'";
                    return false;
                }

                amount = new Money(debit ? -Math.Abs(magnitude.Minor) : Math.Abs(magnitude.Minor), currency);
                return true;

            default:
                var debitText = csv.Field(columns.Debit).Trim();
                var creditText = csv.Field(columns.Credit).Trim();
                if (debitText.IsEmpty == creditText.IsEmpty)
                {
                    column = columns.Debit;
                    amount = default;
                    reason = debitText.IsEmpty ? "both debit and credit are empty" : "both debit and credit hold an amount";
                    return false;
                }

                column = debitText.IsEmpty ? columns.Credit : columns.Debit;
                if (!TryMoney(debitText.IsEmpty ? creditText : debitText, state, currency, debitText.IsEmpty ? "credit" : "debit", csv.Line,
                        out var value, out reason))
                {
                    amount = default;
                    return false;
                }

                var minor = Math.Abs(value.Minor);
                amount = new Money(debitText.IsEmpty ? minor : -minor, currency);
                return true;
        }
    }

    private static bool TryOptionalAmount(
        CsvRecordReader csv, int column, State state, Currency currency, string what, out Money? amount, out int at, out string reason)
    {
        at = column;
        amount = null;
        reason = "";
        if (csv.Field(column).IsWhiteSpace())
        {
            return true;
        }

        if (!TryMoney(csv.Field(column), state, currency, what, csv.Line, out var value, out reason))
        {
            return false;
        }

        amount = value;
        return true;
    }

    /// <summary>
    /// Rewrites the mapping's number format to Money's ("-1234.56") and parses it exactly. Thousands
    /// separators are taken only between groups of three digits of the whole part, so "1.2.3" or "12.34,5"
    /// is refused rather than read as some other number.
    /// </summary>
    private static bool TryMoney(ReadOnlySpan<char> field, State state, Currency currency, string what, int line, out Money money, out string reason)
    {
        money = default;
        var text = field.Trim();
        var mapping = state.Mapping;
        var separator = mapping.DecimalSeparator;
        if (separator is null)
        {
            var dot = text.Contains('.');
            var comma = text.Contains(',');
            if (dot && comma)
            {
                reason = $"{what}: '{text}' holds both '.' and ',' (mapping '{mapping.Name}' takes amounts without a thousands separator)";
                return false;
            }

            if (dot || comma)
            {
                var written = dot ? '.' : ',';
                state.Decimal ??= (written, line);
                if (state.Decimal.Value.Separator != written)
                {
                    reason = $"{what}: '{text}' has the decimal separator '{written}', line {state.Decimal.Value.Line} has '{state.Decimal.Value.Separator}'";
                    return false;
                }

                separator = written;
            }
        }

        Span<char> buffer = stackalloc char[64];
        var length = 0;
        var digitsInGroup = -1; // -1: no separator seen yet in the whole part
        var groupOk = true;
        var inFraction = false;
        var start = text.StartsWith('+') ? 1 : 0;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (!inFraction && c == mapping.GroupSeparator)
            {
                // A separator needs 1-3 digits before the first one and exactly 3 between the next ones.
                var before = digitsInGroup < 0 ? CountDigitsBack(buffer[..length]) : digitsInGroup;
                groupOk &= digitsInGroup < 0 ? before is >= 1 and <= 3 : before == 3;
                digitsInGroup = 0;
                continue;
            }

            if (length == buffer.Length)
            {
                reason = $"the {what} is too long to be an amount";
                return false;
            }

            if (c == separator)
            {
                groupOk &= digitsInGroup is < 0 or 3;
                inFraction = true;
                buffer[length++] = '.';
                continue;
            }

            if (!inFraction && digitsInGroup >= 0 && char.IsAsciiDigit(c))
            {
                digitsInGroup++;
            }

            buffer[length++] = c is '.' or ',' ? '?' : c;
        }

        groupOk &= inFraction || digitsInGroup is < 0 or 3;
        if (!groupOk)
        {
            reason = $"{what}: '{text}' has a thousands separator '{mapping.GroupSeparator}' out of place";
            return false;
        }

        if (Money.TryParse(buffer[..length], currency, out money, out var error))
        {
            reason = "";
            return true;
        }

        // Money quotes the rewritten number; the person reading the error knows the one in the file.
        reason = $"{what}: {error!.Replace($"'{buffer[..length]}'", $"'{text}'", StringComparison.Ordinal)}";
        return false;
    }

    private static int CountDigitsBack(ReadOnlySpan<char> written)
    {
        var count = 0;
        for (var i = written.Length - 1; i >= 0 && char.IsAsciiDigit(written[i]); i--)
        {
            count++;
        }

        return count;
    }

    private static string? Text(CsvRecordReader csv, int column)
    {
        var text = csv.Field(column).Trim();
        return text.IsEmpty ? null : new string(text);
    }

    private static void CheckMapping(CsvMapping mapping)
    {
        if (CsvMappingDefinition.Inconsistency(mapping) is { } fault)
        {
            throw new ArgumentException($"mapping '{mapping.Name}': {fault.Reason}", nameof(mapping));
        }
    }
}
