using System.Net;
using System.Text;

namespace LambdaRecon.Api.Tests.Admin;

public sealed class KeysApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _client = "shop-" + Guid.NewGuid().ToString("N")[..8];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task The_location_of_a_created_key_or_tenant_answers_with_it_and_an_unknown_one_is_404()
    {
        using var admin = api.Client();
        using var createdKey = await admin.PostAsync("/api/v1/admin/keys", Json($$"""{"client_id":"{{_client}}","scopes":["ledger:read"]}"""));
        using var createdTenant = await admin.PostAsync("/api/v1/admin/tenants", Json($$"""{"tenant_id":"{{_client}}","name":"Location check"}"""));
        var key = await ApiFixture.JsonAsync(createdKey);

        using var keyAtLocation = await admin.GetAsync(createdKey.Headers.Location);
        using var tenantAtLocation = await admin.GetAsync(createdTenant.Headers.Location);
        using var unknownKey = await admin.GetAsync("/api/v1/admin/keys/no-such-key");
        using var unknownTenant = await admin.GetAsync("/api/v1/admin/tenants/no-such-tenant");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (keyAtLocation.StatusCode, tenantAtLocation.StatusCode));
        var keyBody = await ApiFixture.JsonAsync(keyAtLocation);
        Assert.Equal(key.GetProperty("key_id").GetString(), keyBody.GetProperty("key_id").GetString());
        Assert.False(keyBody.TryGetProperty("key", out _));
        Assert.Equal(_client, (await ApiFixture.JsonAsync(tenantAtLocation)).GetProperty("tenant_id").GetString());
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (unknownKey.StatusCode, unknownTenant.StatusCode));
        Assert.Equal("application/problem+json", unknownKey.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_created_key_works_at_once_is_listed_without_its_secret_and_stops_working_when_revoked()
    {
        using var admin = api.Client();
        using var created = await admin.PostAsync("/api/v1/admin/keys",
            Json($$"""{"client_id":"{{_client}}","scopes":["transactions:write","ledger:read"],"description":"checkout"}"""));
        var body = await ApiFixture.JsonAsync(created);
        var key = body.GetProperty("key").GetString()!;
        var keyId = body.GetProperty("key_id").GetString()!;

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/admin/keys/{keyId}", created.Headers.Location?.ToString());
        Assert.StartsWith("lrk_", key, StringComparison.Ordinal);
        Assert.Equal(_client, body.GetProperty("client_id").GetString());

        using var shop = api.Client(key);
        using var opened = await shop.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{_client}}-a","currency":"EUR"}"""));
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);

        using var listed = await admin.GetAsync("/api/v1/admin/keys");
        var listing = await listed.Content.ReadAsStringAsync();
        Assert.Contains(keyId, listing, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listing, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", listing, StringComparison.OrdinalIgnoreCase);

        using var revoked = await admin.DeleteAsync($"/api/v1/admin/keys/{keyId}");
        var revokedBody = await ApiFixture.JsonAsync(revoked);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, revokedBody.GetProperty("revoked_at").ValueKind);

        using var refused = await shop.GetAsync($"/api/v1/accounts/{_client}-a");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var again = await admin.DeleteAsync($"/api/v1/admin/keys/{keyId}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(revokedBody.GetProperty("revoked_at").GetString(), (await ApiFixture.JsonAsync(again)).GetProperty("revoked_at").GetString());
    }

    [Fact]
    public async Task A_key_without_admin_is_403_on_every_admin_endpoint_and_an_unknown_key_401()
    {
        using var reader = api.Client(api.ReaderKey);
        using var stranger = api.Client("lrk_" + new string('0', 48));

        using var create = await reader.PostAsync("/api/v1/admin/keys", Json("""{"client_id":"x","scopes":["admin"]}"""));
        using var list = await reader.GetAsync("/api/v1/admin/keys");
        using var revoke = await reader.DeleteAsync("/api/v1/admin/keys/0123456789abcdef");
        using var unknown = await stranger.GetAsync("/api/v1/admin/keys");

        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], new[] { create.StatusCode, list.StatusCode, revoke.StatusCode });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(0, await api.CountAsync("SELECT count(*) FROM api_keys WHERE client_id = 'x'"));
    }

    [Theory]
    [InlineData("""{"scopes":["ledger:read"]}""", "client_id")]
    [InlineData("""{"client_id":"has space","scopes":["ledger:read"]}""", "client_id")]
    [InlineData("""{"client_id":"c"}""", "scopes")]
    [InlineData("""{"client_id":"c","scopes":[]}""", "scopes")]
    [InlineData("""{"client_id":"c","scopes":["root"]}""", "scopes")]
    [InlineData("""{"client_id":"c","scopes":["admin","admin"]}""", "scopes")]
    [InlineData("""{"client_id":"c","scopes":"admin"}""", "scopes")]
    [InlineData("""{"client_id":"c","scopes":["admin"],"expires":"never"}""", "expires")]
    public async Task A_bad_key_request_is_refused_naming_the_field_and_creates_nothing(string body, string field)
    {
        var before = await api.CountAsync("SELECT count(*) FROM api_keys");
        using var admin = api.Client();

        using var response = await admin.PostAsync("/api/v1/admin/keys", Json(body));
        var problem = await ApiFixture.JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(before, await api.CountAsync("SELECT count(*) FROM api_keys"));
    }

    [Fact]
    public async Task Revoking_a_key_that_does_not_exist_is_404()
    {
        using var admin = api.Client();

        using var response = await admin.DeleteAsync("/api/v1/admin/keys/ffffffffffffffff");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
