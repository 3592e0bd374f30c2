using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LambdaRecon.Api.Tests.Health;

public class HealthApiTests
{
    // Port 1 on the loopback is closed: a connection there is refused at once.
    private const string ClosedPort = "127.0.0.1:1";

    private static async Task<(HttpStatusCode Status, JsonElement Body, string? ContentType)> GetReadyAsync(
        params (string Name, string Value)[] overrides)
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (name, value) in overrides)
            {
                web.UseSetting(name, value);
            }
        });
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/api/v1/ready", UriKind.Relative));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Health_answers_ok_even_when_every_dependency_is_unreachable()
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("DATABASE_URL", "Host=127.0.0.1;Port=1;Username=x;Database=x");
            web.UseSetting("REDIS_URL", "redis://" + ClosedPort);
            web.UseSetting("AWS_ENDPOINT_URL_SQS", "http://" + ClosedPort);
        });
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"ok\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_answers_200_with_each_dependency_up_and_its_latency()
    {
        var (status, body, _) = await GetReadyAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var name in new[] { "postgres", "redis", "sqs" })
        {
            var dependency = body.GetProperty("dependencies").GetProperty(name);
            Assert.Equal("up", dependency.GetProperty("status").GetString());
            Assert.True(dependency.GetProperty("latency_ms").GetInt64() >= 0);
        }
    }

    [Theory]
    [InlineData("redis", "REDIS_URL", "redis://" + ClosedPort)]
    [InlineData("postgres", "DATABASE_URL", "Host=127.0.0.1;Port=1;Username=lambdarecon;Database=lambdarecon;Timeout=2")]
    [InlineData("sqs", "AWS_ENDPOINT_URL_SQS", "http://" + ClosedPort)]
    public async Task Ready_answers_503_naming_the_dependency_that_is_down(string dependency, string variable, string value)
    {
        var (status, body, contentType) = await GetReadyAsync((variable, value));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal([dependency], body.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(dependency, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("down", body.GetProperty("dependencies").GetProperty(dependency).GetProperty("status").GetString());
    }
}
