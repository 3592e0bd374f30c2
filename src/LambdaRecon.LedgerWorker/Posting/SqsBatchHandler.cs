using System.Diagnostics;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LambdaRecon.LedgerWorker.Posting;

/// <summary>
/// Posts an SQS batch of transaction messages into the ledger and answers which messages SQS must
/// deliver again (ReportBatchItemFailures). The same code runs under Lambda, under the local poller
/// and in tests. It talks to PostgreSQL only: deleting the succeeded messages is the caller's job, so
/// no SQS or Redis call ever runs while a database transaction is open.
/// </summary>
/// <remarks>
/// A message fails (and SQS delivers it again, then moves it to the DLQ) when its body is not a
/// transaction message, when the database refuses its transaction, or when posting met a technical
/// failure. A business failure (insufficient funds, closed account…) is an outcome, not a failure: the
/// transaction is FAILED with its reason and the message is done. Once a message of a FIFO group fails,
/// the later messages of that group in the batch fail with it, unposted, so that the group's order holds.
/// Each message's outcome is one Information line with the request id that published it (its RequestId
/// attribute), each batch one more line and one metrics document.
/// </remarks>
public sealed partial class SqsBatchHandler(LedgerStore store, EmbeddedMetrics metrics, ILogger<SqsBatchHandler> logger)
{
    private const int BodyPreviewLength = 64;

