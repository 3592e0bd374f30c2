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
        var seconds = options.Number("seconds", 10);
        var port = options.Number("port", 3098);
        var concurrency = options.Number("concurrency", SqsPoller.DefaultConcurrency);
        // The API logs each request to stdout, as on Lambda: here that goes to stderr, and the report to stdout.
        var report = Console.Out;
        Console.SetOut(Console.Error);

        await using var app = await ApiLoadBenchmark.StartAsync(port);
        var resources = app.Services.GetRequiredService<EngineResources>();

        // The worker as Lambda would run it: its own Function, fed by the poller the local runner uses.
        var worker = new LambdaRecon.LedgerWorker.Function();
        using var stop = new CancellationTokenSource();
        var poller = new SqsPoller(resources.Sqs, resources.Settings.QueueUrl, worker.HandleAsync,
            app.Services.GetRequiredService<ILogger<SqsPoller>>())
        { WaitTimeSeconds = 1, Concurrency = concurrency };
        var polling = Task.Run(() => poller.RunAsync(stop.Token));

        var (http, apiKey) = await ApiLoadBenchmark.ClientAsync(app, port, clients);
        using var client = http;
        var run = "e" + Guid.NewGuid().ToString("N")[..8];
        var (sources, destinations) = await ApiLoadBenchmark.OpenAccountsAsync(http, run);
        var cpuBefore = CpuByProcess.Sample();
        var total = Stopwatch.StartNew();
        // The load from wrk, a separate process, for the given seconds; every answered 202 is then waited for.
        var load = await WrkLoad.RunAsync(port, apiKey, run, sources, destinations, clients, seconds);
        var accepted = total.Elapsed;
        var (recorded, _, _) = await OutcomesAsync(resources, run);

        // Wait for the worker to settle everything (bounded: a benchmark stops by itself). Settled is POSTED or
        // FAILED; only POSTED counts as done: every transfer here can post, so a FAILED one is a wrong answer.
        long posted = 0, failed = 0;
        while (total.Elapsed < accepted + TimeSpan.FromMinutes(5))
        {
            (_, posted, failed) = await OutcomesAsync(resources, run);
            if (posted + failed >= recorded)
            {
                break;
            }

            await Task.Delay(200);
        }

        var elapsed = total.Elapsed;
        var cpuAfter = CpuByProcess.Sample();
        await stop.CancelAsync();
        await polling.ContinueWith(_ => { }, TaskScheduler.Default);

        await using var latency = resources.DataSource.CreateCommand(
            """
            SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), percentile_disc(0.99) WITHIN GROUP (ORDER BY ms)
              FROM (SELECT (extract(epoch FROM posted_at - accepted_at) * 1000)::bigint AS ms
                      FROM transactions WHERE idempotency_key LIKE @run AND status = 'POSTED') x
            """);
        latency.Parameters.AddWithValue("run", run + "-%");
        await using var reader = await latency.ExecuteReaderAsync();
        await reader.ReadAsync();
        report.WriteLine("| connections | poller batches at once | accepted/s | p99 202 ms | not 2xx | recorded | POSTED | FAILED | not settled | settled in s | posted/s | p50 202→POSTED ms | p99 202→POSTED ms |");
        report.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        report.WriteLine(
            $"| {clients} | {concurrency} | {load.PerSecond:N0} | {load.P99Ms:0.00} | {load.Not2xx} | {recorded} | {posted} | {failed} | {recorded - posted - failed} | {elapsed.TotalSeconds:N1} | {(long)(posted / elapsed.TotalSeconds):N0} | {(reader.IsDBNull(0) ? "-" : reader.GetInt64(0))} | {(reader.IsDBNull(1) ? "-" : reader.GetInt64(1))} |");
        report.WriteLine(CpuByProcess.PerUnit(cpuBefore, cpuAfter, posted, "transfer accepted and posted"));
        if (failed > 0)
        {
            Console.Error.WriteLine($"wrong answer: {failed} transfers FAILED that should have posted ({await FailureCodesAsync(resources, run)})");
        }

        await app.StopAsync();
        return load.Not2xx == 0 && recorded >= load.Requests && posted == recorded && failed == 0 ? 0 : 1;
    }

    private static async Task<(long Recorded, long Posted, long Failed)> OutcomesAsync(EngineResources resources, string run)
    {
        await using var count = resources.DataSource.CreateCommand(
            """
            SELECT count(*), count(*) FILTER (WHERE status = 'POSTED'), count(*) FILTER (WHERE status = 'FAILED')
              FROM transactions WHERE idempotency_key LIKE @run
            """);
        count.Parameters.AddWithValue("run", run + "-%");
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static async Task<string> FailureCodesAsync(EngineResources resources, string run)
    {
        await using var codes = resources.DataSource.CreateCommand(
            "SELECT string_agg(code, ', ') FROM (SELECT failure_code || ' ×' || count(*) AS code FROM transactions WHERE idempotency_key LIKE @run AND status = 'FAILED' GROUP BY failure_code) x");
        codes.Parameters.AddWithValue("run", run + "-%");
        return (string)(await codes.ExecuteScalarAsync())!;
    }
}
