using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Api.Problems;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Transactions;

namespace LambdaRecon.Api.Transactions;

/// <summary>
/// The HTTP side of accepting a transfer or a refund: the idempotency key from the request, the request's
/// hash, the <see cref="AcceptRequest"/> for <see cref="TransactionAcceptance"/>, and each of its outcomes
/// as the HTTP answer.
/// </summary>
public static class AcceptHttp
{
    /// <summary>1–255 printable ASCII characters, as the Idempotency-Key draft and Stripe allow.</summary>
    public static (string? Key, IResult? Problem) ResolveKey(HttpRequest request, string? bodyKey)
    {
        var header = request.Headers["Idempotency-Key"];
        // Two headers reach the app as two values on Kestrel, and joined by a comma through API Gateway
        // (and many proxies): either way the client sent two keys, and taking one would be a guess.
        if (header.Count > 1 || header.ToString().Contains(',', StringComparison.Ordinal))
        {
            return (null, Problem.Validation("Idempotency-Key", "send exactly one Idempotency-Key header, holding one key without commas"));
        }

        var headerKey = header.ToString();
        headerKey = headerKey.Length == 0 ? null : headerKey;
        if (headerKey is not null && bodyKey is not null && headerKey != bodyKey)
        {
            return (null, Problem.Validation("idempotencyKey", "the Idempotency-Key header and the body's idempotencyKey differ: send one, or the same in both"));
        }

        var key = headerKey ?? bodyKey;
        if (key is null)
        {
            return (null, Problem.Validation("idempotencyKey", "an idempotency key is required: the Idempotency-Key header or the body's idempotencyKey"));
        }

        if (key.Length is < 1 or > 255 || key.Any(c => c is < ' ' or > '~'))
        {
            return (null, Problem.Validation("idempotencyKey", "the idempotency key must be 1 to 255 printable ASCII characters"));
        }

        request.HttpContext.NoteIdempotencyKey(key);
        return (key, null);
    }

    /// <summary>What the acceptance needs to know of this request, <paramref name="parts"/> being its canonical form.</summary>
    public static AcceptRequest Request(HttpContext http, ApiClient client, string key, params string?[] parts) =>
        new(client.TenantId, client.ClientId, key, Hash(parts), http.TraceIdentifier, http.Request.PathBase.ToString());

    /// <summary>SHA-256 of the request's canonical form: equal requests hash equal whatever their spacing or key order.</summary>
    public static byte[] Hash(params string?[] parts) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts.Select(p => p ?? "\u0000"))));

    /// <summary>Canonical JSON: object keys sorted, no whitespace.</summary>
    public static string Canonical(JsonElement? element)
    {
        if (element is null)
        {
            return "{}";
        }

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, element.Value);
        }

        return Encoding.UTF8.GetString(stream.ToArray());

        static void Write(Utf8JsonWriter writer, JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    writer.WriteStartObject();
                    foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                    {
                        writer.WritePropertyName(property.Name);
                        Write(writer, property.Value);
                    }

                    writer.WriteEndObject();
                    break;
                case JsonValueKind.Array:
                    writer.WriteStartArray();
                    foreach (var item in value.EnumerateArray())
                    {
                        Write(writer, item);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    value.WriteTo(writer);
                    break;
            }
        }
    }

    /// <summary>Each outcome as its HTTP answer; the request's log line names the transaction where one is known.</summary>
    public static IResult ToHttp(AcceptOutcome outcome, HttpContext http, string key)
    {
        switch (outcome)
        {
            case AcceptOutcome.Accepted accepted:
                http.NoteTransaction(accepted.TransactionId);
                return Results.Content(accepted.Body, "application/json", Encoding.UTF8, StatusCodes.Status202Accepted);
            case AcceptOutcome.Replayed replayed:
                return new ReplayResult(replayed.OriginalStatus, replayed.Body);
            case AcceptOutcome.KeyReused:
                return Problem.Unprocessable(
                    "idempotency-key-reused", "Idempotency key reused with another request",
                    $"the idempotency key '{key}' was used for a different request: use a new key for a new request", "idempotencyKey");
            case AcceptOutcome.InFlight inFlight:
                if (inFlight.TransactionId is { } id)
                {
                    http.NoteTransaction(id);
                }

                return new RetryAfterResult(
                    Problem.Of(StatusCodes.Status409Conflict, "request-in-progress", "The first request with this key is still being handled",
                        $"a request with idempotency key '{key}' is in progress: retry after a moment to get its answer", "idempotencyKey"),
                    1);
            case AcceptOutcome.QueueUnavailable unavailable:
                http.NoteTransaction(unavailable.TransactionId);
                return new RetryAfterResult(
                    Problem.Of(StatusCodes.Status503ServiceUnavailable, "queue-unavailable", "The queue is unavailable",
                        "the transaction is recorded but the queue cannot be reached: retry with the same idempotency key"),
                    2);
            default:
                throw new InvalidOperationException($"no HTTP answer for {outcome}");
        }
    }

    /// <summary>The original answer again: seed-compatible 200 with the first body.</summary>
    private sealed class ReplayResult(int originalStatus, string body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            // The first answer names its transaction; so does this request's log line.
            using (var first = JsonDocument.Parse(body))
            {
                if (first.RootElement.ValueKind == JsonValueKind.Object
                    && first.RootElement.TryGetProperty("transactionId", out var id) && id.TryGetGuid(out var transactionId))
                {
                    httpContext.NoteTransaction(transactionId);
                }
            }

            httpContext.Response.Headers["Idempotent-Replayed"] = "true";
            httpContext.Response.Headers["Original-Status"] = originalStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Content(body, "application/json", Encoding.UTF8, StatusCodes.Status200OK).ExecuteAsync(httpContext);
        }
    }

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
