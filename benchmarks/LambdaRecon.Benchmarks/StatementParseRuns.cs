using System.Diagnostics;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// Times a statement parser the way the API has a file: written once, read into memory, then parsed
/// as many times as it takes to reach the lines asked for, each run checked to return every line.
/// Prints wall time and the process's CPU time: the parse is single-threaded, so on a machine shared
/// with other work the wall clock counts the waits for a core too, the CPU time (GC and JIT threads
/// included) does not.
/// </summary>
internal static class StatementParseRuns
{
    public delegate bool Parser(byte[] content, out IReadOnlyList<BankStatement> statements, out StatementError? error);

    public static int Run(string extension, int lines, int linesPerFile, Func<int, string> write, Parser parse)
    {
        var perFile = Math.Min(lines, linesPerFile);
        var runs = (lines + perFile - 1) / perFile;
        var path = Path.Combine(Path.GetTempPath(), $"lambdarecon-bench-{Environment.ProcessId}.{extension}");
        try
        {
            File.WriteAllText(path, write(perFile));
            Console.WriteLine($"wrote {perFile:N0} lines ({new FileInfo(path).Length / (1024.0 * 1024):N1} MiB) to {path}; parsing it {runs} time(s)");
            var content = File.ReadAllBytes(path);
            using var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var parsing = Stopwatch.StartNew();
            var (parsed, statementCount) = (0, 0);
            for (var run = 0; run < runs; run++)
            {
                if (!parse(content, out var statements, out var error))
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
}
