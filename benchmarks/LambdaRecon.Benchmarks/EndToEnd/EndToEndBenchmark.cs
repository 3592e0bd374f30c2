using System.Diagnostics;
using LambdaRecon.Benchmarks.Api;
using LambdaRecon.Infrastructure;
using LambdaRecon.LedgerWorker.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Benchmarks.EndToEnd;

/// <summary>
/// POST through the API on Kestrel → SQS emulator → the local poller → the worker's Stream entry
/// point → POSTED, all on this machine: settled transactions per second, and the time from
/// acceptance to posting as PostgreSQL recorded them (accepted_at → posted_at).
/// </summary>
public static class EndToEndBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        var clients = options.Number("clients", 16);
        var requests = options.Number("requests", 5_000);
        var port = options.Number("port", 3098);

        await using var app = await ApiLoadBenchmark.StartAsync(port);
        var resources = app.Services.GetRequiredService<EngineResources>();

        // The worker as Lambda would run it: its own Function, fed by the poller the local runner uses.
        var worker = new LambdaRecon.LedgerWorker.Function();
        using var stop = new CancellationTokenSource();
        var poller = new SqsPoller(resources.Sqs, resources.Settings.QueueUrl, worker.HandleAsync,
            app.Services.GetRequiredService<ILogger<SqsPoller>>())
        { WaitTimeSeconds = 1 };
        var polling = Task.Run(() => poller.RunAsync(stop.Token));

        using var http = await ApiLoadBenchmark.ClientAsync(app, port, clients);
        var run = "e" + Guid.NewGuid().ToString("N")[..8];
        var (sources, destinations) = await ApiLoadBenchmark.OpenAccountsAsync(http, run);
        var total = Stopwatch.StartNew();
        var (_, _, failures) = await ApiLoadBenchmark.LoadAsync(http, run, sources, destinations, clients, requests);
        var accepted = total.Elapsed;

        // Wait for the worker to settle everything (bounded: a benchmark stops by itself).
        long settled = 0;
        while (total.Elapsed < accepted + TimeSpan.FromMinutes(5))
        {
            await using var count = resources.DataSource.CreateCommand(
                "SELECT count(*) FROM transactions WHERE idempotency_key LIKE @run AND status <> 'ACCEPTED'");
            count.Parameters.AddWithValue("run", run + "-%");
            settled = (long)(await count.ExecuteScalarAsync())!;
            if (settled >= requests - failures)
            {
                break;
            }

            await Task.Delay(200);
        }

        var elapsed = total.Elapsed;
        await stop.CancelAsync();
        await polling.ContinueWith(_ => { }, TaskScheduler.Default);

        await using var latency = resources.DataSource.CreateCommand(
            """
            SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), percentile_disc(0.99) WITHIN GROUP (ORDER BY ms)
              FROM (SELECT (extract(epoch FROM coalesce(posted_at, failed_at) - accepted_at) * 1000)::bigint AS ms
                      FROM transactions WHERE idempotency_key LIKE @run AND status <> 'ACCEPTED') x
            """);
        latency.Parameters.AddWithValue("run", run + "-%");
        await using var reader = await latency.ExecuteReaderAsync();
        await reader.ReadAsync();
        Console.WriteLine("| clients | requests | accepted in s | settled | settled/s | p50 202→POSTED ms | p99 202→POSTED ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(
            $"| {clients} | {requests} | {accepted.TotalSeconds:N1} | {settled} | {(long)(settled / elapsed.TotalSeconds):N0} | {reader.GetInt64(0)} | {reader.GetInt64(1)} |");
        await app.StopAsync();
        return settled == requests ? 0 : 1;
    }
}
