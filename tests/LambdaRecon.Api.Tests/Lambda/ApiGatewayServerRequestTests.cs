using System.Text.Json;
using LambdaRecon.Lambda.ApiGateway;

namespace LambdaRecon.Api.Tests.Lambda;

public class ApiGatewayServerRequestTests(BridgeApp app) : IClassFixture<BridgeApp>
{
    private async Task<Echo> EchoAsync(ApiGatewayHttpRequest request)
    {
        var response = await app.SendAsync(request);
        Assert.Equal(200, response.StatusCode);
        return JsonSerializer.Deserialize<Echo>(response.Body!, JsonSerializerOptions.Web)!;
    }

    [Fact]
    public async Task Method_path_query_and_host_reach_the_app_as_API_Gateway_sent_them()
    {
        var echo = await EchoAsync(ApiGatewayEvents.Request(
            "GET", "/echo", "parameter1=value1&parameter1=value2&parameter2=caf%C3%A9"));

        Assert.Equal("GET", echo.Method);
        Assert.Equal("https", echo.Scheme);
        Assert.Equal("HTTP/1.1", echo.Protocol);
        Assert.Equal("", echo.PathBase);
        Assert.Equal("/echo", echo.Path);
        Assert.Equal("?parameter1=value1&parameter1=value2&parameter2=caf%C3%A9", echo.QueryString);
        Assert.Equal(["value1", "value2"], echo.Parameter1);
        Assert.Equal("r3pmxmplak.execute-api.us-east-1.amazonaws.com", echo.Host);
    }

    [Fact]
    public async Task A_base64_body_reaches_the_app_decoded_byte_for_byte()
    {
        byte[] bytes = [0x00, 0x9F, 0xFF, 0x41];

        var echo = await EchoAsync(ApiGatewayEvents.Request("POST", "/echo").WithBinaryBody("application/octet-stream", bytes));

        Assert.Equal("009FFF41", echo.BodyHex);
        Assert.Equal(4, echo.ContentLength);
        Assert.Equal("application/octet-stream", echo.ContentType);
    }

    [Fact]
    public async Task A_text_body_reaches_the_app_as_its_utf8_bytes()
    {
        var echo = await EchoAsync(ApiGatewayEvents.Request("POST", "/echo").WithTextBody("text/plain; charset=utf-8", "héllo"));

        Assert.Equal(Echo.Hex("héllo"), echo.BodyHex);
        Assert.Equal(6, echo.ContentLength);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_json_body_binds_to_a_minimal_api_parameter(bool base64)
    {
        const string json = """{"transactionId":"tx-1","amount":"100.00","currency":"USD"}""";
        var request = ApiGatewayEvents.Request("POST", "/payments");
        request = base64 ? request.WithBase64Body("application/json", json) : request.WithTextBody("application/json", json);

        var response = await app.SendAsync(request);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(new Payment("tx-1", "100.00", "USD"), JsonSerializer.Deserialize<Payment>(response.Body!, JsonSerializerOptions.Web));
    }

    [Fact]
    public async Task The_cookies_API_Gateway_took_apart_reach_the_app_as_one_cookie_header()
    {
        var echo = await EchoAsync(ApiGatewayEvents.Request("GET", "/echo") with { Cookies = ["session=abc", "theme=dark"] });

        Assert.Equal(new Dictionary<string, string> { ["session"] = "abc", ["theme"] = "dark" }, echo.Cookies);
    }

    [Fact]
    public async Task The_API_Gateway_request_id_becomes_the_trace_identifier()
    {
        var request = ApiGatewayEvents.Request("GET", "/echo");

        var echo = await EchoAsync(request);

        Assert.Equal(request.RequestContext.RequestId, echo.TraceIdentifier);
    }

    [Fact]
    public async Task The_source_ip_becomes_the_remote_address()
    {
        var echo = await EchoAsync(ApiGatewayEvents.Request("GET", "/echo"));

        Assert.Equal("203.0.113.9", echo.RemoteIp);
    }

    [Fact]
    public async Task On_a_named_stage_the_stage_becomes_the_path_base_and_the_routes_still_match()
    {
        var request = ApiGatewayEvents.Request("GET", "/prod/echo");
        request = request with { RequestContext = request.RequestContext with { Stage = "prod" } };

        var echo = await EchoAsync(request);

        Assert.Equal("/prod", echo.PathBase);
        Assert.Equal("/echo", echo.Path);
    }

    [Fact]
    public async Task An_encoded_path_reaches_the_app_decoded()
    {
        var response = await app.SendAsync(ApiGatewayEvents.Request("GET", "/%65cho"));

        Assert.Equal("/echo", JsonSerializer.Deserialize<Echo>(response.Body!, JsonSerializerOptions.Web)!.Path);
    }

    [Theory]
    [InlineData("/echo/%00")]
    [InlineData("/%00")]
    [InlineData("/echo/a%00b")]
    public async Task A_path_that_decodes_to_no_valid_path_is_a_400_problem_not_an_exception(string rawPath)
    {
        var response = await app.SendAsync(ApiGatewayEvents.Request("GET", rawPath));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal("application/problem+json", response.Headers!["Content-Type"]);
        using var problem = JsonDocument.Parse(response.Body!);
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("path", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https,http", "https")]
    [InlineData("http", "http")]
    [InlineData(" http , https", "http")]
    [InlineData("gopher", "https")]
    [InlineData("", "https")]
    public async Task The_scheme_is_the_first_forwarded_proto_and_https_when_it_is_not_http(string forwarded, string scheme)
    {
        var echo = await EchoAsync(ApiGatewayEvents.Request("GET", "/echo").WithHeader("x-forwarded-proto", forwarded));

        Assert.Equal(scheme, echo.Scheme);
    }

    [Fact]
    public async Task Without_a_host_header_the_host_is_the_request_contexts_domain_name()
    {
        var request = ApiGatewayEvents.Request("GET", "/echo");
        request = request with
        {
            Headers = new Dictionary<string, string> { ["x-forwarded-proto"] = "https" },
            RequestContext = request.RequestContext with { DomainName = "api.example.com" },
        };

        var echo = await EchoAsync(request);

        Assert.Equal("api.example.com", echo.Host);
    }
}
