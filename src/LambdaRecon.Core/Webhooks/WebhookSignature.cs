using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LambdaRecon.Core.Webhooks;

/// <summary>A verified delivery: the secret that signed it (so its tenant) and the time it was signed at, when the scheme has one.</summary>
/// <param name="Refusal">Why the signature is refused, naming headers and rules only, never a byte of the body; null when verified.</param>
public sealed record SignatureCheck(WebhookSecret? Secret, DateTimeOffset? SignedAt, string? Refusal)
{
    public bool Verified => Refusal is null;

    public static SignatureCheck Refused(string why) => new(null, null, why);
}

/// <summary>
/// Checks a webhook's signature over the exact bytes received. Every comparison is constant-time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), every secret is tried (a rotation has two at
/// once), and a signed time outside the provider's tolerance either way is a replay, not a delivery.
/// </summary>
public static class WebhookSignature
{
    /// <summary>Stripe's header holds at most this many signatures; past it the header is refused unread.</summary>
    private const int MaxSignatures = 16;

    public static SignatureCheck Verify(
        WebhookProvider provider, Func<string, string?> header, ReadOnlySpan<byte> body, IReadOnlyList<WebhookSecret> secrets, DateTimeOffset now)
    {
        if (secrets.Count == 0)
        {
            return SignatureCheck.Refused($"no secret is configured for provider '{provider.Name}'");
        }

        return provider.Scheme == SignatureScheme.Stripe
            ? VerifyStripe(provider, header(provider.SignatureHeader), body, secrets, now)
            : VerifyHmac(provider, header, body, secrets, now);
    }

    /// <summary>Stripe: <c>t=&lt;unix seconds&gt;,v1=&lt;hex&gt;[,v1=…]</c>, HMAC-SHA256 over <c>"&lt;t&gt;." + body</c>; other schemes (v0) are ignored.</summary>
    private static SignatureCheck VerifyStripe(
        WebhookProvider provider, string? value, ReadOnlySpan<byte> body, IReadOnlyList<WebhookSecret> secrets, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return SignatureCheck.Refused($"the request has no {provider.SignatureHeader} header");
        }

