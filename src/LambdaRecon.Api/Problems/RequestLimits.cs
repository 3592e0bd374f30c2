using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LambdaRecon.Api.Problems;

/// <summary>
/// The limits on a request's target and headers, answered as problem+json (414, 431) by the app
/// rather than as the empty answers Kestrel writes before any middleware runs; and a refusal Kestrel
/// raises while the app reads the body (a body over its limit, one cut short) answered with its own
/// 4xx instead of a 500.
/// </summary>
public static class RequestLimits
{
    /// <summary>The request target (path and query): Kestrel's default request-line limit.</summary>
    public const int MaxTargetLength = 8 * 1024;

    /// <summary>All header names and values together: Kestrel's default.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Kestrel's default.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>
    /// Kestrel's own limits, four times the app's, so that a request over the app's limit reaches the app
    /// and gets a problem+json; past these Kestrel still answers alone (bare 414, 431, 413), which bounds
    /// the memory a request can take before the app sees it. The body limit is twice the largest body an
    /// endpoint reads (a statement), so that the endpoint's own 413 comes first.
    /// </summary>
    public static void Configure(KestrelServerOptions options)
    {
        options.Limits.MaxRequestLineSize = 4 * MaxTargetLength;
        options.Limits.MaxRequestHeadersTotalSize = 4 * MaxHeaderBytes;
        options.Limits.MaxRequestHeaderCount = 4 * MaxHeaderCount;
        options.Limits.MaxRequestBodySize = 2L * Reconciliation.StatementBody.MaxBytes;
    }

    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw
            : request.PathBase + request.Path + request.QueryString; // a server that keeps no raw target (TestServer)
        if (target.Length > MaxTargetLength)
        {
            await Problem.Of(StatusCodes.Status414UriTooLong, "uri-too-long", "The URI is too long",
                $"the path and query hold {target.Length:N0} characters, at most {MaxTargetLength:N0} are accepted").ExecuteAsync(context);
            return;
        }

        var headerBytes = request.Headers.Sum(h => h.Key.Length + h.Value.Sum(v => (v?.Length ?? 0) + 4));
        if (headerBytes > MaxHeaderBytes || request.Headers.Count > MaxHeaderCount)
        {
            await Problem.Of(StatusCodes.Status431RequestHeaderFieldsTooLarge, "headers-too-large", "The request headers are too large",
                $"the request has {request.Headers.Count} headers of {headerBytes:N0} bytes; at most {MaxHeaderCount} headers of {MaxHeaderBytes:N0} bytes in all are accepted")
                .ExecuteAsync(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await (e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? RequestBody.TooLarge(context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0, "")
                : Problem.Of(e.StatusCode, "bad-request", "The request could not be read", e.Message)).ExecuteAsync(context);
        }
    });
}
