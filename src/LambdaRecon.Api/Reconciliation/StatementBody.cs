using LambdaRecon.Api.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace LambdaRecon.Api.Reconciliation;

/// <summary>
/// A statement file as POST /statements receives it: the raw body in a media type of its format, or
/// the first file of a multipart/form-data body, at most <see cref="MaxBytes"/> in all.
/// </summary>
public static class StatementBody
{
    /// <summary>
    /// 4 MiB: the largest body that still reaches a deployed ApiFunction. A Lambda invocation carries at
    /// most 6 MB, and API Gateway hands a non-text body over base64-encoded (4/3 the size: 5.6 MB, with
    /// room left for the event's headers). The local API keeps the same limit so that it answers as the
    /// deployed one does. Larger files: one statement or one day per request, or ./run.sh import-statement.
    /// </summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    public const string LargerFiles =
        ": split the file per statement or per day, or import it with ./run.sh import-statement, which has no size limit";

    private static readonly string[] CsvTypes = ["text/csv", "text/plain", "application/csv", "application/octet-stream"];

    private static readonly string[] XmlTypes = ["application/xml", "text/xml", "application/octet-stream"];

    public static async Task<(byte[] File, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, string format, CancellationToken cancellationToken)
    {
        var raw = format.Equals("csv", StringComparison.OrdinalIgnoreCase) ? CsvTypes : XmlTypes;
        var expected = $"the file as {string.Join(", ", raw)}, or as a file in multipart/form-data";
        // curl --data-binary sends application/x-www-form-urlencoded unless told otherwise: say what to add.
        var hint = request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true
            ? $" (with curl: -H 'Content-Type: {raw[0]}' --data-binary @file)"
            : null;
        var (type, unsupported) = RequestBody.CheckMediaType(request, t => raw.Contains(t) || t == "multipart/form-data", expected, hint);
        if (unsupported is not null)
        {
            return ([], unsupported);
        }

        var (body, tooLarge) = await RequestBody.ReadAsync(request, MaxBytes, LargerFiles, cancellationToken);
        if (tooLarge is not null || type!.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) is false)
        {
            return (body, tooLarge);
        }

        return await FirstFileAsync(type, body, cancellationToken);
    }

    private static async Task<(byte[] File, ProblemHttpResult? Problem)> FirstFileAsync(
        MediaTypeHeaderValue type, byte[] body, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
        {
            return ([], Malformed("the multipart Content-Type needs a boundary of 1 to 70 characters (RFC 2046)"));
        }

        try
        {
            var reader = new MultipartReader(boundary, new MemoryStream(body, writable: false));
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && disposition.IsFileDisposition())
                {
                    using var file = new MemoryStream();
                    await section.Body.CopyToAsync(file, cancellationToken);
                    return (file.ToArray(), null);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return ([], Malformed($"the multipart body is malformed: {e.Message}"));
        }

        return ([], Problem.Validation("file", "the multipart form holds no file"));
    }

    private static ProblemHttpResult Malformed(string detail) =>
        Problem.Of(StatusCodes.Status400BadRequest, "malformed-statement", "The statement was refused whole", detail, "file");
}
