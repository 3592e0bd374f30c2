using LambdaRecon.Lambda.ApiGateway;

namespace LambdaRecon.Api.Tests.Lambda;

public class ApiGatewayServerResponseTests(BridgeApp app) : IClassFixture<BridgeApp>
{
    private Task<ApiGatewayHttpResponse> GetAsync(string path) => app.SendAsync(ApiGatewayEvents.Request("GET", path));

    [Fact]
    public async Task Repeated_header_values_are_joined_with_commas()
    {
        var response = await GetAsync("/headers");

        Assert.Equal("Accept,Origin", response.Headers!["Vary"]);
    }

    [Fact]
    public async Task Each_set_cookie_goes_into_cookies_and_none_into_the_headers()
    {
        var response = await GetAsync("/headers");

        Assert.Equal(
            ["session=abc; path=/", "theme=dark; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/"],
            response.Cookies!);
        Assert.DoesNotContain("Set-Cookie", response.Headers!.Keys, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Headers_set_by_an_on_starting_callback_are_in_the_answer()
    {
        var response = await GetAsync("/headers");

        Assert.Equal("yes", response.Headers!["X-Set-On-Starting"]);
        Assert.Equal("done", response.Body);
    }

    [Fact]
    public async Task A_text_body_is_answered_as_text()
    {
        var response = await GetAsync("/text");

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Headers!["Content-Type"]);
        Assert.Equal("héllo wörld", response.Body);
        Assert.False(response.IsBase64Encoded);
    }

    [Fact]
    public async Task A_problem_json_body_is_answered_as_text()
    {
        var response = await GetAsync("/problem");

        Assert.Equal(422, response.StatusCode);
        Assert.Equal("application/problem+json", response.Headers!["Content-Type"]);
        Assert.False(response.IsBase64Encoded);
        Assert.Contains("\"title\":\"no\"", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binary_body_is_answered_in_base64()
    {
        var response = await GetAsync("/binary");

        Assert.True(response.IsBase64Encoded);
        Assert.Equal([0x00, 0x01, 0x02, 0xFF], Convert.FromBase64String(response.Body!));
    }

    [Fact]
    public async Task A_text_body_that_is_not_utf8_is_answered_in_base64_so_no_byte_is_lost()
    {
        var response = await GetAsync("/latin1");

        Assert.True(response.IsBase64Encoded);
        Assert.Equal([0x68, 0xE9], Convert.FromBase64String(response.Body!));
    }

    [Fact]
    public async Task An_empty_body_is_left_out()
    {
        var response = await GetAsync("/no-content");

        Assert.Equal(204, response.StatusCode);
        Assert.Null(response.Body);
        Assert.False(response.IsBase64Encoded);
    }

    [Theory]
    [InlineData("/throws")]
    [InlineData("/throws-after-start")]
    public async Task An_exception_the_app_lets_through_is_answered_with_a_bare_500(string path)
    {
        var response = await GetAsync(path);

        Assert.Equal(500, response.StatusCode);
        Assert.Null(response.Body);
        Assert.Null(response.Cookies);
    }

    [Fact]
    public async Task On_completed_callbacks_run_and_a_failing_one_does_not_change_the_answer()
    {
        var response = await GetAsync("/completed");

        Assert.Equal(200, response.StatusCode);
        Assert.True(app.Completed.Task.IsCompletedSuccessfully);
    }
}
