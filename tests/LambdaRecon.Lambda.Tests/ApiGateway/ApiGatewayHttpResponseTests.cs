using System.Text.Json;
using LambdaRecon.Lambda.ApiGateway;

namespace LambdaRecon.Lambda.Tests.ApiGateway;

public class ApiGatewayHttpResponseTests
{
    [Fact]
    public void A_response_is_written_with_the_field_names_API_Gateway_reads()
    {
        var response = new ApiGatewayHttpResponse
        {
            StatusCode = 201,
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["Vary"] = "Accept,Origin" },
            Cookies = ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"],
            Body = """{"id":"tx-1"}""",
        };

        var json = JsonSerializer.Serialize(response, LambdaJsonContext.Default.ApiGatewayHttpResponse);

        Assert.Equal(
            """{"statusCode":201,"headers":{"Content-Type":"application/json","Vary":"Accept,Origin"},"cookies":["a=1; Path=/","b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"],"body":"{\u0022id\u0022:\u0022tx-1\u0022}","isBase64Encoded":false}""",
            json);
    }

    [Fact]
    public void A_response_without_headers_cookies_or_body_leaves_them_out()
    {
        var json = JsonSerializer.Serialize(
            new ApiGatewayHttpResponse { StatusCode = 204 }, LambdaJsonContext.Default.ApiGatewayHttpResponse);

        Assert.Equal("""{"statusCode":204,"isBase64Encoded":false}""", json);
    }
}
