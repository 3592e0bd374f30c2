using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LambdaRecon.Api.OpenApi;

namespace LambdaRecon.Api.Tests.OpenApi;

/// <summary>
/// The Scalar reference page is served only when LAMBDARECON_API_REFERENCE turns it on; the document always. Its
/// "Test Request" sends the document's example body with the key given on the page: that body must be accepted.
/// </summary>
public sealed class ApiReferenceTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task The_reference_page_is_off_unless_configuration_turns_it_on_and_the_document_is_served_either_way()
    {
        using var off = api.Client(factory: api.CreateFactory());
        using var on = api.Client(factory: api.CreateFactory((ApiContract.ReferenceSetting, "true")));

        Assert.Equal(HttpStatusCode.NotFound, (await off.GetAsync("/scalar/v1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await off.GetAsync("/openapi/v1.json")).StatusCode);

        using var page = await on.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.Contains("bearer", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await on.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task The_documented_example_of_a_transfer_is_accepted_as_it_stands()
    {
        using var client = api.Client();
        using var served = await client.GetAsync("/openapi/v1.json");
        var document = JsonDocument.Parse(await served.Content.ReadAsStringAsync()).RootElement;
        var example = document.GetProperty("paths").GetProperty("/api/v1/transactions").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example");
        // The example names the seed's accounts and key; this test's own copies of them keep it apart from other tests.
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var body = example.GetRawText()
            .Replace("account-123", await api.OpenAccountAsync("account-123-" + suffix, overdraftLimit: null), StringComparison.Ordinal)
            .Replace("account-456", await api.OpenAccountAsync("account-456-" + suffix), StringComparison.Ordinal)
            .Replace("unique-key-12345", "unique-key-" + suffix, StringComparison.Ordinal);

        using var response = await client.PostAsync("/api/v1/transactions", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await ApiFixture.JsonAsync(response);
        Assert.Equal("ACCEPTED", accepted.GetProperty("status").GetString());
        Assert.Equal("unique-key-" + suffix, accepted.GetProperty("idempotencyKey").GetString());
    }

    [Fact]
    public async Task A_problem_the_API_writes_has_the_fields_the_document_describes()
    {
        using var client = api.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "no-such-key");

        using var response = await client.GetAsync("/api/v1/accounts/account-123");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("X-Request-Id"));
        var problem = await ApiFixture.JsonAsync(response);
        foreach (var field in new[] { "type", "title", "status", "detail", "trace_id" })
        {
            Assert.True(problem.TryGetProperty(field, out _), $"the problem has no {field}");
        }
    }
}
