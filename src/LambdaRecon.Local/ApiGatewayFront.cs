using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.ApiGateway;
using LambdaRecon.Local.Template;
using Microsoft.AspNetCore.Http.Features;

namespace LambdaRecon.Local;

/// <summary>
/// What `sam local start-api` does: each HTTP request becomes an HTTP API (payload 2.0) event, ApiFunction's
/// entry point answers it, and its response goes back to the client, so local traffic takes the same path
/// (event → bridge → app → response) as on AWS.
/// </summary>
public static class ApiGatewayFront
{
    // API Gateway's answers when the integration fails or times out, word for word.
    private const string InternalServerError = """{"message":"Internal Server Error"}""";

    /// <summary>API Gateway refuses payloads over 10 MB before calling the function.</summary>
    public const long MaxRequestBodySize = 10 * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Map(WebApplication app, FunctionInvoker api) => app.Run(context => ServeAsync(context, api));

    private static async Task ServeAsync(HttpContext context, FunctionInvoker api)
    {
        var request = await ToEventAsync(context);
        var invocation = await api.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(request, LambdaJsonContext.Default.ApiGatewayHttpRequest));
        ApiGatewayHttpResponse? response = null;
        if (!invocation.Failed)
        {
            try
            {
                response = JsonSerializer.Deserialize(invocation.Payload, LambdaJsonContext.Default.ApiGatewayHttpResponse);
            }
            catch (JsonException)
            {
                // An answer that is not a response document is an integration failure, as on API Gateway.
            }
        }

        context.Response.Headers["Apigw-Requestid"] = request.RequestContext.RequestId;
        if (response is null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(InternalServerError);
            return;
        }

        context.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        foreach (var cookie in response.Cookies ?? [])
        {
            context.Response.Headers.Append("Set-Cookie", cookie);
        }

        if (response.Body is { } body)
        {
            var bytes = response.IsBase64Encoded ? Convert.FromBase64String(body) : Encoding.UTF8.GetBytes(body);
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes);
        }
    }

    private static async Task<ApiGatewayHttpRequest> ToEventAsync(HttpContext context)
    {
        var http = context.Request;
        var (rawPath, rawQuery) = SplitTarget(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Path + http.QueryString);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        List<string>? cookies = null;
        foreach (var (name, values) in http.Headers)
        {
            if (name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                cookies = [.. values.SelectMany(v => v!.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];
                continue;
            }

            // API Gateway lower-cases names and joins a repeated header's values with commas.
            headers[name.ToLowerInvariant()] = string.Join(',', values.ToArray());
        }

        headers["x-forwarded-proto"] = http.Scheme;
        headers["x-forwarded-for"] = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        headers["x-forwarded-port"] = (context.Connection.LocalPort).ToString(CultureInfo.InvariantCulture);

        using var buffer = new MemoryStream();
        await http.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        // API Gateway passes text as text and anything else base64; bytes that are not UTF-8 go base64
        // whatever their type claims, so that the app sees them exactly as sent.
        var text = body.Length > 0 && IsText(http.ContentType) ? TryUtf8(body) : null;
        var now = DateTimeOffset.UtcNow;
        var host = http.Host.Host;
        return new ApiGatewayHttpRequest
        {
            Version = "2.0",
            RouteKey = "$default",
            RawPath = rawPath,
            RawQueryString = rawQuery,
            Cookies = cookies,
            Headers = headers,
            QueryStringParameters = http.Query.Count == 0 ? null : http.Query.ToDictionary(q => q.Key, q => string.Join(',', q.Value.ToArray())),
            RequestContext = new ApiGatewayHttpRequestContext
            {
                AccountId = "anonymous",
                ApiId = "local",
                DomainName = host,
                DomainPrefix = host.Split('.')[0],
                Http = new ApiGatewayHttpDescription
                {
                    Method = http.Method,
                    Path = rawPath,
                    Protocol = http.Protocol,
                    SourceIp = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1",
                    UserAgent = http.Headers.UserAgent.ToString(),
                },
                RequestId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(10)),
                RouteKey = "$default",
                Stage = "$default",
                Time = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
                TimeEpoch = now.ToUnixTimeMilliseconds(),
            },
            Body = text ?? (body.Length == 0 ? null : Convert.ToBase64String(body)),
            IsBase64Encoded = text is null && body.Length > 0,
        };
    }

    // The request target as the client sent it, still percent-encoded, as API Gateway's rawPath is.
    private static (string Path, string Query) SplitTarget(string target) =>
        target.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? (target[..at], target[(at + 1)..]) : (target, "");

    // Strict about what counts as text, so that bytes that are not UTF-8 are never re-encoded on the way.
    private static bool IsText(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase));

    private static string? TryUtf8(byte[] body)
    {
        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
