using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Reconciliation;
using Npgsql;

namespace LambdaRecon.Api.Tests.Tenancy;

/// <summary>
/// Two tenants side by side: every endpoint family answers another tenant's id exactly as a missing
/// one (404, or the unknown-account 422 of a transfer), and such a request changes nothing.
/// </summary>
public sealed class TenancyApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "n" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A tenant, a key for it (client "shop" in every tenant) and two of its accounts: a funding one and a customer one.</summary>
    private sealed record TenantKit(string Id, HttpClient Client, string Funding, string Account);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Day(int offset) => DateTime.UtcNow.Date.AddDays(offset).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static string Transfer(string from, string to, string amount, string key) =>
        $$"""{"transaction":{"source_account_id":"{{from}}","destination_account_id":"{{to}}","amount":"{{amount}}"},"idempotencyKey":"{{key}}"}""";

    private async Task<string> NewTenantAsync(string name)
    {
        using var admin = api.Client();
        using var created = await admin.PostAsync("/api/v1/admin/tenants", Json($$"""{"tenant_id":"{{_p}}-{{name}}","name":"Tenant {{name}}"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return $"{_p}-{name}";
    }

    private async Task<string> NewKeyAsync(string tenant, string scopes = """["transactions:write","ledger:read","reconciliation:run"]""")
    {
        using var admin = api.Client();
        using var created = await admin.PostAsync("/api/v1/admin/keys", Json($$"""{"client_id":"shop","tenant_id":"{{tenant}}","scopes":{{scopes}}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await ApiFixture.JsonAsync(created)).GetProperty("key").GetString()!;
    }

    private async Task<TenantKit> TenantAsync(string name)
    {
        var tenant = await NewTenantAsync(name);
        var client = api.Client(await NewKeyAsync(tenant));
        var funding = $"{tenant}-funding";
        var account = $"{tenant}-account";
        using var f = await client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{funding}}","currency":"USD","kind":"funding","overdraft_limit":null}"""));
        using var a = await client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{account}}","currency":"USD"}"""));
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (f.StatusCode, a.StatusCode));
        return new TenantKit(tenant, client, funding, account);
    }

    /// <summary>Posts a transfer of the tenant's and runs the worker's part; the transaction's id.</summary>
    private async Task<Guid> PaidAsync(TenantKit tenant, string amount, string key)
    {
        using var response = await tenant.Client.PostAsync("/api/v1/transactions", Json(Transfer(tenant.Funding, tenant.Account, amount, key)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await api.PostQueuedAsync();
        return (await ApiFixture.JsonAsync(response)).GetProperty("transactionId").GetGuid();
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null, string type = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, type);
        }

        return await client.SendAsync(request);
    }

    /// <summary>What a client can tell from an answer: status, media type and every field but the trace id, with the id it asked for made anonymous.</summary>
    private static async Task<string> ShapeAsync(HttpResponseMessage response, string id)
    {
        var body = await ApiFixture.JsonAsync(response);
        var fields = body.EnumerateObject().Where(p => p.Name != "trace_id").Select(p => $"{p.Name}={p.Value.GetRawText()}");
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {string.Join(" ", fields)}".Replace(id, "<id>", StringComparison.Ordinal);
    }

    private static async Task<string> BalanceAsync(TenantKit tenant) =>
        (await tenant.Client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{tenant.Account}/balance")).GetProperty("balance").GetString()!;

    [Fact]
    public async Task Another_tenants_account_is_answered_as_a_missing_one_by_every_account_and_statement_endpoint_and_nothing_changes()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");
        await PaidAsync(a, "10.00", _p + "-pay");
        var missing = _p + "-nobody";
        var csv = $"Date,Amount,Currency,Reference\n{Day(0)},1.00,USD,x\n";
        var probes = new (HttpMethod Method, string Path, string? Body, string Type)[]
        {
            (HttpMethod.Get, "/api/v1/accounts/{0}", null, ""),
            (HttpMethod.Get, "/api/v1/accounts/{0}/balance", null, ""),
            (HttpMethod.Get, "/api/v1/accounts/{0}/ledger", null, ""),
            (HttpMethod.Get, "/api/v1/accounts/{0}/audit-trail", null, ""),
            (HttpMethod.Get, "/api/v1/accounts/{0}/reconciliation-history", null, ""),
            (HttpMethod.Get, "/api/v1/accounts/{0}/reconciliation-difference", null, ""),
            (HttpMethod.Post, "/api/v1/accounts/{0}/reconcile", "{}", "application/json"),
            (HttpMethod.Post, "/api/v1/statements?account_id={0}&format=csv", csv, "text/csv"),
        };

        foreach (var (method, path, body, type) in probes)
        {
            using var foreign = await SendAsync(b.Client, method, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, a.Account), body, type);
            using var unknown = await SendAsync(b.Client, method, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, missing), body, type);

            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
            Assert.Equal(await ShapeAsync(unknown, missing), await ShapeAsync(foreign, a.Account));
        }

        // Admin keys see their own tenant's data only: the fixture's admin key is in the default tenant.
        using var admin = api.Client();
        using var byAdmin = await admin.GetAsync($"/api/v1/accounts/{a.Account}/balance");
        Assert.Equal(HttpStatusCode.NotFound, byAdmin.StatusCode);

        Assert.Equal("10.00", await BalanceAsync(a));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM statements WHERE account_id = '{a.Account}'"));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM external_records WHERE account_id = '{a.Account}'"));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM reconciliation_runs WHERE account_id = '{a.Account}'"));
        using var own = await a.Client.GetAsync($"/api/v1/accounts/{a.Account}/ledger");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Single((await ApiFixture.JsonAsync(own)).GetProperty("entries").EnumerateArray());
    }

    [Fact]
    public async Task A_transfer_naming_another_tenants_account_is_refused_as_an_unknown_account_before_anything_is_recorded_or_queued()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");
        await PaidAsync(a, "10.00", _p + "-pay");
        var missing = _p + "-nobody";
        var transactions = await api.CountAsync("SELECT count(*) FROM transactions");
        var keys = await api.CountAsync("SELECT count(*) FROM idempotency_keys");
        await api.DrainQueueAsync();

        using var fromForeign = await b.Client.PostAsync("/api/v1/transactions", Json(Transfer(a.Account, b.Account, "5.00", _p + "-1")));
        using var fromUnknown = await b.Client.PostAsync("/api/v1/transactions", Json(Transfer(missing, b.Account, "5.00", _p + "-2")));
        using var toForeign = await b.Client.PostAsync("/api/v1/transactions", Json(Transfer(b.Funding, a.Account, "5.00", _p + "-3")));
        using var toUnknown = await b.Client.PostAsync("/api/v1/transactions", Json(Transfer(b.Funding, missing, "5.00", _p + "-4")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, fromForeign.StatusCode);
        Assert.Equal(await ShapeAsync(fromUnknown, missing), await ShapeAsync(fromForeign, a.Account));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, toForeign.StatusCode);
        Assert.Equal(await ShapeAsync(toUnknown, missing), await ShapeAsync(toForeign, a.Account));
        Assert.Empty(await api.DrainQueueAsync());
        Assert.Equal(transactions, await api.CountAsync("SELECT count(*) FROM transactions"));
        Assert.Equal(keys, await api.CountAsync("SELECT count(*) FROM idempotency_keys"));
        Assert.Equal("10.00", await BalanceAsync(a));
    }

    [Fact]
    public async Task Another_tenants_transaction_cannot_be_read_polled_or_refunded()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");
        var paid = await PaidAsync(a, "10.00", _p + "-pay");
        var missing = Guid.NewGuid();
        await api.DrainQueueAsync();

        using var read = await b.Client.GetAsync($"/api/v1/transactions/{paid}");
        using var readMissing = await b.Client.GetAsync($"/api/v1/transactions/{missing}");
        // Both tenants' keys act for a client named "shop": the key is still another tenant's.
        using var polled = await b.Client.GetAsync($"/api/v1/transactions/status/{_p}-pay");
        using var polledMissing = await b.Client.GetAsync($"/api/v1/transactions/status/{_p}-none");
        var refundBody = """{"amount":"10.00","reason":"give it back"}""";
        using var refunded = await SendRefundAsync(b.Client, paid, refundBody, _p + "-r1");
        using var refundedMissing = await SendRefundAsync(b.Client, missing, refundBody, _p + "-r2");

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(await ShapeAsync(readMissing, missing.ToString()), await ShapeAsync(read, paid.ToString()));
        Assert.Equal(HttpStatusCode.NotFound, polled.StatusCode);
        Assert.Equal(await ShapeAsync(polledMissing, _p + "-none"), await ShapeAsync(polled, _p + "-pay"));
        Assert.Equal(HttpStatusCode.NotFound, refunded.StatusCode);
        Assert.Equal(await ShapeAsync(refundedMissing, missing.ToString()), await ShapeAsync(refunded, paid.ToString()));
        Assert.Empty(await api.DrainQueueAsync());
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM transactions WHERE refund_of = '{paid}'"));
        Assert.Equal("10.00", await BalanceAsync(a));
        var own = await a.Client.GetFromJsonAsync<JsonElement>($"/api/v1/transactions/{paid}");
        Assert.Equal("POSTED", own.GetProperty("status").GetString());
        using var ownRefund = await SendRefundAsync(a.Client, paid, """{"amount":"4.00","reason":"partial"}""", _p + "-r3");
        Assert.Equal(HttpStatusCode.Accepted, ownRefund.StatusCode);
    }

    private static Task<HttpResponseMessage> SendRefundAsync(HttpClient client, Guid id, string body, string key) =>
        client.PostAsync($"/api/v1/transactions/{id}/refund", Json(body.Replace("{", $$"""{"idempotencyKey":"{{key}}",""", StringComparison.Ordinal)));

    [Fact]
    public async Task The_same_client_and_idempotency_key_in_two_tenants_are_two_transactions()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");
        var key = _p + "-order-1";

        using var first = await a.Client.PostAsync("/api/v1/transactions", Json(Transfer(a.Funding, a.Account, "10.00", key)));
        using var second = await b.Client.PostAsync("/api/v1/transactions", Json(Transfer(b.Funding, b.Account, "20.00", key)));
        var inA = await a.Client.GetFromJsonAsync<JsonElement>($"/api/v1/transactions/status/{key}");
        var inB = await b.Client.GetFromJsonAsync<JsonElement>($"/api/v1/transactions/status/{key}");

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, second.StatusCode));
        Assert.Equal(("10.00", a.Account), (inA.GetProperty("amount").GetString(), inA.GetProperty("destination_account_id").GetString()));
        Assert.Equal(("20.00", b.Account), (inB.GetProperty("amount").GetString(), inB.GetProperty("destination_account_id").GetString()));
        Assert.Equal(2L, await api.CountAsync($"SELECT count(DISTINCT tenant_id) FROM idempotency_keys WHERE key = '{key}' AND client_id = 'shop'"));
    }

    [Fact]
    public async Task Another_tenants_runs_and_breaks_are_missing_and_resolving_its_break_changes_nothing()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");
        await PaidAsync(a, "1.00", _p + "-pay");
        using var imported = await a.Client.PostAsync($"/api/v1/statements?account_id={a.Account}&format=csv",
            new StringContent($"Date,Amount,Currency,Reference\n{Day(0)},1.00,USD,{_p}-pay\n{Day(0)},0.35,USD,interest\n", Encoding.UTF8, "text/csv"));
        var reconciled = await ApiFixture.JsonAsync(await a.Client.PostAsync($"/api/v1/accounts/{a.Account}/reconcile", Json("{}")));
        var runId = reconciled.GetProperty("run_id").GetGuid();
        var run = await a.Client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{runId}");
        var breakId = Assert.Single(run.GetProperty("breaks").EnumerateArray()).GetProperty("break_id").GetGuid();
        var missing = Guid.NewGuid();
        var adjust = """{"action":"adjust","note":"bank interest"}""";

        using var ownStatement = await a.Client.GetAsync(imported.Headers.Location);
        using var foreignStatement = await b.Client.GetAsync(imported.Headers.Location);
        using var missingStatement = await b.Client.GetAsync($"/api/v1/statements/{missing}");
        using var foreignRun = await b.Client.GetAsync($"/api/v1/reconciliations/{runId}");
        using var missingRun = await b.Client.GetAsync($"/api/v1/reconciliations/{missing}");
        using var foreignResolve = await b.Client.PostAsync($"/api/v1/reconciliations/breaks/{breakId}/resolve", Json(adjust));
        using var missingResolve = await b.Client.PostAsync($"/api/v1/reconciliations/breaks/{missing}/resolve", Json(adjust));

        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownStatement.StatusCode);
        var statement = await ApiFixture.JsonAsync(ownStatement);
        Assert.Equal((a.Account, 2L), (statement.GetProperty("account_id").GetString(), statement.GetProperty("records").GetInt64()));
        Assert.Equal(HttpStatusCode.NotFound, foreignStatement.StatusCode);
        var statementId = imported.Headers.Location!.ToString().Split('/')[^1];
        Assert.Equal(await ShapeAsync(missingStatement, missing.ToString()), await ShapeAsync(foreignStatement, statementId));
        Assert.Equal(HttpStatusCode.NotFound, foreignRun.StatusCode);
        Assert.Equal(await ShapeAsync(missingRun, missing.ToString()), await ShapeAsync(foreignRun, runId.ToString()));
        Assert.Equal(HttpStatusCode.NotFound, foreignResolve.StatusCode);
        Assert.Equal(await ShapeAsync(missingResolve, missing.ToString()), await ShapeAsync(foreignResolve, breakId.ToString()));
        Assert.Equal("open", await api.Database.ScalarAsync<string>($"SELECT status FROM reconciliation_breaks WHERE id = '{breakId}'"));
        Assert.Equal(0L, await api.CountAsync("SELECT count(*) FROM transactions WHERE type = 'adjustment'"));
        Assert.Equal("1.00", await BalanceAsync(a));

        // The owner resolves it, against a suspense account of its own tenant.
        using var resolved = await a.Client.PostAsync($"/api/v1/reconciliations/breaks/{breakId}/resolve", Json(adjust));
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal("1.35", await BalanceAsync(a));
        Assert.Equal(a.Id, await api.Database.ScalarAsync<string>($"SELECT tenant_id FROM accounts WHERE id = 'suspense:USD:{a.Id}'"));
        Assert.Equal(a.Id, await api.Database.ScalarAsync<string>("SELECT tenant_id FROM transactions WHERE type = 'adjustment'"));
    }

    [Fact]
    public async Task The_schedule_reconciles_every_tenant_and_its_whole_ledger_run_is_shown_to_admin_keys_only()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");
        await PaidAsync(a, "3.00", _p + "-pay-a");
        await PaidAsync(b, "4.00", _p + "-pay-b");
        var adminOfA = api.Client(await NewKeyAsync(a.Id, """["admin"]"""));

        var summary = await api.Factory.Services.GetRequiredService<ScheduledReconciliation>().RunAsync("test", CancellationToken.None);
        using var byTenant = await a.Client.GetAsync($"/api/v1/reconciliations/{summary.RunId}");
        using var byAdmin = await api.Client().GetAsync($"/api/v1/reconciliations/{summary.RunId}");
        using var byAdminOfA = await adminOfA.GetAsync($"/api/v1/reconciliations/{summary.RunId}");
        var historyA = await a.Client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{a.Account}/reconciliation-history");
        var historyB = await b.Client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{b.Account}/reconciliation-history");

        Assert.Contains(a.Account, summary.Accounts.Select(r => r.AccountId));
        Assert.Contains(b.Account, summary.Accounts.Select(r => r.AccountId));
        Assert.Equal(HttpStatusCode.NotFound, byTenant.StatusCode);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (byAdmin.StatusCode, byAdminOfA.StatusCode));
        Assert.Equal("scheduled", Assert.Single(historyA.GetProperty("runs").EnumerateArray()).GetProperty("kind").GetString());
        Assert.Equal("scheduled", Assert.Single(historyB.GetProperty("runs").EnumerateArray()).GetProperty("kind").GetString());
        // An admin key of tenant A is still confined to A's data.
        using var adminOnB = await adminOfA.GetAsync($"/api/v1/accounts/{b.Account}");
        using var adminOnA = await adminOfA.GetAsync($"/api/v1/accounts/{a.Account}");
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.OK), (adminOnB.StatusCode, adminOnA.StatusCode));
    }

    [Fact]
    public async Task Opening_an_id_another_tenant_holds_is_the_409_of_any_taken_id_and_tells_nothing_else()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");

        // The same settings as A's account: for A a safe retry, for B a taken id.
        using var sameByOwner = await a.Client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{a.Account}}","currency":"USD"}"""));
        using var sameByOther = await b.Client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{a.Account}}","currency":"USD"}"""));
        using var otherByOwner = await a.Client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{a.Account}}","currency":"EUR"}"""));
        using var reserved = await b.Client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"suspense:USD:{{b.Id}}","currency":"USD","kind":"suspense"}"""));

        Assert.Equal(HttpStatusCode.OK, sameByOwner.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, sameByOther.StatusCode);
        Assert.Equal(await ShapeAsync(otherByOwner, a.Account), await ShapeAsync(sameByOther, a.Account));
        var told = await sameByOther.Content.ReadAsStringAsync();
        Assert.DoesNotContain("USD", told, StringComparison.Ordinal);
        Assert.DoesNotContain("customer", told, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);
        Assert.Equal(a.Id, await api.Database.ScalarAsync<string>($"SELECT tenant_id FROM accounts WHERE id = '{a.Account}'"));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM accounts WHERE id = 'suspense:USD:{b.Id}'"));
    }

    [Fact]
    public async Task Admins_create_tenants_and_keys_for_them_and_keys_without_a_tenant_join_the_admins()
    {
        using var admin = api.Client();
        var tenant = _p + "-t";

        using var created = await admin.PostAsync("/api/v1/admin/tenants", Json($$"""{"tenant_id":"{{tenant}}","name":"Acme Ltd"}"""));
        using var again = await admin.PostAsync("/api/v1/admin/tenants", Json($$"""{"tenant_id":"{{tenant}}","name":"Acme Ltd"}"""));
        using var badId = await admin.PostAsync("/api/v1/admin/tenants", Json("""{"tenant_id":"has space","name":"x"}"""));
        using var noName = await admin.PostAsync("/api/v1/admin/tenants", Json($$"""{"tenant_id":"{{_p}}-u"}"""));
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/v1/admin/tenants");
        using var key = await admin.PostAsync("/api/v1/admin/keys", Json($$"""{"client_id":"acme-app","tenant_id":"{{tenant}}","scopes":["ledger:read"]}"""));
        using var unknownTenant = await admin.PostAsync("/api/v1/admin/keys", Json($$"""{"client_id":"ghost-app","tenant_id":"{{_p}}-none","scopes":["ledger:read"]}"""));
        using var withoutTenant = await admin.PostAsync("/api/v1/admin/keys", Json("""{"client_id":"plain-app","scopes":["ledger:read"]}"""));
        var keys = await admin.GetFromJsonAsync<JsonElement>("/api/v1/admin/keys");
        using var reader = api.Client(api.ReaderKey);
        using var refusedCreate = await reader.PostAsync("/api/v1/admin/tenants", Json($$"""{"tenant_id":"{{_p}}-r","name":"x"}"""));
        using var refusedList = await reader.GetAsync("/api/v1/admin/tenants");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(("Acme Ltd", tenant), ((await ApiFixture.JsonAsync(created)).GetProperty("name").GetString(), (await ApiFixture.JsonAsync(created)).GetProperty("tenant_id").GetString()));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(("tenant_id", "name"), ((await ApiFixture.JsonAsync(badId)).GetProperty("field").GetString(), (await ApiFixture.JsonAsync(noName)).GetProperty("field").GetString()));
        Assert.Contains(listed.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("tenant_id").GetString() == tenant);
        Assert.Contains(listed.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("tenant_id").GetString() == "default");
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        var keyBody = await ApiFixture.JsonAsync(key);
        Assert.Equal(tenant, keyBody.GetProperty("tenant_id").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknownTenant.StatusCode);
        Assert.Equal("tenant_id", (await ApiFixture.JsonAsync(unknownTenant)).GetProperty("field").GetString());
        Assert.Equal(0L, await api.CountAsync("SELECT count(*) FROM api_keys WHERE client_id = 'ghost-app'"));
        Assert.Equal("default", (await ApiFixture.JsonAsync(withoutTenant)).GetProperty("tenant_id").GetString());
        var listedKey = Assert.Single(keys.GetProperty("keys").EnumerateArray(), k => k.GetProperty("key_id").GetString() == keyBody.GetProperty("key_id").GetString());
        Assert.Equal(tenant, listedKey.GetProperty("tenant_id").GetString());
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (refusedCreate.StatusCode, refusedList.StatusCode));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM tenants WHERE id = '{_p}-r' OR id = '{_p}-u'"));

        // The new tenant's key works at once, inside its tenant.
        using var acme = api.Client(keyBody.GetProperty("key").GetString()!);
        using var nothingYet = await acme.GetAsync($"/api/v1/accounts/{_p}-nobody");
        Assert.Equal(HttpStatusCode.NotFound, nothingYet.StatusCode);
    }

    [Fact]
    public async Task The_demo_token_and_keys_made_without_a_tenant_share_the_default_tenants_accounts()
    {
        var a = await TenantAsync("a");
        var account = await api.OpenAccountAsync(_p + "-default");
        using var admin = api.Client();
        using var created = await admin.PostAsync("/api/v1/admin/keys", Json("""{"client_id":"plain-app","scopes":["ledger:read"]}"""));
        using var plain = api.Client((await ApiFixture.JsonAsync(created)).GetProperty("key").GetString()!);
        using var demo = api.Client("demo-token");

        using var byDemo = await demo.GetAsync($"/api/v1/accounts/{account}");
        using var byPlain = await plain.GetAsync($"/api/v1/accounts/{account}/balance");
        using var byTenant = await a.Client.GetAsync($"/api/v1/accounts/{account}");
        using var demoOnTenant = await demo.GetAsync($"/api/v1/accounts/{a.Account}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (byDemo.StatusCode, byPlain.StatusCode));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (byTenant.StatusCode, demoOnTenant.StatusCode));
        Assert.Equal("default", await api.Database.ScalarAsync<string>($"SELECT tenant_id FROM accounts WHERE id = '{account}'"));
    }

    [Fact]
    public async Task The_ledger_fails_a_transfer_between_two_tenants_and_refuses_entries_that_cross_them()
    {
        var a = await TenantAsync("a");
        var b = await TenantAsync("b");
        await PaidAsync(a, "10.00", _p + "-pay");
        var ledger = new LedgerStore(api.Database.DataSource);

        // A caller of the ledger itself (not the API) asks to move A's money to B.
        var outcome = (await ledger.PostBatchAsync(
            [new TransactionRecord(Guid.NewGuid(), TransactionType.Transfer, 500, "USD", a.Account, b.Account)], CancellationToken.None)).Single();
        var id = Guid.NewGuid();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => api.Database.ExecuteAsync(
            $"""
            BEGIN;
            INSERT INTO transactions (id, tenant_id, type, status, amount, currency, source_account_id, destination_account_id, posted_at)
            VALUES ('{id}', '{a.Id}', 'transfer', 'POSTED', 500, 'USD', '{a.Account}', '{b.Account}', now());
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES ('{id}', '{a.Account}', -500, 'USD', 500, 2), ('{id}', '{b.Account}', 500, 'USD', 500, 1);
            COMMIT;
            """));

        Assert.Equal((TransactionStatus.Failed, FailureCodes.UnknownAccount), (outcome.Status, outcome.FailureCode));
        Assert.Equal($"destination account '{b.Account}' does not exist", outcome.FailureReason);
        Assert.Contains("account belongs to another tenant", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal("10.00", await BalanceAsync(a));
        Assert.Equal("0.00", await BalanceAsync(b));
    }
}
