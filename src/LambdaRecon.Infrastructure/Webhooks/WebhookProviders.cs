using System.Text.Json;
using Amazon.SimpleSystemsManagement;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Configuration;
using Microsoft.Extensions.Configuration;

namespace LambdaRecon.Infrastructure.Webhooks;

/// <summary>
/// The providers whose webhooks the API takes, and their secrets. Stripe is built in; others come from
/// LAMBDARECON_WEBHOOK_PROVIDERS, a JSON object of provider name to definition (docs/webhooks.md). A
/// provider takes webhooks only once it has a secret: <c>&lt;NAME&gt;_WEBHOOK_SECRET</c> (STRIPE_WEBHOOK_SECRET),
/// or <c>&lt;NAME&gt;_WEBHOOK_SECRET_ID</c>, a Secrets Manager secret read at run time through Parameter Store
/// as the database credentials are. Either holds one or more secrets, comma-separated, each written
/// <c>[tenant@]secret</c>: the tenant (default 'default') is the one whose events that secret signs, so a
/// delivery's tenant is the tenant of the secret that verified it, and a rotation lists two secrets.
/// </summary>
public sealed class WebhookProviders
{
    public const string ProvidersVariable = "LAMBDARECON_WEBHOOK_PROVIDERS";

    /// <summary>A secret read from Secrets Manager is read again, at most this often, when no secret verifies a delivery (it may have been rotated).</summary>
    public TimeSpan RereadAfter { get; init; } = TimeSpan.FromSeconds(60);

