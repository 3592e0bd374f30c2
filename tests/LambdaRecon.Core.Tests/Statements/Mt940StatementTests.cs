using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

/// <summary>
/// The MT940/MT942 fixtures (Statements/Fixtures/mt94*.sta) are written for these tests from the SWIFT
/// MT940/MT942 field specifications and the ING, ABN AMRO and German (DFÜ) :86: conventions; the
/// accounts are made-up numbers with valid IBAN check digits.
/// </summary>
public class Mt940StatementTests
{
    private static readonly Currency Eur = Currency.Of("EUR");

    private static IReadOnlyList<BankStatement> ParseFixture(string name) =>
        Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", name)));

    private static IReadOnlyList<BankStatement> Parse(string text)
    {
        Assert.True(Mt940Statement.TryParse(new StringReader(text), out var statements, out var error), error?.ToString());
        return statements;
    }

    private static StatementError Refused(string text)
    {
        Assert.False(Mt940Statement.TryParse(new StringReader(text), out var statements, out var error));
        Assert.Empty(statements);
        return error!;
    }

    /// <summary>A one-line statement opening at 100,00 EUR; the line and closing balance are the caller's.</summary>
    private static string Statement(string line, string closing, string information = ":86:text") => $"""
        :20:REF-1
        :25:NL91ABNA0417164300
        :28C:7/1
        :60F:C250301EUR100,00
        {line}
        {information}
        :62F:{closing}
        -
        """;

    [Fact]
    public void An_ing_statement_yields_its_account_balances_and_structured_lines()
    {
        var statement = Assert.Single(ParseFixture("mt940-ing.sta"));

        Assert.Equal(("P250303000000001", "00000", false), (statement.Reference, statement.Number, statement.IsInterim));
        Assert.Equal(new StatementAccount("NL20INGB0001234567EUR", null, "NL20INGB0001234567", "IBAN"), statement.Account);
        Assert.Equal(new StatementBalance(new Money(100000, Eur), new DateOnly(2025, 3, 2), true), statement.Opening);
        Assert.Equal(new StatementBalance(new Money(92450, Eur), new DateOnly(2025, 3, 4), true), statement.Closing);
        Assert.Equal([25000, -7550, -25000], statement.Lines.Select(l => l.Amount.Minor));
        Assert.Equal(["00000000001001", "00000000001002", "00000000001003"], statement.Lines.Select(l => l.LineId));
        Assert.Equal([8, 12, 17], statement.Lines.Select(l => l.SourceLine));

        var credit = statement.Lines[0];
        Assert.Equal(("E2E-INV-1001", "Invoice 1001 March", "ACME BV", false), (credit.EndToEndId, credit.Reference, credit.Counterparty, credit.IsReversal));
        Assert.Equal((new DateOnly(2025, 3, 3), new DateOnly(2025, 3, 3)), (credit.BookingDate, credit.ValueDate));
    }

