using System.Diagnostics;
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
    public static int Run(int lines, int linesPerFile)
    {
        var perFile = Math.Min(lines, linesPerFile);
        var runs = (lines + perFile - 1) / perFile;
        var path = Path.Combine(Path.GetTempPath(), $"lambdarecon-bench-{Environment.ProcessId}.sta");
        try
        {
            File.WriteAllText(path, Write(perFile));
            Console.WriteLine($"wrote {perFile:N0} :61: lines ({new FileInfo(path).Length / (1024.0 * 1024):N1} MiB) to {path}; parsing it {runs} time(s)");
            var content = File.ReadAllBytes(path);
            using var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var parsing = Stopwatch.StartNew();
            var (parsed, statementCount) = (0, 0);
            for (var run = 0; run < runs; run++)
            {
                using var reader = new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
                if (!Mt940Statement.TryParse(reader, out var statements, out var error))
                {
                    Console.Error.WriteLine($"refused: {error}");
                    return 1;
                }

                var count = statements.Sum(s => s.Lines.Count);
                if (count != perFile)
                {
                    Console.Error.WriteLine($"wrong answer: {count} lines parsed of the {perFile} written");
                    return 1;
                }

                (parsed, statementCount) = (parsed + count, statementCount + statements.Count);
            }

            parsing.Stop();
            process.Refresh();
            var seconds = parsing.Elapsed.TotalSeconds;
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            Console.WriteLine($"parsed {parsed:N0} lines of {statementCount:N0} statements in {seconds:N2} s: {parsed / seconds:N0} lines/s");
            Console.WriteLine($"CPU time {cpu:N2} s: {parsed / cpu:N0} lines per CPU second");
            Report.Memory();
            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

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
