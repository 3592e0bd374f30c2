using System.Text;
using LambdaRecon.Lambda.ApiGateway;

namespace LambdaRecon.Api.Tests.Lambda;

/// <summary>HTTP API v2 events shaped like those API Gateway sends on the $default stage.</summary>
internal static class ApiGatewayEvents
{
    public static ApiGatewayHttpRequest Request(string method, string rawPath, string rawQueryString = "") => new()
    {
        Version = "2.0",
        RouteKey = "ANY /{proxy+}",
        RawPath = rawPath,
        RawQueryString = rawQueryString,
        Headers = new Dictionary<string, string>
        {
            ["host"] = "r3pmxmplak.execute-api.us-east-1.amazonaws.com",
            ["x-forwarded-proto"] = "https",
        },
        RequestContext = new ApiGatewayHttpRequestContext
        {
            RequestId = "req-" + Guid.NewGuid().ToString("N")[..12],
            Stage = "$default",
            Http = new ApiGatewayHttpDescription
            {
                Method = method,
                Path = rawPath,
                Protocol = "HTTP/1.1",
                SourceIp = "203.0.113.9",
                UserAgent = "LambdaRecon.Api.Tests",
            },
        },
    };

    public static ApiGatewayHttpRequest WithHeader(this ApiGatewayHttpRequest request, string name, string value) =>
        request with { Headers = new Dictionary<string, string>(request.Headers!) { [name] = value } };

    public static ApiGatewayHttpRequest WithTextBody(this ApiGatewayHttpRequest request, string contentType, string body) =>
        request.WithHeader("content-type", contentType) with { Body = body, IsBase64Encoded = false };

    /// <summary>A body as API Gateway forwards bytes it does not take for text: base64, flagged so.</summary>
    public static ApiGatewayHttpRequest WithBinaryBody(this ApiGatewayHttpRequest request, string contentType, byte[] body) =>
        request.WithHeader("content-type", contentType) with { Body = Convert.ToBase64String(body), IsBase64Encoded = true };

    public static ApiGatewayHttpRequest WithBase64Body(this ApiGatewayHttpRequest request, string contentType, string text) =>
        request.WithBinaryBody(contentType, Encoding.UTF8.GetBytes(text));
}