    private readonly IConfiguration _configuration;
    private readonly Func<IAmazonSimpleSystemsManagement> _ssm;
    private readonly Dictionary<string, WebhookProvider> _providers;
    private readonly Dictionary<string, IReadOnlyList<WebhookSecret>> _plain = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IReadOnlyList<WebhookSecret> Secrets, long ReadAt)> _read = [];
    private readonly Lock _lock = new();

    /// <exception cref="InvalidOperationException">
    /// LAMBDARECON_WEBHOOK_PROVIDERS or a secret given in the environment is malformed, naming what is wrong (never the secret):
    /// the API resolves this at start, so it fails there rather than on the first delivery.
    /// </exception>
    public WebhookProviders(IConfiguration configuration, Func<IAmazonSimpleSystemsManagement> ssm)
    {
        _configuration = configuration;
        _ssm = ssm;
        _providers = new Dictionary<string, WebhookProvider>(StringComparer.Ordinal) { ["stripe"] = StripeFrom(configuration) };
        foreach (var provider in Parse(configuration[ProvidersVariable]))
        {
            _providers[provider.Name] = provider;
        }

        foreach (var provider in _providers.Values)
        {
            var variable = SecretVariable(provider.Name);
            if (Get(variable) is { } plain)
            {
                _plain[provider.Name] = ParseSecrets(plain, provider.KeyEncoding, variable);
            }
        }
    }

    /// <summary>A provider that has a secret configured, or null.</summary>
    public WebhookProvider? Find(string name) =>
        _providers.TryGetValue(name, out var provider) && (_plain.ContainsKey(name) || Get(SecretVariable(name) + "_ID") is not null) ? provider : null;

    /// <summary>The provider's secrets: from the environment, or from Secrets Manager as last read.</summary>
    public async Task<IReadOnlyList<WebhookSecret>> SecretsAsync(WebhookProvider provider, CancellationToken cancellationToken) =>
        (await ReadAsync(provider, fresh: false, cancellationToken))!;

    /// <summary>
    /// Secrets newer than those <see cref="SecretsAsync"/> gave, after a delivery none of them verified: a Secrets Manager
    /// secret read again if the last read is a minute old. Null when there is nothing newer (a secret in the environment,
    /// or one read less than a minute ago), so the caller need not verify again.
    /// </summary>
    public Task<IReadOnlyList<WebhookSecret>?> NewerSecretsAsync(WebhookProvider provider, CancellationToken cancellationToken) =>
        ReadAsync(provider, fresh: true, cancellationToken);

    private async Task<IReadOnlyList<WebhookSecret>?> ReadAsync(WebhookProvider provider, bool fresh, CancellationToken cancellationToken)
    {
        if (_plain.TryGetValue(provider.Name, out var plain))
        {
            return fresh ? null : plain;
        }

        var variable = SecretVariable(provider.Name);
        var secretId = Get(variable + "_ID") ?? throw new InvalidOperationException($"{variable} is not set");
        lock (_lock)
        {
            if (_read.TryGetValue(provider.Name, out var cached))
            {
                if (!fresh)
                {
                    return cached.Secrets;
                }

                if (Environment.TickCount64 - cached.ReadAt < RereadAfter.TotalMilliseconds)
                {
                    return null;
                }
            }
        }

        var secrets = ParseSecrets(await SecretReference.ReadAsync(_ssm(), secretId, cancellationToken), provider.KeyEncoding, variable + "_ID");
        lock (_lock)
        {
            _read[provider.Name] = (secrets, Environment.TickCount64);
        }

        return secrets;
    }

    /// <summary>STRIPE_WEBHOOK_SECRET for stripe, ADYEN_WEBHOOK_SECRET for adyen, MY_PSP_WEBHOOK_SECRET for my-psp.</summary>
    public static string SecretVariable(string provider) => provider.ToUpperInvariant().Replace('-', '_') + "_WEBHOOK_SECRET";

    /// <summary>Comma-separated <c>[tenant@]secret</c>; never names a secret in an error.</summary>
    public static IReadOnlyList<WebhookSecret> ParseSecrets(string value, ByteEncoding keyEncoding, string source)
    {
        var secrets = new List<WebhookSecret>();
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var at = item.IndexOf('@', StringComparison.Ordinal);
            var tenant = at > 0 ? item[..at] : Tenants.TenantStore.Default;
            var text = at > 0 ? item[(at + 1)..] : item;
            if (!WebhookSignature.TryDecode(text, keyEncoding, out var key))
            {
                throw new InvalidOperationException($"{source}: secret {secrets.Count + 1} is not {keyEncoding.ToString().ToLowerInvariant()}");
            }

            secrets.Add(new WebhookSecret(tenant, key));
        }

        return secrets.Count > 0 ? secrets : throw new InvalidOperationException($"{source} holds no secret");
    }

    private string? Get(string name) => _configuration[name] is { } s && s.Trim().Length > 0 ? s.Trim() : null;

    private static WebhookProvider StripeFrom(IConfiguration configuration)
    {
        var tolerance = configuration["STRIPE_WEBHOOK_TOLERANCE_SECONDS"];
        if (tolerance is null)
        {
            return WebhookProvider.Stripe;
        }

        return int.TryParse(tolerance, out var seconds) && seconds > 0
            ? WebhookProvider.Stripe with { Tolerance = TimeSpan.FromSeconds(seconds) }
            : throw new InvalidOperationException($"STRIPE_WEBHOOK_TOLERANCE_SECONDS '{tolerance}' is not a positive number of seconds");
    }

    /// <summary>
    /// {"adyen": {"signature_header": "HmacSignature", "digest": "sha256", "encoding": "base64", "key_encoding": "hex",
    /// "signature_prefix": "", "timestamp_header": null, "timestamp_separator": ".", "tolerance_seconds": 300,
    /// "event_id": "/id", "event_type": "/type"}}; only signature_header is required.
    /// </summary>
    public static IReadOnlyList<WebhookProvider> Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        static InvalidOperationException Bad(string why) => new($"{ProvidersVariable}: {why}. See docs/webhooks.md.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Bad($"not JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Bad("must be a JSON object of provider name to definition");
            }

            var providers = new List<WebhookProvider>();
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                var name = entry.Name;
                if (name == "stripe" || !System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9_-]{1,32}$") || entry.Value.ValueKind != JsonValueKind.Object)
                {
                    throw Bad($"'{name}' must be 1 to 32 lower-case letters, digits, '-' or '_' (not 'stripe', which is built in) naming an object");
                }

                string? Text(string field)
                {
                    if (!entry.Value.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                    {
                        return null;
                    }

                    return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Bad($"{name}.{field} must be a string");
                }

                T Choice<T>(string field, T fallback)
                    where T : struct, Enum =>
                    Text(field) is not { } text ? fallback
                        : Enum.TryParse<T>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                            ? parsed
                            : throw Bad($"{name}.{field} '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

                string Pointer(string field, string fallback) =>
                    Text(field) is { } p ? (p.Length == 0 || p[0] == '/' ? p : throw Bad($"{name}.{field} '{p}' is not a JSON pointer (/id, /data/object/id)")) : fallback;

                foreach (var field in entry.Value.EnumerateObject().Select(p => p.Name))
                {
                    if (field is not ("signature_header" or "digest" or "encoding" or "key_encoding" or "signature_prefix" or "timestamp_header"
                        or "timestamp_separator" or "tolerance_seconds" or "event_id" or "event_type"))
                    {
                        throw Bad($"{name}.{field} is not a setting");
                    }
                }

                var tolerance = 300;
                if (entry.Value.TryGetProperty("tolerance_seconds", out var t) && (!t.TryGetInt32(out tolerance) || tolerance <= 0))
                {
                    throw Bad($"{name}.tolerance_seconds must be a positive whole number");
                }

                var signatureEncoding = Choice("encoding", ByteEncoding.Hex);
                if (signatureEncoding == ByteEncoding.Utf8)
                {
                    throw Bad($"{name}.encoding must be hex or base64");
                }

                providers.Add(new WebhookProvider
                {
                    Name = name,
                    Scheme = SignatureScheme.Hmac,
                    SignatureHeader = Text("signature_header") ?? throw Bad($"{name}.signature_header is required"),
                    Digest = Choice("digest", WebhookDigest.Sha256),
                    SignatureEncoding = signatureEncoding,
                    KeyEncoding = Choice("key_encoding", ByteEncoding.Utf8),
                    SignaturePrefix = Text("signature_prefix") ?? "",
                    TimestampHeader = Text("timestamp_header"),
                    TimestampSeparator = Text("timestamp_separator") ?? ".",
                    Tolerance = TimeSpan.FromSeconds(tolerance),
                    EventIdPointer = Pointer("event_id", "/id"),
                    EventTypePointer = Pointer("event_type", "/type"),
                });
            }

            return providers;
        }
    }
}
