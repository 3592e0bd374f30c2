using System.Globalization;
using System.Text;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// Reads a BAI2 cash management file (BAI Version 2): 01 file header, 02 group header, 03 account,
/// 16 transaction detail, 88 continuation, 49 account trailer, 98 group trailer, 99 file trailer.
/// </summary>
/// <remarks>
/// <para>Every 16 record is one line of its account: type codes 100–399 are credits (+), 400–699
/// debits (−); the amount is in minor units without a decimal point, as the spec says, so 2500 in USD
/// is 25.00 and in JPY 2500. The booking date is the group's as-of date, the value date that of funds
/// type V, else the as-of date. Line id: the bank reference, else "h-" and a hash of the normalised
/// fields (account, type code, amount, currency, dates, customer reference, text with its whitespace
/// collapsed), never of the raw records, so the same detail split differently over 88 records keeps
/// its id. Reference: the customer reference; description: the text.</para>
/// <para>The file is refused whole, naming the line and the record, when a record is malformed or out
/// of place, when a control total or record count of a 49, 98 or 99 trailer differs from what the file
/// holds (the spec's control total is the algebraic sum of the amount fields of the 03 and 16 records,
/// not of the funds type distribution), or when an account reports both ledger balances and opening +
/// lines ≠ closing.</para>
/// <para>Not handled: groups other than status 1 (deletion, correction and test groups are refused
/// rather than imported as new money), 16 type codes outside 100–699 (loan and custom codes, whose sign
/// the spec leaves to the bank), and BAI version 1 files. Years are 2000 + YY. A "/" ending a physical
/// record ends it, so a 16's text loses a "/" of its own at the very end. Bank references must be
/// unique within an account (each account is its own statement), not across the file.</para>
/// </remarks>
public static class Bai2Statement
{
    private const string OpeningLedgerCode = "010";
    private const string ClosingLedgerCode = "015";

    /// <summary>Parses the whole file: every account with its lines, or the first fault.</summary>
    /// <exception cref="OperationCanceledException">The caller gave up.</exception>
    public static bool TryParse(TextReader reader, out IReadOnlyList<BankStatement> accounts, out StatementError? error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        accounts = [];
        var parser = new Parser(cancellationToken);
        var lineNumber = 0;
        Record? pending = null;
        while (reader.ReadLine() is { } physical)
        {
            lineNumber++;
            var text = physical.TrimEnd();
            if (text.Length == 0)
            {
                continue;
            }

            // A record ends with "/"; a 16 whose text runs to the end of the line may leave it out.
            var content = text.EndsWith('/') ? text[..^1] : text;
            if (content.StartsWith("88,", StringComparison.Ordinal) || content == "88")
            {
                if (pending is null)
                {
                    error = new StatementError(lineNumber, "record 88", "a continuation with no record before it");
                    return false;
                }

                pending.Continue(content.Length > 2 ? content[3..] : "");
                continue;
            }

            if (pending is not null && (error = parser.Take(pending)) is not null)
            {
                return false;
            }

            pending = new Record(lineNumber, content);
        }

        if ((pending is not null && (error = parser.Take(pending)) is not null) || (error = parser.Finish(lineNumber)) is not null)
        {
            return false;
        }

        accounts = parser.Accounts;
        return true;
    }

    /// <summary>One logical record: a physical record and the 88 records continuing it.</summary>
    private sealed class Record(int line, string content)
    {
        private readonly StringBuilder _content = new(content);

        public int Line { get; } = line;

        public string Code { get; } = content.Split(',', 2)[0];

        /// <summary>Physical records, for the trailers' record counts.</summary>
        public int Physical { get; private set; } = 1;

        public string Content => _content.ToString();

        /// <summary>
        /// An 88 record goes on with the next field, except within a 16's text, which it continues (the
        /// text is the last field and may hold commas): a space joins the two parts.
        /// </summary>
        public void Continue(string more)
        {
            Physical++;
            _content.Append(Code == "16" && ReachedText(Content) ? ' ' : ',').Append(more);
        }

