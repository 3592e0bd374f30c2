using System.Diagnostics;
using System.Text;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// Writes a temporary file of statements of 1,000 :61: lines each (half with an ING-style keyword :86:
/// and a bank reference, half with German subfields and a hashed id) and times <see cref="Mt940Statement"/>
/// reading it through a StreamReader, as the CSV benchmark does.
/// </summary>
internal static class Mt940ParseBenchmark
{
    public static int Run(int lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lambdarecon-bench-{Environment.ProcessId}.sta");
        try
        {
            File.WriteAllText(path, Write(lines));
            Console.WriteLine($"wrote {lines:N0} :61: lines ({new FileInfo(path).Length / (1024.0 * 1024):N0} MiB) to {path}");
            return Parse(path, lines);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int Parse(string path, int lines)
    {
        var parsing = Stopwatch.StartNew();
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        if (!Mt940Statement.TryParse(reader, out var statements, out var error))
        {
            Console.Error.WriteLine($"refused: {error}");
            return 1;
        }

        parsing.Stop();
        var parsed = statements.Sum(s => s.Lines.Count);
        var seconds = parsing.Elapsed.TotalSeconds;
        Console.WriteLine($"parsed {parsed:N0} lines of {statements.Count:N0} statements in {seconds:N2} s: {parsed / seconds:N0} lines/s");
        Report.Memory();
        if (parsed != lines)
        {
            Console.Error.WriteLine($"wrong answer: {parsed} lines parsed of the {lines} written");
            return 1;
        }

        return 0;
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
