using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.LedgerWorker.Local;
using Microsoft.AspNetCore.Builder;
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

        await using var app = ApiHost.Build([]);
        app.Urls.Add($"http://127.0.0.1:{port}");
        await app.StartAsync();
        var resources = app.Services.GetRequiredService<EngineResources>();
        var key = ApiKeyStore.NewKey();
        await app.Services.GetRequiredService<ApiKeyStore>().RegisterAsync(key, "e2e-" + Guid.NewGuid().ToString("N"), ApiScopes.All, CancellationToken.None);

        // The worker as Lambda would run it: its own Function, fed by the poller the local runner uses.
        var worker = new LambdaRecon.LedgerWorker.Function();
        using var stop = new CancellationTokenSource();
        var poller = new SqsPoller(resources.Sqs, resources.Settings.QueueUrl, worker.HandleAsync,
            app.Services.GetRequiredService<ILogger<SqsPoller>>()) { WaitTimeSeconds = 1 };
        var polling = Task.Run(() => poller.RunAsync(stop.Token));

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var run = "e" + Guid.NewGuid().ToString("N")[..8];
        var sources = Enumerable.Range(0, 16).Select(i => $"{run}-src-{i}").ToArray();
        var destinations = Enumerable.Range(0, 64).Select(i => $"{run}-dst-{i}").ToArray();
        foreach (var id in sources.Concat(destinations))
        {
            var limit = id.Contains("-src-", StringComparison.Ordinal) ? "null" : "\"0\"";
            using var created = await http.PostAsync("/api/v1/accounts",
                new StringContent($$"""{"account_id":"{{id}}","currency":"USD","overdraft_limit":{{limit}}}""", Encoding.UTF8, "application/json"));
            created.EnsureSuccessStatusCode();
        }

        var next = -1;
        var failures = 0;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var body = $$"""{"transaction":{"source_account_id":"{{sources[i % sources.Length]}}","destination_account_id":"{{destinations[i % destinations.Length]}}","amount":"{{1 + (i % 500)}}.25"},"idempotencyKey":"{{run}}-{{i}}"}""";
                using var response = await http.PostAsync("/api/v1/transactions", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
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
