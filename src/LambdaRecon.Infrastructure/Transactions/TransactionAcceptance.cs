using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Queue;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LambdaRecon.Infrastructure.Transactions;

/// <summary>Who asks to accept what: the client's tenant and id, its idempotency key and the hash of its canonical request.</summary>
/// <param name="RequestId">The request's id (X-Request-Id): travels with the message so the worker's lines name it.</param>
/// <param name="PathBase">The stage's path base, escaped, under which the 202 body's pollUrl lies.</param>
public sealed record AcceptRequest(string TenantId, string ClientId, string IdempotencyKey, byte[] RequestHash, string RequestId, string PathBase);

/// <summary>Every way an accept ends; the API maps each to one HTTP answer.</summary>
public abstract record AcceptOutcome
{
    private AcceptOutcome()
    {
    }

    /// <summary>Recorded and queued: <paramref name="Body"/> is the 202 body, kept for replays.</summary>
    public sealed record Accepted(Guid TransactionId, string Body) : AcceptOutcome;

    /// <summary>The same request again: the first answer, as it was recorded.</summary>
    public sealed record Replayed(int OriginalStatus, string Body) : AcceptOutcome;

    /// <summary>The key was used for another request (422).</summary>
    public sealed record KeyReused : AcceptOutcome;

    /// <summary>The first request with this key still holds its lease (409); its transaction, once known.</summary>
    public sealed record InFlight(Guid? TransactionId) : AcceptOutcome;

    /// <summary>The transaction is recorded but SQS could not take it: a retry with the same key publishes it (503).</summary>
    public sealed record QueueUnavailable(Guid TransactionId) : AcceptOutcome;
}

/// <summary>The seed's 202 body; its camelCase names are the compatibility baseline.</summary>
public sealed record AcceptedResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("idempotencyKey")] string IdempotencyKey,
    [property: JsonPropertyName("transactionId")] Guid TransactionId,
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("pollUrl")] string PollUrl);

