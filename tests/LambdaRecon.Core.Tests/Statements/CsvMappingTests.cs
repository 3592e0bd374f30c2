using System.Text;
using System.Text.Json;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

/// <summary>What a mapping can say about a CSV export, each feature on a file written for it.</summary>
public class CsvMappingTests
{
    private static readonly Currency Eur = Currency.Of("EUR");

    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", name);

    private static CsvMapping Define(string json, string name = "test")
    {
        using var document = JsonDocument.Parse(json);
        Assert.True(CsvMappingDefinition.TryRead(name, document.RootElement, out var mapping, out var fault), fault?.ToString());
        return mapping;
    }

    private static CsvMappingDefinition.Fault Invalid(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.False(CsvMappingDefinition.TryRead("test", document.RootElement, out _, out var fault));
        return fault!;
    }

    private static IReadOnlyList<StatementLine> Parse(byte[] content, CsvMapping mapping)
    {
        Assert.True(StatementFile.TryParse(content, "csv", mapping, out var statements, out _, out var error), error?.ToString());
        return Assert.Single(statements).Lines;
    }

    private static IReadOnlyList<StatementLine> Parse(string content, CsvMapping mapping) => Parse(Encoding.UTF8.GetBytes(content), mapping);

    private static StatementError Refused(byte[] content, CsvMapping mapping)
    {
        Assert.False(StatementFile.TryParse(content, "csv", mapping, out var statements, out _, out var error));
        Assert.Empty(statements);
        return error!;
    }

    private static StatementError Refused(string content, CsvMapping mapping) => Refused(Encoding.UTF8.GetBytes(content), mapping);

    [Fact]
    public void Columns_given_by_position_read_a_file_without_a_header_after_skipped_title_lines()
    {
        var mapping = Define("""
            {"header": false, "skip_rows": 2, "delimiter": ";", "currency": "EUR", "date_formats": "dd.MM.yyyy",
             "columns": {"booking_date": 1, "value_date": 2, "amount": 4, "description": 3}}
            """);
        const string csv = "Kontoauszug 03/2025;;;\nKonto DE89 3704 0044 0532 0130 00;;;\n03.03.2025;04.03.2025;Miete;-950.00\n05.03.2025;05.03.2025;Gutschrift;12.5\n";

        var lines = Parse(csv, mapping);

        Assert.Equal([-95000, 1250], lines.Select(l => l.Amount.Minor));
        Assert.Equal([3, 4], lines.Select(l => l.SourceLine));
        Assert.Equal((new DateOnly(2025, 3, 3), new DateOnly(2025, 3, 4), "Miete"), (lines[0].BookingDate, lines[0].ValueDate, lines[0].Description));
        Assert.All(lines, l => Assert.Equal(Eur, l.Amount.Currency));
    }

    [Fact]
    public void A_byte_order_mark_before_a_headerless_first_line_is_not_part_of_its_date()
    {
        var mapping = Define("""{"header": false, "currency": "EUR", "columns": {"booking_date": 1, "amount": 2}}""");

        Assert.Equal(new DateOnly(2025, 3, 1), Assert.Single(Parse([0xEF, 0xBB, 0xBF, .. "2025-03-01,1.00\n"u8], mapping)).BookingDate);
    }

    [Fact]
    public void A_position_beyond_the_record_is_refused_naming_the_column()
    {
        var mapping = Define("""{"currency": "EUR", "columns": {"booking_date": "Date", "amount": 9}}""");

        var error = Refused("Date,Amount\n2025-03-01,1.00\n", mapping);

        Assert.Equal(1, error.Line);
        Assert.Equal("the amount is mapped to column 9, but the header has 2 fields", error.Reason);
    }

    [Theory]
    [InlineData("1.234.567,89", 123456789)]
    [InlineData("-1.234,56", -123456)]
    [InlineData("999,00", 99900)]
    [InlineData("+12,5", 1250)]
    [InlineData("0,01", 1)]
    public void Decimal_comma_and_thousands_dots_are_read_exactly(string amount, long minor)
    {
        var mapping = Define("""{"delimiter": ";", "decimal_separator": ",", "thousands_separator": ".", "currency": "EUR", "columns": {"booking_date": "Datum", "amount": "Betrag"}}""");

        Assert.Equal(minor, Assert.Single(Parse($"Datum;Betrag\n2025-03-01;{amount}\n", mapping)).Amount.Minor);
    }

