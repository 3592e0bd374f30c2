using System.Text;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

public class CamtStatementTests
{
    private const string Head = """<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt><Stmt>""";
    private const string Tail = "</Stmt></BkToCstmrStmt></Document>";
    private const string GoodEntry = """<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""";

    internal static IReadOnlyList<BankStatement> ParseStatements(string name, string? expected = null)
    {
        Assert.True(CamtStatement.TryParse(File.ReadAllBytes(Fixture(name)), expected, out var statements, out _, out var error), error?.ToString());
        return statements;
    }

    internal static IReadOnlyList<StatementLine> ParseFixture(string name) => ParseStatements(name).SelectMany(s => s.Lines).ToList();

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", name);

    private static StatementError Refused(string xml, string? expected = null)
    {
        Assert.False(CamtStatement.TryParse(Encoding.UTF8.GetBytes(xml), expected, out var statements, out _, out var error));
        Assert.Empty(statements);
        return error!;
    }

    [Fact]
    public void Booked_entries_of_a_version_2_statement_become_signed_lines()
    {
        var lines = ParseFixture("camt053-v02.xml");

        Assert.Equal([10000, -2550, 30000], lines.Select(l => l.Amount.Minor));
        var credit = lines[0];
        Assert.Equal(("BANK-REF-1", "E2E-1001", "INV-1001", "Acme GmbH"), (credit.LineId, credit.EndToEndId, credit.Reference, credit.Counterparty));
        Assert.Equal((new DateOnly(2025, 3, 3), new DateOnly(2025, 3, 3)), (credit.BookingDate, credit.ValueDate));
        Assert.Equal("EUR", credit.Amount.Currency.Code);
    }

    [Fact]
    public void A_debit_takes_the_creditor_as_counterparty_and_the_structured_reference()
    {
        var debit = ParseFixture("camt053-v02.xml")[1];

        Assert.Equal(("Landlord Ltd", "RF18539007547034", "Rent March"), (debit.Counterparty, debit.Reference, debit.Description));
        Assert.Null(debit.EndToEndId);
        Assert.StartsWith("h-", debit.LineId, StringComparison.Ordinal);
        Assert.Equal(new DateOnly(2025, 3, 3), debit.BookingDate);
        Assert.Equal(debit.BookingDate, debit.ValueDate);
    }

    [Fact]
    public void A_batch_entry_whose_details_give_no_amounts_stays_one_line_counting_its_payments()
    {
        var batch = ParseFixture("camt053-v02.xml")[2];

        Assert.Equal(("BANK-REF-3", "Batch of 2 credit transfers", 2, "BANK-REF-3"), (batch.LineId, batch.Description, batch.BatchCount, batch.EntryRef));
        Assert.Null(batch.EndToEndId);
        Assert.Null(batch.Reference);
        Assert.Equal(new DateOnly(2025, 3, 4), batch.ValueDate);
    }

    [Fact]
    public void A_version_8_statement_reads_status_codes_and_party_names()
    {
        var line = Assert.Single(ParseFixture("camt053-v08.xml"));

        Assert.Equal(new Money(-125040, Currency.Of("CHF")), line.Amount);
        Assert.Equal(("CH-REF-77", "PAY-77", "Supplier AG"), (line.LineId, line.EndToEndId, line.Counterparty));
        Assert.Equal(("Invoice 77 Thank you", "Payment order 77"), (line.Reference, line.Description));
        Assert.Equal((new DateOnly(2025, 3, 5), new DateOnly(2025, 3, 6)), (line.BookingDate, line.ValueDate));
    }

    [Fact]
    public void Identical_entries_without_a_bank_reference_are_both_kept()
    {
        var lines = Parse(Head + GoodEntry + GoodEntry + Tail);

        Assert.Equal(2, lines.Count);
        Assert.Equal(lines[0].LineId + "#2", lines[1].LineId);
    }

    [Fact]
    public void A_document_type_declaration_is_refused_so_no_entity_is_ever_resolved()
    {
        Assert.False(CamtStatement.TryParse(File.ReadAllBytes(Fixture("camt053-xxe.xml")), null, out _, out _, out var error));
        Assert.Contains("DTD", error!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""<Ntry><Amt Ccy="EUR">1.005</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""", "Ntry[2]/Amt", "more fraction digits than EUR allows")]
    [InlineData("""<Ntry><Amt Ccy="EUR">-1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""", "Ntry[2]/Amt", "the direction belongs in CdtDbtInd")]
    [InlineData("""<Ntry><Amt Ccy="EUX">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""", "Ntry[2]/Amt", "Ccy 'EUX' is not an ISO 4217")]
    [InlineData("""<Ntry><Amt>1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""", "Ntry[2]/Amt", "Amt has no Ccy attribute")]
    [InlineData("""<Ntry><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""", "Ntry[2]", "the entry has no Amt")]
    [InlineData("""<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRED</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>""", "Ntry[2]/CdtDbtInd", "neither CRDT nor DBIT")]
    [InlineData("""<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>""", "Ntry[2]", "the entry has no BookgDt")]
    [InlineData("""<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-02-30</Dt></BookgDt></Ntry>""", "Ntry[2]/BookgDt/Dt", "'2025-02-30' is not an ISO 8601 date")]
    [InlineData("""<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt><ValDt><DtTm>soon</DtTm></ValDt></Ntry>""", "Ntry[2]/ValDt/DtTm", "'soon' is not an ISO 8601 date")]
    public void A_bad_entry_refuses_the_whole_file_naming_the_element_and_entry_index(string entry, string element, string reason)
    {
        var error = Refused(Head + GoodEntry + "\n" + entry + "\n" + GoodEntry + Tail);

        Assert.Equal("Document/BkToCstmrStmt/Stmt[1]/" + element, error.Element);
        Assert.Equal(2, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repeated_bank_reference_is_refused()
    {
        const string entry = """<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry>""";

        var error = Refused(Head + entry + "\n" + entry + Tail);

        Assert.Equal("Document/BkToCstmrStmt/Stmt[1]/Ntry[2]", error.Element);
        Assert.Contains("AcctSvcrRef 'R1' repeats the entry on line 1", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Xml_that_is_not_a_camt_053_statement_is_refused()
    {
        Assert.Contains("expected Document/BkToCstmrStmt", Refused("<Document><BkToCstmrStmtX/></Document>").Reason, StringComparison.Ordinal);
        var broken = Refused(Head + "\n<Ntry>" + Tail);
        Assert.Equal(2, broken.Line);
        Assert.Contains("not well-formed XML", broken.Reason, StringComparison.Ordinal);
    }

    private static List<StatementLine> Parse(string xml) => ParseAll(xml).SelectMany(s => s.Lines).ToList();

    private static IReadOnlyList<BankStatement> ParseAll(string xml, string? expected = null)
    {
        Assert.True(CamtStatement.TryParse(Encoding.UTF8.GetBytes(xml), expected, out var statements, out _, out var error), error?.ToString());
        return statements;
    }
}
