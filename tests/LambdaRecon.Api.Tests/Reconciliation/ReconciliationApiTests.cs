using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LambdaRecon.Api.Tests.Reconciliation;

public sealed class ReconciliationApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "r" + Guid.NewGuid().ToString("N")[..8];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Day(int offset) => DateTime.UtcNow.Date.AddDays(offset).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Payments from a customer into the bank account, posted as the worker would, keyed so the statement can refer to them.</summary>
    private async Task<(string Bank, Dictionary<string, Guid> Ids)> PaymentsIntoBankAsync(params (string Key, string Amount)[] payments)
    {
        var customer = await api.OpenAccountAsync(_p + "-customer", overdraftLimit: null);
        var bank = await api.OpenAccountAsync(_p + "-bank");
        await api.DrainQueueAsync();
        using var client = api.Client();
        var ids = new Dictionary<string, Guid>();
        foreach (var (key, amount) in payments)
        {
            using var response = await client.PostAsync("/api/v1/transactions", Json(
                $$"""{"transaction":{"source_account_id":"{{customer}}","destination_account_id":"{{bank}}","amount":"{{amount}}"},"idempotencyKey":"{{_p}}-{{key}}"}"""));
            ids[key] = (await ApiFixture.JsonAsync(response)).GetProperty("transactionId").GetGuid();
        }

        await api.PostQueuedAsync();
        return (bank, ids);
    }

    private async Task<HttpResponseMessage> ImportAsync(string bank, string format, string content, string? mapping = null)
    {
        using var client = api.Client();
        var url = $"/api/v1/statements?account_id={bank}&format={format}" + (mapping is null ? "" : $"&mapping={mapping}");
        return await client.PostAsync(url, new StringContent(content, Encoding.UTF8, format == "csv" ? "text/csv" : "application/xml"));
    }

    [Fact]
    public async Task A_bank_csv_reconciles_to_exactly_the_expected_matches_and_breaks()
    {
        var (bank, ids) = await PaymentsIntoBankAsync(("inv-1", "10.00"), ("inv-2", "20.00"), ("c", "30.00"), ("d", "40.00"), ("e", "5.00"), ("f", "7.00"), ("g", "99.99"));
        // By hand: L2 a reference that L7 repeats (a key on two lines identifies neither: a suggestion, L7 a break);
        // L3 reference with another amount; L4 amount and date one day later; L5 the same amount one day outside
        // the window; L6 a payout of e+f less 0.20 of fees, which only the allowance explains: a suggestion.
        var csv = $"""
            Date,Value Date,Amount,Currency,Reference,Counterparty,Description
            {Day(0)},{Day(0)},10.00,USD,{_p}-inv-1,Customer,Invoice 1
            {Day(0)},{Day(0)},20.01,USD,{_p}-inv-2,Customer,Invoice 2
            {Day(1)},{Day(1)},30.00,USD,,Customer,transfer
            {Day(4)},{Day(4)},40.00,USD,,Somebody else,transfer
            {Day(1)},{Day(1)},11.80,USD,,PSP,PAYOUT
            {Day(0)},{Day(0)},10.00,USD,{_p}-inv-1,Customer,Invoice 1
            """;

        using var imported = await ImportAsync(bank, "csv", csv);
        using var client = api.Client();
        using var reconciled = await client.PostAsync($"/api/v1/accounts/{bank}/reconcile",
            Json("""{"date_window_days":3,"fee_tolerance_minor":25}"""));
        var run = await ApiFixture.JsonAsync(reconciled);

        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        Assert.Equal(6, (await ApiFixture.JsonAsync(imported)).GetProperty("records_imported").GetInt32());
        Assert.Equal(HttpStatusCode.OK, reconciled.StatusCode);
        Assert.Equal((1, 1, 2, 2, 0, 2), (run.GetProperty("matched").GetInt32(), run.GetProperty("amount_mismatches").GetInt32(),
            run.GetProperty("unmatched_internal").GetInt32(), run.GetProperty("unmatched_external").GetInt32(), run.GetProperty("differences").GetInt32(),
            run.GetProperty("suggestions").GetInt32()));
        var details = run.GetProperty("details");
        Assert.Equal(
            new[] { ids["d"].ToString(), ids["g"].ToString() }.Order(),
            details.GetProperty("unmatched_internal").EnumerateArray().Select(e => e.GetString()!).Order());
        Assert.Equal(ids["c"].ToString(), Assert.Single(details.GetProperty("pairs").EnumerateArray()).GetProperty("transaction_id").GetString());
        var payout = Assert.Single(details.GetProperty("suggestions").EnumerateArray(), s => s[0].GetProperty("rule").GetString() == "ManyInternalToOneExternal")[0];
        Assert.Equal((20L, 2), (payout.GetProperty("fee_minor").GetInt64(), payout.GetProperty("transaction_ids").GetArrayLength()));
        Assert.Equal(ids["inv-2"].ToString(), Assert.Single(details.GetProperty("amount_mismatches").EnumerateArray()).GetProperty("transaction_id").GetString());

        // With the threshold lowered for this request, the payout is matched automatically.
        using var rerun = await client.PostAsync($"/api/v1/accounts/{bank}/reconcile",
            Json("""{"date_window_days":3,"fee_tolerance_minor":25,"auto_match_threshold":20,"dry_run":true}"""));
        var group = Assert.Single((await ApiFixture.JsonAsync(rerun)).GetProperty("details").GetProperty("groups").EnumerateArray());
        Assert.Equal(20, group.GetProperty("fee_minor").GetInt64());
    }

    [Fact]
    public async Task Importing_the_same_file_twice_changes_nothing_and_a_malformed_file_imports_nothing()
    {
        var (bank, _) = await PaymentsIntoBankAsync(("a", "1.00"));
        var csv = $"Date,Amount,Currency,Reference\n{Day(0)},1.00,USD,x\n{Day(0)},2.00,USD,y\n";
        var broken = $"Date,Amount,Currency,Reference\n{Day(0)},3.00,USD,x\n{Day(0)},4.001,USD,y\n";

        using var first = await ImportAsync(bank, "csv", csv);
        using var second = await ImportAsync(bank, "csv", csv);
        using var refused = await ImportAsync(bank, "csv", broken);
        var problem = await ApiFixture.JsonAsync(refused);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True((await ApiFixture.JsonAsync(second)).GetProperty("already_imported").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(3, problem.GetProperty("line").GetInt32());
        Assert.Equal(2L, await api.CountAsync($"SELECT count(*) FROM external_records WHERE account_id = '{bank}'"));
        Assert.Equal(1L, await api.CountAsync($"SELECT count(*) FROM statements WHERE account_id = '{bank}'"));
    }

    [Fact]
    public async Task A_camt053_statement_matches_on_the_end_to_end_id()
    {
        var (bank, ids) = await PaymentsIntoBankAsync(("a", "12.34"));
        var xml = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
              <BkToCstmrStmt><Stmt><Id>S1</Id>
                <Ntry>
                  <Amt Ccy="USD">12.34</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
                  <BookgDt><Dt>{Day(0)}</Dt></BookgDt><ValDt><Dt>{Day(2)}</Dt></ValDt><AcctSvcrRef>BANKREF-1</AcctSvcrRef>
                  <NtryDtls><TxDtls><Refs><EndToEndId>{ids["a"]}</EndToEndId></Refs><RmtInf><Ustrd>payment</Ustrd></RmtInf></TxDtls></NtryDtls>
                </Ntry>
              </Stmt></BkToCstmrStmt>
            </Document>
            """;

        using var imported = await ImportAsync(bank, "camt053", xml);
        using var client = api.Client();
        var run = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("{}")));

        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var pair = Assert.Single(run.GetProperty("details").GetProperty("pairs").EnumerateArray());
        Assert.Equal(("EndToEndId", "BANKREF-1"), (pair.GetProperty("rule").GetString(), pair.GetProperty("line_id").GetString()));
    }

    [Fact]
    public async Task A_break_resolved_by_an_adjustment_posts_once_lands_in_the_audit_trail_and_does_not_reappear()
    {
        var (bank, _) = await PaymentsIntoBankAsync(("a", "1.00"));
        await ImportAsync(bank, "csv", $"Date,Amount,Currency,Reference\n{Day(0)},1.00,USD,{_p}-a\n{Day(0)},0.35,USD,interest\n");
        using var client = api.Client();
        var first = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("{}")));
        var runId = first.GetProperty("run_id").GetGuid();
        var run = await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{runId}");
        var breakId = Assert.Single(run.GetProperty("breaks").EnumerateArray()).GetProperty("break_id").GetGuid();

        using var resolved = await client.PostAsync($"/api/v1/reconciliations/breaks/{breakId}/resolve", Json("""{"action":"adjust","note":"bank interest"}"""));
        using var again = await client.PostAsync($"/api/v1/reconciliations/breaks/{breakId}/resolve", Json("""{"action":"adjust","note":"bank interest"}"""));
        var next = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("{}")));
        var balance = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{bank}/balance"));
        var trail = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{bank}/audit-trail"));
        var history = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{bank}/reconciliation-history"));

        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal("adjusted", (await ApiFixture.JsonAsync(again)).GetProperty("status").GetString());
        Assert.Equal("1.35", balance.GetProperty("balance").GetString());
        Assert.Equal((0, 0, 0), (next.GetProperty("matched").GetInt32(), next.GetProperty("unmatched_internal").GetInt32(), next.GetProperty("unmatched_external").GetInt32()));
        Assert.Contains(trail.GetProperty("events").EnumerateArray(), e => e.GetProperty("event").GetString() == "break.adjusted");
        Assert.Equal(2, history.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public async Task A_break_explained_with_a_note_moves_no_money_is_audited_once_and_only_that_break_leaves_later_runs()
    {
        var (bank, ids) = await PaymentsIntoBankAsync(("a", "1.00"), ("b", "2.00"));
        await ImportAsync(bank, "csv", $"Date,Amount,Currency,Reference\n{Day(0)},1.00,USD,{_p}-a\n{Day(0)},0.35,USD,interest\n");
        using var client = api.Client();
        var first = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("{}")));
        var run = await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{first.GetProperty("run_id").GetGuid()}");
        var breaks = run.GetProperty("breaks").EnumerateArray().ToArray();
        var interest = Assert.Single(breaks, b => b.GetProperty("amount_minor").GetInt64() == 35).GetProperty("break_id").GetGuid();
        var unbooked = Assert.Single(breaks, b => b.GetProperty("transaction_id").ValueKind == JsonValueKind.String).GetProperty("break_id").GetGuid();
        var url = $"/api/v1/reconciliations/breaks/{interest}/resolve";

        using var explained = await client.PostAsync(url, Json("""{"action":"explain","note":"interest, booked next month"}"""));
        var answer = await ApiFixture.JsonAsync(explained);
        using var again = await client.PostAsync(url, Json("""{"action":"explain","note":"another note"}"""));
        // Once explained, asking for an adjustment posts nothing: the break is settled.
        using var adjustAfter = await client.PostAsync(url, Json("""{"action":"adjust","note":"changed my mind"}"""));
        using var unknown = await client.PostAsync($"/api/v1/reconciliations/breaks/{Guid.NewGuid()}/resolve", Json("""{"action":"explain","note":"x"}"""));
        var next = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("{}")));
        var balance = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{bank}/balance"));
        var trail = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{bank}/audit-trail"));
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{first.GetProperty("run_id").GetGuid()}");

        Assert.Equal(HttpStatusCode.OK, explained.StatusCode);
        Assert.Equal(("explained", JsonValueKind.Null), (answer.GetProperty("status").GetString(), answer.GetProperty("adjustment_transaction_id").ValueKind));
        Assert.Equal("explained", (await ApiFixture.JsonAsync(again)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, adjustAfter.StatusCode);
        Assert.Equal("explained", (await ApiFixture.JsonAsync(adjustAfter)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // No money moved: the balance is the two payments, and no adjustment exists for the account.
        Assert.Equal("3.00", balance.GetProperty("balance").GetString());
        Assert.Equal(0L, await api.CountAsync(
            $"SELECT count(*) FROM transactions WHERE type = 'adjustment' AND '{bank}' IN (source_account_id, destination_account_id)"));
        var events = trail.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("event").GetString()!.StartsWith("break.", StringComparison.Ordinal)).ToArray();
        var audited = Assert.Single(events);
        Assert.Equal("break.explained", audited.GetProperty("event").GetString());
        Assert.StartsWith("admin-", audited.GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal("interest, booked next month", audited.GetProperty("detail").GetProperty("note").GetString());
        var stored = Assert.Single(after.GetProperty("breaks").EnumerateArray(), b => b.GetProperty("break_id").GetGuid() == interest);
        Assert.Equal(("explained", "interest, booked next month"), (stored.GetProperty("status").GetString(), stored.GetProperty("resolution_note").GetString()));
        Assert.Equal("open", Assert.Single(after.GetProperty("breaks").EnumerateArray(), b => b.GetProperty("break_id").GetGuid() == unbooked).GetProperty("status").GetString());
        // The explained line is gone from later runs; the open break's payment is still reported.
        Assert.Equal((0, 1, 0), (next.GetProperty("matched").GetInt32(), next.GetProperty("unmatched_internal").GetInt32(), next.GetProperty("unmatched_external").GetInt32()));
        Assert.Equal([ids["b"].ToString()], next.GetProperty("details").GetProperty("unmatched_internal").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task An_entry_inserted_behind_the_ledgers_back_is_found_with_the_exact_difference()
    {
        var (bank, _) = await PaymentsIntoBankAsync(("a", "5.00"));
        using var client = api.Client();
        var clean = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("""{"dry_run":true}""")));

        await api.Database.ExecuteAsync(
            $"""
            ALTER TABLE ledger_entries DISABLE TRIGGER USER;
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES (gen_random_uuid(), '{bank}', 250, 'USD', 500, 2);
            ALTER TABLE ledger_entries ENABLE TRIGGER USER;
            """);
        var tampered = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("{}")));
        var latest = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{bank}/reconciliation-difference"));

        Assert.Equal(0, clean.GetProperty("differences").GetInt32());
        var differences = latest.GetProperty("differences").EnumerateArray().ToArray();
        var account = Assert.Single(differences, d => d.GetProperty("kind").GetString() == "account_balance");
        Assert.Equal((750L, 500L, -250L), (account.GetProperty("expected_minor").GetInt64(), account.GetProperty("actual_minor").GetInt64(), account.GetProperty("difference_minor").GetInt64()));
        var transaction = Assert.Single(differences, d => d.GetProperty("kind").GetString() == "unbalanced_transaction");
        Assert.Equal(250L, transaction.GetProperty("difference_minor").GetInt64());
        Assert.Equal(tampered.GetProperty("run_id").GetGuid(), latest.GetProperty("run_id").GetGuid());
    }
}
