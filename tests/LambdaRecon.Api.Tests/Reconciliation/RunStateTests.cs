using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LambdaRecon.Infrastructure.Reconciliation;
using Npgsql;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>Reading a run's state while it runs, through the API, and the states it ends in.</summary>
public static class RunStateApi
{
    public static async Task TransferAsync(ApiFixture api, string from, string to, string amount)
    {
        using var client = api.Client();
        using var response = await client.PostAsJsonAsync("/api/v1/transactions", new
        {
            transaction = new { source_account_id = from, destination_account_id = to, amount },
            idempotencyKey = Guid.NewGuid().ToString("N"),
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public static async Task<JsonElement> GetAsync(ApiFixture api, string path)
    {
        using var client = api.Client();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiFixture.JsonAsync(response);
    }

    /// <summary>The account's latest run as GET /reconciliations/{runId} shows it, found through its history.</summary>
    public static async Task<JsonElement> LatestRunAsync(ApiFixture api, string accountId)
    {
        var history = await GetAsync(api, $"/api/v1/accounts/{accountId}/reconciliation-history?limit=1");
        var runId = history.GetProperty("runs")[0].GetProperty("run_id").GetGuid();
        return (await GetAsync(api, $"/api/v1/reconciliations/{runId}")).GetProperty("run");
    }

    public static async Task<JsonElement> ScheduledRunAsync(ApiFixture api)
    {
        var runId = await api.Database.ScalarAsync<Guid>("SELECT id FROM reconciliation_runs WHERE account_id IS NULL ORDER BY started_at DESC LIMIT 1");
        return (await GetAsync(api, $"/api/v1/reconciliations/{runId}")).GetProperty("run");
    }

    public static string? Text(JsonElement run, string name) => run.GetProperty(name).GetString();

    /// <summary>Where a run is in its work; null before it starts or before it was read.</summary>
    public static string? Step(JsonElement run) =>
        run.ValueKind == JsonValueKind.Object && run.GetProperty("progress").TryGetProperty("step", out var step) ? step.GetString() : null;

    public static int Count(JsonElement run, string name) => run.GetProperty("progress").GetProperty(name).GetInt32();
}

public sealed class RunStateTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task A_scheduled_run_shows_itself_in_progress_with_its_counts_and_its_later_accounts_pending_until_it_completes()
    {
        var p = "rs" + Guid.NewGuid().ToString("N")[..10];
        var (first, second) = (await api.OpenAccountAsync(p + "-a", overdraftLimit: null), await api.OpenAccountAsync(p + "-b"));
        await RunStateApi.TransferAsync(api, first, second, "5.00");
        await api.PostQueuedAsync();

        // The runs write their results with their completion; holding the table they write stops them there.
        await using var blocker = await api.Database.DataSource.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE reconciliation_differences IN ACCESS EXCLUSIVE MODE", blocker, hold))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var running = Task.Run(() => api.Factory.Services.GetRequiredService<ScheduledReconciliation>().RunAsync("test", CancellationToken.None));
        JsonElement firstRun = default;
        for (var poll = 0; poll < 400 && RunStateApi.Step(firstRun) != "writing"; poll++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50));
            if (await api.Database.ScalarAsync<long>($"SELECT count(*) FROM reconciliation_runs WHERE account_id = '{first}'") > 0)
            {
                firstRun = await RunStateApi.LatestRunAsync(api, first);
            }
        }

        var secondRun = await RunStateApi.LatestRunAsync(api, second);
        var schedule = await RunStateApi.ScheduledRunAsync(api);
        await hold.RollbackAsync();
        var summary = await running;

        Assert.Equal("in_progress", RunStateApi.Text(firstRun, "state"));
        Assert.Equal((1, 0), (RunStateApi.Count(firstRun, "ledger_items"), RunStateApi.Count(firstRun, "statement_lines")));
        Assert.Equal("pending", RunStateApi.Text(secondRun, "state"));
        Assert.Equal("in_progress", RunStateApi.Text(schedule, "state"));
        Assert.Equal((2, 0), (RunStateApi.Count(schedule, "accounts_total"), RunStateApi.Count(schedule, "accounts_done")));
        Assert.Equal(2, summary.Accounts.Count);
        var done = (await RunStateApi.LatestRunAsync(api, first), await RunStateApi.LatestRunAsync(api, second), await RunStateApi.ScheduledRunAsync(api));
        Assert.All(new[] { done.Item1, done.Item2, done.Item3 }, run =>
        {
            Assert.Equal("completed", RunStateApi.Text(run, "state"));
            Assert.Equal(JsonValueKind.Null, run.GetProperty("failure_reason").ValueKind);
            Assert.NotEqual(JsonValueKind.Null, run.GetProperty("finished_at").ValueKind);
        });
        Assert.Equal(2, RunStateApi.Count(done.Item3, "accounts_done"));
        Assert.Equal(1, done.Item2.GetProperty("summary").GetProperty("unmatched_internal").GetInt32());
    }
}

