using System.Text;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

/// <summary>camt.052, camt.053 and camt.054 through one reader: statements, accounts, balances, batches, reversals, charges, stable ids.</summary>
public class CamtMessagesTests
{
    private static readonly Currency Eur = Currency.Of("EUR");

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", name));

    private static (IReadOnlyList<BankStatement> Statements, string Detected) Parse(byte[] content, string format = "auto")
    {
        Assert.True(StatementFile.TryParse(content, format, null, out var statements, out var detected, out var error), error?.ToString());
        return (statements, detected);
    }

    private static StatementError Refused(byte[] content, string format = "auto")
    {
        Assert.False(StatementFile.TryParse(content, format, null, out var statements, out _, out var error));
        Assert.Empty(statements);
        return error!;
    }

    private static Money Eur_(long minor) => new(minor, Eur);

    [Fact]
    public void A_version_4_statement_gives_its_account_balances_and_one_line_per_payment_of_a_batch()
    {
        var (statements, detected) = Parse(Fixture("camt053-v04-batch.xml"));

        Assert.Equal("camt053", detected);
        var statement = Assert.Single(statements);
        Assert.Equal(("STMT-2025-0042", "42", false), (statement.Reference, statement.Number, statement.IsInterim));
        Assert.Equal(new StatementAccount("NL91ABNA0417164300", "ABNANL2A", "NL91ABNA0417164300", "IBAN"), statement.Account);
        Assert.Equal(Eur, statement.Currency);
        Assert.Equal(new StatementBalance(Eur_(100000), new DateOnly(2025, 3, 9), true), statement.Opening);
        Assert.Equal(new StatementBalance(Eur_(116000), new DateOnly(2025, 3, 10), true), statement.Closing);

        var batch = statement.Lines.Take(3).ToList();
        Assert.Equal(["ABN-B-1/1", "ABN-B-1/2", "ABN-B-1/3"], batch.Select(l => l.LineId));
        Assert.Equal([10000L, 20000, 5000], batch.Select(l => l.Amount.Minor));
        Assert.Equal(["E2E-1", "E2E-2", "E2E-3"], batch.Select(l => l.EndToEndId));
        Assert.Equal(["Alice Jansen", "Bob de Vries", "Carol Smit"], batch.Select(l => l.Counterparty));
        Assert.Equal(["INV 1", "RF712348231", "INV 3"], batch.Select(l => l.Reference));
        Assert.All(batch, l => Assert.Equal(("ABN-B-1", 0, "SEPA batch PMT-77"), (l.EntryRef, l.BatchCount, l.Description)));
    }

    [Fact]
    public void Payments_of_a_net_batch_keep_their_own_direction_bank_reference_and_charges()
    {
        var lines = ParseFixture("camt053-v04-batch.xml")[^2..];

        Assert.Equal([("TX-A", -10000L, "CARD-100"), ("TX-B", 1000L, "CARD-REFUND-7")], lines.Select(l => (l.LineId, l.Amount.Minor, l.EndToEndId!)));
        Assert.Equal(Eur_(40), lines[0].Fee);
        Assert.Null(lines[1].Fee);
        Assert.All(lines, l => Assert.Equal("ABN-B-2", l.EntryRef));
    }

    private static List<StatementLine> ParseFixture(string name) => Parse(Fixture(name)).Statements.SelectMany(s => s.Lines).ToList();

    [Fact]
    public void A_reversal_is_marked_signed_as_booked_and_names_the_original_payer()
    {
        var reversal = ParseFixture("camt053-v04-batch.xml")[3];

        Assert.Equal(("ABN-R-1", -7500L, true), (reversal.LineId, reversal.Amount.Minor, reversal.IsReversal));
        Assert.Equal(("E2E-OLD", "Dave Bakker", "returned: account closed"), (reversal.EndToEndId, reversal.Counterparty, reversal.Reference));
        Assert.Null(reversal.EntryRef);
    }

    [Fact]
    public void Charges_become_the_fee_of_the_line_in_its_currency()
    {
        var paid = ParseFixture("camt053-v04-batch.xml")[4];

        Assert.Equal(("ABN-C-1", -2500L, "Supplier BV"), (paid.LineId, paid.Amount.Minor, paid.Counterparty));
        Assert.Equal(Eur_(250), paid.Fee);
        Assert.Equal(new DateOnly(2025, 3, 11), paid.ValueDate);
    }