    // Serialization failures and deadlocks are the database asking for a retry; anything else is not
    // made better by retrying at once: SQS redelivers after the visibility timeout instead.
    private const int MaxAttempts = 3;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>The Lambda shape: an SQS event's JSON in, the batch response's JSON out.</summary>
    public async Task<Stream> HandleAsync(Stream input, CancellationToken cancellationToken)
    {
        var sqsEvent = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent, cancellationToken);
        var response = await HandleAsync(sqsEvent, cancellationToken);
        return LambdaPayload.Write(response, LambdaJsonContext.Default.SqsBatchResponse);
    }

    public async Task<SqsBatchResponse> HandleAsync(SqsEvent sqsEvent, CancellationToken cancellationToken)
    {
        using var span = MessageSpans.StartBatch(sqsEvent.Records);
        var batch = new BatchProgress(sqsEvent.Records, MessageSpans.StartEach(sqsEvent.Records, span));
        var toPost = new List<Pending>();
        for (var i = 0; i < batch.Messages.Count; i++)
        {
            var message = batch.Messages[i];
            if (batch.IsStopped(i))
            {
                Log.HeldBehindFailure(logger, message.MessageId, message.MessageGroupId, RequestIdOf(message));
                batch.Fail(i);
            }
            else if (TransactionMessage.TryParse(message.Body) is { } parsed)
            {
                batch.Spans[i]?.SetTag("lambdarecon.transaction_id", parsed.TransactionId.ToString());
                toPost.Add(new Pending(i, parsed.ToRecord()));
            }
            else
            {
                Log.Malformed(logger, message.MessageId, message.MessageGroupId, RequestIdOf(message), Preview(message.Body));
                batch.Fail(i);
            }
        }

        if (toPost.Count > 0)
        {
            await PostAsync(batch, toPost, cancellationToken);
        }

        var failedIds = batch.FailedIds();
        MessageSpans.End(batch.Spans);
        span?.SetTag("lambdarecon.failed_count", failedIds.Count);
        Log.BatchDone(logger, batch.Messages.Count, batch.Posted, batch.FailedByRules, batch.AlreadyFinal, failedIds.Count, string.Join(',', failedIds));
        List<Metric> values =
        [
            Metric.Count("BatchSize", batch.Messages.Count),
            Metric.Count("Posted", batch.Posted),
            Metric.Count("Failed", batch.FailedByRules),
            Metric.Count("AlreadyFinal", batch.AlreadyFinal),
            Metric.Count("TechnicalFailures", failedIds.Count),
            Metric.Milliseconds("AcceptedToPostedLatency", batch.LatenciesMs),
        ];
        values.AddRange(batch.FailureCodes.Select(code => Metric.Count("Failed." + code.Key, code.Value)));
        metrics.Emit(values);
        return new SqsBatchResponse { BatchItemFailures = failedIds.Select(id => new SqsBatchItemFailure(id)).ToArray() };
    }

    /// <summary>The id of the request that published the message, from its RequestId attribute; null for a message sent otherwise.</summary>
    public static string? RequestIdOf(SqsMessage message) =>
        message.MessageAttributes.GetValueOrDefault(TransactionPublisher.RequestIdAttribute)?.StringValue;

    private sealed record Pending(int Index, TransactionRecord Transaction);

    // The whole batch in one database transaction: one commit for up to ten messages.
    private async Task PostAsync(BatchProgress batch, List<Pending> toPost, CancellationToken cancellationToken)
    {
        try
        {
            var outcomes = await PostWithRetriesAsync(toPost.Select(p => p.Transaction).ToArray(), cancellationToken);
            for (var k = 0; k < toPost.Count; k++)
            {
                Report(batch, toPost[k].Index, outcomes[k]);
            }
        }
        catch (PostgresException e) when (RefusesData(e))
        {
            // One transaction the database refuses would roll back the whole batch on every delivery and
            // send every message of it to the DLQ. Posted one by one, only that message (and the later ones
            // of its group) fails.
            Log.BatchRefused(logger, e.SqlState, e.MessageText, toPost.Count);
            await PostOneByOneAsync(batch, toPost, cancellationToken);
        }
        catch (Exception e)
        {
            // Database unreachable, timed out, connection lost, serialization failure after the retries:
            // nothing of the batch is known to be posted. SQS delivers it all again, and the ledger's
            // idempotent posting makes a message that did commit report its outcome the second time.
            Log.TechnicalFailure(logger, e, toPost.Count);
            foreach (var pending in toPost)
            {
                batch.Fail(pending.Index);
            }
        }
    }

    private async Task PostOneByOneAsync(BatchProgress batch, List<Pending> toPost, CancellationToken cancellationToken)
    {
        for (var k = 0; k < toPost.Count; k++)
        {
            var (index, transaction) = toPost[k];
            var message = batch.Messages[index];
            if (batch.IsStopped(index))
            {
                Log.HeldBehindFailure(logger, message.MessageId, message.MessageGroupId, RequestIdOf(message));
                batch.Fail(index);
                continue;
            }

            try
            {
                Report(batch, index, (await PostWithRetriesAsync([transaction], cancellationToken))[0]);
            }
            catch (PostgresException e) when (RefusesData(e))
            {
                Log.Refused(logger, message.MessageId, message.MessageGroupId, RequestIdOf(message), transaction.Id, e.SqlState, e.MessageText);
                batch.Fail(index);
            }
            catch (Exception e)
            {
                // The ones before were committed one by one and are done; the rest are not decided.
                Log.TechnicalFailure(logger, e, toPost.Count - k);
                foreach (var undecided in toPost.Skip(k))
                {
                    batch.Fail(undecided.Index);
                }

                return;
            }
        }
    }

    private async Task<IReadOnlyList<PostingOutcome>> PostWithRetriesAsync(TransactionRecord[] transactions, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await store.PostBatchAsync(transactions, cancellationToken);
            }
            catch (PostgresException e) when (attempt < MaxAttempts
                && e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
            {
                Log.Retrying(logger, transactions.Length, e.SqlState, attempt, MaxAttempts);
                await Task.Delay(RetryDelay * attempt, cancellationToken);
            }
        }
    }

    // Class 22 (data exception) and 23 (integrity constraint violation): the data is at fault, and will be
    // on every delivery, whatever the state of the database.
    private static bool RefusesData(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState.StartsWith("23", StringComparison.Ordinal);

    private void Report(BatchProgress batch, int index, PostingOutcome outcome)
    {
        var message = batch.Messages[index];
        var requestId = RequestIdOf(message);
        MessageSpans.Outcome(batch.Spans[index], outcome.TransactionId, (outcome.AlreadyFinal ? "already " : "") + outcome.Status.ToString().ToUpperInvariant(),
            outcome.FailureCode);
        if (outcome.AlreadyFinal)
        {
            batch.AlreadyFinal++;
            Log.AlreadyFinal(logger, message.MessageId, message.MessageGroupId, requestId, outcome.TransactionId, outcome.Status);
            return;
        }

        // From the API's record to this commit; the API's and the worker's clocks are both NTP-synchronized.
        var latencyMs = Math.Round((DateTimeOffset.UtcNow - outcome.AcceptedAt).TotalMilliseconds, 1);
        batch.LatenciesMs.Add(latencyMs);
        if (outcome.Status == TransactionStatus.Posted)
        {
            batch.Posted++;
            Log.Posted(logger, message.MessageId, message.MessageGroupId, requestId, outcome.TransactionId, latencyMs);
        }
        else
        {
            batch.FailedByRules++;
            var code = outcome.FailureCode ?? "unknown";
            batch.FailureCodes[code] = batch.FailureCodes.GetValueOrDefault(code) + 1;
            Log.FailedByRules(logger, message.MessageId, message.MessageGroupId, requestId, outcome.TransactionId, outcome.FailureCode, latencyMs,
                outcome.FailureReason);
        }
    }

    private static string Preview(string body) => body.Length <= BodyPreviewLength ? body : body[..BodyPreviewLength];

    /// <summary>Which messages of the batch failed, and which FIFO groups are stopped because of them.</summary>
    private sealed class BatchProgress(IReadOnlyList<SqsMessage> messages, Activity?[] spans)
    {
        private readonly bool[] _failed = new bool[messages.Count];
        private readonly HashSet<string> _stoppedGroups = new(StringComparer.Ordinal);

        public IReadOnlyList<SqsMessage> Messages { get; } = messages;

        /// <summary>Each message's span (nulls when tracing is off).</summary>
        public Activity?[] Spans { get; } = spans;

        public int Posted { get; set; }

        public int FailedByRules { get; set; }

        public int AlreadyFinal { get; set; }

        /// <summary>Accepted→decided, in ms, of each transaction this batch posted or FAILED.</summary>
        public List<double> LatenciesMs { get; } = []; // not money: milliseconds

        public Dictionary<string, int> FailureCodes { get; } = new(StringComparer.Ordinal);

        public bool IsStopped(int index) => _stoppedGroups.Contains(GroupOf(Messages[index]));

        public void Fail(int index)
        {
            MessageSpans.Failed(Spans[index]);
            _failed[index] = true;
            _stoppedGroups.Add(GroupOf(Messages[index]));
        }

        public List<string> FailedIds() => Messages.Where((_, i) => _failed[i]).Select(m => m.MessageId).ToList();

        // A standard queue promises no order: there each message is a group of its own, and stops nothing else.
        private static string GroupOf(SqsMessage message) => message.MessageGroupId ?? "\0" + message.MessageId;
    }

    // Every line about one message carries transaction_id (when known), message_id, message_group_id and
    // request_id, so that one filter finds a payment's whole way; its event name (Posted, FailedByRules,
    // AlreadyFinal, Malformed, HeldBehindFailure, Refused) is the message's outcome.
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning,
            "Message {MessageId} of group {MessageGroupId} (request {RequestId}) is not a transaction message: reported failed, so that it ends in the DLQ. Its body starts with {BodyStart}")]
        public static partial void Malformed(ILogger logger, string messageId, string? messageGroupId, string? requestId, string bodyStart);

        [LoggerMessage(2, LogLevel.Warning,
            "Message {MessageId} of group {MessageGroupId} (request {RequestId}) is not posted and reported failed: an earlier message of its group failed in this batch")]
        public static partial void HeldBehindFailure(ILogger logger, string messageId, string? messageGroupId, string? requestId);

        [LoggerMessage(3, LogLevel.Information,
            "Message {MessageId} of group {MessageGroupId} (request {RequestId}): transaction {TransactionId} POSTED {LatencyMs} ms after it was accepted")]
        public static partial void Posted(ILogger logger, string messageId, string? messageGroupId, string? requestId, Guid transactionId, double latencyMs); // not money: a duration or metric value

        [LoggerMessage(4, LogLevel.Information,
            "Message {MessageId} of group {MessageGroupId} (request {RequestId}): transaction {TransactionId} FAILED ({FailureCode}) {LatencyMs} ms after it was accepted: {FailureReason}")]
        public static partial void FailedByRules(
            ILogger logger, string messageId, string? messageGroupId, string? requestId, Guid transactionId, string? failureCode, double latencyMs, string? failureReason); // not money: a duration or metric value

        [LoggerMessage(5, LogLevel.Information,
            "Message {MessageId} of group {MessageGroupId} (request {RequestId}) delivered again: transaction {TransactionId} was already {Status}, nothing is posted twice")]
        public static partial void AlreadyFinal(ILogger logger, string messageId, string? messageGroupId, string? requestId, Guid transactionId, TransactionStatus status);

        [LoggerMessage(6, LogLevel.Warning, "Posting {Count} transactions met {SqlState} (attempt {Attempt} of {MaxAttempts}): trying again")]
        public static partial void Retrying(ILogger logger, int count, string sqlState, int attempt, int maxAttempts);

        [LoggerMessage(7, LogLevel.Error, "Posting failed for {Count} messages: they are reported failed, for SQS to deliver again")]
        public static partial void TechnicalFailure(ILogger logger, Exception exception, int count);

        [LoggerMessage(8, LogLevel.Warning,
            "The database refused the batch ({SqlState}: {Reason}): posting its {Count} transactions one at a time to single out the refused one")]
        public static partial void BatchRefused(ILogger logger, string sqlState, string reason, int count);

        [LoggerMessage(9, LogLevel.Error,
            "Message {MessageId} of group {MessageGroupId} (request {RequestId}): the database refuses transaction {TransactionId} ({SqlState}: {Reason}): reported failed, so that it ends in the DLQ")]
        public static partial void Refused(
            ILogger logger, string messageId, string? messageGroupId, string? requestId, Guid transactionId, string sqlState, string reason);

        [LoggerMessage(10, LogLevel.Information,
            "Batch of {Count}: {Posted} posted, {FailedByRules} FAILED by the posting rules, {AlreadyFinal} already final, {Failed} reported failed [{FailedMessageIds}]")]
        public static partial void BatchDone(
            ILogger logger, int count, int posted, int failedByRules, int alreadyFinal, int failed, string failedMessageIds);
    }
}
