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
/// POST /api/v1/transactions from N concurrent clients with distinct idempotency keys, against the
/// API on Kestrel with the real PostgreSQL, Redis and SQS emulator: accepted per second and latency.
/// The server and the load share this machine's cores, as they would in any single-box test.
/// </summary>
public static class ApiLoadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        var clients = options.Number("clients", 16);
        var requests = options.Number("requests", 20_000);
        var port = options.Number("port", 3099);

        await using var app = await StartAsync(port);
        using var http = await ClientAsync(app, port, clients);
        var run = "l" + Guid.NewGuid().ToString("N")[..8];
        var (sources, destinations) = await OpenAccountsAsync(http, run);

        // Warm-up: JIT, connection pools, prepared plans.
        var (_, _, warmFailures) = await LoadAsync(http, run + "-warm", sources, destinations, clients, Math.Min(1_000, requests / 10));
        var (elapsed, latencies, failures) = await LoadAsync(http, run, sources, destinations, clients, requests);
        var recorded = await RecordedAsync(app, run);

        Console.WriteLine($"| clients | requests | accepted/s | p50 ms | p95 ms | p99 ms | not 202 | recorded |");
        Console.WriteLine($"|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(
            $"| {clients} | {requests} | {(requests - failures) * Stopwatch.Frequency / Math.Max(1, elapsed):N0} | {Percentiles.Ms(latencies, 50)} | {Percentiles.Ms(latencies, 95)} | {Percentiles.Ms(latencies, 99)} | {failures} | {recorded} |");
        await app.StopAsync();
        // A 202 is a promise: each accepted request must be exactly one recorded transaction.
        if (warmFailures + failures > 0 || recorded != requests)
        {
            Console.Error.WriteLine($"wrong answer: {warmFailures} warm-up and {failures} timed requests were not 202; {recorded} of {requests} transactions recorded");
            return 1;
        }

        return 0;
    }

    /// <summary>Transactions recorded for the timed run's keys "{run}-{i}" (not the warm-up's "{run}-warm-{i}").</summary>
    private static async Task<long> RecordedAsync(WebApplication app, string run)
    {
        await using var count = app.Services.GetRequiredService<LambdaRecon.Infrastructure.EngineResources>().DataSource.CreateCommand(
            "SELECT count(*) FROM transactions WHERE idempotency_key ~ @pattern");
        count.Parameters.AddWithValue("pattern", $"^{run}-[0-9]+$");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>The API on Kestrel at the port, with the real services the environment names.</summary>
    internal static async Task<WebApplication> StartAsync(int port)
    {
        var app = ApiHost.Build([]);
        app.Urls.Add($"http://127.0.0.1:{port}");
        await app.StartAsync();
        return app;
    }

    /// <summary>An HTTP client with a new key holding every scope.</summary>
    internal static async Task<HttpClient> ClientAsync(WebApplication app, int port, int clients)
    {
        var key = ApiKeyStore.NewKey();
        await app.Services.GetRequiredService<ApiKeyStore>().RegisterAsync(key, "bench-" + Guid.NewGuid().ToString("N"), ApiScopes.All, CancellationToken.None);
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
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

    /// <summary>POSTs <paramref name="requests"/> transfers with keys "{run}-{i}" from <paramref name="clients"/> loops.</summary>
    internal static async Task<(long ElapsedTicks, List<long> LatenciesMicroseconds, int Failures)> LoadAsync(
        HttpClient http, string run, string[] sources, string[] destinations, int clients, int requests)
    {
        var latencies = new List<long>(requests);
        var failures = 0;
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var body = $$"""{"transaction":{"source_account_id":"{{sources[i % sources.Length]}}","destination_account_id":"{{destinations[i % destinations.Length]}}","amount":"{{1 + (i % 500)}}.25"},"idempotencyKey":"{{run}}-{{i}}"}""";
                var watch = Stopwatch.StartNew();
                using var response = await http.PostAsync("/api/v1/transactions", new StringContent(body, Encoding.UTF8, "application/json"));
                var micros = watch.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    Interlocked.Increment(ref failures);
                }

                lock (latencies)
                {
                    latencies.Add(micros);
                }
            }
        })));
        return (total.ElapsedTicks, latencies, failures);
    }
}
