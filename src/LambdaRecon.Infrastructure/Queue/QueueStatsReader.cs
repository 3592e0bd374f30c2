using Amazon.Runtime;
using Amazon.SQS.Model;

namespace LambdaRecon.Infrastructure.Queue;

/// <summary>Approximate depths of one queue, as SQS reports them.</summary>
public sealed record QueueStats(string QueueUrl, long Visible, long InFlight, long Delayed);

/// <summary>The transactions queue, its DLQ, and the age of the oldest transaction not yet posted.</summary>
public sealed record PipelineStats(QueueStats Queue, QueueStats DeadLetterQueue, long? OldestUnpostedSeconds);

public sealed class QueueStatsReader(EngineResources resources)
{
    /// <exception cref="QueueUnavailableException">SQS failed or could not be reached.</exception>
    public async Task<PipelineStats> ReadAsync(CancellationToken cancellationToken)
    {
        // SQS has no oldest-message age outside CloudWatch; the oldest transaction not yet posted is the age that matters.
        await using var oldest = resources.DataSource.CreateCommand(
            "SELECT extract(epoch FROM now() - min(accepted_at))::bigint FROM transactions WHERE status = 'ACCEPTED'");
        var oldestSeconds = await oldest.ExecuteScalarAsync(cancellationToken) is long seconds ? seconds : (long?)null;
        try
        {
            var stats = await Task.WhenAll(StatsAsync(resources.Settings.QueueUrl), StatsAsync(resources.Settings.DlqUrl));
            return new PipelineStats(stats[0], stats[1], oldestSeconds);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            throw new QueueUnavailableException(e.Message, e);
        }

        async Task<QueueStats> StatsAsync(string url)
        {
            var attributes = await resources.Sqs.GetQueueAttributesAsync(
                new GetQueueAttributesRequest
                {
                    QueueUrl = url,
                    AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
                },
                cancellationToken);
            return new QueueStats(
                url, attributes.ApproximateNumberOfMessages, attributes.ApproximateNumberOfMessagesNotVisible,
                attributes.ApproximateNumberOfMessagesDelayed);
        }
    }
}
