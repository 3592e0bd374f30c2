using Amazon.SQS.Model;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Queue;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record DeadLetter(string MessageId, Guid? TransactionId, string? Body);

public sealed record PipelineReport(
    IReadOnlyList<Guid> Republished, IReadOnlyList<DeadLetter> DeadLetters, IReadOnlyDictionary<string, long> StatusCounts);

/// <summary>
/// Did every accepted transaction make it through? Those still ACCEPTED after a threshold are
/// published again (safe: the worker posts a transaction once, whatever it receives), what sits in
/// the DLQ is reported with its transaction ids, and the states of the window's transactions counted.
/// </summary>
public sealed class PipelineSweep(EngineResources resources)
{
    public const int MaxRepublishPerRun = 1_000;

    /// <param name="publishedBy">Goes with each republished message as its request id: which run sent it again.</param>
    public async Task<PipelineReport> RunAsync(TimeSpan stuckAfter, DateTimeOffset windowStart, string publishedBy, CancellationToken cancellationToken)
    {
        var stuck = new List<TransactionRecord>();
        await using (var command = resources.DataSource.CreateCommand(
            """
            SELECT id, type, amount, currency, source_account_id, destination_account_id, refund_of, description
              FROM transactions
             WHERE status = 'ACCEPTED' AND accepted_at < now() - @after
             ORDER BY accepted_at LIMIT @max
            """))
        {
            command.Parameters.AddWithValue("after", stuckAfter);
            command.Parameters.AddWithValue("max", MaxRepublishPerRun);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stuck.Add(new TransactionRecord(
                    reader.GetGuid(0), LedgerStore.ParseType(reader.GetString(1)), reader.GetInt64(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetGuid(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
            }
        }

        var publisher = new TransactionPublisher(resources.Sqs, resources.Settings.QueueUrl);
        var republished = new List<Guid>();
        foreach (var transaction in stuck)
        {
            var messageId = await publisher.PublishAsync(TransactionMessage.From(transaction), publishedBy, cancellationToken);
            await using var mark = resources.DataSource.CreateCommand(
                "UPDATE transactions SET published_at = coalesce(published_at, now()), message_id = coalesce(message_id, @message) WHERE id = @id");
            mark.Parameters.AddWithValue("id", transaction.Id);
            mark.Parameters.AddWithValue("message", messageId);
            await mark.ExecuteNonQueryAsync(cancellationToken);
            republished.Add(transaction.Id);
        }

        return new PipelineReport(republished, await PeekDeadLettersAsync(cancellationToken), await CountAsync(resources.DataSource, windowStart, cancellationToken));
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
}
