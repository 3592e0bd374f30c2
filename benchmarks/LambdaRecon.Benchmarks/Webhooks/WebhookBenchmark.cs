using System.Diagnostics;
using System.Globalization;
using System.Text;
using LambdaRecon.Benchmarks.Api;
using LambdaRecon.Benchmarks.Ledger;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.LedgerWorker.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Benchmarks.Webhooks;

/// <summary>
/// Signed Stripe charge.succeeded events POSTed by wrk (a separate process) at a set rate to the API on
/// Kestrel, processed through the webhook queue by WebhookFunction behind the local poller, each carrying the
/// id of a transfer already posted to the Stripe clearing account: the acknowledgement's latency (wrk's), and
/// the time from receipt to matched as PostgreSQL recorded them (webhook_events.received_at → the finish of the
/// reconciliation run that matched the event's transfer).
/// </summary>
public static class WebhookBenchmark
{
    private const string Secret = "whsec_bench_0123456789abcdef";

    /// <summary>How long before its charge's event a transfer is posted.</summary>
    private const int LeadSeconds = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        var rate = options.Number("rate", 200);
        var seconds = options.Number("seconds", 20);
        var warmup = options.Number("warmup", 5);
        var connections = options.Number("connections", 8);
        var port = options.Number("port", 3097);
        var report = Console.Out;
        Console.SetOut(Console.Error);
        Environment.SetEnvironmentVariable("STRIPE_WEBHOOK_SECRET", Secret);

        await using var app = await ApiLoadBenchmark.StartAsync(port);
        var resources = app.Services.GetRequiredService<EngineResources>();
        var queueUrl = Environment.GetEnvironmentVariable("WEBHOOK_QUEUE_URL")
                       ?? throw new InvalidOperationException("WEBHOOK_QUEUE_URL is not set: run through ./bench.sh webhooks");
        var function = new LambdaRecon.Reconciler.WebhookFunction();
        using var stop = new CancellationTokenSource();
        var poller = new SqsPoller(resources.Sqs, queueUrl, function.HandleAsync, app.Services.GetRequiredService<ILogger<SqsPoller>>())
        {
            WaitTimeSeconds = 1,
            ReportBatchItemFailures = true,
        };
        var polling = Task.Run(() => poller.RunAsync(stop.Token));

        var (http, _) = await ApiLoadBenchmark.ClientAsync(app, port, 4);
        using var client = http;
        var run = "w" + Guid.NewGuid().ToString("N")[..8];
        var stripeAccount = "acct_" + run;
        var customer = $"{run}-customer";
        var clearing = $"{run}-stripe";
        await SetUpAccountsAsync(http, customer, clearing, stripeAccount);

        // One transfer per event, into the clearing account, recorded ACCEPTED up front (untimed) and posted as the worker
        // would, shortly before its charge's event is sent: a clearing account's unmatched postings are the few seconds'
        // worth whose events are on their way, not the whole run's.
        var warmupCount = rate * warmup * 3 / 2;
        var timedCount = rate * seconds * 3 / 2;
        var transfers = Enumerable.Range(0, warmupCount + timedCount)
            .Select(i => new TransactionRecord(TransactionRecord.NewId(), TransactionType.Transfer, 100 + (i % 9_000), "USD", customer, clearing))
            .ToArray();
        await LedgerBenchmark.RecordAcceptedAsync(resources.DataSource, transfers);
        var store = new LedgerStore(resources.DataSource);
        await PostAsync(store, transfers[..warmupCount]);

