using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LambdaRecon.Api.Problems;

/// <summary>
/// Reads a request body as JSON within a size limit, and checks objects field by field, so that
/// every refusal names the field at fault and no unknown field slips through unnoticed.
/// </summary>
public static class JsonBody
{
    public const int MaxBytes = 64 * 1024;

    public static async Task<(JsonElement Root, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
        {
            return (default, Problem.Of(StatusCodes.Status413PayloadTooLarge, "body-too-large", "The body is too large",
                $"the body may hold at most {MaxBytes} bytes"));
        }

        if (request.ContentType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return (default, Problem.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "The body must be JSON",
                $"Content-Type '{type}' is not JSON: send application/json"));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return (default, Problem.Of(StatusCodes.Status413PayloadTooLarge, "body-too-large", "The body is too large",
                    $"the body may hold at most {MaxBytes} bytes"));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (default, Problem.MalformedJson("the body is empty: send a JSON object"));
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (default, Problem.MalformedJson("the body must be a JSON object"));
        }
        catch (JsonException e)
        {
            return (default, Problem.MalformedJson($"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine})"));
        }
    }

    /// <summary>The first field of <paramref name="obj"/> not in <paramref name="allowed"/>, as a problem.</summary>
    public static ProblemHttpResult? RefuseUnknown(JsonElement obj, string path, params string[] allowed)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                var field = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                return Problem.Validation(field, $"unknown field '{field}': allowed are {string.Join(", ", allowed)}");
            }
        }

        return null;
    }

    /// <summary>An optional string field: absent or null gives null; any other type is refused.</summary>
    public static (string? Value, ProblemHttpResult? Problem) OptionalString(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        return value.ValueKind == JsonValueKind.String
            ? (value.GetString(), null)
            : (null, Problem.Validation(Field(path, name), $"'{Field(path, name)}' must be a string"));
    }

    /// <summary>An amount as a JSON number or string in major units, returned as its exact text.</summary>
    public static (string? Text, ProblemHttpResult? Problem) OptionalAmount(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        return value.ValueKind switch
        {
            // The raw text of a JSON number, never a binary floating-point value: "100.10" stays 100.10.
            JsonValueKind.Number => (value.GetRawText(), null),
            JsonValueKind.String => (value.GetString(), null),
            _ => (null, Problem.Validation(Field(path, name), $"'{Field(path, name)}' must be a number or a string such as \"100.00\"")),
        };
    }

    public static (JsonElement? Value, ProblemHttpResult? Problem) OptionalObject(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        return value.ValueKind == JsonValueKind.Object
            ? (value, null)
            : (null, Problem.Validation(Field(path, name), $"'{Field(path, name)}' must be a JSON object"));
    }

    public static string Field(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
