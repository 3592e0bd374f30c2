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

    /// <summary>No request of this API nests deeper than a few levels; metadata gets the rest.</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// The body as a JSON object, or the problem with it: 415 unless it is sent as application/json
    /// (or a +json type) in UTF-8, 413 over <see cref="MaxBytes"/>, 400 when it is not strict JSON
    /// (see <see cref="StrictJson"/>) or not an object.
    /// </summary>
    public static async Task<(JsonElement Root, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (RequestBody.CheckMediaType(request, RequestBody.IsJson, "application/json") is (_, { } unsupported))
        {
            return (default, unsupported);
        }

        var (body, tooLarge) = await RequestBody.ReadAsync(request, MaxBytes, "", cancellationToken);
        if (tooLarge is not null)
        {
            return (default, tooLarge);
        }

        if (body.Length == 0)
        {
            return (default, Problem.MalformedJson("the body is empty: send a JSON object"));
        }

        if (StrictJson.Check(body, MaxDepth) is { } notStrict)
        {
            return (default, notStrict);
        }

        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? (document.RootElement.Clone(), null)
            : (default, Problem.MalformedJson("the body must be a JSON object"));
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
            // The raw text of a JSON number, never a binary approximation of it: "100.10" stays 100.10.
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
