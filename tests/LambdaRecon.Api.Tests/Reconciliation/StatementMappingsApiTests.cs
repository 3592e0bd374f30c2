using System.Net;
using System.Text;

namespace LambdaRecon.Api.Tests.Reconciliation;

public sealed class StatementMappingsApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "m" + Guid.NewGuid().ToString("N")[..8];

    private const string Definition =
        """{"delimiter": ";", "decimal_separator": ",", "thousands_separator": ".", "date_formats": "dd.MM.yyyy", "currency": "USD", "skip_rows": 1, "columns": {"booking_date": "Datum", "amount": "Betrag", "reference": "Referenz"}}""";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A client of a fresh tenant of its own, with the import's scopes.</summary>
    private async Task<HttpClient> OtherTenantAsync()
    {
        using var admin = api.Client();
        using var tenant = await admin.PostAsync("/api/v1/admin/tenants", Json($$"""{"tenant_id":"{{_p}}-t2","name":"other"}"""));
        Assert.Equal(HttpStatusCode.Created, tenant.StatusCode);
        using var key = await admin.PostAsync("/api/v1/admin/keys",
            Json($$"""{"client_id":"shop","tenant_id":"{{_p}}-t2","scopes":["ledger:read","reconciliation:run"]}"""));
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        return api.Client((await ApiFixture.JsonAsync(key)).GetProperty("key").GetString());
    }

    [Fact]
    public async Task A_created_mapping_is_listed_fetched_and_used_by_an_import()
    {
        using var client = api.Client();
        var name = $"{_p}-bank";
        using var created = await client.PostAsync("/api/v1/statement-mappings", Json($$"""{"name":"{{name}}","definition":{{Definition}}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/statement-mappings/{name}", created.Headers.Location?.OriginalString);
        using var fetched = await client.GetAsync(created.Headers.Location);
        var body = await ApiFixture.JsonAsync(fetched);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal((name, false, ";"), (body.GetProperty("name").GetString(), body.GetProperty("built_in").GetBoolean(),
            body.GetProperty("definition").GetProperty("delimiter").GetString()));
        using var listed = await client.GetAsync("/api/v1/statement-mappings");
        var list = await ApiFixture.JsonAsync(listed);
        Assert.Contains(name, list.GetProperty("mappings").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Contains("stripe-itemized", list.GetProperty("built_in").EnumerateArray().Select(m => m.GetString()));

        var bank = await api.OpenAccountAsync(_p + "-acct");
        using var imported = await client.PostAsync($"/api/v1/statements?account_id={bank}&format=csv&mapping={name}",
            new StringContent("Umsätze 03/2025\nDatum;Betrag;Referenz\n03.03.2025;1.234,56;INV-1\n04.03.2025;-7,00;FEE\n", Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        Assert.Equal(2, (await ApiFixture.JsonAsync(imported)).GetProperty("records_imported").GetInt32());
        Assert.Equal(123456 - 700, await api.CountAsync($"SELECT sum(amount)::bigint FROM external_records WHERE account_id = '{bank}'"));
    }

    [Fact]
    public async Task Another_tenants_mapping_is_missing_for_reads_and_imports()
    {
        using var client = api.Client();
        var name = $"{_p}-mine";
        using var created = await client.PostAsync("/api/v1/statement-mappings", Json($$"""{"name":"{{name}}","definition":{{Definition}}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var other = await OtherTenantAsync();

        using var fetched = await other.GetAsync($"/api/v1/statement-mappings/{name}");
        using var missing = await other.GetAsync($"/api/v1/statement-mappings/{_p}-nothing");
        using var listed = await other.GetAsync("/api/v1/statement-mappings");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (fetched.StatusCode, missing.StatusCode));
        Assert.Equal(0, (await ApiFixture.JsonAsync(listed)).GetProperty("mappings").GetArrayLength());
        // The other tenant may use the same name for its own mapping.
        using var own = await other.PostAsync("/api/v1/statement-mappings", Json($$"""{"name":"{{name}}","definition":{{Definition}}}"""));
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
    }

    [Fact]
    public async Task A_duplicate_name_is_a_conflict_and_a_built_in_name_is_refused()
    {
        using var client = api.Client();
        var body = $$"""{"name":"{{_p}}-dup","definition":{{Definition}}}""";
        using var first = await client.PostAsync("/api/v1/statement-mappings", Json(body));
        using var second = await client.PostAsync("/api/v1/statement-mappings", Json(body));
        using var builtIn = await client.PostAsync("/api/v1/statement-mappings", Json($$"""{"name":"stripe","definition":{{Definition}}}"""));

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Conflict, HttpStatusCode.BadRequest), (first.StatusCode, second.StatusCode, builtIn.StatusCode));
        Assert.Equal("name", (await ApiFixture.JsonAsync(builtIn)).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("""{"name":"x1","definition":{"columns":{"booking_date":"D","amout":"A"},"currency":"USD"}}""", "definition.columns.amout")]
    [InlineData("""{"name":"x2","definition":{"sign":"debit_credit","columns":{"booking_date":"D","amount":"A"},"currency":"USD"}}""", "definition.columns.amount")]
    [InlineData("""{"name":"x3","definition":{"columns":{"booking_date":"D","amount":"A"}}}""", "definition.currency")]
    [InlineData("""{"name":"x4"}""", "definition")]
    [InlineData("""{"name":"x5","definition":{},"extra":1}""", "extra")]
    [InlineData("""{"name":"X 6","definition":{}}""", "name")]
    public async Task An_invalid_definition_is_a_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        using var client = api.Client();
        using var response = await client.PostAsync("/api/v1/statement-mappings", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await ApiFixture.JsonAsync(response)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task An_import_naming_an_unknown_mapping_is_refused_listing_what_exists()
    {
        var bank = await api.OpenAccountAsync(_p + "-unknown");
        using var client = api.Client();
        using var response = await client.PostAsync($"/api/v1/statements?account_id={bank}&format=csv&mapping={_p}-nope",
            new StringContent("Date,Amount,Currency\n2025-03-01,1.00,USD\n", Encoding.UTF8, "text/csv"));
        var problem = await ApiFixture.JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("mapping", problem.GetProperty("field").GetString());
        Assert.Contains($"unknown mapping '{_p}-nope': the built-in mappings are generic, stripe, stripe-balance-history, stripe-itemized",
            problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await api.CountAsync($"SELECT count(*) FROM statements WHERE account_id = '{bank}'"));
    }
}