    [Fact]
    public void Version_2_charges_without_a_total_are_summed_and_a_charge_in_another_currency_is_left_out()
    {
        static string Entry(string charges) =>
            $"""<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2025-03-03</Dt></BookgDt>{charges}</Ntry></Stmt></BkToCstmrStmt></Document>""";

        var summed = Assert.Single(Parse(Encoding.UTF8.GetBytes(Entry("""<Chrgs><Amt Ccy="EUR">1.20</Amt></Chrgs><Chrgs><Amt Ccy="EUR">0.30</Amt></Chrgs>"""))).Statements[0].Lines);
        var foreign = Assert.Single(Parse(Encoding.UTF8.GetBytes(Entry("""<Chrgs><Amt Ccy="USD">1.20</Amt></Chrgs>"""))).Statements[0].Lines);

        Assert.Equal(Eur_(150), summed.Fee);
        Assert.Null(foreign.Fee);
    }

    [Fact]
    public void A_batch_without_details_stays_one_line_and_the_camt054_details_it_under_the_same_entry_reference()
    {
        var (statements, detected) = Parse(Fixture("camt053-batch-no-details.xml"));
        var batch = Assert.Single(Assert.Single(statements).Lines);
        Assert.Equal("camt053", detected);
        Assert.Equal(("SAMMLER-1", -30000L, 2, "SAMMLER-1"), (batch.LineId, batch.Amount.Minor, batch.BatchCount, batch.EntryRef));
        Assert.Equal("58", statements[0].Number);
        Assert.Equal(new StatementAccount("DE89370400440532013000", "COBADEFFXXX", "DE89370400440532013000", "IBAN"), statements[0].Account);
        Assert.Equal(Eur_(50000), statements[0].Opening!.Value.Amount);

        var (notifications, notified) = Parse(Fixture("camt054-batch-details.xml"));
        var notification = Assert.Single(notifications);
        Assert.Equal(("camt054", "DE-NTF-0310-1", true), (notified, notification.Reference, notification.IsInterim));
        Assert.Null(notification.Opening);
        Assert.Equal(["SAMMLER-1/1", "SAMMLER-1/2"], notification.Lines.Select(l => l.LineId));
        Assert.Equal([-12000L, -18000], notification.Lines.Select(l => l.Amount.Minor));
        Assert.Equal(["PAY-1", "PAY-2"], notification.Lines.Select(l => l.EndToEndId));
        Assert.Equal(["Lieferant A GmbH", "Lieferant B AG"], notification.Lines.Select(l => l.Counterparty));
        Assert.All(notification.Lines, l => Assert.Equal((batch.EntryRef, 0), (l.EntryRef, l.BatchCount)));
    }

    [Fact]
    public void A_camt052_report_is_interim_and_keeps_booked_entries_only()
    {
        var (statements, detected) = Parse(Fixture("camt052-v08.xml"));

        Assert.Equal("camt052", detected);
        var report = Assert.Single(statements);
        Assert.Equal(("RPT-1200-1", "12", true, "CHF"), (report.Reference, report.Number, report.IsInterim, report.Currency!.Value.Code));
        Assert.Equal(("CH9300762011623852957", "IBAN"), (report.Account!.Id, report.Account.Scheme));
        Assert.Null(report.Opening);
        var line = Assert.Single(report.Lines);
        Assert.Equal(("CH-INTRA-1", 81235L, "Muster AG", "210000000003139471430009017"), (line.LineId, line.Amount.Minor, line.Counterparty, line.Reference));
        Assert.Equal(new DateOnly(2025, 3, 10), line.BookingDate);
        Assert.Null(line.EntryRef);
    }

    [Fact]
    public void One_file_with_statements_for_an_iban_and_a_bban_account_gives_one_statement_each()
    {
        var statements = Parse(Fixture("camt053-two-accounts.xml")).Statements;

        Assert.Equal(
            [("NO-1", "NO9386011117947", "IBAN", "DNBANOKK", "7"), ("NO-2", "15031234567", "BBAN", null, "3")],
            statements.Select(s => (s.Reference!, s.Account!.Id, s.Account.Scheme, s.Account.Bank, s.Number!)));
        Assert.Equal([-1000L, 20000], statements.Select(s => s.Opening!.Value.Amount.Minor));
        Assert.Equal(["NO-REF-1", "NO-REF-2"], statements.Select(s => Assert.Single(s.Lines).LineId));
        Assert.Equal("1503 12 34567", statements[1].Account!.AsWritten);
    }

    [Fact]
    public void Several_documents_in_one_file_are_all_read_keeping_their_line_numbers()
    {
        var (statements, detected) = Parse(Fixture("camt053-two-documents.xml"));

        Assert.Equal("camt053", detected);
        Assert.Equal(["NO-1", "NO-2", "DE-STMT-0310-1"], statements.Select(s => s.Reference));
        Assert.Equal(45, statements[2].Lines[0].SourceLine);
    }

