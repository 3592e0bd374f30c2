using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

public class CsvStatementTests
{
    private static readonly Currency Eur = Currency.Of("EUR");
    private static readonly Currency Usd = Currency.Of("USD");

    internal static IReadOnlyList<StatementLine> ParseFixture(string name, CsvMapping mapping)
    {
        using var reader = new StreamReader(Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", name));
        Assert.True(CsvStatement.TryParse(reader, mapping, out var lines, out var error), error?.ToString());
        return lines;
    }

    private static StatementError Refused(string csv, CsvMapping? mapping = null)
    {
        Assert.False(CsvStatement.TryParse(new StringReader(csv), mapping ?? CsvMapping.Generic, out var lines, out var error));
        Assert.Empty(lines);
        return error!;
    }

    [Fact]
    public void A_generic_bank_export_gives_every_line_with_signed_minor_units()
    {
        var lines = ParseFixture("generic.csv", CsvMapping.Generic);

        Assert.Equal([10000, -2550, 150000, -499, -499], lines.Select(l => l.Amount.Minor));
        Assert.All(lines, l => Assert.Equal(Eur, l.Amount.Currency));
        var first = lines[0];
        Assert.Equal((new DateOnly(2025, 3, 3), new DateOnly(2025, 3, 3)), (first.BookingDate, first.ValueDate));
        Assert.Equal(("INV-1001", "E2E-1001", "Acme GmbH", "Invoice 1001"), (first.Reference, first.EndToEndId, first.Counterparty, first.Description));
        Assert.Equal(("Landlord, Ltd", "Rent \"March\"", new DateOnly(2025, 3, 4)), (lines[1].Counterparty, lines[1].Description, lines[1].ValueDate));
        Assert.Null(lines[0].Fee);
    }

    [Fact]
    public void A_missing_value_date_is_the_booking_date_and_quoted_line_breaks_keep_line_numbers_right()
    {
        var lines = ParseFixture("generic.csv", CsvMapping.Generic);

        Assert.Equal(lines[2].BookingDate, lines[2].ValueDate);
        Assert.Equal("Multi\r\nLine Co", lines[2].Counterparty);
        Assert.Equal([2, 3, 4, 6, 7], lines.Select(l => l.SourceLine));
    }

    [Fact]
    public void Identical_lines_are_kept_as_distinct_lines_with_stable_ids_by_occurrence()
    {
        var lines = ParseFixture("generic.csv", CsvMapping.Generic);

        Assert.Equal(lines.Count, lines.Select(l => l.LineId).Distinct().Count());
        Assert.StartsWith("h-", lines[3].LineId, StringComparison.Ordinal);
        Assert.Equal(lines[3].LineId + "#2", lines[4].LineId);
        Assert.Equal(lines.Select(l => l.LineId), ParseFixture("generic.csv", CsvMapping.Generic).Select(l => l.LineId));
    }

    [Fact]
    public void Adding_a_line_elsewhere_does_not_change_the_ids_of_the_others()
    {
        const string header = "Date,Amount,Currency,Description\n";
        const string a = "2025-03-01,1.00,EUR,a\n";
        const string b = "2025-03-02,2.00,EUR,b\n";
        Assert.True(CsvStatement.TryParse(new StringReader(header + a + b), CsvMapping.Generic, out var before, out _));
        Assert.True(CsvStatement.TryParse(new StringReader(header + b + a + b), CsvMapping.Generic, out var after, out _));

        Assert.Equal(before[0].LineId, after[1].LineId);
        Assert.Equal(before[1].LineId, after[0].LineId);
        Assert.Equal(before[1].LineId + "#2", after[2].LineId);
    }

    [Fact]
    public void A_carried_id_equal_to_an_id_given_to_a_line_without_one_is_refused_whichever_comes_first()
    {
        const string header = "Date,Amount,Currency,Id\n";
        const string plain = "2025-03-01,1.00,EUR,\n";
        Assert.True(CsvStatement.TryParse(new StringReader(header + plain + plain), CsvMapping.Generic, out var given, out _));
        var (first, second) = (given[0].LineId, given[1].LineId);

        var before = Refused(header + $"2025-03-05,9.00,EUR,{first}\n" + plain);
        var after = Refused(header + plain + plain + $"2025-03-05,9.00,EUR,{second}\n");
        var third = CsvStatement.TryParse(new StringReader(header + plain + plain + $"2025-03-05,9.00,EUR,{first}#3\n"), CsvMapping.Generic, out var lines, out var error);

        Assert.Equal(first + "#2", second);
        Assert.Equal((3, 4), (before.Line, after.Line));
        Assert.True(third, error?.ToString());
        Assert.Equal([first, second, first + "#3"], lines.Select(l => l.LineId));
    }

    [Fact]
    public void A_stripe_export_keeps_gross_fee_and_net_and_the_provider_ids()
    {
        var lines = ParseFixture("stripe.csv", CsvMapping.Stripe);

        Assert.Equal(["txn_1", "txn_2", "txn_3", "txn_4"], lines.Select(l => l.LineId));
        var charge = lines[0];
        Assert.Equal(new Money(10000, Usd), charge.Amount);
        Assert.Equal(new Money(320, Usd), charge.Fee);
        Assert.Equal(new Money(9680, Usd), charge.Net);
        Assert.Equal(("ch_1", "Order 1"), (charge.Reference, charge.Description));
        Assert.Equal((new DateOnly(2025, 3, 1), new DateOnly(2025, 3, 3)), (charge.BookingDate, charge.ValueDate));
        Assert.Equal(-14505, lines[3].Amount.Minor);
        Assert.Equal(lines[3].Amount.Minor, lines.Take(2).Sum(l => l.Net!.Value.Minor) * -1);
    }

    [Fact]
    public void The_stripe_mapping_also_reads_the_itemized_report_headers()
    {
        var line = Assert.Single(ParseFixture("stripe-itemized.csv", CsvMapping.Stripe));

        Assert.Equal(("txn_9", "ch_9"), (line.LineId, line.Reference));
        Assert.Equal((1000L, 36L, 964L), (line.Amount.Minor, line.Fee!.Value.Minor, line.Net!.Value.Minor));
        Assert.Equal("JPY", line.Amount.Currency.Code);
    }

    [Fact]
    public void A_custom_mapping_reads_european_numbers_split_debit_credit_columns_and_a_default_currency()
    {
        var mapping = new CsvMapping
        {
            Name = "de-bank",
            Delimiter = ';',
            DecimalSeparator = ',',
            GroupSeparator = '.',
            DateFormats = ["dd.MM.yyyy"],
            Sign = CsvSign.DebitCredit,
            BookingDate = ["Buchungstag"],
            Debit = ["Soll"],
            Credit = ["Haben"],
            Reference = ["Verwendungszweck"],
            DefaultCurrency = Eur,
        };
        const string csv = "Buchungstag;Soll;Haben;Verwendungszweck\n03.03.2025;1.234,56;;Miete\n04.03.2025;;+99,5;Gutschrift\n05.03.2025;-7,00;;Gebühr\n";

        Assert.True(CsvStatement.TryParse(new StringReader(csv), mapping, out var lines, out var error), error?.ToString());
        Assert.Equal([-123456, 9950, -700], lines.Select(l => l.Amount.Minor));
        Assert.Equal(new DateOnly(2025, 3, 3), lines[0].BookingDate);
        Assert.Equal("Miete", lines[0].Reference);
    }

    [Theory]
    [InlineData("Date,Amount,Currency\n2025-03-01,1.00,EUR\n2025-03-02,10.005,EUR\n", 3, "more fraction digits than EUR allows")]
    [InlineData("Date,Amount,Currency\n2025-03-01,1.00,EUR\n2025-03-02,5,JPY\n2025-03-02,1.5,JPY\n", 4, "more fraction digits than JPY allows")]
    [InlineData("Date,Amount,Currency\n2025-03-01,1.00,EUR\n2025-03-02,1.00,USX\n", 3, "'USX' is not an ISO 4217 currency code")]
    [InlineData("Date,Amount,Currency\n2025-03-01,1.00,EUR\n02/03/2025,1.00,EUR\n", 3, "booking date '02/03/2025' is not in the format yyyy-MM-dd")]
    [InlineData("Date,Amount,Currency\n2025-03-01,1.00,EUR\n2025-03-02,1.00\n", 3, "2 fields where the header has 3")]
    [InlineData("Date,Amount,Currency\n2025-03-01,1.00,EUR\n2025-03-02,\"1.00,EUR\n2025-03-03,1.00,EUR\n", 3, "never closed")]
    [InlineData("Date,Amount,Currency\n2025-03-01,1.00,EUR\n2025-03-02,1.00,E\"UR\n", 3, "a quote inside an unquoted field")]
    [InlineData("Date,Amount,Currency,Description\n2025-03-01,1.00,EUR,\"multi\nline\"\n2025-03-02,1.00,EUR,\"x\"y\n", 4, "unexpected 'y' after the closing quote")]
    [InlineData("Date,Amount,Currency\n2025-03-01,\"multi\nline\",EUR\n", 2, "amount: 'multi\nline' is not a decimal amount")]
    [InlineData("Date,Amount,Currency\n2025-03-01,,EUR\n", 2, "amount: '' is not a decimal amount")]
    [InlineData("Date,Amount\n2025-03-01,1.00\n", 1, "the header has no currency column (mapping 'generic' expects 'Currency')")]
    [InlineData("Date,Amount,Currency,Amount\n", 1, "the header names column 'Amount' more than once")]
    [InlineData("", 1, "the file is empty")]
    public void A_malformed_generic_file_is_refused_whole_with_the_line_at_fault(string csv, int line, string reason)
    {
        var error = Refused(csv);

        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("txn_1,charge,ch_1,100.00,3.20,96.80,usd,2025-03-01 10:15,2025-03-03 00:00,a,charge\ntxn_1,charge,ch_2,1.00,0.00,1.00,usd,2025-03-01 10:15,2025-03-03 00:00,b,charge\n", 3, "id 'txn_1' repeats the line starting on line 2")]
    [InlineData("txn_1,charge,ch_1,100.00,3.20,96.00,usd,2025-03-01 10:15,2025-03-03 00:00,a,charge\n", 2, "net 96.00 is not amount 100.00 minus fee 3.20")]
    [InlineData("txn_1,charge,ch_1,100.00,3.205,96.795,usd,2025-03-01 10:15,2025-03-03 00:00,a,charge\n", 2, "fee: '3.205' has more fraction digits")]
    public void A_malformed_stripe_file_is_refused_whole_with_the_line_at_fault(string rows, int line, string reason)
    {
        const string header = "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description,Reporting Category\n";

        var error = Refused(header + rows, CsvMapping.Stripe);

        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Both_or_neither_of_debit_and_credit_is_refused()
    {
        var mapping = new CsvMapping { Name = "split", Sign = CsvSign.DebitCredit, BookingDate = ["Date"], Debit = ["Debit"], Credit = ["Credit"], DefaultCurrency = Eur };

        Assert.Contains("both debit and credit hold an amount", Refused("Date,Debit,Credit\n2025-03-01,1.00,2.00\n", mapping).Reason, StringComparison.Ordinal);
        Assert.Contains("both debit and credit are empty", Refused("Date,Debit,Credit\n2025-03-01,,\n", mapping).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inconsistent_mapping_is_a_programming_error()
    {
        var mapping = CsvMapping.Generic with { Debit = ["Debit"], Credit = ["Credit"] };

        Assert.Throws<ArgumentException>(() => CsvStatement.TryParse(new StringReader(""), mapping, out _, out _));
    }

    [Fact]
    public void Shipped_mappings_are_found_by_name()
    {
        Assert.Same(CsvMapping.Stripe, CsvMapping.Named("stripe"));
        Assert.Same(CsvMapping.Generic, CsvMapping.Named("Generic"));
        Assert.Null(CsvMapping.Named("mt940"));
    }
}
