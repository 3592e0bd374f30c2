namespace LambdaRecon.Lambda.ApiGateway;

/// <summary>
/// The answer to an API Gateway HTTP API (payload format 2.0). There are no multi-value headers in this
/// format: repeated header values are joined with commas, except Set-Cookie, whose values go one by
/// one into <see cref="Cookies"/> because a cookie's Expires attribute holds a comma.
/// </summary>
public sealed record ApiGatewayHttpResponse
{
    public required int StatusCode { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyList<string>? Cookies { get; init; }

    public string? Body { get; init; }

    /// <summary>True when <see cref="Body"/> is base64 that API Gateway decodes to bytes before answering.</summary>
    public bool IsBase64Encoded { get; init; }
}
