using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LambdaRecon.Api.Problems;

/// <summary>
/// What the JSON grammar lets through and this API refuses (RFC 7493, I-JSON), found in one pass of
/// the reader before the body is read for its meaning, each named by the path of the field at fault
/// ("transaction.amount", "scopes[1]"):
/// <list type="bullet">
/// <item>A name repeated in one object. Readers disagree on which copy counts (ours took the last, many
/// proxies and validators the first), so {"amount":1,"amount":1000000} would be one request to a
/// validator and another to the ledger.</item>
/// <item>Text that is not Unicode: bytes that are not UTF-8, an unpaired surrogate escape ("\ud800").</item>
/// <item>U+0000, which no field has a use for and PostgreSQL text and jsonb cannot hold.</item>
/// </list>
/// </summary>
public static class StrictJson
{
    public static ProblemHttpResult? Check(ReadOnlySpan<byte> json, int maxDepth)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        // One frame per open container: an object's names so far, or an array's index.
        var frames = new Stack<(HashSet<string>? Names, int Index)>();
        var path = new List<string>();
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    frames.Pop();
                    LeaveValue(frames, path);
                    continue;
                }

                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    var (name, nameProblem) = ReadText(ref reader, Join(path, "(a field name)"));
                    if (nameProblem is not null)
                    {
                        return nameProblem;
                    }

                    path.Add(name!);
                    if (!frames.Peek().Names!.Add(name!))
                    {
                        var field = Join(path);
                        return Problem.Of(StatusCodes.Status400BadRequest, "duplicate-field", "A field appears twice",
                            $"'{field}' appears more than once in one object: send each field once", field);
                    }

                    continue;
                }

                // A value: in an array it takes the next index.
                if (frames.TryPop(out var parent))
                {
                    frames.Push(parent.Names is null ? (null, parent.Index + 1) : parent);
                    if (parent.Names is null)
                    {
                        path.Add($"[{parent.Index + 1}]");
                    }
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        frames.Push((new HashSet<string>(StringComparer.Ordinal), -1));
                        continue;
                    case JsonTokenType.StartArray:
                        frames.Push((null, -1));
                        continue;
                    case JsonTokenType.String when ReadText(ref reader, Join(path)) is (_, { } problem):
                        return problem;
                }

                LeaveValue(frames, path);
            }
        }
        catch (JsonException e)
        {
            return Problem.MalformedJson($"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {FirstSentence(e.Message)}");
        }

        return null;
    }

    /// <summary>After a whole value: drop its name or index from the path (the root has neither).</summary>
    private static void LeaveValue(Stack<(HashSet<string>? Names, int Index)> frames, List<string> path)
    {
        if (frames.Count > 0)
        {
            path.RemoveAt(path.Count - 1);
        }
    }

    private static (string? Text, ProblemHttpResult? Problem) ReadText(ref Utf8JsonReader reader, string field)
    {
        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return (null, Problem.Of(StatusCodes.Status400BadRequest, "malformed-json", "The body is not valid JSON",
                $"'{field}' is not Unicode text: it holds bytes that are not UTF-8 or an unpaired surrogate escape such as \\ud800", field));
        }

        return text.Contains('\0', StringComparison.Ordinal)
            ? (null, Problem.Validation(field, $"'{field}' holds the character U+0000 (NUL), which no field accepts"))
            : (text, null);
    }

    private static string Join(List<string> path, string? last = null)
    {
        List<string> parts = last is null ? path : [.. path, last];
        return string.Concat(parts.Select((part, i) => i == 0 || part.StartsWith('[') ? part : "." + part));
    }

    /// <summary>The reader's message less its position, which the detail gives already.</summary>
    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
