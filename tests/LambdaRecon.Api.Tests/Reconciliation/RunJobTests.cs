using System.Net;
using System.Text.Json;
using Npgsql;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>POST /reconcile as a job: answered 202 when the run is not done within the wait, then watched through its GET.</summary>
public sealed class RunJobTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "rj" + Guid.NewGuid().ToString("N")[..8];

    private async Task<string> BankWithPaymentAsync(string suffix)
    {
        var customer = await api.OpenAccountAsync(_p + suffix + "-c", overdraftLimit: null);
        var bank = await api.OpenAccountAsync(_p + suffix + "-b");
        await RunStateApi.TransferAsync(api, customer, bank, "5.00");
        await api.PostQueuedAsync();
        return bank;
    }

    private static async Task<JsonElement> WaitUntilAsync(HttpClient client, string location, Func<JsonElement, bool> done)
    {
        JsonElement run = default;
        for (var poll = 0; poll < 600 && (run.ValueKind != JsonValueKind.Object || !done(run)); poll++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50));
            run = (await ReviewedRun.GetJsonAsync(client, location)).GetProperty("run");
        }

        return run;
    }

    [Fact]
    public async Task A_run_not_done_within_the_wait_is_answered_202_shows_in_progress_with_its_counts_and_completes_in_the_background()
    {
        var bank = await BankWithPaymentAsync("a");
        using var client = api.Client(factory: api.CreateFactory(("LAMBDARECON_RECONCILE_WAIT_SECONDS", "0")));
        // The run writes its results with its completion; holding the table it writes stops it there.
        await using var blocker = await api.Database.DataSource.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE reconciliation_differences IN ACCESS EXCLUSIVE MODE", blocker, hold))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        using var accepted = await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var body = await ApiFixture.JsonAsync(accepted);
        var location = accepted.Headers.Location!.ToString();
        var writing = await WaitUntilAsync(client, location, r => RunStateApi.Step(r) == "writing");
        await hold.RollbackAsync();
        var completed = await WaitUntilAsync(client, location, r => RunStateApi.Text(r, "state") != "in_progress");

        Assert.Equal($"/api/v1/reconciliations/{body.GetProperty("run_id").GetGuid()}", location);
        Assert.Equal(("pending", location), (body.GetProperty("state").GetString(), body.GetProperty("location").GetString()));
        Assert.Equal("in_progress", RunStateApi.Text(writing, "state"));
        Assert.Equal((1, 0, 1), (RunStateApi.Count(writing, "ledger_items"), RunStateApi.Count(writing, "statement_lines"), RunStateApi.Count(writing, "unmatched_internal")));
        Assert.Equal(("completed", "on_demand"), (RunStateApi.Text(completed, "state"), RunStateApi.Text(completed, "kind")));
        Assert.Equal(1, completed.GetProperty("summary").GetProperty("unmatched_internal").GetInt32());
    }

    [Fact]
    public async Task An_on_demand_run_shows_pending_until_it_takes_its_first_step()
    {
        var bank = await BankWithPaymentAsync("p");
        // Its first step updates its row; a trigger makes that update wait for a lock the test holds.
        await api.Database.ExecuteAsync($$"""
            CREATE FUNCTION wait_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.account_id = '{{bank}}' THEN PERFORM pg_advisory_xact_lock(4242); END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER wait_for_test BEFORE UPDATE ON reconciliation_runs FOR EACH ROW EXECUTE FUNCTION wait_for_test();
            """);
        using var client = api.Client(factory: api.CreateFactory(("LAMBDARECON_RECONCILE_WAIT_SECONDS", "0")));
        await using var blocker = await api.Database.DataSource.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_xact_lock(4242)", blocker, hold))
        {
            await take.ExecuteNonQueryAsync();
        }

        using var accepted = await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!.ToString();
        var pending = (await ReviewedRun.GetJsonAsync(client, location)).GetProperty("run");
        await hold.RollbackAsync();
        var completed = await WaitUntilAsync(client, location, r => RunStateApi.Text(r, "state") is "completed" or "failed");
        await api.Database.ExecuteAsync("DROP TRIGGER wait_for_test ON reconciliation_runs; DROP FUNCTION wait_for_test()");

        Assert.Equal(("pending", null), (RunStateApi.Text(pending, "state"), RunStateApi.Step(pending)));
        Assert.Equal("completed", RunStateApi.Text(completed, "state"));
    }

    [Fact]
    public async Task A_run_that_fails_after_its_202_is_shown_failed_with_the_reason()
    {
        var bank = await BankWithPaymentAsync("f");
        await api.Database.ExecuteAsync($$"""
            CREATE FUNCTION refuse_job_breaks() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.account_id = '{{bank}}' THEN RAISE EXCEPTION 'breaks of % refused by the test', NEW.account_id; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_job_breaks BEFORE INSERT ON reconciliation_breaks FOR EACH ROW EXECUTE FUNCTION refuse_job_breaks();
            """);
        using var client = api.Client(factory: api.CreateFactory(("LAMBDARECON_RECONCILE_WAIT_SECONDS", "0")));

        using var accepted = await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var failed = await WaitUntilAsync(client, accepted.Headers.Location!.ToString(), r => RunStateApi.Text(r, "state") is "completed" or "failed");
        await api.Database.ExecuteAsync("DROP TRIGGER refuse_job_breaks ON reconciliation_breaks; DROP FUNCTION refuse_job_breaks()");

        Assert.Equal("failed", RunStateApi.Text(failed, "state"));
        Assert.Contains($"breaks of {bank} refused by the test", RunStateApi.Text(failed, "failure_reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_whose_process_died_is_reported_failed_once_its_lease_has_lapsed_and_one_still_beating_is_not()
    {
        var bank = await BankWithPaymentAsync("d");
        var (dead, alive) = (Guid.NewGuid(), Guid.NewGuid());
        // As a crashed process leaves them: in_progress, the one last renewed ten minutes ago, the other just now.
        await api.Database.ExecuteAsync($$"""
            INSERT INTO reconciliation_runs (id, kind, account_id, triggered_by, state, progress, updated_at)
            VALUES ('{{dead}}', 'on_demand', '{{bank}}', 'test', 'in_progress', '{"step": "matching", "ledger_items": 1}', now() - interval '10 minutes'),
                   ('{{alive}}', 'on_demand', '{{bank}}', 'test', 'in_progress', '{"step": "matching", "ledger_items": 1}', now())
            """);
        using var client = api.Client();

        var lapsed = (await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{dead}")).GetProperty("run");
        var running = (await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{alive}")).GetProperty("run");

        Assert.Equal("failed", RunStateApi.Text(lapsed, "state"));
        Assert.StartsWith("lease lapsed: no heartbeat since ", RunStateApi.Text(lapsed, "failure_reason"), StringComparison.Ordinal);
        Assert.Equal(("matching", 1), (RunStateApi.Step(lapsed), RunStateApi.Count(lapsed, "ledger_items")));
        Assert.Equal("in_progress", RunStateApi.Text(running, "state"));
    }
}
