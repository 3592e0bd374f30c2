using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LambdaRecon.Api.Tests.Problems;

/// <summary>PostgreSQL out of reach: every endpoint answers 503 problem+json with Retry-After, never a bare 500.</summary>
public class DatabaseUnavailableTests
{
    [Theory]
    [InlineData("POST", "/api/v1/accounts", """{"account_id":"a-1","currency":"USD"}""")]
    [InlineData("POST", "/api/v1/transactions", """{"transaction":{"source_account_id":"a","destination_account_id":"b","amount":"1.00"},"idempotencyKey":"k-1"}""")]
    [InlineData("GET", "/api/v1/transactions/status/k-1", null)]
    [InlineData("GET", "/api/v1/accounts/a-1/balance", null)]
    public async Task With_the_database_unreachable_a_request_is_answered_503_with_retry_after_authentication_included(
        string method, string path, string? body)
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
            // Port 1 on the loopback is closed: each connection is refused at once.
            web.UseSetting("DATABASE_URL", "Host=127.0.0.1;Port=1;Username=lambdarecon;Database=lambdarecon;Timeout=2"));
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        // A key the API has never seen: looking it up needs the database.
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "lrk_" + Guid.NewGuid().ToString("N"));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("https://lambdarecon.dev/problems/service-unavailable", problem.GetProperty("type").GetString());
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
    }
}
