using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace LambdaRecon.Local.Tests.Faults;

/// <summary>What one fault did: how long its service was away, what the clients saw meanwhile, and how long until all caught up.</summary>
internal sealed record FaultReport(
    string Fault, double DownSeconds, int Acknowledged, int Refused503, int Unanswered, double? WriteP50Ms, double? WriteMaxMs,
    double RecoverySeconds, string Note);

/// <summary>
/// The fault suite: under a bounded load (8 clients POSTing transfers the whole time), Redis, the SQS emulator and
/// PostgreSQL are each stopped and started again, and the worker is killed with SIGKILL and started again, one after
/// the other, on a stack of the suite's own (<see cref="FaultStack"/>). Afterwards every acknowledged transaction must
/// be POSTED or FAILED within <see cref="SettleBound"/>, none posted twice, and the ledger whole. The figures are
/// printed (run with --logger "console;verbosity=detailed") and written to .local/faults/report.md; docs/faults.md
/// quotes a run.
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(5);

    /// <summary>After a fault ends, everything accepted before it is POSTED or FAILED within this, or the suite fails.</summary>
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(120);

    /// <summary>After the load stops, every acknowledged transaction is POSTED or FAILED within this.</summary>
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Under_load_restarting_redis_the_queue_and_postgresql_and_killing_the_worker_loses_nothing_acknowledged_posts_nothing_twice_and_keeps_the_ledger_whole()
    {
        var suite = Stopwatch.StartNew();
        await using var stack = await FaultStack.StartAsync();
        var load = new TransferLoad(stack.Api, stack.ApiKey, Clients);
        await load.OpenAccountsAsync();
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(giveUp: TimeSpan.FromSeconds(30), stop.Token);
        var underLoad = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(3));

        var faults = new List<FaultReport>
        {
            await InjectAsync(stack, load, "Redis stopped, then started (empty)", stack.StopRedisAsync, stack.StartRedisAsync, CacheBackAsync),
            await InjectAsync(stack, load, "SQS emulator stopped, then started (every message lost)", stack.StopSqsAsync, stack.StartSqsAsync, null),
            await InjectAsync(stack, load, "PostgreSQL stopped (immediate), then started", stack.StopPostgresAsync, stack.StartPostgresAsync, null),
            await InjectAsync(stack, load, "worker killed (SIGKILL), then started", () =>
            {
                stack.KillWorker();
                return Task.CompletedTask;
            }, stack.RestartWorkerAsync, null, down: TimeSpan.Zero),
        };

        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await running;
        var loadSeconds = underLoad.Elapsed.TotalSeconds;
        var acknowledged = load.Acknowledged.Keys.ToArray();
        var settle = Stopwatch.StartNew();
        long notFinal;
        while ((notFinal = await CountAsync(stack, "SELECT count(*) FROM transactions WHERE id = ANY(@ids) AND status = 'ACCEPTED'", acknowledged)) > 0
               && settle.Elapsed < SettleBound)
        {
            await Task.Delay(500);
        }

        var settledSeconds = settle.Elapsed.TotalSeconds;
        var missing = acknowledged.Length - await CountAsync(stack, "SELECT count(*) FROM transactions WHERE id = ANY(@ids)", acknowledged);
        var posted = await CountAsync(stack, "SELECT count(*) FROM transactions WHERE id = ANY(@ids) AND status = 'POSTED'", acknowledged);
        var failed = await CountAsync(stack, "SELECT count(*) FROM transactions WHERE id = ANY(@ids) AND status = 'FAILED'", acknowledged);
        // Twice would be more than one leg per account (the schema refuses it), more than two legs, or legs on a FAILED one.
        var doubled = await CountAsync(stack,
            """
            SELECT count(*) FROM (
                SELECT t.id FROM transactions t JOIN ledger_entries e ON e.transaction_id = t.id
                 GROUP BY t.id, t.status
                HAVING count(*) > 2 OR count(DISTINCT e.account_id) < count(*) OR t.status <> 'POSTED') twice
            """, acknowledged);
        var postedWithoutTwoLegs = await CountAsync(stack,
            "SELECT count(*) FROM transactions t WHERE t.status = 'POSTED' AND (SELECT count(*) FROM ledger_entries e WHERE e.transaction_id = t.id) <> 2",
            acknowledged);
        var unbalancedCurrencies = await CountAsync(stack,
            "SELECT count(*) FROM (SELECT currency FROM ledger_entries GROUP BY currency HAVING sum(amount) <> 0) c", acknowledged);
        var differences = await LedgerIntegrity.CheckAsync(stack.DataSource, null, CancellationToken.None);
        var (workerStatus, workerReady) = await ReadyAsync(stack);
        var dlq = await DeadLettersAsync(stack);

        var report = Report(faults, load, loadSeconds, acknowledged.Length, posted, failed, missing, notFinal, doubled + postedWithoutTwoLegs,
            unbalancedCurrencies, differences.Count, settledSeconds, dlq, suite.Elapsed.TotalSeconds);
        output.WriteLine(report);
        await File.WriteAllTextAsync(Path.Combine(TestEnvironment.RepositoryRoot, ".local", "faults", "report.md"), report);

        Assert.True(acknowledged.Length > 300, $"the load acknowledged only {acknowledged.Length} transactions\n{report}");
        Assert.Equal(0, missing);
        Assert.Equal(0, notFinal);
        Assert.Equal(acknowledged.Length, posted + failed);
        Assert.True(failed > 0, "no transfer ended FAILED: the load does not exercise the refusals");
        Assert.Equal(0, doubled);
        Assert.Equal(0, postedWithoutTwoLegs);
        Assert.Equal(0, unbalancedCurrencies);
        Assert.Empty(differences);
        Assert.All(faults, f => Assert.True(f.RecoverySeconds < RecoveryBound.TotalSeconds, $"{f.Fault}: no recovery within {RecoveryBound.TotalSeconds} s\n{report}"));
        Assert.All(faults, f => Assert.True(f.Acknowledged > 0 || f.Refused503 > 0, $"{f.Fault}: the load did not run through it\n{report}"));
        // Redis away costs a write nothing: not a connect timeout per request, as it did (about 4 s each).
        Assert.True(faults[0].WriteP50Ms < 1_000, $"writes while Redis was down took {faults[0].WriteP50Ms} ms at the median\n{report}");
        Assert.True(workerReady, $"the worker's /ready after the suite: {workerStatus}");
    }

    private async Task<FaultReport> InjectAsync(
        FaultStack stack, TransferLoad load, string fault, Func<Task> stopService, Func<Task> startService, Func<FaultStack, Task<string>>? afterStart,
        TimeSpan? down = null)
    {
        var unansweredBefore = load.Unanswered;
        var stoppedAt = DateTimeOffset.UtcNow;
        await stopService();
        await Task.Delay(down ?? Down);
        await startService();
        var startedAt = DateTimeOffset.UtcNow;
        var note = afterStart is null ? "" : await afterStart(stack);
        var duringOutage = load.Attempts.Where(a => a.At >= stoppedAt && a.At <= startedAt).ToList();
        var writes = duringOutage.Where(a => a.Status is 202).Select(a => a.Milliseconds).Order().ToList();

        // Recovered: nothing accepted before the service came back is still ACCEPTED.
        var recovery = Stopwatch.StartNew();
        while (recovery.Elapsed < RecoveryBound)
        {
            try
            {
                await using var command = stack.DataSource.CreateCommand("SELECT count(*) FROM transactions WHERE status = 'ACCEPTED' AND accepted_at < @at");
                command.Parameters.AddWithValue("at", startedAt);
                if ((long)(await command.ExecuteScalarAsync())! == 0)
                {
                    break;
                }
            }
            catch (NpgsqlException)
            {
                // PostgreSQL still starting.
            }

            await Task.Delay(250);
        }

        var recoverySeconds = (DateTimeOffset.UtcNow - startedAt).TotalSeconds;
        if (recovery.Elapsed >= RecoveryBound)
        {
            note += await StuckAsync(stack, startedAt);
        }

        var report = new FaultReport(
            fault, (startedAt - stoppedAt).TotalSeconds, load.Acknowledged.Values.Count(at => at >= stoppedAt && at <= startedAt),
            duringOutage.Count(a => a.Status == 503), load.Unanswered - unansweredBefore,
            writes.Count == 0 ? null : writes[writes.Count / 2], writes.Count == 0 ? null : writes[^1],
            recoverySeconds, note);
        output.WriteLine($"{report.Fault}: recovered in {report.RecoverySeconds:0.0} s");
        return report;
    }

    // What is still ACCEPTED, and what the queue holds: for a recovery that did not come.
    private static async Task<string> StuckAsync(FaultStack stack, DateTimeOffset before)
    {
        await using var command = stack.DataSource.CreateCommand(
            """
            SELECT count(*), count(published_at), min(accepted_at)::text, max(accepted_at)::text, count(DISTINCT source_account_id),
                   string_agg(coalesce(message_id, '-'), ' ')
              FROM (SELECT * FROM transactions WHERE status = 'ACCEPTED' AND accepted_at < @at ORDER BY accepted_at LIMIT 5) t
            """);
        command.Parameters.AddWithValue("at", before);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        using var client = new TransferLoad(stack.Api, stack.ApiKey, 0).Client();
        var queue = JsonDocument.Parse(await client.GetStringAsync(new Uri("queue/stats", UriKind.Relative))).RootElement.GetProperty("queue");
        return string.Create(CultureInfo.InvariantCulture,
            $"still ACCEPTED (first 5): {reader.GetInt64(1)} published, accepted {reader.GetString(2)} to {reader.GetString(3)}, {reader.GetInt64(4)} sources, " +
            $"messages {reader.GetString(5)}; queue: {queue.GetProperty("visible").GetInt64()} visible, {queue.GetProperty("in_flight").GetInt64()} in flight");
    }

    // Redis as the API sees it again: /cache/stats reachable.
    private static async Task<string> CacheBackAsync(FaultStack stack)
    {
        var watch = Stopwatch.StartNew();
        using var client = new TransferLoad(stack.Api, stack.ApiKey, 0).Client();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            var stats = JsonDocument.Parse(await client.GetStringAsync(new Uri("cache/stats", UriKind.Relative))).RootElement;
            if (stats.GetProperty("reachable").GetBoolean())
            {
                return $"cache reachable again {watch.Elapsed.TotalSeconds:0.0} s after the restart";
            }

            await Task.Delay(100);
        }

        return "cache not reachable 30 s after the restart";
    }

    private static async Task<(string Body, bool Ready)> ReadyAsync(FaultStack stack)
    {
        using var client = new HttpClient();
        for (var attempt = 0; ; attempt++)
        {
            using var response = await client.GetAsync(new Uri(stack.WorkerApi, "ready"));
            var body = await response.Content.ReadAsStringAsync();
            var worker = JsonDocument.Parse(body).RootElement.GetProperty("dependencies").GetProperty("worker").GetProperty("status").GetString();
            if ((response.StatusCode == HttpStatusCode.OK && worker == "up") || attempt == 20)
            {
                return (body, response.StatusCode == HttpStatusCode.OK && worker == "up");
            }

            await Task.Delay(500);
        }
    }

    private static async Task<long> DeadLettersAsync(FaultStack stack)
    {
        using var client = new TransferLoad(stack.Api, stack.ApiKey, 0).Client();
        var stats = JsonDocument.Parse(await client.GetStringAsync(new Uri("queue/stats", UriKind.Relative))).RootElement;
        return stats.GetProperty("dead_letter_queue").GetProperty("visible").GetInt64();
    }

    private static async Task<long> CountAsync(FaultStack stack, string sql, Guid[] ids)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var command = stack.DataSource.CreateCommand(sql);
                command.Parameters.AddWithValue("ids", ids);
                return (long)(await command.ExecuteScalarAsync())!;
            }
            catch (NpgsqlException) when (attempt < 20)
            {
                await Task.Delay(500);
            }
        }
    }

    private static string Report(
        List<FaultReport> faults, TransferLoad load, double loadSeconds, int acknowledged, long posted, long failed, long missing, long notFinal,
        long doubled, long unbalancedCurrencies, int differences, double settledSeconds, long deadLetters, double suiteSeconds)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Fault suite: {Clients} clients for {loadSeconds:0} s, {faults.Count} faults injected and survived, {suiteSeconds:0} s in all.");
        text.AppendLine(c, $"Requests: {load.Sent} transfers sent, {load.Attempts.Count} attempts, {load.Attempts.Count(a => a.Status == 503)} answered 503 with Retry-After, " +
                           $"{load.Attempts.Count(a => a.Status == 0)} unanswered attempts (retried), {load.Attempts.Count(a => a.Status is >= 500 and not 503)} other 5xx, " +
                           $"{load.Unanswered} given up when the load stopped (never acknowledged).");
        text.AppendLine(c, $"Transactions: {acknowledged} acknowledged (202), {posted} POSTED, {failed} FAILED by the rules, {missing} lost, {notFinal} still ACCEPTED, " +
                           $"{doubled} posted twice; all final {settledSeconds:0.0} s after the load stopped (bound {SettleBound.TotalSeconds:0} s).");
        text.AppendLine(c, $"Ledger: {differences} integrity differences (balances against entries, transactions and trial balance against zero), " +
                           $"{unbalancedCurrencies} currencies whose entries do not sum to zero; DLQ: {deadLetters} message(s).");
        text.AppendLine();
        text.AppendLine("| fault | away | acknowledged meanwhile | 503 meanwhile | writes while away (p50 / max) | recovery | note |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var f in faults)
        {
            var writes = f.WriteP50Ms is null ? "none" : string.Create(c, $"{f.WriteP50Ms:0} / {f.WriteMaxMs:0} ms");
            text.AppendLine(c, $"| {f.Fault} | {f.DownSeconds:0.0} s | {f.Acknowledged} | {f.Refused503} | {writes} | {f.RecoverySeconds:0.0} s | {f.Note} |");
        }

        text.AppendLine();
        text.AppendLine(c, $"Recovery: from the service's start (or the kill) until nothing accepted before it is still ACCEPTED; bound {RecoveryBound.TotalSeconds:0} s.");
        return text.ToString();
    }
}
