using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Infrastructure.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Benchmarks.Api;

/// <summary>
/// POST /api/v1/transactions from N concurrent connections with distinct idempotency keys, against the
/// API on Kestrel with the real PostgreSQL, Redis and SQS emulator: accepted per second and latency. The
/// load comes from wrk, a separate process (<see cref="WrkLoad"/>); it shares this machine's two cores
/// with the server, PostgreSQL, Redis and the emulator, as any single-box test does.
/// </summary>
public static class ApiLoadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        var clients = options.Number("clients", 16);
        var seconds = options.Number("seconds", 20);
        var port = options.Number("port", 3099);
        var warmup = options.Number("warmup", 15);
        // The API logs each request to stdout, as on Lambda: here that goes to stderr, and the report to stdout.
        var report = Console.Out;
        Console.SetOut(Console.Error);

        await using var app = await StartAsync(port);
        var (http, apiKey) = await ClientAsync(app, port, clients);
        using var client = http;
        var run = "l" + Guid.NewGuid().ToString("N")[..8];
        var (sources, destinations) = await OpenAccountsAsync(http, run);

        // Warm-up: connection pools, prepared statements, and the JIT's tiers. A profile of a run after 3 s of
        // warm-up found a quarter of the server's CPU in the JIT still recompiling hot methods (tier 1): that is
        // a new process's cost (see the cold-start benchmarks), not a request's.
        var warm = await WrkLoad.RunAsync(port, apiKey, run + "w", sources, destinations, clients, warmup);
        var resources = app.Services.GetRequiredService<LambdaRecon.Infrastructure.EngineResources>();
        var hotBefore = await HotUpdatesAsync(resources);
        var cpuBefore = CpuByProcess.Sample();
        var result = await WrkLoad.RunAsync(port, apiKey, run, sources, destinations, clients, seconds);
        var cpuAfter = CpuByProcess.Sample();
        var recorded = await RecordedAsync(resources, run);
        var hotAfter = await HotUpdatesAsync(resources);

        report.WriteLine("| connections | seconds | requests | accepted/s | p50 ms | p90 ms | p99 ms | not 2xx | recorded |");
        report.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        report.WriteLine(
            $"| {clients} | {result.Seconds:0.0} | {result.Requests} | {result.PerSecond:N0} | {result.P50Ms:0.00} | {result.P90Ms:0.00} | {result.P99Ms:0.00} | {result.Not2xx} | {recorded} |");
        report.WriteLine(CpuByProcess.PerUnit(cpuBefore, cpuAfter, result.Requests, "accepted request"));
        foreach (var table in hotAfter.Keys)
        {
            var updates = hotAfter[table].Updates - hotBefore[table].Updates;
            var hot = hotAfter[table].Hot - hotBefore[table].Hot;
            report.WriteLine($"{table}: {updates} updates, {hot} of them HOT ({(updates == 0 ? 0 : hot * 100 / updates)} %)");
        }

        await app.StopAsync();
        // A 202 is a promise: each accepted request is exactly one recorded transaction. wrk stops with up to
        // one request per connection unanswered, which the server may still have recorded.
        if (warm.Not2xx + result.Not2xx > 0 || result.SocketErrors != "none" || recorded < result.Requests || recorded > result.Requests + clients)
        {
            Console.Error.WriteLine(
                $"wrong answer: {warm.Not2xx} warm-up and {result.Not2xx} timed requests were not 2xx, socket errors: {result.SocketErrors}; {recorded} transactions recorded for {result.Requests} answered");
            return 1;
        }

        return 0;
    }

    /// <summary>Transactions recorded for the timed run's keys "{run}-{thread}-{n}" (not the warm-up's "{run}w-…").</summary>
    private static async Task<long> RecordedAsync(LambdaRecon.Infrastructure.EngineResources resources, string run)
    {
        await using var count = resources.DataSource.CreateCommand("SELECT count(*) FROM transactions WHERE idempotency_key ~ @pattern");
        count.Parameters.AddWithValue("pattern", $"^{run}-[0-9]+-[0-9]+$");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>Row updates and HOT ones so far, per table of the accept path (PostgreSQL's own counters).</summary>
    private static async Task<Dictionary<string, (long Updates, long Hot)>> HotUpdatesAsync(LambdaRecon.Infrastructure.EngineResources resources)
    {
        // The statistics collector reports with a delay; asking for a fresh snapshot first.
        await using var command = resources.DataSource.CreateCommand(
            """
            SELECT pg_stat_force_next_flush();
            SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname IN ('transactions', 'idempotency_keys') ORDER BY relname
            """);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var counts = new Dictionary<string, (long, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return counts;
    }

    /// <summary>The API on Kestrel at the port, with the real services the environment names.</summary>
    internal static async Task<WebApplication> StartAsync(int port)
    {
        var app = ApiHost.Build([]);
        app.Urls.Add($"http://127.0.0.1:{port}");
        await app.StartAsync();
        return app;
    }

    /// <summary>An HTTP client with a new key holding every scope, and the key.</summary>
    internal static async Task<(HttpClient Http, string ApiKey)> ClientAsync(WebApplication app, int port, int clients)
    {
        var key = ApiKeyStore.NewKey();
        await app.Services.GetRequiredService<ApiKeyStore>().RegisterAsync(key, "bench-" + Guid.NewGuid().ToString("N"), ApiScopes.All, CancellationToken.None);
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return (http, key);
    }

    /// <summary>16 funding sources without a limit and 64 destinations, so every transfer can post.</summary>
    internal static async Task<(string[] Sources, string[] Destinations)> OpenAccountsAsync(HttpClient http, string run)
    {
        var sources = Enumerable.Range(0, 16).Select(i => $"{run}-src-{i}").ToArray();
        var destinations = Enumerable.Range(0, 64).Select(i => $"{run}-dst-{i}").ToArray();
        foreach (var id in sources.Concat(destinations))
        {
            var limit = id.Contains("-src-", StringComparison.Ordinal) ? "null" : "\"0\"";
            using var created = await http.PostAsync("/api/v1/accounts",
                new StringContent($$"""{"account_id":"{{id}}","currency":"USD","overdraft_limit":{{limit}}}""", Encoding.UTF8, "application/json"));
            created.EnsureSuccessStatusCode();
        }

        return (sources, destinations);
    }
}
