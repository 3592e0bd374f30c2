using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace LambdaRecon.Lambda.Tests.Events;

/// <summary>The sample events copied next to the test assembly, and the comparisons the tests make on them.</summary>
internal static class EventFiles
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Events");

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static T Deserialize<T>(string name, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Deserialize(Read(name), typeInfo) ?? throw new InvalidOperationException(name + " holds JSON null");

    /// <summary>
    /// Fails unless every field of <paramref name="expected"/> is in <paramref name="actual"/> with the same
    /// value. A null field may be absent (the contracts leave nulls out), and two texts that are the same
    /// instant written differently are equal (the contracts read times into DateTimeOffset).
    /// </summary>
    public static void AssertHasEveryField(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected null or absent, found {actual?.ToJsonString()}");
                break;
            case JsonObject expectedObject:
                var actualObject = Assert.IsType<JsonObject>(actual, exactMatch: false);
                foreach (var (name, value) in expectedObject)
                {
                    Assert.True(
                        value is null || actualObject.ContainsKey(name),
                        $"{path}.{name} was lost; written: {actualObject.ToJsonString()}");
                    AssertHasEveryField(value, actualObject[name], $"{path}.{name}");
                }

                break;
            case JsonArray expectedArray:
                var actualArray = Assert.IsType<JsonArray>(actual, exactMatch: false);
                Assert.True(expectedArray.Count == actualArray.Count, $"{path}: {expectedArray.Count} items became {actualArray.Count}");
                for (var i = 0; i < expectedArray.Count; i++)
                {
                    AssertHasEveryField(expectedArray[i], actualArray[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(
                    JsonNode.DeepEquals(expected, actual) || SameInstant(expected, actual),
                    $"{path}: {expected.ToJsonString()} became {actual?.ToJsonString() ?? "absent"}");
                break;
        }
    }

    private static bool SameInstant(JsonNode expected, JsonNode? actual) =>
        expected.GetValueKind() == JsonValueKind.String
        && actual?.GetValueKind() == JsonValueKind.String
        && DateTimeOffset.TryParse(expected.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var a)
        && DateTimeOffset.TryParse(actual.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var b)
        && a == b
        && a.Offset == b.Offset;
}
