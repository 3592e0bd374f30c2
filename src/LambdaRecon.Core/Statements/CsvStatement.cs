using System.Globalization;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>Reads a CSV statement through a <see cref="CsvMapping"/>: every line, or the first fault.</summary>
public static class CsvStatement
{
    /// <summary>
    /// Parses the whole statement. The first record is the header. Any fault refuses the file whole,
    /// with the line it is on: a malformed record, a field count that differs from the header's, a
    /// missing required value, an inexact amount, an unknown currency, a repeated id.
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

        var csv = new CsvRecordReader(reader, mapping.Delimiter);
        if (!csv.TryRead(out var readError))
        {
            error = new StatementError(csv.Line == 0 ? 1 : csv.Line, null, readError ?? "the file is empty: a header line is expected");
            return false;
        }

        if (!CsvColumns.TryResolve(csv, mapping, out var columns, out var headerError))
        {
            error = new StatementError(csv.Line, null, headerError);
            return false;
        }

        var headerFields = csv.FieldCount;
        var formats = mapping.DateFormats.ToArray();
        var ids = new LineIds();
        Currency? lastCurrency = null;
        var result = new List<StatementLine>();
        while (csv.TryRead(out readError))
        {
            // Often enough that a client who leaves stops a long file within milliseconds; rarely enough to cost nothing.
            if (result.Count % 1024 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (csv.FieldCount != headerFields)
            {
                error = new StatementError(csv.Line, null, $"{csv.FieldCount} fields where the header has {headerFields}");
                return false;
            }

            if (!TryConvert(csv, columns, mapping, formats, ids, ref lastCurrency, out var line, out var reason))
            {
                error = new StatementError(csv.Line, null, reason);
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

    private static bool TryConvert(
        CsvRecordReader csv,
        CsvColumns columns,
        CsvMapping mapping,
        string[] formats,
        LineIds ids,
        ref Currency? lastCurrency,
        out StatementLine line,
        out string reason)
    {
        line = null!;
        if (!TryCurrency(csv, columns, mapping, ref lastCurrency, out var currency, out reason)
            || !TryDate(csv, columns.BookingDate, formats, "booking date", out var booked, out reason)
            || !TryAmount(csv, columns, mapping, currency, out var amount, out reason)
            || !TryOptionalAmount(csv, columns.Fee, mapping, currency, "fee", out var fee, out reason)
            || !TryOptionalAmount(csv, columns.Net, mapping, currency, "net", out var net, out reason))
        {
            return false;
        }

        var valueDate = booked;
        if (!csv.Field(columns.ValueDate).IsWhiteSpace() && !TryDate(csv, columns.ValueDate, formats, "value date", out valueDate, out reason))
        {
            return false;
        }

        if (fee is { } f && net is { } n && n != amount - f)
        {
            reason = $"net {n.ToDecimalString()} is not amount {amount.ToDecimalString()} minus fee {f.ToDecimalString()}";
            return false;
        }

        var provided = Text(csv, columns.LineId);
        var reference = Text(csv, columns.Reference);
        var endToEnd = Text(csv, columns.EndToEndId);
        if (StatementLine.TooLong(("id", provided), ("reference", reference), ("end-to-end id", endToEnd)) is { } tooLong)
        {
            reason = tooLong;
            return false;
        }

        string id;
        int firstLine;
        var unique = provided is null
            ? ids.TryTakeHashed(csv.Record, csv.Line, out id, out firstLine)
            : ids.TryTake(id = provided, csv.Line, out firstLine);
        if (!unique)
        {
            reason = $"id '{id}' repeats the line starting on line {firstLine}";
            return false;
        }

        line = new StatementLine(
            id,
            csv.Line,
            amount,
            booked,
            valueDate,
            reference,
            endToEnd,
            Text(csv, columns.Counterparty),
            Text(csv, columns.Description),
            fee,
            net);
        return true;
    }

    /// <summary>A statement is nearly always in one currency: the last one is reused rather than looked up again.</summary>
    private static bool TryCurrency(CsvRecordReader csv, CsvColumns columns, CsvMapping mapping, ref Currency? last, out Currency currency, out string reason)
    {
        reason = "";
        var code = csv.Field(columns.Currency).Trim();
        if (code.IsEmpty)
        {
            currency = mapping.DefaultCurrency ?? default;
            reason = "the currency is empty and the mapping has no default currency";
            return mapping.DefaultCurrency is not null;
        }

        if (last is { } known && code.Equals(known.Code, StringComparison.OrdinalIgnoreCase))
        {
            currency = known;
            return true;
        }

        Span<char> upper = stackalloc char[3];
        if (code.Length == 3 && code.ToUpperInvariant(upper) == 3 && Currency.TryGet(new string(upper), out currency))
        {
            last = currency;
            return true;
        }

        currency = default;
        reason = $"'{code}' is not an ISO 4217 currency code";
        return false;
    }

    private static bool TryDate(CsvRecordReader csv, int column, string[] formats, string what, out DateOnly date, out string reason)
    {
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

    private static bool TryAmount(CsvRecordReader csv, CsvColumns columns, CsvMapping mapping, Currency currency, out Money amount, out string reason)
    {
        if (columns.Amount >= 0)
        {
            return TryMoney(csv.Field(columns.Amount), mapping, currency, "amount", out amount, out reason);
        }

        var debit = csv.Field(columns.Debit).Trim();
        var credit = csv.Field(columns.Credit).Trim();
        if (debit.IsEmpty == credit.IsEmpty)
        {
            amount = default;
            reason = debit.IsEmpty ? "both debit and credit are empty" : "both debit and credit hold an amount";
            return false;
        }

        if (!TryMoney(debit.IsEmpty ? credit : debit, mapping, currency, debit.IsEmpty ? "credit" : "debit", out var magnitude, out reason))
        {
            amount = default;
            return false;
        }

        var minor = Math.Abs(magnitude.Minor);
        amount = new Money(debit.IsEmpty ? minor : -minor, currency);
        return true;
    }

    private static bool TryOptionalAmount(CsvRecordReader csv, int column, CsvMapping mapping, Currency currency, string what, out Money? amount, out string reason)
    {
        amount = null;
        reason = "";
        if (csv.Field(column).IsWhiteSpace())
        {
            return true;
        }

        if (!TryMoney(csv.Field(column), mapping, currency, what, out var value, out reason))
        {
            return false;
        }

        amount = value;
        return true;
    }

    /// <summary>Rewrites the mapping's number format to Money's ("-1234.56") and parses it exactly.</summary>
    private static bool TryMoney(ReadOnlySpan<char> field, CsvMapping mapping, Currency currency, string what, out Money money, out string reason)
    {
        var text = field.Trim();
        if (text.StartsWith('+'))
        {
            text = text[1..];
        }

        Span<char> buffer = stackalloc char[64];
        var length = 0;
        foreach (var c in text)
        {
            if (c == mapping.GroupSeparator)
            {
                continue;
            }

            if (length == buffer.Length)
            {
                money = default;
                reason = $"the {what} is too long to be an amount";
                return false;
            }

            buffer[length++] = c == mapping.DecimalSeparator ? '.' : c;
        }

        if (Money.TryParse(buffer[..length], currency, out money, out var error))
        {
            reason = "";
            return true;
        }

        reason = $"{what}: {error}";
        return false;
    }

    private static string? Text(CsvRecordReader csv, int column)
    {
        var text = csv.Field(column).Trim();
        return text.IsEmpty ? null : new string(text);
    }

    private static void CheckMapping(CsvMapping mapping)
    {
        var signed = mapping.Amount.Count > 0;
        var split = mapping.Debit.Count > 0 && mapping.Credit.Count > 0;
        if (signed == split)
        {
            throw new ArgumentException($"mapping '{mapping.Name}' must name either an amount column or both debit and credit columns", nameof(mapping));
        }

        if (mapping.BookingDate.Count == 0 || mapping.DateFormats.Count == 0)
        {
            throw new ArgumentException($"mapping '{mapping.Name}' must name a booking date column and at least one date format", nameof(mapping));
        }

        if (mapping.DecimalSeparator == mapping.GroupSeparator || mapping.DecimalSeparator == mapping.Delimiter)
        {
            throw new ArgumentException($"mapping '{mapping.Name}' uses '{mapping.DecimalSeparator}' for two purposes", nameof(mapping));
        }
    }
}
