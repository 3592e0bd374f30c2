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

    /// <summary>The request's features, or null when its path cannot be an HTTP path (an encoded NUL), as Kestrel refuses it.</summary>
    public static FeatureCollection? Create(ApiGatewayHttpRequest request)
    {
        var context = request.RequestContext;
        if (!TryDecodePath(request.RawPath, out var decoded))
        {
            return null;
        }

        var (pathBase, path) = SplitStage(decoded, context.Stage);

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

        // API Gateway always sends Host; an event written by hand may not, and links built from the
        // request would read "https:///". The domain API Gateway answered on is the same name.
        if (headers.Host.Count == 0 && context.DomainName is { Length: > 0 } domainName)
        {
            headers.Host = domainName;
        }

        var query = request.RawQueryString.Length > 0 ? "?" + request.RawQueryString : "";
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = context.Http.Protocol ?? "HTTP/1.1",
            Scheme = Scheme(headers["X-Forwarded-Proto"].ToString()),
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

    // The decoder refuses a path that decodes to a NUL, as Kestrel does for a request line.
    private static bool TryDecodePath(string rawPath, out PathString path)
    {
        try
        {
            path = PathString.FromUriComponent(rawPath);
            return true;
        }
        catch (InvalidOperationException)
        {
            path = default;
            return false;
        }
    }

    // API Gateway is reached over https; a proxy chain may append its own hops ("https,http"), and the
    // first is what the client used. The local runner forwards plain http; anything else is not a scheme.
    private static string Scheme(string forwardedProto) =>
        forwardedProto.Split(',')[0].Trim() is var first && first.Equals("http", StringComparison.OrdinalIgnoreCase) ? "http" : "https";

    private static byte[] DecodeBody(ApiGatewayHttpRequest request) => request.Body switch
    {
        null => [],
        var text when request.IsBase64Encoded => Convert.FromBase64String(text),
        var text => Encoding.UTF8.GetBytes(text),
    };

    // On a named stage the raw path starts with the stage ("/prod/api/v1/health"); as the path base it
    // leaves the routes matching as on $default. A custom domain's mapping sends no such segment.
    private static (PathString PathBase, PathString Path) SplitStage(PathString path, string? stage)
    {
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