        private static bool ReachedText(string content)
        {
            var fields = new Fields(content);
            fields.Next();
            fields.Next();
            fields.Next();
            var extra = fields.Next() switch
            {
                null => -1,
                "S" => 3,
                "V" => 2,
                "D" => int.TryParse(fields.Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 1000 ? 2 * n : -1,
                _ => 0,
            };
            if (extra < 0)
            {
                return false;
            }

            for (var i = 0; i < extra + 2; i++)
            {
                if (fields.Next() is null)
                {
                    return false;
                }
            }

            return !fields.AtEnd;
        }
    }

    /// <summary>Comma-separated fields; the last one runs to the end of the record.</summary>
    private sealed class Fields(string text)
    {
        private int _position;

        public bool AtEnd => _position > text.Length;

        public string? Next()
        {
            if (AtEnd)
            {
                return null;
            }

            var comma = text.IndexOf(',', _position);
            var end = comma < 0 ? text.Length : comma;
            var field = text[_position..end];
            _position = end + 1;
            return field;
        }

        public string? Rest()
        {
            if (AtEnd)
            {
                return null;
            }

            var rest = text[_position..];
            _position = text.Length + 1;
            return rest;
        }
    }

    /// <summary>Walks the records in the order the spec sets, summing what the trailers must agree with.</summary>
    private sealed class Parser(CancellationToken cancellationToken)
    {
        private enum Expect { FileHeader, GroupOrFileTrailer, AccountOrGroupTrailer, DetailOrAccountTrailer, Nothing }

        private Expect _expect = Expect.FileHeader;
        private int _records;
        private int _fileRecords;
        private long _fileTotal;
        private int _groups;

        private int _groupRecords;
        private long _groupTotal;
        private int _groupAccounts;
        private DateOnly _asOf;
        private Currency _groupCurrency;

        private int _accountRecords;
        private long _accountTotal;
        private string _accountNumber = "";
        private int _accountLine;
        private Currency _currency;
        private Money? _opening;
        private Money? _closing;
        private List<StatementLine> _lines = [];
        private LineIds _ids = new();

        public List<BankStatement> Accounts { get; } = [];

