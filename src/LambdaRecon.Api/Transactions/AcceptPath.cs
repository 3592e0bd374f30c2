using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Amazon.SQS;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Api.Problems;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Transactions;

namespace LambdaRecon.Api.Transactions;

/// <summary>The seed's 202 body; its camelCase names are the compatibility baseline.</summary>
public sealed record AcceptedResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("idempotencyKey")] string IdempotencyKey,
    [property: JsonPropertyName("transactionId")] Guid TransactionId,
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("pollUrl")] string PollUrl);

public sealed class AcceptServices(
    TransactionIntake intake, TransactionReader reader, TransactionPublisher publisher, IdempotencyCache cache, ILogger<AcceptServices> logger)
{
    public TransactionIntake Intake { get; } = intake;

    public TransactionReader Reader { get; } = reader;

    public TransactionPublisher Publisher { get; } = publisher;

    public IdempotencyCache Cache { get; } = cache;

    public ILogger Logger { get; } = logger;
}

/// <summary>
/// The accept path shared by transfers and refunds: idempotency (Redis as the fast path,
/// PostgreSQL as the truth) → record ACCEPTED → publish to SQS → record the answer → 202.
/// Idempotency keys belong to the client's tenant and client id; the caller has already checked that
/// the transaction's accounts are the tenant's.
/// </summary>
public static partial class AcceptPath
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

    /// <summary>
    /// Answers a key seen before: the original response, a 422 for another payload, a 409 while the
    /// first request runs, or the first request's unfinished work completed. Null for a new key.
    /// </summary>
    public static async Task<IResult?> AnswerKnownKeyAsync(
        AcceptServices services, ApiClient client, string key, byte[] hash, HttpContext http, CancellationToken cancellationToken)
    {
        var cached = await services.Cache.GetAsync(client.TenantId, client.ClientId, key);
        if (cached is not null)
        {
            return cached.RequestHash == Convert.ToHexString(hash) ? Replay(cached.Status, cached.Body) : Mismatch(key);
        }

        var entry = await services.Intake.FindAsync(client.TenantId, client.ClientId, key, cancellationToken);
        if (entry is null)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(entry.RequestHash, hash))
        {
            return Mismatch(key);
        }

        http.NoteTransaction(entry.TransactionId);
        if (entry.Completed)
        {
            await services.Cache.SetAsync(client.TenantId, client.ClientId, key, new CachedResponse(Convert.ToHexString(hash), entry.ResponseStatus!.Value, entry.ResponseBody!));
            return Replay(entry.ResponseStatus.Value, entry.ResponseBody!);
        }

        if (entry.LeaseActive || !await services.Intake.TakeOverAsync(client.TenantId, client.ClientId, key, cancellationToken))
        {
            return InFlight(key);
        }

        // The first request stopped before it published (SQS was down, or it crashed): finish its work.
        var view = await services.Reader.GetAsync(client.TenantId, entry.TransactionId, cancellationToken)
            ?? throw new InvalidOperationException($"idempotency key {key} names transaction {entry.TransactionId}, which does not exist");
        return await PublishAsync(services, client, key, hash, view.Record, http, cancellationToken);
    }

    /// <summary>Records a new transaction under the key and publishes it; a key taken meanwhile is answered as known.</summary>
    public static async Task<IResult> AcceptNewAsync(
        AcceptServices services, ApiClient client, string key, byte[] hash, TransactionRecord transaction, JsonElement? metadata,
        HttpContext http, CancellationToken cancellationToken)
    {
        if (!await services.Intake.ReserveAsync(client.TenantId, client.ClientId, key, hash, transaction, Canonical(metadata), cancellationToken))
        {
            return await AnswerKnownKeyAsync(services, client, key, hash, http, cancellationToken) ?? InFlight(key);
        }

        return await PublishAsync(services, client, key, hash, transaction, http, cancellationToken);
    }

    private static async Task<IResult> PublishAsync(
        AcceptServices services, ApiClient client, string key, byte[] hash, TransactionRecord transaction, HttpContext http,
        CancellationToken cancellationToken)
    {
        http.NoteTransaction(transaction.Id);
        // The request's span (the trace's root) names what it accepted, for a search by transaction id.
        Activity.Current?.SetTag("lambdarecon.transaction_id", transaction.Id.ToString());
        Activity.Current?.SetTag("lambdarecon.idempotency_key", key);
        string messageId;
        try
        {
            messageId = await services.Publisher.PublishAsync(TransactionMessage.From(transaction), http.TraceIdentifier, cancellationToken);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or TaskCanceledException
                                  && !cancellationToken.IsCancellationRequested)
        {
            // The transaction stays recorded and unpublished; the client's retry (same key) publishes it,
            // and the reconciler's sweep does if the client never comes back.
            PublishFailed(services.Logger, e, transaction.Id, key);
            await services.Intake.ReleaseAsync(client.TenantId, client.ClientId, key, CancellationToken.None);
            return ServiceUnavailable("the transaction is recorded but the queue cannot be reached: retry with the same idempotency key", 2);
        }

        var body = JsonSerializer.Serialize(new AcceptedResponse(
            "ACCEPTED", key, transaction.Id, messageId, PollUrl(http.Request.PathBase, key)));
        await services.Intake.CompleteAsync(client.TenantId, client.ClientId, key, transaction.Id, messageId, StatusCodes.Status202Accepted, body, cancellationToken);
        await services.Cache.SetAsync(client.TenantId, client.ClientId, key, new CachedResponse(Convert.ToHexString(hash), StatusCodes.Status202Accepted, body));
        return Results.Content(body, "application/json", Encoding.UTF8, StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Where the status of a key is read, under the stage's path base. A key that is not a plain path segment
    /// goes in the query: servers keep "%2F" undecoded in a path (and decode "%25"), so "a/b" would not round-trip.
    /// </summary>
    public static string PollUrl(PathString pathBase, string key) =>
        pathBase + (key.All(IsPathCharacter)
            ? "/api/v1/transactions/status/" + Uri.EscapeDataString(key)
            : "/api/v1/transactions/status?idempotency_key=" + Uri.EscapeDataString(key));

    // RFC 3986 pchar less percent-encoding: unreserved, sub-delims, ':' and '@'.
    private static bool IsPathCharacter(char c) => char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:@".Contains(c, StringComparison.Ordinal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "publishing transaction {TransactionId} failed; the key {IdempotencyKey} is released for a retry")]
    private static partial void PublishFailed(ILogger logger, Exception exception, Guid transactionId, string idempotencyKey);

    private static ReplayResult Replay(int status, string body) => new(status, body);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Mismatch(string key) => Problem.Unprocessable(
        "idempotency-key-reused", "Idempotency key reused with another request",
        $"the idempotency key '{key}' was used for a different request: use a new key for a new request", "idempotencyKey");

    private static RetryAfterResult InFlight(string key) => new(
        Problem.Of(StatusCodes.Status409Conflict, "request-in-progress", "The first request with this key is still being handled",
            $"a request with idempotency key '{key}' is in progress: retry after a moment to get its answer", "idempotencyKey"),
        1);

    public static IResult ServiceUnavailable(string detail, int retryAfterSeconds) => new RetryAfterResult(
        Problem.Of(StatusCodes.Status503ServiceUnavailable, "queue-unavailable", "The queue is unavailable", detail), retryAfterSeconds);

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