public sealed class RunFailureTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task A_run_that_throws_is_recorded_failed_with_the_reason_and_the_accounts_after_it_as_not_started()
    {
        var p = "rf" + Guid.NewGuid().ToString("N")[..10];
        var (a, b, c) = (await api.OpenAccountAsync(p + "-a", overdraftLimit: null), await api.OpenAccountAsync(p + "-b"), await api.OpenAccountAsync(p + "-c"));
        await RunStateApi.TransferAsync(api, a, b, "5.00");
        await RunStateApi.TransferAsync(api, a, c, "6.00");
        await api.PostQueuedAsync();
        // The database refuses account b's breaks: its run throws when it writes them.
        await api.Database.ExecuteAsync($$"""
            CREATE FUNCTION refuse_breaks_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.account_id = '{{b}}' THEN RAISE EXCEPTION 'breaks of % refused by the test', NEW.account_id; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_breaks BEFORE INSERT ON reconciliation_breaks FOR EACH ROW EXECUTE FUNCTION refuse_breaks_for_test();
            """);

        var thrown = await Assert.ThrowsAsync<PostgresException>(() => api.Factory.Services.GetRequiredService<ScheduledReconciliation>().RunAsync("test", CancellationToken.None));
        var (runA, runB, runC) = (await RunStateApi.LatestRunAsync(api, a), await RunStateApi.LatestRunAsync(api, b), await RunStateApi.LatestRunAsync(api, c));
        var schedule = await RunStateApi.ScheduledRunAsync(api);
        using var client = api.Client();
        using var onDemand = await client.PostAsync($"/api/v1/accounts/{b}/reconcile", null);
        var onDemandRun = await RunStateApi.LatestRunAsync(api, b);

        var reason = $"PostgresException: {thrown.Message}";
        Assert.Contains($"breaks of {b} refused by the test", reason);
        Assert.Equal(("completed", "failed", "failed", "failed"),
            (RunStateApi.Text(runA, "state"), RunStateApi.Text(runB, "state"), RunStateApi.Text(runC, "state"), RunStateApi.Text(schedule, "state")));
        Assert.Equal(reason, RunStateApi.Text(runB, "failure_reason"));
        Assert.Equal(reason, RunStateApi.Text(schedule, "failure_reason"));
        Assert.Equal($"not started: scheduled run {RunStateApi.Text(schedule, "run_id")} failed: {reason}", RunStateApi.Text(runC, "failure_reason"));
        // What each had done when it stopped stays readable.
        Assert.Equal(("writing", 1), (RunStateApi.Step(runB), RunStateApi.Count(runB, "unmatched_internal")));
        Assert.Equal((3, 1), (RunStateApi.Count(schedule, "accounts_total"), RunStateApi.Count(schedule, "accounts_done")));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM reconciliation_breaks WHERE account_id = '{b}'"));
        Assert.Equal(HttpStatusCode.InternalServerError, onDemand.StatusCode);
        Assert.Equal(("on_demand", "failed", reason), (RunStateApi.Text(onDemandRun, "kind"), RunStateApi.Text(onDemandRun, "state"), RunStateApi.Text(onDemandRun, "failure_reason")));
    }
}
