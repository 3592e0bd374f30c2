using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>
/// POST /statements routes each statement of a file to the account holding its identifier, all or nothing;
/// GET /statements lists and shows them. Identifiers are unique per test (the fixture's tenant is shared),
/// so the MT940 fixture's account numbers are replaced by this test's own.
/// </summary>
public sealed class StatementImportTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "s" + Guid.NewGuid().ToString("N")[..8];

    // Ten digits of this test's own, for the fixture's two account numbers.
    private readonly string _eurNumber = "1" + Random.Shared.NextInt64(100_000_000, 999_999_999);
    private readonly string _usdNumber = "2" + Random.Shared.NextInt64(100_000_000, 999_999_999);

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reconciliation", "Fixtures", name));

    /// <summary>mt940-multi.sta: two EUR statements (STMT-2024-12-31, STMT-2025-01-01) for one account, one USD statement (STMT-USD) for another.</summary>
    private string Mt940() => Fixture("mt940-multi.sta").Replace("1234567890", _eurNumber, StringComparison.Ordinal)
        .Replace("9999999999", _usdNumber, StringComparison.Ordinal);

    private async Task<string> AccountAsync(string suffix, string currency, params (string Scheme, string Id)[] ids)
    {
        using var client = api.Client();
        using var response = await client.PostAsJsonAsync("/api/v1/accounts", new Dictionary<string, object?>
        {
            ["account_id"] = $"{_p}-{suffix}",
            ["currency"] = currency,
            ["external_ids"] = ids.Select(i => new { scheme = i.Scheme, id = i.Id }).ToArray(),
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return $"{_p}-{suffix}";
    }

    /// <summary>Sends the file as curl --data-binary does when told no Content-Type: with none at all.</summary>
    private async Task<HttpResponseMessage> PostAsync(string query, string body, string? contentType = null)
    {
        using var client = api.Client();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return await client.PostAsync("/api/v1/statements" + query, content);
    }

    private Task<long> LinesOfAsync(string account) => api.CountAsync($"SELECT count(*) FROM external_records WHERE account_id = '{account}'");

    private Task<long> StatementsOfAsync(string account) => api.CountAsync($"SELECT count(*) FROM statements WHERE account_id = '{account}'");

    [Fact]
    public async Task A_multi_statement_mt940_file_is_routed_to_two_accounts_in_one_import()
    {
        var eur = await AccountAsync("eur", "EUR", ("OTHER", _eurNumber));
        var usd = await AccountAsync("usd", "USD", ("BBAN", _usdNumber));

        using var response = await PostAsync("", Mt940());
        var body = await ApiFixture.JsonAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var statements = body.GetProperty("statements").EnumerateArray().ToArray();
        Assert.Equal(
            [("STMT-2024-12-31", eur, 1), ("STMT-2025-01-01", eur, 1), ("STMT-USD", usd, 1)],
            statements.Select(s => (s.GetProperty("reference").GetString(), s.GetProperty("account_id").GetString(), s.GetProperty("imported").GetInt32())));
        Assert.Equal(("mt940", 3, 3), (body.GetProperty("format").GetString(), body.GetProperty("lines").GetInt32(), body.GetProperty("records_imported").GetInt32()));
        Assert.Single(statements.Select(s => s.GetProperty("statement_id").GetGuid()), body.GetProperty("statement_id").GetGuid());
        Assert.Equal(("200.00", "190.00"), (statements[0].GetProperty("opening").GetProperty("amount").GetString(), statements[0].GetProperty("closing").GetProperty("amount").GetString()));
        Assert.Equal(("OTHER", _eurNumber), (statements[0].GetProperty("identifier").GetProperty("scheme").GetString(), statements[0].GetProperty("identifier").GetProperty("id").GetString()));
        Assert.Equal((2L, 1L), (await LinesOfAsync(eur), await LinesOfAsync(usd)));
        Assert.Equal(1L, await api.CountAsync($"SELECT count(DISTINCT import_id) FROM statements WHERE account_id IN ('{eur}', '{usd}')"));
        Assert.Equal($"/api/v1/statements/{body.GetProperty("statement_id").GetGuid()}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task A_day_without_movement_is_recorded_as_a_statement_of_its_balances_with_no_line()
    {
        var eur = await AccountAsync("quiet", "EUR", ("OTHER", _eurNumber));
        var quiet = $":20:QUIET\n:25:10020030/{_eurNumber}\n:28C:1\n:60F:C250303EUR10,00\n:62F:C250303EUR10,00\n-\n";

        using var response = await PostAsync("", quiet);
        var body = await ApiFixture.JsonAsync(response);
        using var client = api.Client();
        using var shown = await client.GetAsync($"/api/v1/statements/{body.GetProperty("statement_id").GetGuid()}");
        var statement = await ApiFixture.JsonAsync(shown);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal((eur, 0, 0), (body.GetProperty("account_id").GetString(), body.GetProperty("lines").GetInt32(), body.GetProperty("records_imported").GetInt32()));
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Equal(("10.00", 0), (statement.GetProperty("closing").GetProperty("amount").GetString(), statement.GetProperty("entries").GetArrayLength()));
        Assert.Equal((1L, 0L), (await StatementsOfAsync(eur), await LinesOfAsync(eur)));
    }

    [Fact]
    public async Task A_statement_whose_identifier_no_account_holds_refuses_the_whole_file_naming_it()
    {
        var eur = await AccountAsync("eur", "EUR", ("OTHER", _eurNumber));

        using var response = await PostAsync("", Mt940());
        var problem = await ApiFixture.JsonAsync(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("statement 'STMT-USD' (line 20)", detail, StringComparison.Ordinal);
        Assert.Contains($"OTHER {_usdNumber}, which no account holds", detail, StringComparison.Ordinal);
        Assert.Contains("/external-ids", detail, StringComparison.Ordinal);
        Assert.EndsWith("statement-account-unknown", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal((0L, 0L), (await StatementsOfAsync(eur), await LinesOfAsync(eur)));
    }

    [Fact]
    public async Task A_statement_for_another_account_than_the_named_one_is_refused_naming_statement_and_identifier()
    {
        var eur = await AccountAsync("eur", "EUR", ("OTHER", _eurNumber));
        var usd = await AccountAsync("usd", "USD", ("OTHER", _usdNumber));

        using var response = await PostAsync($"?account_id={eur}", Mt940());
        var problem = await ApiFixture.JsonAsync(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.EndsWith("statement-account-mismatch", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal($"statement 'STMT-USD' (line 20) is for OTHER {_usdNumber}, which account '{usd}' holds, not '{eur}': import it without account_id to route it, or fix the account's external ids",
            problem.GetProperty("detail").GetString());
        Assert.Equal((0L, 0L), (await LinesOfAsync(eur), await LinesOfAsync(usd)));
    }

    [Fact]
    public async Task Lines_in_another_currency_than_the_account_are_refused_naming_statement_and_line()
    {
        // No account holds the identifiers, so the named account takes them; the USD statement cannot go into EUR.
        var eur = await AccountAsync("eur", "EUR");

        using var response = await PostAsync($"?account_id={eur}&format=mt940", Mt940());
        var problem = await ApiFixture.JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"statement 'STMT-USD' (line 20) is in USD, account '{eur}' holds EUR", problem.GetProperty("detail").GetString());
        Assert.Equal(0L, await LinesOfAsync(eur));
    }

    [Fact]
    public async Task A_named_account_with_identifiers_of_the_statements_scheme_does_not_take_a_statement_of_an_unknown_one()
    {
        var eur = await AccountAsync("eur", "EUR", ("OTHER", "0000000001"));

        using var response = await PostAsync($"?account_id={eur}", Mt940());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains($"is for OTHER {_eurNumber}, but account '{eur}' is OTHER 0000000001", (await ApiFixture.JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Importing_the_same_file_again_changes_nothing_and_the_same_lines_in_another_file_import_nothing_new()
    {
        var eur = await AccountAsync("eur", "EUR", ("OTHER", _eurNumber));
        await AccountAsync("usd", "USD", ("OTHER", _usdNumber));

        using var first = await PostAsync("", Mt940());
        using var again = await PostAsync("", Mt940());
        using var crlf = await PostAsync("", Mt940().Contains('\r', StringComparison.Ordinal) ? Mt940().ReplaceLineEndings("\n") : Mt940().ReplaceLineEndings("\r\n"));
        var firstBody = await ApiFixture.JsonAsync(first);
        var againBody = await ApiFixture.JsonAsync(again);
        var crlfBody = await ApiFixture.JsonAsync(crlf);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Created), (first.StatusCode, again.StatusCode, crlf.StatusCode));
        Assert.True(againBody.GetProperty("already_imported").GetBoolean());
        Assert.Equal(
            firstBody.GetProperty("statements").EnumerateArray().Select(s => s.GetProperty("statement_id").GetGuid()),
            againBody.GetProperty("statements").EnumerateArray().Select(s => s.GetProperty("statement_id").GetGuid()));
        Assert.Equal(0, crlfBody.GetProperty("records_imported").GetInt32());
        Assert.Equal(2L, await LinesOfAsync(eur));
    }

    [Fact]
    public async Task A_file_repeating_a_line_the_account_has_imports_only_its_new_lines()
    {
        var eur = await AccountAsync("eur", "EUR");
        var header = "Date,Amount,Currency,Reference\n";
        var known = "2026-01-05,1.00,EUR,known\n";
        // The repeated line is neither the first nor the last, so no sample finds it before the copy does.
        using var first = await PostAsync($"?account_id={eur}", header + known);
        using var second = await PostAsync($"?account_id={eur}", header + "2026-01-04,7.00,EUR,new-1\n" + known + "2026-01-06,8.00,EUR,new-2\n");
        var body = await ApiFixture.JsonAsync(second);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, second.StatusCode));
        Assert.Equal((3, 2), (body.GetProperty("lines").GetInt32(), body.GetProperty("records_imported").GetInt32()));
        Assert.Equal(2, body.GetProperty("statements")[0].GetProperty("imported").GetInt32());
        Assert.Equal(3L, await LinesOfAsync(eur));
    }

    [Fact]
    public async Task A_statement_shows_its_balances_and_pages_its_lines_and_the_list_pages_an_accounts_statements()
    {
        var eur = await AccountAsync("eur", "EUR");
        var csv = "Date,Amount,Currency,Reference\n2026-01-05,1.00,EUR,a\n2026-01-05,2.00,EUR,b\n2026-01-06,-0.50,EUR,c\n";
        using var imported = await PostAsync($"?account_id={eur}&format=csv", csv, "text/csv");
        using var other = await PostAsync($"?account_id={eur}", "Date,Amount,Currency,Reference\n2026-01-07,5.00,EUR,d\n");
        var id = (await ApiFixture.JsonAsync(imported)).GetProperty("statement_id").GetGuid();
        using var client = api.Client();

        var page1 = await client.GetFromJsonAsync<JsonElement>($"/api/v1/statements/{id}?limit=2");
        var cursor = page1.GetProperty("next_cursor").GetString();
        var page2 = await client.GetFromJsonAsync<JsonElement>($"/api/v1/statements/{id}?limit=2&cursor={Uri.EscapeDataString(cursor!)}");
        var list1 = await client.GetFromJsonAsync<JsonElement>($"/api/v1/statements?account_id={eur}&limit=1");
        var list2 = await client.GetFromJsonAsync<JsonElement>($"/api/v1/statements?account_id={eur}&limit=1&cursor={list1.GetProperty("next_cursor").GetString()}");
        using var badCursor = await client.GetAsync($"/api/v1/statements/{id}?cursor=nonsense");
        using var missing = await client.GetAsync($"/api/v1/statements/{Guid.NewGuid()}");
        using var unknownAccount = await client.GetAsync($"/api/v1/statements?account_id={_p}-nobody");

        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        Assert.Equal((eur, "csv", 3, 3L), (page1.GetProperty("account_id").GetString(), page1.GetProperty("format").GetString(),
            page1.GetProperty("lines").GetInt32(), page1.GetProperty("records").GetInt64()));
        Assert.Equal(["1.00", "2.00"], page1.GetProperty("entries").EnumerateArray().Select(l => l.GetProperty("amount").GetString()));
        Assert.Equal(["-0.50"], page2.GetProperty("entries").EnumerateArray().Select(l => l.GetProperty("amount").GetString()));
        Assert.False(page2.TryGetProperty("next_cursor", out _));
        Assert.False(list1.GetProperty("statements")[0].TryGetProperty("entries", out _));
        // Newest first: the second import, then the first.
        Assert.NotEqual(id, list1.GetProperty("statements")[0].GetProperty("statement_id").GetGuid());
        Assert.Equal(id, list2.GetProperty("statements")[0].GetProperty("statement_id").GetGuid());
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (badCursor.StatusCode, missing.StatusCode, unknownAccount.StatusCode));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("text/plain")]
    public async Task A_body_is_the_file_whatever_its_content_type_for_xml_and_a_csv_of_several_kilobytes(string? contentType)
    {
        var chf = await AccountAsync("chf", "CHF");
        var eur = await AccountAsync("eur", "EUR");
        var csv = new StringBuilder("Date,Amount,Currency,Reference,Description\n");
        for (var i = 0; csv.Length < 2500; i++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"2026-01-05,{i}.25,EUR,ref-{i},a description long enough to pass the form key limit of 2048\n");
        }

        using var xml = await PostAsync($"?account_id={chf}", Fixture("camt053-v08.xml"), contentType);
        using var text = await PostAsync($"?account_id={eur}", csv.ToString(), contentType);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (xml.StatusCode, text.StatusCode));
        Assert.Equal("camt053", (await ApiFixture.JsonAsync(xml)).GetProperty("format").GetString());
        Assert.Equal(1L, await LinesOfAsync(chf));
        Assert.True(await LinesOfAsync(eur) > 20);
    }

    [Fact]
    public async Task External_ids_are_normalised_verified_unique_in_the_tenant_and_replaced_whole()
    {
        const string Iban = "DE89370400440532013000";
        var first = await AccountAsync("a", "EUR", ("iban", "de89 3704 0044 0532 0130 00"), ("OTHER", _eurNumber));
        using var client = api.Client();
        var shown = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{first}");
        using var wrongDigits = await client.PostAsJsonAsync("/api/v1/accounts", new { account_id = $"{_p}-b", currency = "EUR", external_ids = new[] { new { scheme = "IBAN", id = "DE88370400440532013000" } } });
        using var badScheme = await client.PostAsJsonAsync("/api/v1/accounts", new { account_id = $"{_p}-b", currency = "EUR", external_ids = new[] { new { scheme = "SWIFT", id = "X" } } });
        using var taken = await client.PostAsJsonAsync("/api/v1/accounts", new { account_id = $"{_p}-b", currency = "EUR", external_ids = new[] { new { scheme = "IBAN", id = Iban } } });
        using var notCreated = await client.GetAsync($"/api/v1/accounts/{_p}-b");
        var second = await AccountAsync("b", "EUR");
        using var takenByPut = await client.PutAsJsonAsync($"/api/v1/accounts/{second}/external-ids", new { external_ids = new[] { new { scheme = "IBAN", id = Iban } } });
        using var cleared = await client.PutAsJsonAsync($"/api/v1/accounts/{first}/external-ids", new { external_ids = new[] { new { scheme = "OTHER", id = _eurNumber } } });
        using var moved = await client.PutAsJsonAsync($"/api/v1/accounts/{second}/external-ids", new { external_ids = new[] { new { scheme = "IBAN", id = Iban } } });
        using var unknown = await client.PutAsJsonAsync($"/api/v1/accounts/{_p}-nobody/external-ids", new { external_ids = Array.Empty<object>() });

        Assert.Equal([("IBAN", Iban), ("OTHER", _eurNumber)],
            shown.GetProperty("external_ids").EnumerateArray().Select(e => (e.GetProperty("scheme").GetString(), e.GetProperty("id").GetString())));
        Assert.Equal((HttpStatusCode.BadRequest, "external_ids[0]"), (wrongDigits.StatusCode, (await ApiFixture.JsonAsync(wrongDigits)).GetProperty("field").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, badScheme.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(first, (await ApiFixture.JsonAsync(taken)).GetProperty("holder_account_id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, notCreated.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, takenByPut.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(Iban, (await ApiFixture.JsonAsync(moved)).GetProperty("external_ids")[0].GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_batch_line_whose_payments_came_in_a_notification_is_reconciled_through_those_payments()
    {
        // Two payments into the bank account, booked by the bank as one batch entry (camt.053, NbOfTxs 2)
        // and detailed by a camt.054 whose lines carry the entry's reference.
        var customer = await api.OpenAccountAsync(_p + "-customer", overdraftLimit: null);
        var bank = await api.OpenAccountAsync(_p + "-bank");
        await api.DrainQueueAsync();
        using var client = api.Client();
        var ids = new List<string>();
        foreach (var (key, amount) in new[] { ("a", "10.00"), ("b", "20.00") })
        {
            using var posted = await client.PostAsync("/api/v1/transactions", new StringContent(
                $$"""{"transaction":{"source_account_id":"{{customer}}","destination_account_id":"{{bank}}","amount":"{{amount}}"},"idempotencyKey":"{{_p}}-{{key}}"}""",
                Encoding.UTF8, "application/json"));
            ids.Add((await ApiFixture.JsonAsync(posted)).GetProperty("transactionId").GetString()!);
        }

        await api.PostQueuedAsync();
        var usd = Currency.Of("USD");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var batch = new StatementLine("BATCH-1", 7, new Money(3000, usd), today, today, null, null, null, "batch", EntryRef: "BATCH-1", BatchCount: 2);
        StatementLine Detail(int n, long minor) => new($"BATCH-1/{n}", 10 + n, new Money(minor, usd), today, today, null, ids[n], null, null, EntryRef: "BATCH-1");
        var store = api.Factory.Services.GetRequiredService<StatementStore>();
        await store.ImportAsync("camt053", Encoding.UTF8.GetBytes(_p + "-053"),
            [new(0, new BankStatement(1, "S-053", null, null, usd, null, null, IsInterim: false, [batch]), bank)], "test", CancellationToken.None);
        await store.ImportAsync("camt054", Encoding.UTF8.GetBytes(_p + "-054"),
            [new(0, new BankStatement(1, "N-054", null, null, usd, null, null, IsInterim: true, [Detail(0, 1000), Detail(1, 2000)]), bank)], "test", CancellationToken.None);

        var run = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", new StringContent("{}", Encoding.UTF8, "application/json")));

        Assert.Equal((2, 0, 0), (run.GetProperty("matched").GetInt32(), run.GetProperty("unmatched_external").GetInt32(), run.GetProperty("unmatched_internal").GetInt32()));
        Assert.All(run.GetProperty("details").GetProperty("pairs").EnumerateArray(), p => Assert.Equal("EndToEndId", p.GetProperty("rule").GetString()));
    }
}
