using System.Text;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

/// <summary>
/// What real banks' files do that the specifications do not say, found by running public sample files of
/// MT940 and camt parser projects (see Fixtures/README.md) through <see cref="StatementFile"/>. The fixtures
/// are excerpts written for these tests that reproduce each variant, not the banks' files themselves.
/// </summary>
public class RealWorldVariantsTests
{
    private static readonly Currency Eur = Currency.Of("EUR");

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", name));

    private static IReadOnlyList<BankStatement> Parse(byte[] content, out string detected)
    {
        Assert.True(StatementFile.TryParse(content, "auto", null, out var statements, out detected, out var error), error?.ToString());
        return statements;
    }

    [Fact]
    public void An_mt940_file_with_soh_framing_windows_1252_text_and_bank_quirks_is_read_whole()
    {
        var statements = Parse(Fixture("mt940-real-variants.sta"), out var detected);

        Assert.Equal("mt940", detected);
        Assert.Equal(2, statements.Count);
        var first = statements[0];
        Assert.Equal(new Money(57765, Eur), first.Closing!.Value.Amount);
        // Knab's whole "500", Commerzbank's space before the type and Citi's blank entry date, ING's padded "NOV ".
        Assert.Equal([50000, -1235, -1000], first.Lines.Select(l => l.Amount.Minor));
        Assert.Equal(new DateOnly(2025, 3, 3), first.Lines[1].BookingDate);
        // PostFinance's "//NONREF" is no bank reference: the line gets a content hash.
        Assert.StartsWith("h-", first.Lines[0].LineId, StringComparison.Ordinal);
        Assert.Equal("GUTSCHRIFT Müller", first.Lines[0].Description);
        // A :86: wrapped before ':' and before '-' continues; the :NS: field is skipped.
        var wrapped = first.Lines[1];
        Assert.Equal(("REF-A", "E2E-7", "ACME GMBH"), (wrapped.LineId, wrapped.EndToEndId, wrapped.Counterparty));
        Assert.Equal("Rechnung 7 Kunden:KO:NR:4711 Vertrags-Nr. 1000620785", wrapped.Reference);
        Assert.Equal("AFREKENING BETALINGSVERKEER", first.Lines[2].Description);
        // The same bank reference on the other account's side of the transfer is that account's line.
        Assert.Equal("REF-A", Assert.Single(statements[1].Lines).LineId);
    }