    [Fact]
    public void An_ing_direct_debit_takes_the_structured_creditor_reference_and_no_end_to_end_id_for_notprovided()
    {
        var debit = ParseFixture("mt940-ing.sta")[0].Lines[1];

        Assert.Equal(("RF18539007547034", "Energy Co"), (debit.Reference, debit.Counterparty));
        Assert.Null(debit.EndToEndId);
        Assert.Contains("MARF/MANDATE-7", debit.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reversed_credit_is_a_marked_debit_that_keeps_the_reversed_payments_end_to_end_id()
    {
        var reversal = ParseFixture("mt940-ing.sta")[0].Lines[2];

        Assert.True(reversal.IsReversal);
        Assert.Equal(-25000, reversal.Amount.Minor);
        Assert.Equal(("E2E-INV-1001", new DateOnly(2025, 3, 4)), (reversal.EndToEndId, reversal.BookingDate));
    }

    [Fact]
    public void A_reversed_debit_is_a_marked_credit_and_a_funds_code_is_skipped()
    {
        var statements = Parse(Statement(":61:250301RDE25,00NTRFNONREF//B-1", "C250301EUR125,00"));

        var line = Assert.Single(statements[0].Lines);
        Assert.Equal((2500L, true, "B-1"), (line.Amount.Minor, line.IsReversal, line.LineId));
    }

    [Fact]
    public void An_abn_amro_statement_skips_its_header_lines_and_joins_wrapped_keywords()
    {
        var statement = Assert.Single(ParseFixture("mt940-abn.sta"));

        Assert.Equal(new StatementAccount("417164300", null, "417164300", "OTHER"), statement.Account);
        Assert.Equal(("ABN AMRO BANK NV", "19001/1"), (statement.Reference, statement.Number));
        Assert.Equal([150000, -4995], statement.Lines.Select(l => l.Amount.Minor));

        var transfer = statement.Lines[0];
        Assert.Equal(("J. JANSEN", "FACTUUR 2025-118", "E2E-118", "SEPA OVERBOEKING"), (transfer.Counterparty, transfer.Reference, transfer.EndToEndId, transfer.Description));
        Assert.All(statement.Lines, l => Assert.StartsWith("h-", l.LineId, StringComparison.Ordinal));
    }

    [Fact]
    public void A_rabobank_file_opening_each_message_with_its_type_as_a_tag_is_read_message_by_message()
    {
        var one = Statement(":61:250303C5,00NTRFNONREF", "C250303EUR105,00");
        var two = one.Replace("REF-1", "REF-2", StringComparison.Ordinal);

        var statements = Parse(":940:\n" + one + "\n:940:\n" + two);

        Assert.Equal(["REF-1", "REF-2"], statements.Select(s => s.Reference));
        Assert.Equal("mt940", StatementFile.Detect(System.Text.Encoding.UTF8.GetBytes(":940:\n" + one)));
    }

    [Fact]
    public void Free_text_information_is_the_description_with_its_lines_and_blanks_joined()
    {
        var card = ParseFixture("mt940-abn.sta")[0].Lines[1];

        Assert.Equal("BEA NR:XXX1234 03.03.25/14.22 ALBERT HEIJN 1234,PAS123 AMSTERDAM", card.Description);
        Assert.Null(card.Reference);
        Assert.Null(card.Counterparty);
    }

    [Fact]
    public void Hashed_line_ids_do_not_change_with_line_endings_or_blanks()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", "mt940-abn.sta"));
        var reformatted = text.Replace("\n", "  \r\n", StringComparison.Ordinal).Replace("NR:XXX1234", "NR:XXX1234     ", StringComparison.Ordinal);

        Assert.Equal(Parse(text)[0].Lines.Select(l => l.LineId), Parse(reformatted)[0].Lines.Select(l => l.LineId));
        Assert.NotEqual(Parse(text)[0].Lines.Select(l => l.LineId), Parse(text.Replace("49,95", "49,96", StringComparison.Ordinal).Replace("6450,05", "6450,04", StringComparison.Ordinal))[0].Lines.Select(l => l.LineId));
    }

    [Fact]
    public void A_file_of_several_swift_messages_yields_each_statement_with_its_own_account_and_currency()
    {
        var statements = ParseFixture("mt940-multi.sta");

        Assert.Equal(["STMT-2024-12-31", "STMT-2025-01-01", "STMT-USD"], statements.Select(s => s.Reference));
        Assert.Equal(("10020030", "1234567890", "OTHER"), (statements[0].Account!.Bank, statements[0].Account!.Id, statements[0].Account!.Scheme));
        Assert.Equal("9999999999", statements[2].Account!.Id);
        Assert.Equal(["EUR", "EUR", "USD"], statements.Select(s => s.Currency!.Value.Code));
        Assert.Equal((0L, false), (statements[2].Opening!.Value.Amount.Minor, statements[2].Opening!.Value.IsFinal));
        Assert.Equal(1, Assert.Single(statements[2].Lines).Amount.Minor);
    }

    [Fact]
    public void The_entry_date_takes_the_year_nearest_its_value_date()
    {
        var statements = ParseFixture("mt940-multi.sta");

        var debit = Assert.Single(statements[0].Lines);
        Assert.Equal((new DateOnly(2024, 12, 31), new DateOnly(2025, 1, 2)), (debit.ValueDate, debit.BookingDate));
        var credit = Assert.Single(statements[1].Lines);
        Assert.Equal((new DateOnly(2025, 1, 1), new DateOnly(2024, 12, 31)), (credit.ValueDate, credit.BookingDate));
    }

    [Fact]
    public void German_subfields_give_the_sepa_end_to_end_id_purpose_name_and_posting_text()
    {
        var statements = ParseFixture("mt940-multi.sta");

        var debit = statements[0].Lines[0];
        Assert.Equal(("E2E-DD-77", "Abo Januar Kundennr 4711", "Stadtwerke Musterstadt GmbH", "SEPA-LASTSCHRIFT"),
            (debit.EndToEndId, debit.Reference, debit.Counterparty, debit.Description));
        var credit = statements[1].Lines[0];
        Assert.Equal(("Rechnung 2024-99", "Max Mustermann"), (credit.Reference, credit.Counterparty));
        Assert.Null(credit.EndToEndId);
    }

    [Fact]
    public void An_mt942_interim_report_has_no_balances_and_takes_its_currency_from_the_floor_limit()
    {
        var report = Assert.Single(ParseFixture("mt942-interim.sta"));

        Assert.True(report.IsInterim);
        Assert.Null(report.Opening);
        Assert.Null(report.Closing);
        Assert.Equal(("EUR", "IBAN", "NL20INGB0001234567"), (report.Currency!.Value.Code, report.Account!.Scheme, report.Account!.Id));
        Assert.Equal([30000, -2550], report.Lines.Select(l => l.Amount.Minor));
        Assert.Equal(("INTRA-1", "E2E-9", "Globex", "PO 9"), (report.Lines[0].LineId, report.Lines[0].EndToEndId, report.Lines[0].Counterparty, report.Lines[0].Reference));
        Assert.Equal("Bank charges March", report.Lines[1].Description);
    }

    [Fact]
    public void An_mt942_whose_debit_total_disagrees_with_its_lines_is_refused()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", "mt942-interim.sta"));

        var error = Refused(text.Replace(":90D:1EUR25,50", ":90D:1EUR25,00", StringComparison.Ordinal));

        Assert.Equal(11, error.Line);
        Assert.Contains("states 1 debits of 25.00 EUR, but its lines hold 1 of 25.50 EUR", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_statement_that_does_not_balance_is_refused_naming_it_and_the_difference()
    {
        var error = Refused(Statement(":61:250301C25,00NTRFNONREF", "C250301EUR125,01"));

        Assert.Equal(7, error.Line);
        Assert.Equal(
            "statement 'REF-1' of account NL91ABNA0417164300 no. 7/1 does not balance: opening 100.00 EUR + lines 25.00 EUR = 125.00 EUR, but the closing balance is 125.01 EUR (a difference of 0.01 EUR)",
            error.Reason);
    }

    [Fact]
    public void A_malformed_tag_is_refused_naming_its_line()
    {
        var error = Refused(Statement(":61:250301C25,00NTRFNONREF", "C250301EUR125,00", ":8G:text"));

        Assert.Equal((6, "':8G:text' is not a well-formed tag such as :61:"), (error.Line, error.Reason));
    }

    [Theory]
    [InlineData(":99Z:x", 6, "unknown tag :99Z:")]
    [InlineData(":61:250301X25,00NTRFNONREF", 5, "no mark C, D, RC or RD")]
    [InlineData(":61:250301C25.00NTRFNONREF", 5, "'25' is not an amount with a decimal comma")]
    [InlineData(":61:250301C25,00XTRFNONREF", 5, "no transaction type")]
    [InlineData(":61:251301C25,00NTRFNONREF", 5, "'251301' is not a date")]
    [InlineData(":61:2503011340C25,00NTRFNONREF", 5, "entry date '1340'")]
    [InlineData(":61:250301C25,001NTRFNONREF", 5, "more fraction digits than EUR allows")]
    public void A_malformed_line_is_refused_naming_it(string line, int expectedLine, string reason)
    {
        var error = line.StartsWith(":61:", StringComparison.Ordinal)
            ? Refused(Statement(line, "C250301EUR125,00"))
            : Refused(Statement(":61:250301C25,00NTRFNONREF", "C250301EUR125,00", line));

        Assert.Equal(expectedLine, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Amounts_convert_exactly_by_the_currencys_exponent()
    {
        var text = """
            :20:KWD
            :25:KW81CBKU0000000000001234560101
            :60F:C250301KWD0,
            :61:250301C1,125NTRFNONREF
            :61:250301D0,5NTRFNONREF
            :62F:C250301KWD0,625
            """;

        Assert.Equal([1125, -500], Parse(text)[0].Lines.Select(l => l.Amount.Minor));
        Assert.Contains("more fraction digits than JPY allows", Refused(text.Replace("KWD", "JPY", StringComparison.Ordinal)).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":25:X\n:28C:1\n:61:250301C1,00NTRFNONREF\n-", 1, "has neither balances")]
    [InlineData(":25:X\n:60F:C250301EUR1,00\n-", 3, "has an opening balance but no closing balance")]
    [InlineData(":60F:C250301EUR1,00\n:62F:C250301EUR1,00\n-", 1, "has no account (:25:)")]
    [InlineData(":25:X\n:60F:C250301XXX1,00\n:62F:C250301XXX1,00\n-", 3, "'XXX' is not an ISO 4217 currency code")]
    [InlineData(":25:X\n:60F:C250301EUR1,00\n:61:250301C1,00NTRFNONREF//R\n:61:250301D1,00NTRFNONREF//R\n:62F:C250301EUR1,00\n-", 5, "bank reference 'R' repeats the line on line 4")]
    public void A_statement_missing_what_it_needs_is_refused(string rest, int expectedLine, string reason)
    {
        var error = Refused(":20:S\n" + rest);

        Assert.Equal(expectedLine, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 0, "no MT940 or MT942 statement")]
    [InlineData(":25:X\n", 1, "tag :25: comes before the statement's :20:")]
    [InlineData("Date,Amount\n2025-03-01,1.00\n", 1, "outside any statement")]
    [InlineData(":20:S\n:25:X\nstray text\n", 3, "neither a tag nor a continuation of :86: or :61:")]
    public void A_file_that_is_no_mt940_is_refused(string text, int expectedLine, string reason)
    {
        var error = Refused(text);

        Assert.Equal(expectedLine, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }
}
