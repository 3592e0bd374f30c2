using System.Text.Json;

namespace LambdaRecon.Lambda.ApiGateway;

/// <summary>
/// An API Gateway HTTP API request in payload format 2.0. API Gateway joins repeated headers and query
/// parameters with commas and moves the Cookie header into <see cref="Cookies"/>; only
/// <see cref="RawQueryString"/> keeps each repeated parameter apart.
/// </summary>
public sealed record ApiGatewayHttpRequest
{
    public string? Version { get; init; }

    public string? RouteKey { get; init; }

    /// <summary>The path as the client sent it; it starts with the stage name unless the stage is $default.</summary>
    public required string RawPath { get; init; }

    /// <summary>The query without its '?', empty when there is none.</summary>
    // Coerced in init: the source generator sets an init-only property the JSON lacks to null, past any initializer.
    public string RawQueryString { get; init => field = value ?? ""; } = "";

    public IReadOnlyList<string>? Cookies { get; init; }

    /// <summary>API Gateway forwards the names in lower case; a repeated header arrives as one, comma-joined.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyDictionary<string, string>? QueryStringParameters { get; init; }

    public IReadOnlyDictionary<string, string>? PathParameters { get; init; }

    public IReadOnlyDictionary<string, string>? StageVariables { get; init; }

    public string? Body { get; init; }

    /// <summary>True when <see cref="Body"/> holds base64 of bytes that are not text.</summary>
    public bool IsBase64Encoded { get; init; }

    public required ApiGatewayHttpRequestContext RequestContext { get; init; }
}

public sealed record ApiGatewayHttpRequestContext
{
    public string? AccountId { get; init; }

    public string? ApiId { get; init; }

    /// <summary>
    /// Kept as raw JSON: its shape depends on the authorizer (jwt claims and scopes, a Lambda
    /// authorizer's own context, IAM), and the engine only passes it on.
    /// </summary>
    public JsonElement? Authorizer { get; init; }

    public string? DomainName { get; init; }

    public string? DomainPrefix { get; init; }

    public required ApiGatewayHttpDescription Http { get; init; }

    /// <summary>API Gateway's id for the request: the id a caller quotes when something went wrong.</summary>
    public required string RequestId { get; init; }

    public string? RouteId { get; init; }

    public string? RouteKey { get; init; }

    /// <summary>"$default", or the stage name that then starts the raw path.</summary>
    public string? Stage { get; init; }

    /// <summary>The CLF-style time API Gateway writes (12/Mar/2020:19:03:58 +0000); <see cref="TimeEpoch"/> is the same instant.</summary>
    public string? Time { get; init; }

    /// <summary>Milliseconds since the Unix epoch.</summary>
    public long TimeEpoch { get; init; }
}

public sealed record ApiGatewayHttpDescription
{
    public required string Method { get; init; }

    public string? Path { get; init; }

    public string? Protocol { get; init; }

    public string? SourceIp { get; init; }

    public string? UserAgent { get; init; }
}
