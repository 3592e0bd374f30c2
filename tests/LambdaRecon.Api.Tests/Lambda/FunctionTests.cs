using System.Text.Json;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.ApiGateway;

namespace LambdaRecon.Api.Tests.Lambda;

/// <summary>
/// The handler Lambda calls, end to end: an event stream in, the whole app (its routes, problem+json, its
/// real PostgreSQL, Redis and SQS from ./test.sh), a response stream out.
/// </summary>
public class FunctionTests
{
    private static readonly string HealthEvent = Path.Combine(AppContext.BaseDirectory, "Lambda", "Events", "http-api-v2-health.json");

    private static async Task<ApiGatewayHttpResponse> InvokeAsync(Stream input)
    {
        await using var output = await new Function().HandleAsync(input);
        return await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.ApiGatewayHttpResponse);
    }

    private static async Task<ApiGatewayHttpResponse> InvokeAsync(ApiGatewayHttpRequest request)
    {
        await using var input = LambdaPayload.Write(request, LambdaJsonContext.Default.ApiGatewayHttpRequest);
        return await InvokeAsync(input);
    }

    [Fact]
    public async Task The_health_check_event_answers_200_json()
    {
        await using var input = File.OpenRead(HealthEvent);

        var response = await InvokeAsync(input);

        Assert.Equal(200, response.StatusCode);
        Assert.StartsWith("application/json", response.Headers!["Content-Type"], StringComparison.Ordinal);
        Assert.False(response.IsBase64Encoded);
        Assert.Equal("ok", JsonDocument.Parse(response.Body!).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_answers_200_with_every_dependency_up()
    {
        var response = await InvokeAsync(ApiGatewayEvents.Request("GET", "/api/v1/ready"));

        Assert.Equal(200, response.StatusCode);
        var dependencies = JsonDocument.Parse(response.Body!).RootElement.GetProperty("dependencies");
        foreach (var name in new[] { "postgres", "redis", "sqs" })
        {
            Assert.Equal("up", dependencies.GetProperty(name).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task An_unknown_route_answers_404_problem_json()
    {
        var response = await InvokeAsync(ApiGatewayEvents.Request("GET", "/api/v1/no-such-thing"));

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("application/problem+json", response.Headers!["Content-Type"]);
        Assert.Equal(404, JsonDocument.Parse(response.Body!).RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task The_app_is_started_once_and_every_later_invocation_reuses_it()
    {
        await using (var first = File.OpenRead(HealthEvent))
        {
            await InvokeAsync(first);
        }

        var later = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => InvokeAsync(ApiGatewayEvents.Request("GET", "/api/v1/health"))));

        Assert.All(later, response => Assert.Equal(200, response.StatusCode));
        Assert.Equal(1, Function.Starts);
    }
}
