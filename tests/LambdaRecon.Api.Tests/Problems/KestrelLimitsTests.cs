using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LambdaRecon.Api.Reconciliation;

namespace LambdaRecon.Api.Tests.Problems;

/// <summary>
/// The refusals Kestrel itself makes (a request line or headers over its limits, a body over its limit)
/// through the real Kestrel host, not TestServer: each must still reach the client as problem+json.
/// </summary>
public sealed class KestrelLimitsTests(ApiFixture api) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _client = Kestrel(api);

    private static HttpClient Kestrel(ApiFixture api)
    {
        var factory = api.CreateFactory();
        factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", api.AdminKey);
        return client;
    }

    public void Dispose() => _client.Dispose();

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("https://lambdarecon.dev/problems/" + type, problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    [Fact]
    public async Task A_request_target_over_8_KiB_is_a_414_problem()
    {
        using var response = await _client.GetAsync("/api/v1/health?q=" + new string('q', 20_000));

        await ProblemAsync(response, HttpStatusCode.RequestUriTooLong, "uri-too-long");
    }

    [Fact]
    public async Task Headers_over_32_KiB_are_a_431_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/health");
        request.Headers.Add("X-Filler", new string('h', 40_000));

        using var response = await _client.SendAsync(request);

        await ProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_statement_over_4_MiB_is_a_413_problem_that_says_how_to_import_it(bool chunked)
    {
        var account = await api.OpenAccountAsync("k-bank-" + Guid.NewGuid().ToString("N")[..8]);
        var csv = Encoding.UTF8.GetBytes("Date,Amount,Currency\n" + string.Concat(Enumerable.Repeat("2026-01-05,1.00,USD\n", StatementBody.MaxBytes / 20 + 1)));
        HttpContent content = chunked ? new StreamContent(new MemoryStream(csv)) : new ByteArrayContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }

        using var response = await _client.PostAsync($"/api/v1/statements?account_id={account}&format=csv", content);

        var problem = await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Contains("./run.sh import-statement", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM statements WHERE account_id = '{account}'"));
    }

    [Fact]
    public async Task A_camt053_statement_nested_a_million_deep_is_refused_before_it_is_parsed()
    {
        var account = await api.OpenAccountAsync("k-bank-" + Guid.NewGuid().ToString("N")[..8]);
        var xml = "<Document><BkToCstmrStmt><Stmt>" + string.Concat(Enumerable.Repeat("<a>", 1_000_000)) + string.Concat(Enumerable.Repeat("</a>", 1_000_000)) + "</Stmt></BkToCstmrStmt></Document>";

        using var response = await _client.PostAsync($"/api/v1/statements?account_id={account}&format=camt053", new StringContent(xml, Encoding.UTF8, "application/xml"));

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large");
    }

    [Fact]
    public async Task A_camt053_statement_nested_500_000_deep_within_the_size_limit_is_a_400_naming_the_depth()
    {
        var account = await api.OpenAccountAsync("k-bank-" + Guid.NewGuid().ToString("N")[..8]);
        var xml = "<Document><BkToCstmrStmt><Stmt>" + string.Concat(Enumerable.Repeat("<a>", 500_000)) + string.Concat(Enumerable.Repeat("</a>", 500_000)) + "</Stmt></BkToCstmrStmt></Document>";

        using var response = await _client.PostAsync($"/api/v1/statements?account_id={account}&format=camt053", new StringContent(xml, Encoding.UTF8, "application/xml"));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "malformed-statement");
        Assert.Contains("nested deeper than 64", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_body_without_a_content_type_is_a_415_problem()
    {
        using var content = new ByteArrayContent("""{"account_id":"k-x","currency":"USD"}"""u8.ToArray());

        using var response = await _client.PostAsync("/api/v1/accounts", content);

        await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }
}