/// <summary>
/// The accept path shared by transfers and refunds: idempotency (Redis as the fast path, PostgreSQL as the
/// truth) → record ACCEPTED → publish to SQS → record the answer. Keys belong to the client's tenant and
/// client id; the caller has already checked that the transaction's accounts are the tenant's.
/// </summary>
/// <remarks>
/// Two calls because the ledger checks (the accounts exist and are open, the refund's original is POSTED) are
/// made only for a key never seen: a repeat is answered as the first request was, whatever changed since.
/// <see cref="LookupTransferAsync"/> (or <see cref="LookupRefundAsync"/>) answers a known key or returns what the
/// checks need; then <see cref="AcceptNewAsync"/>.
/// <para>
/// A new transaction costs three PostgreSQL round trips (the key with what the checks read, reserve, complete)
/// and one durable commit (reserve; complete's commit does not wait for the disk), plus a Redis GET and SET and
/// one SQS send. A crash
/// after reserve and before the publish is recovered by the lease (the client's retry takes the key over once
/// it lapses) or by the sweep (PipelineSweep republishes what stays ACCEPTED); a second publish is dropped by
/// SQS deduplication (the transaction id) and, past its window, by the worker's posting once. See
/// docs/accept-path.md.
/// </para>
/// </remarks>
public sealed partial class TransactionAcceptance(
    TransactionIntake intake, TransactionReader reader, TransactionPublisher publisher, IdempotencyCache cache, ILogger<TransactionAcceptance> logger)
{
    /// <summary>
    /// Answers a key seen before (see <see cref="AnswerEntryAsync"/>), or, for a new key, returns its accounts by
    /// id (the tenant's only) read in the same round trip as the key.
    /// </summary>
    public Task<(AcceptOutcome? Repeat, IReadOnlyDictionary<string, Account> Accounts)> LookupTransferAsync(
        AcceptRequest request, IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken) =>
        LookupAsync(request, AccountStore.GetManyCommand(request.TenantId, accountIds), AccountStore.ReadManyAsync, cancellationToken);

    /// <summary>As <see cref="LookupTransferAsync"/>, for a refund: the original transaction, null when the tenant has none of that id.</summary>
    public Task<(AcceptOutcome? Repeat, TransactionView? Original)> LookupRefundAsync(AcceptRequest request, Guid originalId, CancellationToken cancellationToken) =>
        LookupAsync(request, TransactionReader.GetCommand(request.TenantId, originalId), TransactionReader.ReadViewAsync, cancellationToken);

    private async Task<(AcceptOutcome? Repeat, T Read)> LookupAsync<T>(
        AcceptRequest request, NpgsqlBatchCommand read, Func<NpgsqlDataReader, CancellationToken, Task<T>> readResult, CancellationToken cancellationToken)
    {
        if (await CachedAnswerAsync(request) is { } cached)
        {
            return (cached, default!);
        }

        var (entry, result) = await intake.FindWithAsync(request.TenantId, request.ClientId, request.IdempotencyKey, read, readResult, cancellationToken);
        return entry is null ? (null, result) : (await AnswerEntryAsync(request, entry, cancellationToken), default!);
    }

    /// <summary>Redis's copy of a finished answer, if it has one: a replay then costs no PostgreSQL round trip.</summary>
    private async Task<AcceptOutcome?> CachedAnswerAsync(AcceptRequest request)
    {
        var cached = await cache.GetAsync(request.TenantId, request.ClientId, request.IdempotencyKey);
        return cached is null ? null
            : cached.RequestHash == Convert.ToHexString(request.RequestHash) ? new AcceptOutcome.Replayed(cached.Status, cached.Body)
            : new AcceptOutcome.KeyReused();
    }

    /// <summary>
    /// Answers a key PostgreSQL holds: the original response, key reused for another request, in flight while the
    /// first request runs, or the first request's unfinished work completed.
    /// </summary>
    private async Task<AcceptOutcome> AnswerEntryAsync(AcceptRequest request, IdempotencyEntry entry, CancellationToken cancellationToken)
    {
        var (tenant, client, key) = (request.TenantId, request.ClientId, request.IdempotencyKey);
        if (!CryptographicOperations.FixedTimeEquals(entry.RequestHash, request.RequestHash))
        {
            return new AcceptOutcome.KeyReused();
        }

        if (entry.Completed)
        {
            await cache.SetAsync(tenant, client, key, new CachedResponse(Convert.ToHexString(request.RequestHash), entry.ResponseStatus!.Value, entry.ResponseBody!));
            return new AcceptOutcome.Replayed(entry.ResponseStatus.Value, entry.ResponseBody!);
        }

        if (entry.LeaseActive || !await intake.TakeOverAsync(tenant, client, key, cancellationToken))
        {
            return new AcceptOutcome.InFlight(entry.TransactionId);
        }

        // The first request stopped before it published (SQS was down, or it crashed): finish its work.
        var view = await reader.GetAsync(tenant, entry.TransactionId, cancellationToken)
            ?? throw new InvalidOperationException($"idempotency key {key} names transaction {entry.TransactionId}, which does not exist");
        return await PublishAsync(request, view.Record);
    }

    /// <summary>Records a new transaction under the key and publishes it; a key taken meanwhile is answered as known.</summary>
    /// <param name="metadataJson">The transaction's metadata as canonical JSON ("{}" for none).</param>
    public async Task<AcceptOutcome> AcceptNewAsync(
        AcceptRequest request, TransactionRecord transaction, string metadataJson, CancellationToken cancellationToken)
    {
        if (!await intake.ReserveAsync(
                request.TenantId, request.ClientId, request.IdempotencyKey, request.RequestHash, transaction, metadataJson, cancellationToken))
        {
            // Another request with this key reserved it first: answer as its repeat.
            if (await CachedAnswerAsync(request) is { } cached)
            {
                return cached;
            }

            return await intake.FindAsync(request.TenantId, request.ClientId, request.IdempotencyKey, cancellationToken) is { } entry
                ? await AnswerEntryAsync(request, entry, cancellationToken)
                : new AcceptOutcome.InFlight(null);
        }

        return await PublishAsync(request, transaction);
    }

    /// <summary>
    /// Where the status of a key is read, under the stage's path base. A key that is not a plain path segment
    /// goes in the query: servers keep "%2F" undecoded in a path (and decode "%25"), so "a/b" would not round-trip.
    /// </summary>
    public static string PollUrl(string pathBase, string key) =>
        pathBase + (key.All(IsPathCharacter)
            ? "/api/v1/transactions/status/" + Uri.EscapeDataString(key)
            : "/api/v1/transactions/status?idempotency_key=" + Uri.EscapeDataString(key));

    /// <summary>
    /// Publishes a recorded transaction and records the answer. It takes no cancellation: once the transaction is
    /// recorded, a client that hangs up (or a request aborted) must not leave it unpublished for the sweep to find
    /// a minute later; the SQS client's and Npgsql's own timeouts bound the wait.
    /// </summary>
    private async Task<AcceptOutcome> PublishAsync(AcceptRequest request, TransactionRecord transaction)
    {
        var (tenant, client, key) = (request.TenantId, request.ClientId, request.IdempotencyKey);
        // The request's span (the trace's root) names what it accepted, for a search by transaction id.
        Activity.Current?.SetTag("lambdarecon.transaction_id", transaction.Id.ToString());
        Activity.Current?.SetTag("lambdarecon.idempotency_key", key);
        string messageId;
        try
        {
            messageId = await publisher.PublishAsync(TransactionMessage.From(transaction), request.RequestId, CancellationToken.None);
        }
        catch (QueueUnavailableException e)
        {
            // The transaction stays recorded and unpublished; the client's retry (same key) publishes it,
            // and the reconciler's sweep does if the client never comes back.
            PublishFailed(logger, e.InnerException ?? e, transaction.Id, key);
            await intake.ReleaseAsync(tenant, client, key, CancellationToken.None);
            return new AcceptOutcome.QueueUnavailable(transaction.Id);
        }

        var body = JsonSerializer.Serialize(
            new AcceptedResponse("ACCEPTED", key, transaction.Id, messageId, PollUrl(request.PathBase, key)), AcceptJsonContext.Default.AcceptedResponse);
        await intake.CompleteAsync(tenant, client, key, transaction.Id, messageId, Accepted, body, CancellationToken.None);
        await cache.SetAsync(tenant, client, key, new CachedResponse(Convert.ToHexString(request.RequestHash), Accepted, body));
        return new AcceptOutcome.Accepted(transaction.Id, body);
    }

    private const int Accepted = 202;

    // RFC 3986 pchar less percent-encoding: unreserved, sub-delims, ':' and '@'.
    private static bool IsPathCharacter(char c) => char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:@".Contains(c, StringComparison.Ordinal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "publishing transaction {TransactionId} failed; the key {IdempotencyKey} is released for a retry")]
    private static partial void PublishFailed(ILogger logger, Exception exception, Guid transactionId, string idempotencyKey);
}

[JsonSerializable(typeof(AcceptedResponse))]
internal sealed partial class AcceptJsonContext : JsonSerializerContext;