        // The warm-up paces itself from wrk's delay alone; the timed run subtracts the warm-up's median answer from it.
        var warm = await WrkAsync(port, Events("x" + run, stripeAccount, transfers[..warmupCount]), connections, warmup, connections * 1000 / rate);
        var pace = Math.Max(0, (int)Math.Round(connections * 1000m / rate - warm.P50Ms));
        var timed = transfers[warmupCount..];
        var posting = Task.Run(async () =>
        {
            // Keeps the posted transfers LeadSeconds ahead of the events, at a tenth above the rate (wrk may send faster).
            var clock = Stopwatch.StartNew();
            var posted = 0;
            while (posted < timed.Length && !stop.IsCancellationRequested)
            {
                var due = Math.Min(timed.Length, (int)((clock.Elapsed.TotalSeconds + LeadSeconds) * rate * 11 / 10));
                if (due > posted)
                {
                    await PostAsync(store, timed[posted..due]);
                    posted = due;
                }

                await Task.Delay(100);
            }
        });
        var cpuBefore = CpuByProcess.Sample();
        var clock = Stopwatch.StartNew();
        var load = await WrkAsync(port, Events(run, stripeAccount, timed), connections, seconds, pace);
        var received = await CountAsync(resources, run, "SELECT count(*) FROM webhook_events WHERE event_id LIKE @run");

