using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// A tenant's own CSV mapping, written as JSON (the body of <c>POST /api/v1/statement-mappings</c>'s
/// <c>definition</c>, or the CLI's <c>--mapping-file</c>), read strictly: an unknown field, a value of the
/// wrong kind or a combination that cannot work is refused, naming the field.
/// </summary>
/// <remarks>
/// <code>
/// {
///   "delimiter": ";", "encoding": "windows-1252", "skip_rows": 3, "header": true,
///   "date_formats": ["dd.MM.yyyy"], "decimal_separator": ",", "thousands_separator": ".",
///   "sign": "signed" | "inverted" | "debit_credit" | "direction",
///   "direction_values": { "debit": ["D"], "credit": ["C"] },
///   "currency": "EUR",
///   "only_rows": { "column": "State", "values": ["COMPLETED"] },
///   "columns": { "booking_date": "Buchungstag", "amount": 5, "reference": ["Ref", "Reference"], … }
/// }
/// </code>
/// A column is a header name, a list of names (the first the header has is used) or a 1-based position.
/// Column keys: booking_date (required), value_date, amount, debit, credit, direction, currency, line_id,
/// reference, end_to_end_id, counterparty, description, fee, net, payout_id, category.
/// </remarks>
public static partial class CsvMappingDefinition
{
    /// <summary>Why a definition was refused: the field at fault ("columns.amount", "decimal_separator"; "" for the whole) and the reason.</summary>
    public sealed record Fault(string Field, string Reason);

    private static readonly string[] TopLevel =
    [
        "delimiter", "encoding", "skip_rows", "header", "date_formats", "decimal_separator", "thousands_separator", "sign",
        "direction_values", "currency", "only_rows", "columns",
    ];

    private static readonly string[] ColumnKeys =
    [
        "booking_date", "value_date", "amount", "debit", "credit", "direction", "currency", "line_id", "reference", "end_to_end_id",
        "counterparty", "description", "fee", "net", "payout_id", "category",
    ];

    /// <summary>Why a stored mapping may not be called so, or null: 1 to 64 lowercase letters, digits, '.', '_' or '-', and no built-in's name.</summary>
    public static string? NameFault(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            return $"'{name}' is not a mapping name: 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit";
        }

