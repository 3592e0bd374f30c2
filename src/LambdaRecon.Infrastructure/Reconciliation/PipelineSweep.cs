using Amazon.SQS.Model;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Queue;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record DeadLetter(string MessageId, Guid? TransactionId, string? Body);

public sealed record PipelineReport(
    IReadOnlyList<Guid> Republished, IReadOnlyList<DeadLetter> DeadLetters, IReadOnlyDictionary<string, long> StatusCounts);

/// <summary>
/// Did every accepted transaction make it through? Those still ACCEPTED after <see cref="StuckAfter"/> are
/// published again, what sits in the DLQ is reported with its transaction ids, and the states of the window's
/// transactions counted. The republishing alone (<see cref="RepublishStuckAsync"/>) runs often, on a schedule
/// of its own: it is how transactions whose messages were lost (a queue purged or an emulator restarted, a
/// publish that failed after the API had recorded the transaction) reach the ledger.
/// </summary>
/// <remarks>
/// Safe however often it runs and whatever it races with; each step relies on one guarantee:
/// <list type="number">
/// <item>Sending: the deduplication id is the transaction id, so within SQS's five minutes a republish of a
/// message still on the queue (or of one the API is publishing right now) adds nothing to the queue.</item>
/// <item>Posting: past those five minutes a republish may make a second message; the worker posts a transaction
/// only while it is ACCEPTED, under a row lock (LedgerStore.PostBatchAsync), so the second delivery reports
/// the outcome of the first and posts nothing. At most once in effect rests on this step.</item>
/// <item>Recording: the UPDATE after each batch only notes when and as which message a transaction was first
/// published (coalesce keeps the first); no decision reads it. A run that dies between a send and its UPDATE
/// leaves transactions the next run sends again, which steps 1 and 2 absorb.</item>
/// </list>
/// Ten messages per SendMessageBatch and one UPDATE per batch, read a page at a time in acceptance order
/// (each group's order), up to <see cref="MaxRepublishPerRun"/> per run: thousands per minute.
/// </remarks>
public sealed partial class PipelineSweep(EngineResources resources, TransactionPublisher publisher, ILogger<PipelineSweep> logger)
{
    /// <summary>
    /// How old an ACCEPTED transaction must be before it is sent again: far above a healthy posting's delay
    /// (milliseconds). One minute unless LAMBDARECON_SWEEP_STUCK_SECONDS says otherwise.
    /// </summary>
    public TimeSpan StuckAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Bounds one run (a few seconds of SQS calls) well inside the reconciler's timeout; the next run goes on.</summary>
    public const int MaxRepublishPerRun = 20_000;

    private const int PageSize = 1_000;

    /// <summary>The RequestId a republished message carries, for the worker's lines: the sweep sent it, not a request.</summary>
    public const string PublishedBy = "reconciliation-sweep";

    /// <summary>The reconciliation's full sweep: republish, look into the DLQ, count the window's states.</summary>
    public async Task<PipelineReport> RunAsync(DateTimeOffset windowStart, CancellationToken cancellationToken)
    {
        var republished = await RepublishStuckAsync(cancellationToken);
        return new PipelineReport(republished, await PeekDeadLettersAsync(cancellationToken), await CountAsync(resources.DataSource, windowStart, cancellationToken));
    }

    /// <summary>Publishes again every transaction ACCEPTED for longer than <see cref="StuckAfter"/>, oldest first.</summary>
    /// <returns>The transactions sent again (SQS may have dropped some as repeats: step 1 above).</returns>
    public async Task<IReadOnlyList<Guid>> RepublishStuckAsync(CancellationToken cancellationToken)
    {
        var republished = new List<Guid>();
        // Keyset paging: a transaction sent in this run and still ACCEPTED is not read again by it.
        (DateTime AcceptedAt, Guid Id) after = (DateTime.MinValue, Guid.Empty);
        while (republished.Count < MaxRepublishPerRun)
        {
            var page = await StuckPageAsync(StuckAfter, after, Math.Min(PageSize, MaxRepublishPerRun - republished.Count), cancellationToken);
            foreach (var batch in page.Chunk(10))
            {
                var sent = await publisher.PublishBatchAsync(batch.Select(s => TransactionMessage.From(s.Transaction)).ToArray(), PublishedBy, cancellationToken);
                await MarkPublishedAsync(sent, cancellationToken);
                republished.AddRange(batch.Select(s => s.Transaction.Id).Where(sent.ContainsKey));
                if (sent.Count < batch.Length)
                {
                    Log.SendRefused(logger, batch.Length - sent.Count, batch.Length);
                }
            }

            if (page.Count < PageSize)
            {
                break;
            }

            after = (page[^1].AcceptedAt, page[^1].Transaction.Id);
        }

        if (republished.Count > 0)
        {
            Log.Republished(logger, republished.Count, StuckAfter.TotalSeconds);
        }

        return republished;
    }

