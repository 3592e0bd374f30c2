using System.Diagnostics;
using System.Globalization;
using System.Text;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>Writes a generic-mapping CSV of <c>lines</c> lines to a temporary file and times parsing it.</summary>
internal static class ParseBenchmark
{
    public static void Run(int lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lambdarecon-bench-{Environment.ProcessId}.csv");
        try
        {
            Write(path, lines);
            var bytes = new FileInfo(path).Length;
            Console.WriteLine($"wrote {lines:N0} lines ({bytes / (1024.0 * 1024):N0} MiB) to {path}");

            var parsing = Stopwatch.StartNew();
            using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            if (!CsvStatement.TryParse(reader, CsvMapping.Generic, out var parsed, out var error))
            {
                Console.Error.WriteLine($"refused: {error}");
                Environment.ExitCode = 1;
                return;
            }

            parsing.Stop();
            var seconds = parsing.Elapsed.TotalSeconds;
            Console.WriteLine($"parsed {parsed.Count:N0} lines in {seconds:N2} s: {parsed.Count / seconds:N0} lines/s, {bytes / (1024.0 * 1024) / seconds:N0} MiB/s");
            Report.Memory();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Write(string path, int lines)
    {
        var random = new Random(20250303);
        var start = new DateOnly(2025, 1, 1);
        using var writer = new StreamWriter(path, append: false, Encoding.UTF8, bufferSize: 1 << 16);
        writer.WriteLine("Date,Value Date,Amount,Currency,Reference,Counterparty,Description");
        for (var i = 0; i < lines; i++)
        {
            var booked = start.AddDays(random.Next(365));
            var amount = random.Next(-10_000_000, 10_000_000);
            writer.Write(booked.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(booked.AddDays(random.Next(3)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            var magnitude = Math.Abs(amount);
            writer.Write(string.Create(CultureInfo.InvariantCulture, $",{(amount < 0 ? "-" : "")}{magnitude / 100}.{magnitude % 100:D2},EUR,INV-{i:D8},"));
            // Every tenth counterparty needs quoting, as real exports have commas in names.
            writer.WriteLine(i % 10 == 0 ? "\"Acme, GmbH\",\"Invoice \"\"March\"\"\"" : "Globex Corporation,Card payment");
        }
    }
}