    [Fact]
    public void A_bank_reference_repeated_within_one_account_is_still_refused()
    {
        var text = """
            :20:S1
            :25:123456789
            :60F:C250301EUR0,00
            :61:2503030303C1,00NTRFNONREF//REF-A
            :61:2503030303C1,00NTRFNONREF//REF-A
            :62F:C250303EUR2,00
            -
            """;

        Assert.False(StatementFile.TryParse(Encoding.UTF8.GetBytes(text), "auto", null, out _, out _, out var error));
        Assert.Contains("bank reference 'REF-A' repeats the line on line 4", error!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ABNANL2A\r\n940\r\nABNANL2A\r\n")]
    [InlineData("0000 01INGBNL2AXXXX00001\n0000 01INGBNL2AXXXX00001\n940 00\n")]
    [InlineData("\u0001\n")]
    public void Bank_header_lines_before_the_first_tag_are_detected_as_mt940_and_skipped(string header)
    {
        var text = header + ":20:S1\n:25:123456789\n:60F:C250301EUR0,00\n:61:2503030303C1,00NTRFNONREF\n:62F:C250303EUR1,00\n-\n";

        var statement = Assert.Single(Parse(Encoding.UTF8.GetBytes(text), out var detected));

        Assert.Equal("mt940", detected);
        Assert.Equal(100, Assert.Single(statement.Lines).Amount.Minor);
    }

    [Fact]
    public void An_mt940_file_whose_balances_do_not_add_up_is_refused_naming_the_statement_and_the_difference()
    {
        // As in several published samples whose amounts were anonymised but not their balances.
        var text = ":20:S1\n:25:TRIODOSBANK/0390123456\n:28:1\n:60F:C110101EUR4975,09\n:61:110101D15,70N000NONREF\n:62F:C110201EUR4370,79\n-\n";

        Assert.False(StatementFile.TryParse(Encoding.UTF8.GetBytes(text), "auto", null, out _, out _, out var error));
        Assert.Equal(6, error!.Line);
        Assert.Equal("statement 'S1' of account TRIODOSBANK/0390123456 no. 1 does not balance: opening 4975.09 EUR + lines -15.70 EUR = 4959.39 EUR, but the closing balance is 4370.79 EUR (a difference of -588.60 EUR)", error.Reason);
    }

    private static string Camt(string opening, string closing) => $"""
        <?xml version='1.0' encoding='utf-8'?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-07T19:47:17.828+02:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id><Acct><Id><Othr><Id>LT000000000000000001</Id></Othr></Id><Ccy>EUR</Ccy></Acct>{opening}{closing}<Ntry><NtryRef>R1</NtryRef><Amt Ccy="EUR">0.2</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-07</Dt></BookgDt><AcctSvcrRef>REF1</AcctSvcrRef></Ntry></Stmt></BkToCstmrStmt></Document>
        """;

    private static string Balance(string code, string amount, string indicator = "") =>
        $"""<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt>{indicator}<Dt><Dt>2024-03-07</Dt></Dt></Bal>""";

    [Fact]
    public void A_camt_balance_without_its_credit_debit_indicator_is_a_credit_checked_by_the_balance_rule()
    {
        var statement = Assert.Single(Parse(Encoding.UTF8.GetBytes(Camt(Balance("OPBD", "100.00"), Balance("CLBD", "99.80"))), out var detected));

        Assert.Equal("camt053", detected);
        Assert.Equal((10000L, 9980L), (statement.Opening!.Value.Amount.Minor, statement.Closing!.Value.Amount.Minor));

        // A debit balance left without its indicator is read as a credit, and then cannot add up.
        var debit = Camt(Balance("OPBD", "100.20"), Balance("CLBD", "100.40", "<CdtDbtInd>DBIT</CdtDbtInd>"));
        Assert.False(StatementFile.TryParse(Encoding.UTF8.GetBytes(debit), "auto", null, out _, out _, out var error));
        Assert.Contains("does not balance", error!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bai2_account_record_with_an_empty_summary_group_before_its_first_type_code_is_read()
    {
        // Goldman Sachs writes "03,account,USD,,,,,060,…": an empty type code, amount, item count and funds type.
        var text = """
            01,GSBI,cont001,210706,1249,1,,,2/
            02,cont001,026015079,1,230906,2000,,/
            03,107049932,USD,,,,,060,6865898,,,100,60000,1,,400,000,0,/
            16,447,60000,,SPB1,1111,ACH Credit Payment/
            49,6985898,3/
            98,6985898,1,5/
            99,6985898,1,7/
            """;

        var statement = Assert.Single(Parse(Encoding.UTF8.GetBytes(text), out var detected));

        Assert.Equal("bai2", detected);
        Assert.Equal(-60000, Assert.Single(statement.Lines).Amount.Minor); // 447 is a debit type code
    }

    [Fact]
    public void A_bai2_group_holding_a_value_without_a_type_code_is_still_refused()
    {
        var text = "01,GSBI,cont001,210706,1249,1,,,2/\n02,cont001,026015079,1,230906,2000,,/\n03,107049932,USD,,500,,,060,6865898,,,/\n49,6866398,2/\n98,6866398,1,4/\n99,6866398,1,6/\n";

        Assert.False(StatementFile.TryParse(Encoding.UTF8.GetBytes(text), "auto", null, out _, out _, out var error));
        Assert.Contains("holds a value but has no type code", error!.Reason, StringComparison.Ordinal);
    }
}
