using System.Text.Json;
using LambdaRecon.Lambda.ApiGateway;
using LambdaRecon.Lambda.Tests.Events;

namespace LambdaRecon.Lambda.Tests.ApiGateway;

public class ApiGatewayHttpRequestTests
{
    private static ApiGatewayHttpRequest Read(string file) =>
        EventFiles.Deserialize(file, LambdaJsonContext.Default.ApiGatewayHttpRequest);

    private static ApiGatewayHttpRequest RoundTrip(ApiGatewayHttpRequest request) =>
        JsonSerializer.Deserialize(
            JsonSerializer.Serialize(request, LambdaJsonContext.Default.ApiGatewayHttpRequest),
            LambdaJsonContext.Default.ApiGatewayHttpRequest)!;

    [Fact]
    public void The_sample_keeps_a_repeated_query_parameter_apart_in_the_raw_query_string()
    {
        var request = RoundTrip(Read("http-api-v2-request.json"));

        Assert.Equal("parameter1=value1&parameter1=value2&parameter2=value", request.RawQueryString);
        Assert.Equal("value1,value2", request.QueryStringParameters!["parameter1"]);
        Assert.Equal("value", request.QueryStringParameters["parameter2"]);
    }

    [Fact]
    public void The_sample_keeps_its_cookies_and_its_base64_body()
    {
        var request = RoundTrip(Read("http-api-v2-request.json"));

        Assert.Equal(["cookie1", "cookie2"], request.Cookies!);
        Assert.Equal("Hello from Lambda", request.Body);
        Assert.True(request.IsBase64Encoded);
    }

    [Fact]
    public void The_sample_keeps_headers_stage_variables_and_the_route()
    {
        var request = RoundTrip(Read("http-api-v2-request.json"));

        Assert.Equal("2.0", request.Version);
        Assert.Equal("$default", request.RouteKey);
        Assert.Equal("/my/path", request.RawPath);
        Assert.Equal("value1", request.Headers!["Header1"]);
        Assert.Equal("value2", request.Headers["Header2"]);
        Assert.Equal("value2", request.StageVariables!["stageVariable2"]);
        Assert.Null(request.PathParameters);
    }

    [Fact]
    public void The_sample_keeps_the_request_context_the_bridge_reads()
    {
        var context = RoundTrip(Read("http-api-v2-request.json")).RequestContext;

        Assert.Equal("123456789012", context.AccountId);
        Assert.Equal("api-id", context.ApiId);
        Assert.Equal("id.execute-api.us-east-1.amazonaws.com", context.DomainName);
        Assert.Equal("domain-id", context.DomainPrefix);
        Assert.Equal("request-id", context.RequestId);
        Assert.Equal("route-id", context.RouteId);
        Assert.Equal("$default-route", context.RouteKey);
        Assert.Equal("$default-stage", context.Stage);
        Assert.Equal("12/Mar/2020:19:03:58 +0000", context.Time);
        Assert.Equal(1583348638390, context.TimeEpoch);
        Assert.Equal("POST", context.Http.Method);
        Assert.Equal("/my/path", context.Http.Path);
        Assert.Equal("HTTP/1.1", context.Http.Protocol);
        Assert.Equal("IP", context.Http.SourceIp);
        Assert.Equal("agent", context.Http.UserAgent);
    }

    [Fact]
    public void The_sample_keeps_the_jwt_authorizer_claims_and_scopes()
    {
        var jwt = RoundTrip(Read("http-api-v2-request.json")).RequestContext.Authorizer!.Value.GetProperty("jwt");

        Assert.Equal("value1", jwt.GetProperty("claims").GetProperty("claim1").GetString());
        Assert.Equal(["scope1", "scope2"], jwt.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public void The_health_check_event_is_a_get_without_a_body_on_the_default_stage()
    {
        var request = Read("http-api-v2-health.json");

        Assert.Equal("GET", request.RequestContext.Http.Method);
        Assert.Equal("/api/v1/health", request.RawPath);
        Assert.Equal("", request.RawQueryString);
        Assert.Equal("$default", request.RequestContext.Stage);
        Assert.Equal("203.0.113.17", request.RequestContext.Http.SourceIp);
        Assert.Equal("https", request.Headers!["x-forwarded-proto"]);
        Assert.Null(request.Body);
        Assert.Null(request.Cookies);
        Assert.Null(request.RequestContext.Authorizer);
    }

    [Fact]
    public void An_event_without_a_request_context_is_refused_rather_than_read_half()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(
            """{"version":"2.0","rawPath":"/api/v1/health"}""", LambdaJsonContext.Default.ApiGatewayHttpRequest));

        Assert.Contains("requestContext", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_without_a_query_string_reads_as_one_with_an_empty_query()
    {
        var request = JsonSerializer.Deserialize(
            """{"rawPath":"/api/v1/health","requestContext":{"requestId":"r-1","http":{"method":"GET"}}}""",
            LambdaJsonContext.Default.ApiGatewayHttpRequest)!;

        Assert.Equal("", request.RawQueryString);
        Assert.Null(request.Headers);
    }
}
