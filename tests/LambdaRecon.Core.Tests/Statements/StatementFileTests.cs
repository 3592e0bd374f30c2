using System.Text;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

/// <summary>The gate both the API and ./run.sh import-statement pass files through: hostile files, text that is not UTF-8, empty statements.</summary>
public class StatementFileTests
{
    private const string Header = "Date,Amount,Currency,Id,Reference\n";

    private static StatementError Refused(byte[] content, string format = "csv")
    {
        Assert.False(StatementFile.TryParse(content, format, null, out var statements, out _, out var error));
        Assert.Empty(statements);
        return error!;
    }

    private static StatementError Refused(string content, string format = "csv") => Refused(Encoding.UTF8.GetBytes(content), format);

    private static string Deep(int depth) =>
        "<Document><BkToCstmrStmt><Stmt>" + string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth)) + "</Stmt></BkToCstmrStmt></Document>";

    [Fact]
    public void A_camt053_file_nested_deeper_than_64_is_refused_naming_the_element()
    {
        Assert.True(StatementFile.TryParse(Encoding.UTF8.GetBytes(Deep(60).Replace("</Stmt>", Entry + "</Stmt>", StringComparison.Ordinal)), "camt053", null, out _, out _, out var fine), fine?.ToString());

        var error = Refused(Deep(1_000_000), "camt053");

        Assert.Equal(1, error.Line);
        Assert.Contains("element 'a' is nested deeper than 64 levels", error.Reason, StringComparison.Ordinal);
    }

    private const string Entry = """<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""";

    [Fact]
    public void A_camt053_file_of_more_than_a_million_elements_is_refused()
    {
        var xml = "<Document><BkToCstmrStmt><Stmt>" + string.Concat(Enumerable.Repeat("<a/>", CamtStatement.MaxElements)) + "</Stmt></BkToCstmrStmt></Document>";

        Assert.Contains("more than 1,000,000 elements", Refused(xml, "camt053").Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Document>&c;</Document>""")]
    [InlineData("""<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>""")]
    [InlineData("""<!DOCTYPE d SYSTEM "http://127.0.0.1:9/d.dtd"><Document/>""")]
    [InlineData("""<Document>&undeclared;</Document>""")]
    public void A_camt053_file_with_a_dtd_or_an_entity_is_refused_without_resolving_anything(string xml)
    {
        var error = Refused(xml, "camt053");

        Assert.Equal(1, error.Line);
        Assert.Contains("not well-formed XML", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parsing_stops_when_the_caller_gives_up()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var csv = Encoding.UTF8.GetBytes(Header + "2025-03-03,1.00,EUR,a,\n");
        var camt = Encoding.UTF8.GetBytes("<Document><BkToCstmrStmt><Stmt>" + Entry + "</Stmt></BkToCstmrStmt></Document>");

        Assert.Throws<OperationCanceledException>(() => StatementFile.TryParse(csv, "csv", null, out _, out _, out _, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => StatementFile.TryParse(camt, "camt053", null, out _, out _, out _, cancelled.Token));
    }

    [Theory]
    [InlineData("csv", Header)]
    [InlineData("csv", Header + "\n\r\n")]
    [InlineData("camt053", "<Document><BkToCstmrStmt><Stmt></Stmt></BkToCstmrStmt></Document>")]
    [InlineData("camt053", """<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts></Ntry></Stmt></BkToCstmrStmt></Document>""")]
    public void A_statement_without_a_booked_line_is_refused_as_a_whole(string format, string content)
    {
        var error = Refused(content, format);

        Assert.Equal(0, error.Line);
        Assert.Equal("the statement has no booked line and no balance: nothing to reconcile, so nothing is recorded", error.ToString());
    }

    [Fact]
    public void A_day_without_movement_is_a_statement_of_its_balances_and_one_that_moved_without_a_line_is_refused()
    {
        const string quiet = """
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>QUIET-1</Id>
            <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
            <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-03</Dt></Dt></Bal>
            <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-03</Dt></Dt></Bal>
            </Stmt></BkToCstmrStmt></Document>
            """;
        const string mt940 = ":20:QUIET-2\n:25:NL91ABNA0417164300\n:28C:1\n:60F:C250303EUR10,00\n:62F:C250303EUR10,00\n-\n";

        Assert.True(StatementFile.TryParse(Encoding.UTF8.GetBytes(quiet), "auto", null, out var camt, out _, out var error), error?.ToString());
        Assert.True(StatementFile.TryParse(Encoding.UTF8.GetBytes(mt940), "auto", null, out var mt, out _, out error), error?.ToString());
        var moved = Refused(quiet.Replace("CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">10.00", "CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">12.00", StringComparison.Ordinal), "auto");

        Assert.Equal(("QUIET-1", 0, 1000L), (camt[0].Reference, camt[0].Lines.Count, camt[0].Closing!.Value.Amount.Minor));
        Assert.Equal(("QUIET-2", 0), (mt[0].Reference, mt[0].Lines.Count));
        Assert.Contains("QUIET-1", moved.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nul_byte_in_a_csv_file_is_refused_naming_its_line()
    {
        var error = Refused(Header + "2025-03-03,1.00,EUR,a,\r\n2025-03-03,1.00,EUR,b,x\0y\n");

        Assert.Equal(3, error.Line);
        Assert.Contains("NUL byte", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 }, 3)]        // a lead byte without its continuation
    [InlineData(new byte[] { 0xC0, 0xAF }, 3)]        // an overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, 3)]  // an encoded surrogate
    [InlineData(new byte[] { 0xFF }, 3)]
    public void Bytes_that_are_not_utf8_in_a_csv_file_are_refused_naming_their_line_instead_of_being_replaced(byte[] bad, int line)
    {
        var content = Encoding.UTF8.GetBytes(Header + "2025-03-03,1.00,EUR,a,\r2025-03-03,1.00,EUR,b,x").Concat(bad).Concat("\n"u8.ToArray()).ToArray();

        var error = Refused(content);

        Assert.Equal(line, error.Line);
        Assert.Contains("is not UTF-8", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_allowed_and_a_utf16_file_is_refused()
    {
        Assert.True(StatementFile.TryParse([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Header + "2025-03-03,1.00,EUR,a,\n")], "csv", null, out var statements, out _, out var error), error?.ToString());
        Assert.Single(Assert.Single(statements).Lines);

        Assert.Equal(1, Refused([0xFF, 0xFE, .. Encoding.Unicode.GetBytes(Header + "2025-03-03,1.00,EUR,a,\n")]).Line);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("reference")]
    public void A_csv_id_or_reference_is_at_most_512_characters(string what)
    {
        string Row(int length) => what == "id"
            ? $"2025-03-03,1.00,EUR,{new string('i', length)},\n"
            : $"2025-03-03,1.00,EUR,a,{new string('r', length)}\n";

        Assert.True(StatementFile.TryParse(Encoding.UTF8.GetBytes(Header + Row(512)), "csv", null, out _, out _, out var fine), fine?.ToString());
        var error = Refused(Header + Row(513));

        Assert.Equal(2, error.Line);
        Assert.Equal($"the {what} holds 513 characters, more than the 512 allowed", error.Reason);
    }

    [Fact]
    public void A_camt053_bank_reference_is_at_most_512_characters()
    {
        var entry = Entry.Replace("</Ntry>", $"<AcctSvcrRef>{new string('r', 2_800)}</AcctSvcrRef></Ntry>", StringComparison.Ordinal);

        var error = Refused("<Document><BkToCstmrStmt><Stmt>" + entry + "</Stmt></BkToCstmrStmt></Document>", "camt053");

        Assert.Equal("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]", error.Element);
        Assert.Contains("the AcctSvcrRef holds 2800 characters", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("OFXHEADER:100\nDATA:OFXSGML\n\n<OFX></OFX>\n", "OFX")]
    [InlineData("%PDF-1.4\n", "a PDF document")]
    [InlineData("!Type:Bank\nD03/03/2025\nT-1.00\n^\n", "QIF")]
    [InlineData("{\"data\": []}", "JSON")]
    public void Auto_names_a_file_of_a_format_not_read_here_instead_of_reading_it_as_csv(string content, string kind)
    {
        var error = Refused(content, "auto");

        Assert.Equal(0, error.Line);
        Assert.StartsWith($"the file is {kind}, which is not a statement format read here", error.Reason, StringComparison.Ordinal);
        Assert.Contains("UTF-16", Refused([0xFF, 0xFE, .. Encoding.Unicode.GetBytes(Header)], "auto").Reason, StringComparison.Ordinal);
    }
}