    private sealed record Stuck(TransactionRecord Transaction, DateTime AcceptedAt);

    private async Task<List<Stuck>> StuckPageAsync(TimeSpan stuckAfter, (DateTime AcceptedAt, Guid Id) after, int limit, CancellationToken cancellationToken)
    {
        await using var command = resources.DataSource.CreateCommand(
            """
            SELECT id, type, amount, currency, source_account_id, destination_account_id, refund_of, description, accepted_at
              FROM transactions
             WHERE status = 'ACCEPTED' AND accepted_at < now() - @stuck_after AND (accepted_at, id) > (@after_at, @after_id)
             ORDER BY accepted_at, id
             LIMIT @limit
            """);
        command.Parameters.AddWithValue("stuck_after", stuckAfter);
        command.Parameters.AddWithValue("after_at", after.AcceptedAt == DateTime.MinValue ? DateTime.UnixEpoch : after.AcceptedAt);
        command.Parameters.AddWithValue("after_id", after.Id);
        command.Parameters.AddWithValue("limit", limit);
        var stuck = new List<Stuck>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stuck.Add(new Stuck(
                new TransactionRecord(
                    reader.GetGuid(0), LedgerStore.ParseType(reader.GetString(1)), reader.GetInt64(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetGuid(6), reader.IsDBNull(7) ? null : reader.GetString(7)),
                reader.GetDateTime(8)));
        }

        return stuck;
    }

    // One statement for the whole batch; coalesce keeps the first publication's time and message id.
    private async Task MarkPublishedAsync(IReadOnlyDictionary<Guid, string> sent, CancellationToken cancellationToken)
    {
        if (sent.Count == 0)
        {
            return;
        }

        await using var command = resources.DataSource.CreateCommand(
            """
            UPDATE transactions t
               SET published_at = coalesce(t.published_at, now()), message_id = coalesce(t.message_id, m.message_id)
              FROM unnest(@ids, @message_ids) AS m(id, message_id)
             WHERE t.id = m.id
            """);
        command.Parameters.AddWithValue("ids", sent.Keys.ToArray());
        command.Parameters.AddWithValue("message_ids", sent.Values.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // The DLQ has no consumer: receiving with no visibility timeout only looks, and leaves every message there.
    private async Task<List<DeadLetter>> PeekDeadLettersAsync(CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, DeadLetter>(StringComparer.Ordinal);
        for (var round = 0; round < 10; round++)
        {
            var messages = (await resources.Sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = resources.Settings.DlqUrl, MaxNumberOfMessages = 10, VisibilityTimeout = 0, WaitTimeSeconds = 0 },
                cancellationToken)).Messages ?? [];
            var fresh = messages.Where(m => !seen.ContainsKey(m.MessageId)).ToArray();
            if (fresh.Length == 0)
            {
                break;
            }

            foreach (var message in fresh)
            {
                seen[message.MessageId] = new DeadLetter(
                    message.MessageId, TransactionMessage.TryParse(message.Body)?.TransactionId, message.Body.Length > 200 ? message.Body[..200] : message.Body);
            }
        }

        return [.. seen.Values];
    }

    private static async Task<Dictionary<string, long>> CountAsync(NpgsqlDataSource dataSource, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT status, count(*) FROM transactions WHERE accepted_at >= @since GROUP BY status");
        command.Parameters.AddWithValue("since", since);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal) { ["ACCEPTED"] = 0, ["POSTED"] = 0, ["FAILED"] = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Republished {Count} transaction(s) still ACCEPTED after {StuckAfterSeconds} s")]
        public static partial void Republished(ILogger logger, int count, double stuckAfterSeconds); // not money: a duration or metric value

        [LoggerMessage(2, LogLevel.Warning, "SQS refused {Refused} of a batch of {Count} republished messages: the next run sends them again")]
        public static partial void SendRefused(ILogger logger, int refused, int count);
    }
}
