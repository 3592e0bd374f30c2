using LambdaRecon.Api.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace LambdaRecon.Api.Reconciliation;

/// <summary>
/// A statement file as POST /statements receives it: the body itself, whatever its Content-Type says
/// (curl --data-binary sends application/x-www-form-urlencoded unless told otherwise, and a file is not
/// a form), except a multipart/form-data body, whose first file is the statement; at most
/// <see cref="MaxBytes"/> in all. The format is told by the format parameter or by the content.
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

    public static async Task<(byte[] File, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, tooLarge) = await RequestBody.ReadAsync(request, MaxBytes, LargerFiles, cancellationToken);
        if (tooLarge is not null
            || !MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
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
