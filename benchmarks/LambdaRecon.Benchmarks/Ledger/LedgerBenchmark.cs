using System.Diagnostics;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using Npgsql;

namespace LambdaRecon.Benchmarks.Ledger;

/// <summary>
/// Posts N transfers through LedgerStore at batch sizes 1, 10, 100 and 1000, with uniform accounts
/// and with one hot account on one side of half the transfers, from several connections at once.
/// </summary>
public static class LedgerBenchmark
{
    private static readonly int[] BatchSizes = [1, 10, 100, 1000];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        var transfers = options.Number("transfers", 50_000);
        var accountCount = options.Number("accounts", 100_000);
        var concurrency = options.Number("concurrency", 4);
        var only = options.Number("batch", 0);
        var connectionString = Environment.GetEnvironmentVariable("DATABASE_URL")
            ?? throw new InvalidOperationException("DATABASE_URL is not set: run through ./bench.sh ledger");

        // Built as the engine builds it (prepared statements on), so the store costs what it costs in the worker.
        await using var dataSource = LambdaRecon.Infrastructure.EngineResources.DataSourceBuilder(connectionString).Build();
        var store = new LedgerStore(dataSource);
        var run = "b" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, accountCount).Select(i => $"{run}-{i}").ToArray();
        // No overdraft limit: every transfer posts, so the numbers measure posting, not refusals.
        await using (var create = dataSource.CreateCommand(
            "INSERT INTO accounts (id, currency, kind, overdraft_limit) SELECT unnest(@ids), 'USD', 'customer', NULL"))
        {
            create.Parameters.AddWithValue("ids", ids);
            await create.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"| batch | accounts | transfers | transfers/s | p50 batch ms | p99 batch ms | PostgreSQL CPU ms per transfer |");
        Console.WriteLine($"|---:|---|---:|---:|---:|---:|---:|");
        foreach (var batchSize in BatchSizes.Where(size => only == 0 || size == only))
        {
            foreach (var hot in new[] { false, true })
            {
                // Batch size 1 is one commit per transfer: a tenth of the transfers tells the same story.
                var count = batchSize == 1 ? transfers / 10 : transfers;
                var cpuBefore = CpuByProcess.Sample();
                var (perSecond, latencies) = await PostAsync(dataSource, store, ids, count, batchSize, hot, concurrency);
                var cpuAfter = CpuByProcess.Sample();
                Console.WriteLine(
                    $"| {batchSize} | {(hot ? "hot (50% on one)" : "uniform")} | {count} | {perSecond:N0} | {Percentiles.Ms(latencies, 50)} | {Percentiles.Ms(latencies, 99)} | {PostgresMs(cpuBefore, cpuAfter, count)} |");
            }
        }

        return 0;
    }

    /// <summary>PostgreSQL's CPU (postmaster and backends) per transfer between two samples: its cost, whatever else runs.</summary>
    internal static string PostgresMs(Dictionary<string, TimeSpan> before, Dictionary<string, TimeSpan> after, long transfers) =>
        ((decimal)(after.GetValueOrDefault("PostgreSQL") - before.GetValueOrDefault("PostgreSQL")).TotalMilliseconds / Math.Max(1, transfers)).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<(long PerSecond, List<long> LatenciesMicroseconds)> PostAsync(
        NpgsqlDataSource dataSource, LedgerStore store, string[] ids, int count, int batchSize, bool hot, int concurrency)
    {
        var random = new Random(batchSize * 2 + (hot ? 1 : 0));
        var batches = new List<TransactionRecord[]>();
        for (var done = 0; done < count; done += batchSize)
        {
            var batch = new TransactionRecord[Math.Min(batchSize, count - done)];
            for (var i = 0; i < batch.Length; i++)
            {
                var from = hot && random.Next(2) == 0 ? 0 : random.Next(1, ids.Length);
                var to = random.Next(1, ids.Length);
                to = to == from ? (to % (ids.Length - 1)) + 1 : to;
                batch[i] = new TransactionRecord(TransactionRecord.NewId(), TransactionType.Transfer, random.Next(1, 10_000), "USD", ids[from], ids[to]);
            }

            batches.Add(batch);
        }

        // The API records each transaction as ACCEPTED before the worker posts it: do the same, untimed.
        await RecordAcceptedAsync(dataSource, batches.SelectMany(b => b));

        var latencies = new List<long>(batches.Count);
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < batches.Count)
            {
                var watch = Stopwatch.StartNew();
                var outcomes = await store.PostBatchAsync(batches[index], CancellationToken.None);
                var micros = watch.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
                if (outcomes.Any(o => o.Status != TransactionStatus.Posted))
                {
                    throw new InvalidOperationException("a benchmark transfer did not post");
                }

                lock (latencies)
                {
                    latencies.Add(micros);
                }
            }
        })));
        var perSecond = count * Stopwatch.Frequency / Math.Max(1, total.ElapsedTicks);
        return (perSecond, latencies);
    }

    /// <summary>Records transactions as ACCEPTED, as the API does before the worker posts them (one binary COPY).</summary>
    internal static async Task RecordAcceptedAsync(NpgsqlDataSource dataSource, IEnumerable<TransactionRecord> transactions)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var import = await connection.BeginBinaryImportAsync(
            "COPY transactions (id, type, amount, currency, source_account_id, destination_account_id) FROM STDIN (FORMAT BINARY)");
        foreach (var t in transactions)
        {
            await import.StartRowAsync();
            await import.WriteAsync(t.Id);
            await import.WriteAsync("transfer");
            await import.WriteAsync(t.Amount);
            await import.WriteAsync(t.Currency);
            await import.WriteAsync(t.SourceAccountId);
            await import.WriteAsync(t.DestinationAccountId);
        }

        var rows = await import.CompleteAsync();
        if (rows != (ulong)transactions.Count())
        {
            throw new InvalidOperationException($"COPY wrote {rows} rows");
        }
    }
}
