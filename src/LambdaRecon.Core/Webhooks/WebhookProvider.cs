using System.Text.Json;

namespace LambdaRecon.Core.Webhooks;

/// <summary>How a provider signs: Stripe's own header (<c>t=…,v1=…</c>), or one HMAC in a header of its own.</summary>
public enum SignatureScheme
{
    Stripe,
    Hmac,
}

public enum WebhookDigest
{
    Sha256,
    Sha512,
}

/// <summary>How bytes are written as text: a signature in its header, a key in its secret.</summary>
public enum ByteEncoding
{
    Hex,
    Base64,

    /// <summary>The text's own UTF-8 bytes (a key only: Stripe's whsec_… secrets are used as they are written).</summary>
    Utf8,
}

/// <summary>One endpoint secret and the tenant whose events it signs.</summary>
public sealed record WebhookSecret(string TenantId, byte[] Key);

/// <summary>
/// What the engine knows about one payment provider's webhooks: how its signature is checked and where
/// an event's id, type, time and provider account are in its JSON (RFC 6901 pointers). Stripe is built
/// in; any other provider is this record read from configuration, so a second provider needs no code.
/// </summary>
public sealed record WebhookProvider
{
    /// <summary>Lower case, as in the path: /api/v1/webhooks/{name}.</summary>
    public required string Name { get; init; }

    public SignatureScheme Scheme { get; init; } = SignatureScheme.Hmac;

    public required string SignatureHeader { get; init; }

    public WebhookDigest Digest { get; init; } = WebhookDigest.Sha256;

    public ByteEncoding SignatureEncoding { get; init; } = ByteEncoding.Hex;

    /// <summary>Text before the signature in its header to drop, such as <c>sha256=</c>.</summary>
    public string SignaturePrefix { get; init; } = "";

    /// <summary>How each secret's text becomes the HMAC key.</summary>
    public ByteEncoding KeyEncoding { get; init; } = ByteEncoding.Utf8;

    /// <summary>
    /// When set, the signed bytes are this header's value (a unix time in seconds), <see cref="TimestampSeparator"/>,
    /// then the body, and a time outside <see cref="Tolerance"/> is refused as a replay; when null, the body alone.
    /// </summary>
    public string? TimestampHeader { get; init; }

    public string TimestampSeparator { get; init; } = ".";

    public TimeSpan Tolerance { get; init; } = TimeSpan.FromSeconds(300);

    public string EventIdPointer { get; init; } = "/id";

    public string EventTypePointer { get; init; } = "/type";

    public static WebhookProvider Stripe { get; } = new()
    {
        Name = "stripe",
        Scheme = SignatureScheme.Stripe,
        SignatureHeader = "Stripe-Signature",
    };

    /// <summary>The value at an RFC 6901 pointer <paramref name="path"/>, or null when the document has none there.</summary>
    public static JsonElement? At(JsonElement document, string path)
    {
        if (path.Length == 0)
        {
            return document;
        }

        if (path[0] != '/')
        {
            return null;
        }

        var current = document;
        foreach (var raw in path[1..].Split('/'))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(token, out var next))
            {
                current = next;
            }
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(token, out var index) && index >= 0 && index < current.GetArrayLength()
                     && token == index.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                current = current[index];
            }
            else
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>A string or number at <paramref name="path"/> (a JSON pointer) as text, else null.</summary>
    public static string? TextAt(JsonElement document, string? path) =>
        path is null ? null : At(document, path) switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
            _ => null,
        };
}