        string? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var item in value.Split(','))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = item[..equals].Trim();
            var text = item[(equals + 1)..].Trim();
            if (key == "t")
            {
                if (timestamp is not null)
                {
                    return SignatureCheck.Refused($"the {provider.SignatureHeader} header holds more than one timestamp (t=)");
                }

                timestamp = text;
            }
            else if (key == "v1" && TryDecode(text, ByteEncoding.Hex, out var signature) && signature.Length == SHA256.HashSizeInBytes)
            {
                signatures.Add(signature);
            }
        }

        if (signatures.Count > MaxSignatures)
        {
            return SignatureCheck.Refused($"the {provider.SignatureHeader} header holds more than {MaxSignatures} signatures");
        }

        if (timestamp is null || signatures.Count == 0)
        {
            return SignatureCheck.Refused($"the {provider.SignatureHeader} header must hold t=<unix time> and at least one v1=<hex HMAC-SHA256>");
        }

        return Check(provider, timestamp, body, signatures, secrets, now);
    }

    private static SignatureCheck VerifyHmac(
        WebhookProvider provider, Func<string, string?> header, ReadOnlySpan<byte> body, IReadOnlyList<WebhookSecret> secrets, DateTimeOffset now)
    {
        var value = header(provider.SignatureHeader)?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return SignatureCheck.Refused($"the request has no {provider.SignatureHeader} header");
        }

        if (!value.StartsWith(provider.SignaturePrefix, StringComparison.Ordinal)
            || !TryDecode(value[provider.SignaturePrefix.Length..], provider.SignatureEncoding, out var signature))
        {
            return SignatureCheck.Refused(
                $"the {provider.SignatureHeader} header is not {provider.SignaturePrefix}<{provider.SignatureEncoding.ToString().ToLowerInvariant()} HMAC-{provider.Digest.ToString().ToUpperInvariant()}>");
        }

        string? timestamp = null;
        if (provider.TimestampHeader is { } timestampHeader)
        {
            timestamp = header(timestampHeader)?.Trim();
            if (string.IsNullOrEmpty(timestamp))
            {
                return SignatureCheck.Refused($"the request has no {timestampHeader} header");
            }
        }

        return Check(provider, timestamp, body, [signature], secrets, now);
    }

    private static SignatureCheck Check(
        WebhookProvider provider, string? timestamp, ReadOnlySpan<byte> body, List<byte[]> signatures, IReadOnlyList<WebhookSecret> secrets,
        DateTimeOffset now)
    {
        DateTimeOffset? signedAt = null;
        byte[] prefix = [];
        if (timestamp is not null)
        {
            if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
            {
                return SignatureCheck.Refused("the signature's timestamp is not a unix time in seconds");
            }

            signedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
            if ((now - signedAt.Value).Duration() > provider.Tolerance)
            {
                return SignatureCheck.Refused(
                    $"the signature's timestamp is more than {provider.Tolerance.TotalSeconds:0} s from the server's clock (a replay, or a clock to fix)");
            }

            var separator = provider.Scheme == SignatureScheme.Stripe ? "." : provider.TimestampSeparator;
            prefix = Encoding.UTF8.GetBytes(timestamp + separator);
        }

        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        foreach (var secret in secrets)
        {
            var expected = provider.Digest == WebhookDigest.Sha512 ? HMACSHA512.HashData(secret.Key, signed) : HMACSHA256.HashData(secret.Key, signed);
            foreach (var signature in signatures)
            {
                if (CryptographicOperations.FixedTimeEquals(expected, signature))
                {
                    return new SignatureCheck(secret, signedAt, null);
                }
            }
        }

        return SignatureCheck.Refused(
            $"no signature in the {provider.SignatureHeader} header matches the body with any configured secret (a wrong secret, or a body changed on the way)");
    }

    /// <summary>The signature a provider would send: for tests and for <c>./run.sh generate-event</c>.</summary>
    public static string Sign(WebhookProvider provider, byte[] key, string? timestamp, ReadOnlySpan<byte> body)
    {
        var separator = provider.Scheme == SignatureScheme.Stripe ? "." : provider.TimestampSeparator;
        var prefix = timestamp is null ? [] : Encoding.UTF8.GetBytes(timestamp + separator);
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var mac = provider.Digest == WebhookDigest.Sha512 ? HMACSHA512.HashData(key, signed) : HMACSHA256.HashData(key, signed);
        return provider.Scheme == SignatureScheme.Stripe
            ? $"t={timestamp},v1={Convert.ToHexStringLower(mac)}"
            : provider.SignaturePrefix + Encode(mac, provider.SignatureEncoding);
    }

    public static string Encode(byte[] bytes, ByteEncoding encoding) => encoding switch
    {
        ByteEncoding.Hex => Convert.ToHexStringLower(bytes),
        ByteEncoding.Base64 => Convert.ToBase64String(bytes),
        _ => Encoding.UTF8.GetString(bytes),
    };

    /// <summary>Hex in either case, base64 with its padding, or the text's UTF-8 bytes.</summary>
    public static bool TryDecode(string text, ByteEncoding encoding, out byte[] bytes)
    {
        bytes = [];
        try
        {
            switch (encoding)
            {
                case ByteEncoding.Hex when text.Length % 2 == 0 && text.Length > 0:
                    bytes = Convert.FromHexString(text);
                    return true;
                case ByteEncoding.Base64 when text.Length > 0:
                    bytes = Convert.FromBase64String(text);
                    return true;
                case ByteEncoding.Utf8 when text.Length > 0:
                    bytes = Encoding.UTF8.GetBytes(text);
                    return true;
                default:
                    return false;
            }
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
