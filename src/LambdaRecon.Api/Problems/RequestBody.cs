using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace LambdaRecon.Api.Problems;

/// <summary>
/// The two checks every body goes through before anything parses it: its media type (415 otherwise)
/// and its size (413 otherwise), both answered as problem+json before the body is buffered.
/// </summary>
public static class RequestBody
{
    /// <summary>
    /// The media type of the request when <paramref name="accepts"/> takes it, else a 415 naming
    /// <paramref name="expected"/>. A charset, when given, must be UTF-8: the parsers read nothing else.
    /// </summary>
    public static (MediaTypeHeaderValue? Type, ProblemHttpResult? Problem) CheckMediaType(
        HttpRequest request, Func<string, bool> accepts, string expected, string? hint = null)
    {
        var header = request.ContentType;
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, Unsupported($"the request has no Content-Type: send {expected}{hint}"));
        }

        if (!MediaTypeHeaderValue.TryParse(header, out var type) || !accepts(type.MediaType.Value!.ToLowerInvariant()))
        {
            return (null, Unsupported($"Content-Type '{Shorten(header)}' is not accepted here: send {expected}{hint}"));
        }

        var charset = type.Charset.Value;
        return charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? (type, null)
            : (null, Unsupported($"charset '{Shorten(charset)}' is not accepted: send the body as UTF-8 (charset=utf-8, or no charset)"));
    }

    /// <summary>application/json and the structured-syntax suffix +json (application/problem+json, say).</summary>
    public static bool IsJson(string mediaType) =>
        mediaType == "application/json" || (mediaType.StartsWith("application/", StringComparison.Ordinal) && mediaType.EndsWith("+json", StringComparison.Ordinal));

    /// <summary>
    /// The whole body, or a 413 as soon as it holds more than <paramref name="maxBytes"/>: a declared
    /// Content-Length is refused before a byte is read, a chunked body once it goes past the limit.
    /// </summary>
    public static async Task<(byte[] Body, ProblemHttpResult? Problem)> ReadAsync(
        HttpRequest request, int maxBytes, string hint, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return ([], TooLarge(maxBytes, hint));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return ([], TooLarge(maxBytes, hint));
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), null);
    }

    public static ProblemHttpResult TooLarge(long maxBytes, string hint) =>
        Problem.Of(StatusCodes.Status413PayloadTooLarge, "body-too-large", "The body is too large",
            $"the body may hold at most {maxBytes:N0} bytes{hint}");

    private static ProblemHttpResult Unsupported(string detail) =>
        Problem.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type", detail);

    /// <summary>A header is echoed in a detail at most 100 characters long.</summary>
    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
