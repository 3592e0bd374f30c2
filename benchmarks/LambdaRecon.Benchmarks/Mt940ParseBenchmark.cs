using System.Text;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// Writes a temporary file of statements of 1,000 :61: lines each (half with an ING-style keyword :86:
/// and a bank reference, half with German subfields and a hashed id) and times <see cref="Mt940Statement"/>
/// reading it from its bytes in memory, as the API and the CLI have them (see StatementFile). Like the
/// camt benchmark, a run of more lines than a file of a realistic size parses the same file several
/// times; --lines-per-file 1000000 times one file of a million lines instead, where keeping every
/// line of the file alive (1 GiB) makes garbage collection a large part of the time.
/// </summary>
internal static class Mt940ParseBenchmark
{
    public static int Run(int lines, int linesPerFile) =>
        StatementParseRuns.Run("sta", lines, linesPerFile, Write, static (byte[] content, out IReadOnlyList<BankStatement> statements, out StatementError? error) =>
        {
            using var reader = new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
            return Mt940Statement.TryParse(reader, out statements, out error);
        });

    private static string Write(int lines)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            if (i % 1000 == 0)
            {
                text.Append(":20:STMT-").Append(i).Append("\n:25:NL20INGB0001234567EUR\n:28C:").Append(i / 1000).Append("\n:60F:C250301EUR0,\n");
            }

            if (i % 2 == 0)
            {
                text.Append(":61:2503010301C12,34NTRFEREF//B").Append(i).Append("\n/TRCD/00100/\n:86:/EREF/E2E-").Append(i)
                    .Append("//CNTP/NL91ABNA0417164300/ABNANL2A/ACME BV/AMSTERDAM/REMI/USTD//Invoice ").Append(i).Append("/\n");
            }
            else
            {
                text.Append(":61:2503010301D2,34NDDTNONREF\n:86:105?00SEPA-LASTSCHRIFT?20EREF+E2E-").Append(i)
                    .Append("?21SVWZ+Abo Kundennr ").Append(i).Append("?32Stadtwerke Musterstadt\n");
            }

            if (i % 1000 == 999 || i == lines - 1)
            {
                var count = (i % 1000) + 1;
                var credits = (count + 1) / 2;
                var closing = (credits * 1234L) - ((count - credits) * 234L);
                text.Append(":62F:").Append(closing < 0 ? 'D' : 'C').Append("250301EUR").Append(Math.Abs(closing) / 100).Append(',')
                    .Append((Math.Abs(closing) % 100).ToString("D2", System.Globalization.CultureInfo.InvariantCulture)).Append("\n-\n");
            }
        }

        return text.ToString();
    }
}
