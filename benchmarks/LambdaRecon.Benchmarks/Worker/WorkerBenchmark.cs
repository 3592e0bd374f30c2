using System.Diagnostics;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Posting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace LambdaRecon.Benchmarks.Worker;

/// <summary>
/// The ledger worker's handler alone, through the Stream entry Lambda calls: pre-built SQS events of ten
/// transfers each, as JSON, from 1, 2 and 4 concurrent invocations (the event source mapping runs one per
/// FIFO group at most). The transactions are recorded ACCEPTED beforehand, as the API does.
/// </summary>
public static class WorkerBenchmark
{
    private const int BatchSize = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        var batches = options.Number("batches", 2_000);
        var accountCount = options.Number("accounts", 10_000);
        var connectionString = Environment.GetEnvironmentVariable("DATABASE_URL")
            ?? throw new InvalidOperationException("DATABASE_URL is not set: run through ./bench.sh worker");

        // Built as the engine builds it (prepared statements on), as the worker function does.
        await using var dataSource = LambdaRecon.Infrastructure.EngineResources.DataSourceBuilder(connectionString).Build();
        // No logger: the handler's one Information line per batch would measure the console, not the worker.
        var handler = new SqsBatchHandler(new LedgerStore(dataSource), new EmbeddedMetrics("LedgerWorkerFunction", "benchmark", () => TextWriter.Null), NullLogger<SqsBatchHandler>.Instance);
        var run = "w" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, accountCount).Select(i => $"{run}-{i}").ToArray();
        // No overdraft limit: every transfer posts, so the numbers measure posting, not refusals.
        await using (var create = dataSource.CreateCommand(
            "INSERT INTO accounts (id, currency, kind, overdraft_limit) SELECT unnest(@ids), 'USD', 'customer', NULL"))
        {
            create.Parameters.AddWithValue("ids", ids);
            await create.ExecuteNonQueryAsync();
        }

        var random = new Random(42);
        // JIT, connection pool and plan caches warmed before anything is timed.
        await InvokeAllAsync(handler, (await PrepareAsync(dataSource, ids, 50, random)).Events, concurrency: 2);

        Console.WriteLine("| concurrent invocations | batches of 10 | transfers | transfers/s | p50 invocation ms | p99 invocation ms | PostgreSQL CPU ms per transfer | handler CPU ms per transfer |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var concurrency in new[] { 1, 2, 4 })
        {
            var (events, transactionIds) = await PrepareAsync(dataSource, ids, batches, random);
            var cpuBefore = CpuByProcess.Sample();
            var total = Stopwatch.StartNew();
            var latencies = await InvokeAllAsync(handler, events, concurrency);
            var cpuAfter = CpuByProcess.Sample();
            var transfers = batches * BatchSize;
            var perSecond = transfers * Stopwatch.Frequency / Math.Max(1, total.ElapsedTicks);
            await AssertAllPostedAsync(dataSource, transactionIds);
            Console.WriteLine(
                $"| {concurrency} | {batches} | {transfers} | {perSecond:N0} | {Percentiles.Ms(latencies, 50)} | {Percentiles.Ms(latencies, 99)} | {Ledger.LedgerBenchmark.PostgresMs(cpuBefore, cpuAfter, transfers)} | {((decimal)(cpuAfter["server (.NET)"] - cpuBefore["server (.NET)"]).TotalMilliseconds / transfers):0.000} |");
        }

        return 0;
    }

    /// <summary>The SQS events, serialized up front, of transfers already recorded as ACCEPTED.</summary>
    private static async Task<(List<byte[]> Events, Guid[] TransactionIds)> PrepareAsync(NpgsqlDataSource dataSource, string[] ids, int batches, Random random)
    {
        var transfers = new List<TransactionRecord>(batches * BatchSize);
        for (var i = 0; i < batches * BatchSize; i++)
        {
            var from = random.Next(ids.Length);
            var to = (from + 1 + random.Next(ids.Length - 1)) % ids.Length;
            transfers.Add(new TransactionRecord(TransactionRecord.NewId(), TransactionType.Transfer, random.Next(1, 10_000), "USD", ids[from], ids[to]));
        }

        await LambdaRecon.Benchmarks.Ledger.LedgerBenchmark.RecordAcceptedAsync(dataSource, transfers);
        var events = transfers.Chunk(BatchSize)
            .Select(batch => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
                new SqsEvent { Records = batch.Select(ToRecord).ToArray() }, LambdaJsonContext.Default.SqsEvent))
            .ToList();
        return (events, transfers.Select(t => t.Id).ToArray());
    }

    // An empty batch response also means FAILED by the rules: only the ledger says that every one posted.
    private static async Task AssertAllPostedAsync(NpgsqlDataSource dataSource, Guid[] transactionIds)
    {
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM transactions WHERE id = ANY(@ids) AND status = 'POSTED'");
        count.Parameters.AddWithValue("ids", transactionIds);
        if ((long)(await count.ExecuteScalarAsync())! != transactionIds.Length)
        {
            throw new InvalidOperationException("a benchmark transfer did not post");
        }
    }

    private static async Task<List<long>> InvokeAllAsync(SqsBatchHandler handler, List<byte[]> events, int concurrency)
    {
        var latencies = new List<long>(events.Count);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < events.Count)
            {
                var watch = Stopwatch.StartNew();
                await using var output = await handler.HandleAsync(new MemoryStream(events[index], writable: false), CancellationToken.None);
                var response = await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.SqsBatchResponse);
                var micros = watch.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
                if (response.BatchItemFailures.Count > 0)
                {
                    throw new InvalidOperationException($"{response.BatchItemFailures.Count} messages of a benchmark batch failed");
                }

                lock (latencies)
                {
                    latencies.Add(micros);
                }
            }
        })));
        return latencies;
    }

    // What TransactionPublisher sends and the event source mapping delivers: group = source account, dedup = transaction id.
    private static SqsMessage ToRecord(TransactionRecord transaction, int index) => new()
    {
        MessageId = Guid.NewGuid().ToString(),
        ReceiptHandle = "AQEB" + Guid.NewGuid().ToString("N"),
        Body = TransactionMessage.From(transaction).ToJson(),
        Attributes = new Dictionary<string, string>
        {
            ["ApproximateReceiveCount"] = "1",
            ["SentTimestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MessageGroupId"] = transaction.SourceAccountId,
            ["MessageDeduplicationId"] = transaction.Id.ToString("N"),
            ["SequenceNumber"] = (18_898_731_522_873_556_992m + index).ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        EventSource = "aws:sqs",
        EventSourceArn = "arn:aws:sqs:us-east-1:000000000000:transactions.fifo",
        AwsRegion = "us-east-1",
    };
}