        public StatementError? Take(Record record)
        {
            if (++_records % 1024 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            _fileRecords += record.Physical;
            _groupRecords += record.Physical;
            _accountRecords += record.Physical;
            var fields = new Fields(record.Content);
            fields.Next();
            string? reason;
            try
            {
                reason = Dispatch(record, fields);
            }
            catch (OverflowException)
            {
                // Each amount fits 64 bits (TryAmount checks); their sums may not, and a file is input, never a crash.
                reason = "the amounts add up beyond a 64-bit count of minor units";
            }

            return reason is null ? null : new StatementError(record.Line, $"record {record.Code}", reason);
        }

        private string? Dispatch(Record record, Fields fields) =>
            (record.Code, _expect) switch
            {
                ("01", Expect.FileHeader) => FileHeader(fields),
                ("02", Expect.GroupOrFileTrailer) => GroupHeader(fields, record.Physical),
                ("03", Expect.AccountOrGroupTrailer) => Account(fields, record),
                ("16", Expect.DetailOrAccountTrailer) => Detail(fields, record),
                ("49", Expect.DetailOrAccountTrailer) => AccountTrailer(fields),
                ("98", Expect.AccountOrGroupTrailer) => GroupTrailer(fields),
                ("99", Expect.GroupOrFileTrailer) => FileTrailer(fields),
                ("01" or "02" or "03" or "16" or "49" or "98" or "99", _) => $"out of place: expected {Expected()}",
                _ => $"'{record.Code}' is not a BAI2 record code (01, 02, 03, 16, 49, 88, 98, 99)",
            };

        public StatementError? Finish(int lastLine) =>
            _expect == Expect.Nothing ? null : new StatementError(Math.Max(lastLine, 1), null, $"the file ends where {Expected()} is expected");

        private string Expected() => _expect switch
        {
            Expect.FileHeader => "an 01 file header",
            Expect.GroupOrFileTrailer => "an 02 group header or the 99 file trailer",
            Expect.AccountOrGroupTrailer => "an 03 account or the 98 group trailer",
            Expect.DetailOrAccountTrailer => "a 16 detail or the 49 account trailer",
            _ => "nothing after the 99 file trailer",
        };

        private string? FileHeader(Fields fields)
        {
            for (var i = 0; i < 7; i++)
            {
                fields.Next();
            }

            var version = fields.Next();
            if (version != "2")
            {
                return $"version '{version}' is not 2: only BAI Version 2 files are read";
            }

            _expect = Expect.GroupOrFileTrailer;
            return null;
        }

        private string? GroupHeader(Fields fields, int physical)
        {
            fields.Next();
            fields.Next();
            var status = fields.Next();
            if (status != "1")
            {
                return $"group status '{status}' is not 1 (update): deletion, correction and test groups are not imported";
            }

            if (!TryDate(fields.Next(), "as-of date", out _asOf, out var reason))
            {
                return reason;
            }

            fields.Next();
            var code = fields.Next();
            if (!TryCurrency(code, Currency.Of("USD"), out _groupCurrency, out reason))
            {
                return reason;
            }

            _groupRecords = physical;
            _groupTotal = 0;
            _groupAccounts = 0;
            _groups++;
            _expect = Expect.AccountOrGroupTrailer;
            return null;
        }

        private string? Account(Fields fields, Record record)
        {
            _accountNumber = fields.Next() ?? "";
            if (_accountNumber.Trim().Length == 0)
            {
                return "the account number is empty";
            }

            if (!TryCurrency(fields.Next(), _groupCurrency, out _currency, out var reason))
            {
                return reason;
            }

            _accountLine = record.Line;
            _accountRecords = record.Physical;
            _accountTotal = 0;
            _opening = _closing = null;
            _lines = [];
            _ids = new LineIds();
            while (!fields.AtEnd)
            {
                var type = fields.Next()!;
                if (type.Length == 0)
                {
                    // Empty fields ending the record, or an empty group (",,,,", as Goldman Sachs writes one before its
                    // first summary): skipped when its amount, item count and funds type are empty too.
                    if (string.IsNullOrEmpty(fields.Next()) && string.IsNullOrEmpty(fields.Next()) && string.IsNullOrEmpty(fields.Next()))
                    {
                        continue;
                    }

                    return "a summary or status field holds a value but has no type code";
                }

                if (!IsTypeCode(type))
                {
                    return $"type code '{type}' is not three digits";
                }

                var text = fields.Next();
                if (!TryAmount(text, signed: true, $"the amount of type {type}", out var amount, out reason)
                    || !TryCount(fields.Next(), $"the item count of type {type}", out reason)
                    || !TryFunds(fields, out _, out reason))
                {
                    return reason;
                }

                if (string.IsNullOrEmpty(text))
                {
                    continue;
                }

                _accountTotal = checked(_accountTotal + amount);
                if (type == OpeningLedgerCode)
                {
                    _opening = new Money(amount, _currency);
                }
                else if (type == ClosingLedgerCode)
                {
                    _closing = new Money(amount, _currency);
                }
            }

            _expect = Expect.DetailOrAccountTrailer;
            return null;
        }

        private string? Detail(Fields fields, Record record)
        {
            var type = fields.Next() ?? "";
            if (!IsTypeCode(type))
            {
                return $"type code '{type}' is not three digits";
            }

            var code = int.Parse(type, CultureInfo.InvariantCulture);
            if (code is < 100 or > 699)
            {
                return $"type code {type} is not a credit (100–399) or a debit (400–699) detail";
            }

            var text = fields.Next();
            if (string.IsNullOrEmpty(text))
            {
                return "the amount is empty";
            }

            if (!TryAmount(text, signed: false, "the amount", out var minor, out var reason) || !TryFunds(fields, out var valueDate, out reason))
            {
                return reason;
            }

            var bankReference = Text(fields.Next());
            var customerReference = Text(fields.Next());
            var description = Collapse(fields.Rest());
            if (StatementLine.TooLong(("bank reference", bankReference), ("customer reference", customerReference)) is { } tooLong)
            {
                return tooLong;
            }

            _accountTotal = checked(_accountTotal + minor);
            var amount = new Money(code < 400 ? minor : -minor, _currency);
            var value = valueDate ?? _asOf;
            string id;
            int firstLine;
            var unique = bankReference is null
                ? _ids.TryTakeHashed(
                    $"{_accountNumber}|{type}|{amount.ToDecimalString()}|{_currency.Code}|{_asOf:yyyy-MM-dd}|{value:yyyy-MM-dd}|{customerReference}|{description}",
                    record.Line, out id, out firstLine)
                : _ids.TryTake(id = bankReference, record.Line, out firstLine);
            if (!unique)
            {
                return $"bank reference '{id}' repeats the detail on line {firstLine}";
            }

            _lines.Add(new StatementLine(id, record.Line, amount, _asOf, value, customerReference, null, null, description));
            return null;
        }

        private string? AccountTrailer(Fields fields)
        {
            if (!TryAmount(fields.Next(), signed: true, "the account control total", out var total, out var reason))
            {
                return reason;
            }

            if (total != _accountTotal)
            {
                return $"account {_accountNumber}: the control total {total} is not the sum of its 03 and 16 amounts, {_accountTotal}";
            }

            if (CountDiffers(fields, "account", _accountRecords) is { } countReason)
            {
                return countReason;
            }

            var lines = _lines.Aggregate(Money.Zero(_currency), (sum, line) => sum + line.Amount);
            if (_opening is { } opening && _closing is { } closing && opening + lines != closing)
            {
                return $"account {_accountNumber} (line {_accountLine}): opening ledger {opening.ToDecimalString()} + lines {lines.ToDecimalString()} = "
                    + $"{(opening + lines).ToDecimalString()}, but the closing ledger is {closing.ToDecimalString()} (difference {(closing - opening - lines).ToDecimalString()})";
            }

            // A BAI2 account is a statement of the as-of date: its ledger balances are those of that day.
            Accounts.Add(new BankStatement(
                _accountLine, null, new StatementAccount(_accountNumber, null, _accountNumber, "OTHER"), _asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                _currency, _opening is { } open ? new StatementBalance(open, _asOf, true) : null,
                _closing is { } close ? new StatementBalance(close, _asOf, true) : null, IsInterim: false, _lines));
            _groupTotal = checked(_groupTotal + total);
            _groupAccounts++;
            _expect = Expect.AccountOrGroupTrailer;
            return null;
        }

        private string? GroupTrailer(Fields fields)
        {
            if (!TryAmount(fields.Next(), signed: true, "the group control total", out var total, out var reason))
            {
                return reason;
            }

            if (total != _groupTotal)
            {
                return $"the group control total {total} is not the sum of its account control totals, {_groupTotal}";
            }

            var accounts = fields.Next();
            if (accounts != _groupAccounts.ToString(CultureInfo.InvariantCulture))
            {
                return $"the number of accounts '{accounts}' is not the {_groupAccounts} the group holds";
            }

            if (CountDiffers(fields, "group", _groupRecords) is { } countReason)
            {
                return countReason;
            }

            _fileTotal = checked(_fileTotal + total);
            _expect = Expect.GroupOrFileTrailer;
            return null;
        }

        private string? FileTrailer(Fields fields)
        {
            if (!TryAmount(fields.Next(), signed: true, "the file control total", out var total, out var reason))
            {
                return reason;
            }

            if (total != _fileTotal)
            {
                return $"the file control total {total} is not the sum of its group control totals, {_fileTotal}";
            }

            var groups = fields.Next();
            if (groups != _groups.ToString(CultureInfo.InvariantCulture))
            {
                return $"the number of groups '{groups}' is not the {_groups} the file holds";
            }

            if (CountDiffers(fields, "file", _fileRecords) is { } countReason)
            {
                return countReason;
            }

            _expect = Expect.Nothing;
            return null;
        }

        private static string? CountDiffers(Fields fields, string what, int actual)
        {
            var count = fields.Next();
            return count == actual.ToString(CultureInfo.InvariantCulture)
                ? null
                : $"the {what} record count '{count}' is not the {actual} records the {what} holds";
        }
    }