        return CsvMapping.Named(name) is null ? null : $"'{name}' is the name of a built-in mapping ({string.Join(", ", CsvMapping.BuiltInNames)})";
    }

    /// <summary>Reads a definition into a mapping called <paramref name="name"/>.</summary>
    public static bool TryRead(string name, JsonElement definition, out CsvMapping mapping, out Fault? fault)
    {
        mapping = null!;
        try
        {
            mapping = Read(name, definition);
        }
        catch (DefinitionException e)
        {
            fault = e.Fault;
            return false;
        }

        fault = Inconsistency(mapping);
        return fault is null;
    }

    /// <summary>What makes a mapping unusable, or null; built-in mappings pass it too (a test says so).</summary>
    public static Fault? Inconsistency(CsvMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var sign = mapping.Sign;
        if (!mapping.BookingDate.IsSet)
        {
            return new Fault("columns.booking_date", "a booking date column is required");
        }

        if (mapping.DateFormats.Count == 0)
        {
            return new Fault("date_formats", "at least one date format is required");
        }

        foreach (var format in mapping.DateFormats)
        {
            if (!RoundTrips(format))
            {
                return new Fault("date_formats", $"'{format}' is not a date format that holds a day, a month and a year (such as yyyy-MM-dd or dd.MM.yyyy)");
            }
        }

        (string Field, bool Set)[] amountColumns =
            [("columns.amount", mapping.Amount.IsSet), ("columns.debit", mapping.Debit.IsSet), ("columns.credit", mapping.Credit.IsSet),
             ("columns.direction", mapping.Direction.IsSet)];
        var wanted = sign switch
        {
            CsvSign.SignedAmount or CsvSign.InvertedAmount => ["columns.amount"],
            CsvSign.DebitCredit => ["columns.debit", "columns.credit"],
            _ => new[] { "columns.amount", "columns.direction" },
        };
        var signName = SignNames[(int)sign];
        foreach (var (field, set) in amountColumns)
        {
            if (set != wanted.Contains(field))
            {
                return new Fault(field, set
                    ? $"sign '{signName}' takes {string.Join(" and ", wanted)}, not {field}"
                    : $"sign '{signName}' needs {field}");
            }
        }

        if ((sign == CsvSign.Direction) != (mapping.DebitValues.Count > 0 || mapping.CreditValues.Count > 0))
        {
            return new Fault("direction_values", sign == CsvSign.Direction
                ? "sign 'direction' needs the direction column's debit and credit values"
                : $"direction values need sign 'direction', not '{signName}'");
        }

        if (sign == CsvSign.Direction)
        {
            if (mapping.DebitValues.Count == 0 || mapping.CreditValues.Count == 0)
            {
                return new Fault("direction_values", "both debit and credit need at least one value");
            }

            if (mapping.DebitValues.FirstOrDefault(d => mapping.CreditValues.Contains(d, StringComparer.OrdinalIgnoreCase)) is { } both)
            {
                return new Fault("direction_values", $"'{both}' is both a debit and a credit value");
            }
        }

        if (sign != CsvSign.SignedAmount && (mapping.Fee.IsSet || mapping.Net.IsSet))
        {
            return new Fault(mapping.Fee.IsSet ? "columns.fee" : "columns.net", $"fee and net columns need sign 'signed', not '{signName}'");
        }

        if (!mapping.Currency.IsSet && mapping.DefaultCurrency is null)
        {
            return new Fault("currency", "give a currency column (columns.currency) or a fixed currency (currency)");
        }

        if (mapping.OnlyWhere.IsSet != mapping.OnlyValues.Count > 0)
        {
            return new Fault("only_rows", "a row filter needs both a column and at least one value");
        }

        if (mapping.Delimiter is '"' or '\r' or '\n' or '.' or '-' or '+' || char.IsAsciiDigit(mapping.Delimiter))
        {
            return new Fault("delimiter", $"'{mapping.Delimiter}' cannot separate fields");
        }

        if (mapping.DecimalSeparator is not (null or '.' or ','))
        {
            return new Fault("decimal_separator", "the decimal separator is '.', ',' or \"auto\"");
        }

        if (mapping.GroupSeparator is { } group
            && (mapping.DecimalSeparator is null || group == mapping.DecimalSeparator || char.IsAsciiDigit(group) || group is '-' or '+'))
        {
            return new Fault("thousands_separator", mapping.DecimalSeparator is null
                ? "decimal separator \"auto\" takes amounts without a thousands separator"
                : $"'{group}' cannot separate thousands when '{mapping.DecimalSeparator}' separates decimals");
        }

        if (mapping.SkipRows is < 0 or > 1000)
        {
            return new Fault("skip_rows", "skip_rows is 0 to 1000");
        }

        if (!mapping.HasHeader)
        {
            (string Field, CsvColumn Column)[] all =
            [
                ("booking_date", mapping.BookingDate), ("value_date", mapping.ValueDate), ("amount", mapping.Amount), ("debit", mapping.Debit),
                ("credit", mapping.Credit), ("direction", mapping.Direction), ("currency", mapping.Currency), ("line_id", mapping.LineId),
                ("reference", mapping.Reference), ("end_to_end_id", mapping.EndToEndId), ("counterparty", mapping.Counterparty),
                ("description", mapping.Description), ("fee", mapping.Fee), ("net", mapping.Net), ("payout_id", mapping.PayoutId),
                ("category", mapping.Category),
            ];
            if (all.FirstOrDefault(c => c.Column.Names.Count > 0) is { Field: not null } named)
            {
                return new Fault($"columns.{named.Field}", "a file without a header names its columns by position (1, 2, …)");
            }

            if (mapping.OnlyWhere.Names.Count > 0)
            {
                return new Fault("only_rows.column", "a file without a header names its columns by position (1, 2, …)");
            }
        }

        return null;
    }

    private static readonly string[] SignNames = ["signed", "inverted", "debit_credit", "direction"];

    private static bool RoundTrips(string format)
    {
        var probe = new DateTime(2025, 11, 23, 13, 45, 56, DateTimeKind.Unspecified);
        try
        {
            var written = probe.ToString(format, CultureInfo.InvariantCulture);
            return DateTime.TryParseExact(written, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var read)
                && DateOnly.FromDateTime(read) == DateOnly.FromDateTime(probe);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static CsvMapping Read(string name, JsonElement definition)
    {
        if (definition.ValueKind != JsonValueKind.Object)
        {
            throw new DefinitionException("", "a mapping definition is a JSON object");
        }

        RefuseUnknown(definition, "", TopLevel);
        var mapping = new CsvMapping { Name = name, BookingDate = [] };
        foreach (var property in definition.EnumerateObject())
        {
            var field = property.Name;
            var value = property.Value;
            mapping = field switch
            {
                "delimiter" => mapping with { Delimiter = Character(field, value) },
                "encoding" => mapping with { Encoding = Choice(field, value, EncodingNames) switch
                {
                    0 => CsvEncoding.Utf8,
                    1 => CsvEncoding.Latin1,
                    _ => CsvEncoding.Windows1252,
                } },
                "skip_rows" => mapping with { SkipRows = Integer(field, value, 0, 1000) },
                "header" => mapping with { HasHeader = value.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? value.GetBoolean()
                    : throw new DefinitionException(field, "header is true or false") },
                "date_formats" => mapping with { DateFormats = Strings(field, value) },
                "decimal_separator" => mapping with { DecimalSeparator = Choice(field, value, [".", ",", "auto"]) switch
                {
                    0 => '.',
                    1 => ',',
                    _ => null,
                } },
                "thousands_separator" => mapping with { GroupSeparator = value.ValueKind == JsonValueKind.Null ? null : Character(field, value) },
                "sign" => mapping with { Sign = (CsvSign)Choice(field, value, SignNames) },
                "direction_values" => ReadDirection(mapping, value),
                "currency" => mapping with { DefaultCurrency = value.ValueKind == JsonValueKind.String && value.GetString() is { } code
                    && Currency.TryGet(code, out var currency)
                        ? currency
                        : throw new DefinitionException(field, "currency is an ISO 4217 code in capitals, such as \"EUR\"") },
                "only_rows" => ReadOnlyRows(mapping, value),
                _ => ReadColumns(mapping, value),
            };
        }

        return mapping;
    }

    private static readonly string[] EncodingNames = ["utf-8", "iso-8859-1", "windows-1252"];

    private static CsvMapping ReadDirection(CsvMapping mapping, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new DefinitionException("direction_values", "direction_values is an object: {\"debit\": [...], \"credit\": [...]}");
        }

        RefuseUnknown(value, "direction_values.", ["debit", "credit"]);
        return mapping with
        {
            DebitValues = value.TryGetProperty("debit", out var debit) ? Strings("direction_values.debit", debit) : [],
            CreditValues = value.TryGetProperty("credit", out var credit) ? Strings("direction_values.credit", credit) : [],
        };
    }

    private static CsvMapping ReadOnlyRows(CsvMapping mapping, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new DefinitionException("only_rows", "only_rows is an object: {\"column\": \"State\", \"values\": [\"COMPLETED\"]}");
        }

        RefuseUnknown(value, "only_rows.", ["column", "values"]);
        return mapping with
        {
            OnlyWhere = value.TryGetProperty("column", out var column) ? Column("only_rows.column", column) : [],
            OnlyValues = value.TryGetProperty("values", out var values) ? Strings("only_rows.values", values) : [],
        };
    }

    private static CsvMapping ReadColumns(CsvMapping mapping, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new DefinitionException("columns", "columns is an object such as {\"booking_date\": \"Date\", \"amount\": 3}");
        }

        RefuseUnknown(value, "columns.", ColumnKeys);
        foreach (var property in value.EnumerateObject())
        {
            var column = Column("columns." + property.Name, property.Value);
            mapping = property.Name switch
            {
                "booking_date" => mapping with { BookingDate = column },
                "value_date" => mapping with { ValueDate = column },
                "amount" => mapping with { Amount = column },
                "debit" => mapping with { Debit = column },
                "credit" => mapping with { Credit = column },
                "direction" => mapping with { Direction = column },
                "currency" => mapping with { Currency = column },
                "line_id" => mapping with { LineId = column },
                "reference" => mapping with { Reference = column },
                "end_to_end_id" => mapping with { EndToEndId = column },
                "counterparty" => mapping with { Counterparty = column },
                "description" => mapping with { Description = column },
                "fee" => mapping with { Fee = column },
                "net" => mapping with { Net = column },
                "payout_id" => mapping with { PayoutId = column },
                _ => mapping with { Category = column },
            };
        }

        return mapping;
    }

    private static CsvColumn Column(string field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.TryGetInt32(out var position) && position is >= 1 and <= 10_000
                ? CsvColumn.At(position)
                : throw new DefinitionException(field, "a column position is a whole number from 1");
        }

        return CsvColumn.Create([.. Strings(field, value)]);
    }

    private static void RefuseUnknown(JsonElement value, string prefix, string[] known)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new DefinitionException(prefix + property.Name, $"unknown field '{prefix}{property.Name}': the fields are {string.Join(", ", known)}");
            }

            if (!seen.Add(property.Name))
            {
                throw new DefinitionException(prefix + property.Name, $"'{prefix}{property.Name}' is given twice");
            }
        }
    }

    /// <summary>A string or a non-empty list of non-empty strings.</summary>
    private static string[] Strings(string field, JsonElement value)
    {
        string[] strings = value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array => [.. value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                ? e.GetString()!
                : throw new DefinitionException(field, $"{field} is a string or a list of strings"))],
            _ => throw new DefinitionException(field, $"{field} is a string or a list of strings"),
        };
        if (strings.Length == 0 || strings.Any(s => s.Trim().Length is 0 or > 200))
        {
            throw new DefinitionException(field, $"{field} needs at least one value, each of 1 to 200 characters");
        }

        return strings;
    }

    private static int Choice(string field, JsonElement value, string[] choices)
    {
        var index = value.ValueKind == JsonValueKind.String ? Array.FindIndex(choices, c => c.Equals(value.GetString(), StringComparison.OrdinalIgnoreCase)) : -1;
        return index >= 0 ? index : throw new DefinitionException(field, $"{field} is one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}");
    }

    private static char Character(string field, JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: 1 } one
            ? one[0]
            : throw new DefinitionException(field, $"{field} is one character, such as \",\" or \";\" (\"\\t\" for a tab)");

    private static int Integer(string field, JsonElement value, int min, int max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max
            ? number
            : throw new DefinitionException(field, $"{field} is a whole number from {min} to {max}");

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>Carries a fault out of the nested readers; never leaves this class.</summary>
    private sealed class DefinitionException(string field, string reason) : Exception(reason)
    {
        public Fault Fault { get; } = new(field, reason);
    }
}
