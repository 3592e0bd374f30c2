using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LambdaRecon.Lambda;

/// <summary>
/// Reads an event from, and writes a response to, the streams a class-library handler of the managed
/// runtime receives and returns: with no Amazon.Lambda.Serialization package, these are the whole of
/// the serialization glue.
/// </summary>
public static class LambdaPayload
{
    /// <summary>Reads the one JSON document the payload holds; JSON null is refused, as no AWS event is null.</summary>
    public static async ValueTask<T> ReadAsync<T>(
        Stream input, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return await JsonSerializer.DeserializeAsync(input, typeInfo, cancellationToken)
            ?? throw new JsonException($"The event is JSON null where a {typeof(T).Name} was expected.");
    }

    /// <summary>Serializes the response into a stream positioned at its start, ready for the runtime to read.</summary>
    public static Stream Write<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), writable: false);
    }
}