    [Fact]
    public void A_document_in_a_business_message_envelope_with_its_application_header_is_read_and_an_envelope_without_one_is_refused()
    {
        var document = Encoding.UTF8.GetString(Fixture("camt053-two-accounts.xml"));
        document = document[document.IndexOf("<Document", StringComparison.Ordinal)..];
        var wrapped = "<?xml version=\"1.0\"?>\n<BizMsgEnvlp>\n<AppHdr xmlns=\"urn:iso:std:iso:20022:tech:xsd:head.001.001.02\"><Fr><FIId><FinInstnId><BICFI>DNBANOKK</BICFI></FinInstnId></FIId></Fr>"
            + "<MsgDefIdr>camt.053.001.02</MsgDefIdr></AppHdr>\n" + document + "\n</BizMsgEnvlp>";

        var (statements, _) = Parse(Encoding.UTF8.GetBytes(wrapped));
        var error = Refused(Encoding.UTF8.GetBytes("<Envelope>\n  <Body><Other>1</Other></Body>\n</Envelope>"));

        Assert.Equal(Parse(Fixture("camt053-two-accounts.xml")).Statements.SelectMany(s => s.Lines.Select(l => l.LineId)), statements.SelectMany(s => s.Lines.Select(l => l.LineId)));
        Assert.Equal((1, "Envelope"), (error.Line, error.Element));
        Assert.Contains("not a camt message", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "the file holds no XML element")]
    [InlineData("<Document><BkToCstmrStmt><Stmt/></BkToCstmrStmt></Document>text", "text outside any element")]
    [InlineData("<Document><BkToCstmrStmt><Stmt/></BkToCstmrStmt></Document>\n<?xml version=\"1.0\"?><Document/>", "not a camt message")]
    public void An_empty_file_or_what_follows_a_document_that_is_not_one_is_refused(string xml, string reason)
    {
        var error = Refused(Encoding.UTF8.GetBytes(xml), "camt053");

        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_depth_limit_holds_in_every_document_of_a_file()
    {
        var deep = "<?xml version=\"1.0\"?>\n<Document><BkToCstmrStmt><Stmt>" + string.Concat(Enumerable.Repeat("<BkTxCd>", 70)) + "</Stmt></BkToCstmrStmt></Document>";

        var error = Refused([.. Fixture("camt053-two-accounts.xml"), .. Encoding.UTF8.GetBytes(deep)]);

        Assert.Equal(35, error.Line);
        Assert.Contains("element 'BkTxCd' is nested deeper than 64 levels", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Documents_of_different_messages_in_one_file_are_refused()
    {
        var error = Refused([.. Fixture("camt053-batch-no-details.xml"), .. Fixture("camt054-batch-details.xml")]);

        Assert.Contains("document 2 is a camt.054 notification, but the first is a camt.053", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("camt052")]
    [InlineData("camt054")]
    public void A_format_named_that_disagrees_with_the_document_is_refused_naming_both(string format)
    {
        var error = Refused(Fixture("camt053-v04-batch.xml"), format);

        Assert.Equal($"the format given is {format}, but the file is a camt.053 statement (BkToCstmrStmt)", error.Reason);
        Assert.Equal("Document/BkToCstmrStmt", error.Element);
        Assert.True(StatementFile.TryParse(Fixture("camt053-v04-batch.xml"), "camt053", null, out _, out _, out var fine), fine?.ToString());
    }

    [Fact]
    public void A_statement_that_does_not_balance_is_refused_naming_it_and_the_difference()
    {
        var xml = Encoding.UTF8.GetString(Fixture("camt053-v04-batch.xml")).Replace("1160.00", "1161.50", StringComparison.Ordinal);

        var error = Refused(Encoding.UTF8.GetBytes(xml));

        Assert.Equal("statement 'STMT-2025-0042' of account NL91ABNA0417164300 does not balance: opening 1000.00 EUR + lines 160.00 EUR = 1160.00 EUR, but the closing balance is 1161.50 EUR (a difference of 1.50 EUR)", error.Reason);
        Assert.Equal("Document/BkToCstmrStmt/Stmt[1]/Bal[2]", error.Element);
    }

    [Fact]
    public void Payments_that_do_not_sum_to_their_entry_are_refused_naming_the_entry()
    {
        var xml = Encoding.UTF8.GetString(Fixture("camt053-v04-batch.xml")).Replace("<Amt Ccy=\"EUR\">50.00</Amt>", "<Amt Ccy=\"EUR\">49.00</Amt>", StringComparison.Ordinal);

        var error = Refused(Encoding.UTF8.GetBytes(xml));

        Assert.Equal("the 3 TxDtls of entry 'ABN-B-1' sum to 349.00 EUR, but the entry is 350.00 EUR (a difference of 1.00 EUR)", error.Reason);
        Assert.Equal("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]", error.Element);
    }

    [Fact]
    public void A_reversal_whose_payments_state_the_original_direction_is_read_as_booked()
    {
        const string xml = """
            <Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><BookgDt><Dt>2025-03-03</Dt></BookgDt><AcctSvcrRef>RV</AcctSvcrRef>
            <NtryDtls><TxDtls><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></TxDtls><TxDtls><Amt Ccy="EUR">20.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>
            """;

        var lines = Parse(Encoding.UTF8.GetBytes(xml)).Statements[0].Lines;

        Assert.Equal([-1000L, -2000], lines.Select(l => l.Amount.Minor));
        Assert.All(lines, l => Assert.True(l.IsReversal));
    }

    private const string Template = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.VERSION">
          <BkToCstmrStmt>
            <GrpHdr><MsgId>M</MsgId><CreDtTm>2025-03-04T06:00:00</CreDtTm></GrpHdr>
            <Stmt>
              <Id>S</Id>
              <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
              <Ntry>
                <Amt Ccy="EUR">12.50</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                STATUS
                <BookgDt><Dt>2025-03-03</Dt></BookgDt>
                <NtryDtls>
                  <TxDtls>
                    <Refs><EndToEndId>E-1</EndToEndId></Refs>
                    <RltdPties><Dbtr>PARTY</Dbtr></RltdPties>
                    <RmtInf><Ustrd>Invoice
                      12</Ustrd></RmtInf>
                  </TxDtls>
                </NtryDtls>
              </Ntry>
              <Ntry>
                <Amt Ccy="EUR">7.00</Amt>
                <CdtDbtInd>DBIT</CdtDbtInd>
                STATUS
                <BookgDt><Dt>2025-03-03</Dt></BookgDt>
                <NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
                  <TxDtls><Refs><TxId>T-1</TxId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">3.00</Amt></TxAmt></AmtDtls></TxDtls>
                  <TxDtls><Refs><TxId>T-2</TxId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">4.00</Amt></TxAmt></AmtDtls></TxDtls>
                </NtryDtls>
                <AddtlNtryInf>Two   payments</AddtlNtryInf>
              </Ntry>
            </Stmt>
          </BkToCstmrStmt>
        </Document>
        """;

    [Fact]
    public void Entries_without_a_bank_reference_get_the_same_ids_in_every_version_line_ending_and_indentation()
    {
        static string Version(string version, string newline, bool indent)
        {
            var v8 = version == "08";
            var xml = Template.Replace("VERSION", version, StringComparison.Ordinal)
                .Replace("STATUS", v8 ? "<Sts><Cd>BOOK</Cd></Sts>" : "<Sts>BOOK</Sts>", StringComparison.Ordinal)
                .Replace("PARTY", v8 ? "<Pty><Nm>Acme GmbH</Nm></Pty>" : "<Nm>Acme GmbH</Nm>", StringComparison.Ordinal)
                .ReplaceLineEndings(newline);
            return indent ? xml.Replace("  ", "\t    ", StringComparison.Ordinal) : xml;
        }

        string[] Ids(string xml) => [.. Parse(Encoding.UTF8.GetBytes(xml)).Statements[0].Lines.Select(l => l.LineId)];

        var reference = Ids(Version("02", "\n", indent: false));
        Assert.Equal(3, reference.Length);
        Assert.All(reference, id => Assert.StartsWith("h-", id, StringComparison.Ordinal));
        Assert.Equal(3, reference.Distinct().Count());
        Assert.Equal(reference, Ids(Version("04", "\r\n", indent: true)));
        Assert.Equal(reference, Ids(Version("08", "\r\n", indent: false)));
        Assert.Equal(reference, Ids(Version("08", "\n", indent: true)));
        Assert.NotEqual(reference, Ids(Version("02", "\n", indent: false).Replace("12.50", "12.51", StringComparison.Ordinal)));
    }

    [Fact]
    public void Public_samples_of_camt052_camt053_and_camt054_are_read()
    {
        var (report, reportFormat) = Parse(Fixture("genkgo-camt052-v2.xml"));
        var line = Assert.Single(Assert.Single(report).Lines);
        Assert.Equal(("camt052", "AAAASESS-FP-ACCR-01", -20000000L, 20), (reportFormat, line.LineId, line.Amount.Minor, line.BatchCount));
        Assert.Equal(("CH2801234000123456789", "IBAN"), (report[0].Account!.Id, report[0].Account!.Scheme));

        var (statements, statementFormat) = Parse(Fixture("genkgo-camt053-v2-multi-statement.xml"));
        Assert.Equal(("camt053", 2), (statementFormat, statements.Count));
        Assert.All(statements, s => Assert.Equal(("NL26VAYB8060476890", "IBAN"), (s.Account!.Id, s.Account.Scheme)));

        var (notification, notificationFormat) = Parse(Fixture("genkgo-camt054-v2.xml"));
        var batch = Assert.Single(Assert.Single(notification).Lines);
        Assert.Equal(("camt054", "AAAASESS-FP-ACCR001", 3), (notificationFormat, batch.EntryRef, batch.BatchCount));
    }
}