        // Every stored event processed, bounded: a benchmark stops by itself.
        long processed = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds) + TimeSpan.FromMinutes(3))
        {
            processed = await CountAsync(resources, run,
                "SELECT count(*) FROM webhook_events e WHERE e.event_id LIKE @run AND EXISTS (SELECT 1 FROM webhook_event_outcomes o WHERE o.event_id = e.id)");
            if (processed >= received)
            {
                break;
            }

            await Task.Delay(200);
        }

        var cpuAfter = CpuByProcess.Sample();
        await stop.CancelAsync();
        await posting;
        await polling.ContinueWith(_ => { }, TaskScheduler.Default);

        await using var latency = resources.DataSource.CreateCommand(
            """
            WITH events AS MATERIALIZED (
                SELECT received_at, (convert_from(body, 'UTF8')::jsonb #>> '{data,object,metadata,transaction_id}')::uuid AS transaction_id
                  FROM webhook_events WHERE event_id LIKE @run
            ), matched AS MATERIALIZED (
                SELECT m.transaction_id, r.finished_at
                  FROM reconciliation_matches m JOIN reconciliation_runs r ON r.id = m.run_id
                 WHERE m.account_id = @clearing AND m.transaction_id IS NOT NULL
            )
            SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), percentile_disc(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
              FROM (SELECT (extract(epoch FROM m.finished_at - e.received_at) * 1000)::bigint AS ms
                      FROM events e JOIN matched m USING (transaction_id)) x
            """);
        latency.Parameters.AddWithValue("run", $"evt_{run}_%");
        latency.CommandTimeout = 300;
        latency.Parameters.AddWithValue("clearing", clearing);
        await using var reader = await latency.ExecuteReaderAsync();
        await reader.ReadAsync();
        var matched = reader.GetInt64(0);
        string Ms(int i) => reader.IsDBNull(i) ? "-" : reader.GetInt64(i).ToString(CultureInfo.InvariantCulture);

        report.WriteLine("| target events/s | connections | sent/s | ack p50 ms | ack p90 ms | ack p99 ms | not 2xx | stored | processed | matched | p50 receipt→matched ms | p99 receipt→matched ms | max ms |");
        report.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        report.WriteLine(
            $"| {rate} | {connections} | {load.PerSecond:N0} | {load.P50Ms:0.00} | {load.P90Ms:0.00} | {load.P99Ms:0.00} | {load.Not2xx} | {received} | {processed} | {matched} | {Ms(1)} | {Ms(2)} | {Ms(3)} |");
        report.WriteLine(CpuByProcess.PerUnit(cpuBefore, cpuAfter, Math.Max(1, processed), "event acknowledged, processed and matched"));
        await app.StopAsync();
        if (warm.Not2xx + load.Not2xx > 0 || received < load.Requests || matched < received)
        {
            Console.Error.WriteLine($"wrong answer: {warm.Not2xx + load.Not2xx} not 2xx; {received} stored for {load.Requests} answered; {matched} matched");
            return 1;
        }

        return 0;
    }

    private static async Task PostAsync(LedgerStore store, TransactionRecord[] transfers)
    {
        foreach (var batch in transfers.Chunk(100))
        {
            if ((await store.PostBatchAsync(batch, CancellationToken.None)).Any(o => o.Status != TransactionStatus.Posted))
            {
                throw new InvalidOperationException("a benchmark transfer did not post");
            }
        }
    }

    private static async Task SetUpAccountsAsync(HttpClient http, string customer, string clearing, string stripeAccount)
    {
        foreach (var (id, limit) in new[] { (customer, "null"), (clearing, "\"0\"") })
        {
            using var created = await http.PostAsync("/api/v1/accounts",
                new StringContent($$"""{"account_id":"{{id}}","currency":"USD","overdraft_limit":{{limit}}}""", Encoding.UTF8, "application/json"));
            created.EnsureSuccessStatusCode();
        }

        using var put = await http.PutAsync($"/api/v1/accounts/{clearing}/external-ids",
            new StringContent($$"""{"external_ids":[{"scheme":"STRIPE","id":"{{stripeAccount}}"}]}""", Encoding.UTF8, "application/json"));
        put.EnsureSuccessStatusCode();
    }

    /// <summary>One signed charge.succeeded per transfer, shaped as Stripe sends it (Connect: the event names the account).</summary>
    private static (string Body, string Signature)[] Events(string run, string stripeAccount, TransactionRecord[] transfers)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var t = now.ToString(CultureInfo.InvariantCulture);
        var key = Encoding.UTF8.GetBytes(Secret);
        return [.. transfers.Select((transfer, i) =>
        {
            var body = $$$"""{"id":"evt_{{{run}}}_{{{i}}}","object":"event","api_version":"2024-06-20","type":"charge.succeeded","created":{{{now}}},"account":"{{{stripeAccount}}}","livemode":false,"pending_webhooks":1,"data":{"object":{"id":"ch_{{{run}}}_{{{i}}}","object":"charge","amount":{{{transfer.Amount}}},"amount_captured":{{{transfer.Amount}}},"amount_refunded":0,"balance_transaction":"txn_{{{run}}}_{{{i}}}","captured":true,"created":{{{now}}},"currency":"usd","metadata":{"transaction_id":"{{{transfer.Id}}}"},"paid":true,"refunded":false,"status":"succeeded"} } }""";
            return (body, WebhookSignature.Sign(WebhookProvider.Stripe, key, t, Encoding.UTF8.GetBytes(body)));
        })];
    }

    private static async Task<WrkResult> WrkAsync(int port, (string Body, string Signature)[] events, int connections, int seconds, int delayMs)
    {
        // Each wrk thread takes every threads-th event from its own start, so no two requests carry one event; a
        // connection waits delayMs after each answer, which paces the load near the target rate.
        var lua = new StringBuilder("local events = {\n");
        foreach (var (body, signature) in events)
        {
            lua.Append("{ [==[").Append(body).Append("]==], \"").Append(signature).Append("\" },\n");
        }

        lua.Append(CultureInfo.InvariantCulture, $$"""
            }
            local count = 0
            function setup(thread)
              count = count + 1
              thread:set("tid", count)
            end
            threads = {{Math.Min(2, connections)}}
            local n = 0
            function request()
              local e = events[((tid - 1) + n * threads) % #events + 1]
              n = n + 1
              return wrk.format("POST", "/api/v1/webhooks/stripe", { ["Content-Type"] = "application/json", ["Stripe-Signature"] = e[2] }, e[1])
            end
            function delay()
              return {{delayMs}}
            end
            """);
        return await WrkLoad.RunScriptAsync(port, lua.ToString(), connections, seconds);
    }

    private static async Task<long> CountAsync(EngineResources resources, string run, string sql)
    {
        await using var command = resources.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("run", $"evt_{run}_%");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