    /// <summary>The funds type and its extra fields: S three amounts, V a value date and time, D a count and that many (days, amount) pairs.</summary>
    private static bool TryFunds(Fields fields, out DateOnly? valueDate, out string reason)
    {
        valueDate = null;
        reason = "";
        var type = fields.Next();
        switch (type)
        {
            case null or "" or "0" or "1" or "2" or "Z":
                return true;
            case "S":
                return TryAmount(fields.Next(), signed: true, "the immediate availability (funds type S)", out _, out reason)
                    && TryAmount(fields.Next(), signed: true, "the one-day availability (funds type S)", out _, out reason)
                    && TryAmount(fields.Next(), signed: true, "the two-or-more-day availability (funds type S)", out _, out reason);
            case "V":
                if (!TryDate(fields.Next(), "value date (funds type V)", out var date, out reason))
                {
                    return false;
                }

                var time = fields.Next();
                // 9999 is end of day for some processors, as the spec warns.
                if (!string.IsNullOrEmpty(time) && !(time.Length == 4 && IsDigits(time) && int.Parse(time, CultureInfo.InvariantCulture) is var t && ((t / 100 <= 24 && t % 100 < 60) || t == 9999)))
                {
                    reason = $"value time '{time}' is not HHMM (funds type V)";
                    return false;
                }

                valueDate = date;
                return true;
            case "D":
                var count = fields.Next();
                if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var distributions))
                {
                    reason = $"the number of distributions '{count}' is not a number (funds type D)";
                    return false;
                }