    [Theory]
    [InlineData("1.23,45", "thousands separator '.' out of place")]
    [InlineData("12.34", "thousands separator '.' out of place")]
    [InlineData("1,234,5", "is not a decimal amount")]
    [InlineData("1,234", "more fraction digits than EUR allows")]
    [InlineData("1 234,00", "is not a decimal amount")]
    [InlineData("12.3456,00", "thousands separator '.' out of place")]
    public void A_number_the_separators_do_not_explain_is_refused_naming_line_and_column(string amount, string reason)
    {
        var mapping = Define("""{"delimiter": ";", "decimal_separator": ",", "thousands_separator": ".", "currency": "EUR", "columns": {"booking_date": "Datum", "amount": "Betrag"}}""");

        var error = Refused($"Datum;Betrag\n2025-03-01;1,00\n2025-03-02;{amount}\n", mapping);

        Assert.Equal(3, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.StartsWith("line 3: column 2 'Betrag': amount: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Debit_and_credit_columns_give_signed_amounts()
    {
        var mapping = Define("""{"sign": "debit_credit", "currency": "GBP", "columns": {"booking_date": "Date", "debit": "Paid out", "credit": "Paid in"}}""");

        var lines = Parse("Date,Paid out,Paid in\n2025-03-01,12.00,\n2025-03-02,,7.50\n2025-03-03,-3.00,\n", mapping);

        Assert.Equal([-1200, 750, -300], lines.Select(l => l.Amount.Minor));
    }

    [Fact]
    public void A_direction_column_signs_the_amount_and_an_unknown_or_contradicting_direction_is_refused()
    {
        var mapping = Define("""
            {"sign": "direction", "direction_values": {"debit": ["D", "DBIT"], "credit": ["C", "CRDT"]}, "currency": "EUR",
             "columns": {"booking_date": "Date", "amount": "Amount", "direction": "Cd"}}
            """);

        Assert.Equal([-1000, 250, -300], Parse("Date,Amount,Cd\n2025-03-01,10.00,D\n2025-03-02,2.50,crdt\n2025-03-03,-3.00,DBIT\n", mapping).Select(l => l.Amount.Minor));
        var unknown = Refused("Date,Amount,Cd\n2025-03-01,10.00,X\n", mapping);
        Assert.Equal(2, unknown.Line);
        Assert.StartsWith("column 3 'Cd': ", unknown.Reason, StringComparison.Ordinal);
        Assert.Contains("direction 'X' is none of the debit values (D, DBIT) or credit values (C, CRDT)", unknown.Reason, StringComparison.Ordinal);
        Assert.Contains("contradicts direction 'C'", Refused("Date,Amount,Cd\n2025-03-01,-10.00,C\n", mapping).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inverted_sign_turns_positive_amounts_into_debits()
    {
        var mapping = Define("""{"sign": "inverted", "currency": "USD", "columns": {"booking_date": "Date", "amount": "Amount"}}""");

        Assert.Equal([-4599, 10000], Parse("Date,Amount\n2025-03-01,45.99\n2025-03-02,-100.00\n", mapping).Select(l => l.Amount.Minor));
    }

    [Fact]
    public void Iso_8859_1_bytes_are_decoded_exactly()
    {
        var mapping = Define("""{"encoding": "iso-8859-1", "delimiter": ";", "currency": "EUR", "columns": {"booking_date": "Datum", "amount": "Betrag", "counterparty": "Empfänger"}}""");
        byte[] content = [.. Encoding.Latin1.GetBytes("Datum;Betrag;Empfänger\n2025-03-01;-5.00;Müller & Söhne\n")];

        Assert.Equal("Müller & Söhne", Assert.Single(Parse(content, mapping)).Counterparty);
        Assert.Contains(content, b => b == 0xFC);
    }

    [Fact]
    public void Windows_1252_bytes_are_decoded_exactly_including_its_own_characters()
    {
        var mapping = Define("""{"encoding": "windows-1252", "currency": "EUR", "columns": {"booking_date": "Date", "amount": "Amount", "description": "Text"}}""");
        // 0x80 is the euro sign, 0x93/0x94 curly quotes, 0xE9 é in Windows-1252.
        byte[] content = [.. "Date,Amount,Text\n2025-03-01,-5.00,"u8, 0x80, (byte)' ', 0x93, (byte)'C', 0xE9, (byte)'s', 0x94, (byte)'\n'];

        Assert.Equal("€ “Cés”", Assert.Single(Parse(content, mapping)).Description);
    }

    [Fact]
    public void Bytes_the_declared_encoding_does_not_define_are_refused_naming_the_line()
    {
        var latin1 = Define("""{"encoding": "iso-8859-1", "currency": "EUR", "columns": {"booking_date": "Date", "amount": "Amount", "description": "Text"}}""");
        var cp1252 = latin1 with { Encoding = CsvEncoding.Windows1252 };
        byte[] euro = [.. "Date,Amount,Text\n2025-03-01,1.00,a\n2025-03-02,1.00,"u8, 0x80, (byte)'\n'];
        byte[] undefined = [.. "Date,Amount,Text\n2025-03-01,1.00,"u8, 0x81, (byte)'\n'];

        var error = Refused(euro, latin1);
        Assert.Equal(3, error.Line);
        Assert.Contains("0x80) is a control character in ISO-8859-1", error.Reason, StringComparison.Ordinal);
        Assert.Contains("0x81) is not a Windows-1252 character", Refused(undefined, cp1252).Reason, StringComparison.Ordinal);
        Assert.Contains("UTF-8 byte order mark", Refused([0xEF, 0xBB, 0xBF, .. "Date,Amount,Text\n"u8], cp1252).Reason, StringComparison.Ordinal);
        // The same Windows-1252 bytes under the default UTF-8 are refused as before.
        Assert.Contains("is not UTF-8", Refused(euro, latin1 with { Encoding = CsvEncoding.Utf8 }).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_filter_books_only_the_rows_it_names()
    {
        var mapping = Define("""{"currency": "EUR", "only_rows": {"column": "State", "values": ["COMPLETED"]}, "columns": {"booking_date": "Date", "amount": "Amount"}}""");

        var lines = Parse("Date,Amount,State\n2025-03-01,1.00,COMPLETED\n2025-03-02,2.00,PENDING\n2025-03-03,3.00,completed\n", mapping);

        Assert.Equal([(2, 100L), (4, 300L)], lines.Select(l => (l.SourceLine, l.Amount.Minor)));
    }

    [Fact]
    public void Hashed_line_ids_follow_the_normalised_fields_not_the_record_text()
    {
        var mapping = Define("""{"currency": "EUR", "columns": {"booking_date": "Date", "amount": "Amount", "description": "Text"}}""");
        var lines = Parse("Date,Amount,Text,Balance\n2025-03-01,1.00,\"Card  payment\nShop\",10.00\n", mapping);
        var again = Parse("Date,Amount,Text,Balance\r\n2025-03-01,+1.0,\"Card payment\r\n Shop \",99.00\r\n", mapping);
        var other = Parse("Date,Amount,Text,Balance\n2025-03-01,1.01,Card payment Shop,10.00\n", mapping);

        Assert.Equal(lines[0].LineId, again[0].LineId);
        Assert.NotEqual(lines[0].LineId, other[0].LineId);
        Assert.StartsWith("h-", lines[0].LineId, StringComparison.Ordinal);
    }

    [Fact]
    public void The_revolut_business_export_imports_through_a_mapping_file()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(FixturePath("revolut-business.mapping.json")));
        Assert.True(CsvMappingDefinition.TryRead("revolut-business", document.RootElement, out var mapping, out var fault), fault?.ToString());

        var lines = Parse(File.ReadAllBytes(FixturePath("revolut-business.csv")), mapping);

        Assert.Equal(["6612a1b0-0001-a000-9000-00000000aa01", "6612a1b0-0002-a000-9000-00000000aa02", "6612a1b0-0004-a000-9000-00000000aa04"],
            lines.Select(l => l.LineId));
        Assert.Equal([120000, -9910, -2500], lines.Select(l => l.Amount.Minor));
        var card = lines[1];
        Assert.Equal((100L, -10010L), (card.Fee!.Value.Minor, card.Net!.Value.Minor));
        Assert.Equal(("CARD_PAYMENT", new DateOnly(2025, 3, 3)), (card.Category, card.BookingDate));
        Assert.Equal(("Acme GmbH", "INV-2025-17"), (lines[0].Counterparty, lines[0].Reference));
    }

    [Fact]
    public void Stripes_all_transactions_export_with_decimal_commas_reads_exactly()
    {
        var lines = Parse(File.ReadAllBytes(FixturePath("stripe-balance-history-eu.csv")), CsvMapping.StripeBalanceHistory);

        Assert.Equal([125000, 8000, -7557, -121431], lines.Select(l => l.Amount.Minor));
        Assert.Equal((3655L, 121345L), (lines[0].Fee!.Value.Minor, lines[0].Net!.Value.Minor));
        Assert.Equal(["charge", "charge", "refund", "payout"], lines.Select(l => l.Category));
        Assert.Equal(("txn_3PaA3", "re_3PaA3"), (lines[2].LineId, lines[2].Reference));
        Assert.All(lines, l => Assert.Equal(Eur, l.Amount.Currency));
        // The compatibility name reads the same export the same way.
        Assert.Equal(lines, Parse(File.ReadAllBytes(FixturePath("stripe-balance-history-eu.csv")), CsvMapping.Stripe with { Name = CsvMapping.StripeBalanceHistory.Name }));
    }

    [Theory]
    [InlineData("\"1.250,00\"", "holds both '.' and ','")]
    [InlineData("\"2.50\"", "has the decimal separator '.', line 2 has ','")]
    public void A_stripe_export_mixing_decimal_separators_is_refused(string amount, string reason)
    {
        const string header = "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description\n";
        var csv = header + "txn_1,charge,ch_1,\"1,00\",\"0,00\",\"1,00\",eur,2025-03-01 10:00:00,2025-03-03 00:00:00,a\n"
            + $"txn_2,charge,ch_2,{amount},\"0,00\",{amount},eur,2025-03-01 10:00:00,2025-03-03 00:00:00,b\n";

        var error = Refused(csv, CsvMapping.StripeBalanceHistory);

        Assert.Equal(3, error.Line);
        Assert.StartsWith("column 4 'Amount': ", error.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Stripes_itemized_report_carries_reporting_category_and_automatic_payout()
    {
        var lines = Parse(File.ReadAllBytes(FixturePath("stripe-itemized-payouts.csv")), CsvMapping.StripeItemized);

        Assert.Equal(["charge", "charge", "refund", "risk_reserved_funds", "risk_reserved_funds", "payout"], lines.Select(l => l.Category));
        Assert.Equal(5, lines.Count(l => l.PayoutId == "po_1QbP01"));
        Assert.Null(lines[5].PayoutId);
        // What the payout paid is the sum of the nets it groups, the reserve pair cancelling out.
        Assert.Equal(-lines[5].Amount.Minor, lines.Where(l => l.PayoutId == "po_1QbP01").Sum(l => l.Net!.Value.Minor));
        Assert.Equal(0, lines.Where(l => l.Category == "risk_reserved_funds").Sum(l => l.Amount.Minor));
        Assert.Equal(("txn_1QbC01", "ch_1QbC01", new DateOnly(2025, 3, 3)), (lines[0].LineId, lines[0].Reference, lines[0].ValueDate));
        Assert.Equal(lines, Parse(File.ReadAllBytes(FixturePath("stripe-itemized-payouts.csv")), CsvMapping.Stripe with { Name = "stripe-itemized" }));
    }

    [Fact]
    public void Every_built_in_mapping_is_consistent_and_found_by_name()
    {
        foreach (var name in CsvMapping.BuiltInNames)
        {
            var mapping = CsvMapping.Named(name.ToUpperInvariant());
            Assert.NotNull(mapping);
            Assert.Equal(name, mapping.Name);
            Assert.Null(CsvMappingDefinition.Inconsistency(mapping));
        }
    }

    [Theory]
    [InlineData("""{"columns": {"booking_date": "Date", "amount": "Amount"}, "colour": "red"}""", "colour")]
    [InlineData("""{"columns": {"booking_date": "Date", "amout": "Amount"}, "currency": "EUR"}""", "columns.amout")]
    [InlineData("""{"columns": {"amount": "Amount"}, "currency": "EUR"}""", "columns.booking_date")]
    [InlineData("""{"columns": {"booking_date": "Date", "amount": "Amount"}}""", "currency")]
    [InlineData("""{"columns": {"booking_date": "Date", "amount": "Amount"}, "currency": "eur"}""", "currency")]
    [InlineData("""{"columns": {"booking_date": "Date", "amount": "A", "debit": "D"}, "currency": "EUR"}""", "columns.debit")]
    [InlineData("""{"sign": "debit_credit", "columns": {"booking_date": "Date", "debit": "D"}, "currency": "EUR"}""", "columns.credit")]
    [InlineData("""{"sign": "direction", "columns": {"booking_date": "Date", "amount": "A", "direction": "C"}, "currency": "EUR"}""", "direction_values")]
    [InlineData("""{"sign": "direction", "direction_values": {"debit": ["D"], "credit": ["d"]}, "columns": {"booking_date": "Date", "amount": "A", "direction": "C"}, "currency": "EUR"}""", "direction_values")]
    [InlineData("""{"direction_values": {"debit": ["D"], "credit": ["C"]}, "columns": {"booking_date": "Date", "amount": "A"}, "currency": "EUR"}""", "direction_values")]
    [InlineData("""{"sign": "inverted", "columns": {"booking_date": "Date", "amount": "A", "fee": "F"}, "currency": "EUR"}""", "columns.fee")]
    [InlineData("""{"sign": "both", "columns": {"booking_date": "Date", "amount": "A"}, "currency": "EUR"}""", "sign")]
    [InlineData("""{"header": false, "columns": {"booking_date": 1, "amount": "Amount"}, "currency": "EUR"}""", "columns.amount")]
    [InlineData("""{"columns": {"booking_date": 0, "amount": 2}, "currency": "EUR"}""", "columns.booking_date")]
    [InlineData("""{"columns": {"booking_date": [], "amount": 2}, "currency": "EUR"}""", "columns.booking_date")]
    [InlineData("""{"date_formats": "yyyy", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "date_formats")]
    [InlineData("""{"date_formats": "MM/yyyy", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "date_formats")]
    [InlineData("""{"decimal_separator": ";", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "decimal_separator")]
    [InlineData("""{"decimal_separator": ",", "thousands_separator": ",", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "thousands_separator")]
    [InlineData("""{"decimal_separator": "auto", "thousands_separator": ".", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "thousands_separator")]
    [InlineData("""{"delimiter": ";;", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "delimiter")]
    [InlineData("""{"delimiter": "\"", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "delimiter")]
    [InlineData("""{"encoding": "utf-16", "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "encoding")]
    [InlineData("""{"skip_rows": -1, "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "skip_rows")]
    [InlineData("""{"only_rows": {"column": "State"}, "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "only_rows")]
    [InlineData("""{"only_rows": {"column": "State", "value": "X"}, "columns": {"booking_date": 1, "amount": 2}, "currency": "EUR"}""", "only_rows.value")]
    [InlineData("""["Date"]""", "")]
    public void An_invalid_definition_is_refused_naming_the_field(string json, string field)
    {
        var fault = Invalid(json);

        Assert.Equal(field, fault.Field);
        Assert.NotEmpty(fault.Reason);
    }

    [Theory]
    [InlineData("stripe", "built-in")]
    [InlineData("Generic", "not a mapping name")]
    [InlineData("", "not a mapping name")]
    [InlineData("my bank", "not a mapping name")]
    public void A_stored_mapping_may_not_shadow_a_built_in_or_take_an_awkward_name(string name, string reason)
    {
        Assert.Contains(reason, CsvMappingDefinition.NameFault(name), StringComparison.Ordinal);
        Assert.Null(CsvMappingDefinition.NameFault("my-bank.eur_2"));
    }
}
