using System.Diagnostics;
using System.Globalization;
using System.Text;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>Writes a generic-mapping CSV of <c>lines</c> lines to a temporary file and times parsing it.</summary>
internal static class ParseBenchmark
{
    /// <summary>
    /// With <paramref name="importTo"/>, also stores the parsed lines through StatementStore into
    /// PostgreSQL (an EUR account of its own), the path the API and `./run.sh import-statement` take.
    /// </summary>
    /// <returns>The exit code: 1 when the file is refused or a line is lost on the way.</returns>
    public static int Run(int lines, string? importTo = null)
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
                return 1;
            }

            parsing.Stop();
            var seconds = parsing.Elapsed.TotalSeconds;
            Console.WriteLine($"parsed {parsed.Count:N0} lines in {seconds:N2} s: {parsed.Count / seconds:N0} lines/s, {bytes / (1024.0 * 1024) / seconds:N0} MiB/s");
            Report.Memory();
            if (parsed.Count != lines)
            {
                Console.Error.WriteLine($"wrong answer: {parsed.Count} lines parsed of the {lines} written");
                return 1;
            }

            return importTo is null ? 0 : Import(importTo, File.ReadAllBytes(path), parsed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int Import(string connectionString, byte[] file, IReadOnlyList<StatementLine> parsed)
    {
        // One connection, so that the server process whose CPU time is read is the one that imports.
        using var dataSource = Npgsql.NpgsqlDataSource.Create(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 1 }.ConnectionString);
        var account = "imp-" + Guid.NewGuid().ToString("N")[..8];
        int backend;
        using (var create = dataSource.CreateCommand("INSERT INTO accounts (id, currency) VALUES (@id, 'EUR') RETURNING pg_backend_pid()"))
        {
            create.Parameters.AddWithValue("id", account);
            backend = (int)create.ExecuteScalar()!;
        }

        var statement = new BankStatement(1, null, null, null, null, null, null, IsInterim: false, parsed);
        var (serverBefore, clientBefore) = (ServerCpu(backend), Environment.CpuUsage.TotalTime);
        var importing = Stopwatch.StartNew();
        var import = new LambdaRecon.Infrastructure.Reconciliation.StatementStore(dataSource)
            .ImportAsync("csv:generic", file, [new(0, statement, account)], "benchmark", CancellationToken.None).GetAwaiter().GetResult();
        importing.Stop();
        var (server, client) = (ServerCpu(backend) - serverBefore, Environment.CpuUsage.TotalTime - clientBefore);
        var seconds = importing.Elapsed.TotalSeconds;
        Console.WriteLine($"imported {import.Imported:N0} lines into PostgreSQL in {seconds:N2} s: {import.Imported / seconds:N0} lines/s (binary COPY, one transaction)");
        // Wall time on a shared machine says more about the other processes than about the import; CPU time
        // says what it costs: the client and the server work at the same time, so on two free cores the
        // import takes about the larger of the two.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cpu: server {server.TotalSeconds:N2} s, client {client.TotalSeconds:N2} s; {import.Imported / Math.Max(server.TotalSeconds, client.TotalSeconds):N0} lines per second of the busier side; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        using var stored = dataSource.CreateCommand("SELECT count(*) FROM external_records WHERE account_id = @id");
        stored.Parameters.AddWithValue("id", account);
        var rows = (long)stored.ExecuteScalar()!;
        if (import.Imported != parsed.Count || rows != parsed.Count)
        {
            Console.Error.WriteLine($"wrong answer: {import.Imported} imported and {rows} stored of {parsed.Count} parsed lines");
            return 1;
        }

        return 0;
    }

    /// <summary>The CPU time a local PostgreSQL server process has used (user + system, /proc/PID/stat fields 14 and 15, in clock ticks of 10 ms).</summary>
    private static TimeSpan ServerCpu(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return TimeSpan.FromMilliseconds(10 * (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)));
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
