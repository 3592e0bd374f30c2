using System.Globalization;
using System.Text;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// Writes a camt.053.001.08 file, indented as banks send it, of statements of 1,000 lines each with
/// opening and closing balances (so the balance check runs): entries with a bank reference and one
/// TxDtls, entries without (hashed ids), and every tenth a batch of four TxDtls with their amounts
/// (four lines, summed against the entry). <see cref="CamtStatement"/> reads it from its bytes in memory,
/// as the API has them (the file is read once, before the clock starts). A file holds at most 64 Mi
/// characters, so a run of more lines parses the same file several times.
/// </summary>
internal static class CamtParseBenchmark
{
    private const int LinesPerFile = 40_000;

    public static int Run(int lines) =>
        StatementParseRuns.Run("xml", lines, LinesPerFile, Write, static (byte[] content, out IReadOnlyList<BankStatement> statements, out StatementError? error) =>
            CamtStatement.TryParse(content, "camt053", out statements, out _, out error));

    private static string Write(int lines)
    {
        var text = new StringBuilder();
        text.Append("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
              <BkToCstmrStmt>
                <GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2025-03-04T06:00:00+01:00</CreDtTm></GrpHdr>

            """);
        var written = 0;
        for (var statement = 0; written < lines; statement++)
        {
            var body = new StringBuilder();
            var inStatement = 0;
            var sum = 0L;
            for (var entry = 0; inStatement < 1000 && written < lines; entry++)
            {
                var n = written;
                if (entry % 10 == 9 && lines - written >= 4 && 1000 - inStatement >= 4)
                {
                    body.Append(CultureInfo.InvariantCulture, $"""
                              <Ntry>
                                <Amt Ccy="EUR">100.00</Amt>
                                <CdtDbtInd>CRDT</CdtDbtInd>
                                <Sts><Cd>BOOK</Cd></Sts>
                                <BookgDt><Dt>2025-03-03</Dt></BookgDt>
                                <ValDt><Dt>2025-03-03</Dt></ValDt>
                                <AcctSvcrRef>BATCH-{n}</AcctSvcrRef>
                                <NtryDtls>
                                  <Btch><PmtInfId>PMT-{n}</PmtInfId><NbOfTxs>4</NbOfTxs></Btch>

                        """);
                    for (var t = 0; t < 4; t++)
                    {
                        body.Append(CultureInfo.InvariantCulture, $"""
                                      <TxDtls>
                                        <Refs><EndToEndId>E2E-{n}-{t}</EndToEndId></Refs>
                                        <Amt Ccy="EUR">25.00</Amt>
                                        <RltdPties><Dbtr><Pty><Nm>Customer {n + t}</Nm></Pty></Dbtr></RltdPties>
                                        <RmtInf><Ustrd>Invoice {n + t}</Ustrd></RmtInf>
                                      </TxDtls>

                            """);
                    }

                    body.Append("        </NtryDtls>\n      </Ntry>\n");
                    (written, inStatement, sum) = (written + 4, inStatement + 4, sum + 10000);
                    continue;
                }

                var credit = entry % 2 == 0;
                body.Append(CultureInfo.InvariantCulture, $"""
                          <Ntry>
                            <Amt Ccy="EUR">{(credit ? "12.34" : "2.34")}</Amt>
                            <CdtDbtInd>{(credit ? "CRDT" : "DBIT")}</CdtDbtInd>
                            <Sts><Cd>BOOK</Cd></Sts>
                            <BookgDt><Dt>2025-03-03</Dt></BookgDt>
                            <ValDt><Dt>2025-03-03</Dt></ValDt>

                    """);
                if (credit)
                {
                    body.Append(CultureInfo.InvariantCulture, $"""
                                <AcctSvcrRef>REF-{n}</AcctSvcrRef>
                                <NtryDtls><TxDtls>
                                  <Refs><EndToEndId>E2E-{n}</EndToEndId></Refs>
                                  <RltdPties><Dbtr><Pty><Nm>Acme GmbH</Nm></Pty></Dbtr></RltdPties>
                                  <RmtInf><Ustrd>Invoice {n}</Ustrd></RmtInf>
                                </TxDtls></NtryDtls>

                        """);
                }
                else
                {
                    body.Append(CultureInfo.InvariantCulture, $"""
                                <NtryDtls><TxDtls>
                                  <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
                                  <RltdPties><Cdtr><Pty><Nm>Stadtwerke Musterstadt</Nm></Pty></Cdtr></RltdPties>
                                  <RmtInf><Strd><CdtrRefInf><Ref>RF18{n}</Ref></CdtrRefInf></Strd></RmtInf>
                                </TxDtls></NtryDtls>
                                <AddtlNtryInf>SEPA direct debit {n}</AddtlNtryInf>

                        """);
                }

                body.Append("      </Ntry>\n");
                (written, inStatement, sum) = (written + 1, inStatement + 1, sum + (credit ? 1234 : -234));
            }

            var closing = sum;
            text.Append(CultureInfo.InvariantCulture, $"""
                    <Stmt>
                      <Id>STMT-{statement}</Id>
                      <ElctrncSeqNb>{statement}</ElctrncSeqNb>
                      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
                      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-02</Dt></Dt></Bal>
                      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{Math.Abs(closing) / 100}.{Math.Abs(closing) % 100:D2}</Amt><CdtDbtInd>{(closing < 0 ? "DBIT" : "CRDT")}</CdtDbtInd><Dt><Dt>2025-03-03</Dt></Dt></Bal>

                """);
            text.Append(body).Append("    </Stmt>\n");
        }

        return text.Append("  </BkToCstmrStmt>\n</Document>\n").ToString();
    }
}
