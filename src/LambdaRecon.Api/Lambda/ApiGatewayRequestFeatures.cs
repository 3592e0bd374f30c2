using System.Collections.ObjectModel;
using System.Net;
using System.Text;
using LambdaRecon.Lambda.ApiGateway;
using Microsoft.AspNetCore.Http.Features;

namespace LambdaRecon.Api.Lambda;

/// <summary>The request side of an API Gateway event, as the features a server hands to ASP.NET Core.</summary>
internal static class ApiGatewayRequestFeatures
{
    private const string DefaultStage = "$default";

    public static FeatureCollection Create(ApiGatewayHttpRequest request)
    {
        var context = request.RequestContext;
        var body = DecodeBody(request);
        IHeaderDictionary headers = new HeaderDictionary();
        foreach (var (name, value) in request.Headers ?? ReadOnlyDictionary<string, string>.Empty)
        {
            headers[name] = value;
        }

        // API Gateway takes the Cookie header apart into the cookies list; the app reads it whole.
        if (request.Cookies is { Count: > 0 } cookies)
        {
            headers.Cookie = string.Join("; ", cookies);
        }

        if (request.Body is not null)
        {
            headers.ContentLength = body.Length;
        }

        var (pathBase, path) = SplitStage(request.RawPath, context.Stage);
        var query = request.RawQueryString.Length > 0 ? "?" + request.RawQueryString : "";
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = context.Http.Protocol ?? "HTTP/1.1",
            Scheme = headers.TryGetValue("X-Forwarded-Proto", out var scheme) && scheme.Count == 1 ? scheme.ToString() : "https",
            Method = context.Http.Method,
            PathBase = pathBase.Value ?? "",
            Path = path.Value ?? "",
            QueryString = query,
            RawTarget = request.RawPath + query,
            Headers = headers,
            Body = new MemoryStream(body, writable: false),
        });
        // Without it, minimal APIs take every request for one without a body and never bind [FromBody].
        features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(body.Length > 0));
        features.Set<IHttpRequestIdentifierFeature>(new HttpRequestIdentifierFeature { TraceIdentifier = context.RequestId });
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = context.RequestId,
            RemoteIpAddress = IPAddress.TryParse(context.Http.SourceIp, out var address) ? address : null,
        });
        return features;
    }

    private static byte[] DecodeBody(ApiGatewayHttpRequest request) => request.Body switch
    {
        null => [],
        var text when request.IsBase64Encoded => Convert.FromBase64String(text),
        var text => Encoding.UTF8.GetBytes(text),
    };

    // On a named stage the raw path starts with the stage ("/prod/api/v1/health"); as the path base it
    // leaves the routes matching as on $default. A custom domain's mapping sends no such segment.
    private static (PathString PathBase, PathString Path) SplitStage(string rawPath, string? stage)
    {
        var path = PathString.FromUriComponent(rawPath);
        if (stage is null or DefaultStage)
        {
            return (PathString.Empty, path);
        }

        var stageBase = new PathString("/" + stage);
        return path.StartsWithSegments(stageBase, StringComparison.Ordinal, out var rest)
            ? (stageBase, rest)
            : (PathString.Empty, path);
    }

    private sealed class BodyDetection(bool canHaveBody) : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => canHaveBody;
    }
}