                for (var i = 0; i < distributions; i++)
                {
                    var days = fields.Next();
                    if (string.IsNullOrEmpty(days) || !IsDigits(days))
                    {
                        reason = $"availability days '{days}' of distribution {i + 1} is not a number (funds type D)";
                        return false;
                    }

                    if (!TryAmount(fields.Next(), signed: true, $"the amount of distribution {i + 1} (funds type D)", out _, out reason))
                    {
                        return false;
                    }
                }

                return true;
            default:
                reason = $"funds type '{type}' is none of 0, 1, 2, S, V, D, Z";
                return false;
        }
    }

    /// <summary>An amount in minor units without a decimal point; empty is a defaulted amount (0). Balances may carry a sign.</summary>
    private static bool TryAmount(string? text, bool signed, string what, out long minor, out string reason)
    {
        minor = 0;
        reason = "";
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var negative = signed && text[0] == '-';
        var digits = signed && text[0] is '-' or '+' ? text[1..] : text;
        if (digits.Length == 0 || !IsDigits(digits) || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out minor))
        {
            reason = $"{what} '{text}' is not {(signed ? "an optionally signed" : "an unsigned")} count of minor units (digits, no decimal point)";
            return false;
        }

        minor = negative ? -minor : minor;
        return true;
    }

    private static bool TryCount(string? text, string what, out string reason)
    {
        reason = string.IsNullOrEmpty(text) || IsDigits(text) ? "" : $"{what} '{text}' is not a number";
        return reason.Length == 0;
    }

    private static bool TryCurrency(string? code, Currency fallback, out Currency currency, out string reason)
    {
        reason = "";
        if (string.IsNullOrEmpty(code))
        {
            currency = fallback;
            return true;
        }

        if (Currency.TryGet(code, out currency))
        {
            return true;
        }

        reason = $"'{code}' is not an ISO 4217 currency code";
        return false;
    }

    private static bool TryDate(string? text, string what, out DateOnly date, out string reason)
    {
        date = default;
        reason = "";
        if (text is { Length: 6 } && IsDigits(text)
            && DateOnly.TryParseExact("20" + text, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return true;
        }

        reason = $"{what} '{text}' is not a YYMMDD date";
        return false;
    }

    private static bool IsTypeCode(string text) => text.Length == 3 && IsDigits(text);

    private static bool IsDigits(string text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static string? Text(string? field) => string.IsNullOrWhiteSpace(field) ? null : field.Trim();

    private static string? Collapse(string? text) =>
        Text(text) is { } trimmed ? string.Join(' ', trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : null;
}
