using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure;
using LambdaRecon.Lambda.Sqs;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.LedgerWorker.Posting;

/// <summary>
/// Makes the messages a batch reported failed visible again after <see cref="RetryDelay"/> rather than the
/// queue's visibility timeout (180 s): after a database restart postings resume within seconds, not minutes.
/// The event source mapping leaves failed messages alone, so the function itself changes their visibility,
/// after the database work, never inside a database transaction. Changing visibility does not count as a
/// receive, so it brings no message nearer the DLQ.
/// </summary>
/// <remarks>
/// Every failed message of a batch gets the same delay (that of the most-received one): the later messages
/// of a group, failed behind an earlier one, then come again with it and in order. If the call fails the
/// messages come again after the queue's timeout, as before: this only makes retries sooner.
/// </remarks>
public sealed partial class FailedMessageReturn(EngineResources resources, ILogger<FailedMessageReturn> logger)
{
    // Longer than a healthy call by far, short against the function's 30 s timeout.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);

    /// <returns>The delay asked for, or null when nothing failed.</returns>
    public async Task<TimeSpan?> ReturnSoonerAsync(SqsEvent sqsEvent, SqsBatchResponse response)
    {
        var failedIds = response.BatchItemFailures.Select(f => f.ItemIdentifier).ToHashSet(StringComparer.Ordinal);
        var failed = sqsEvent.Records.Where(r => failedIds.Contains(r.MessageId)).ToList();
        if (failed.Count == 0)
        {
            return null;
        }

        var delay = RetryDelay.After(failed.Max(r => r.ApproximateReceiveCount));
        var changed = 0;
        foreach (var (arn, messages) in failed.GroupBy(r => r.EventSourceArn ?? "").Select(g => (g.Key, g.ToList())))
        {
            foreach (var chunk in messages.Chunk(10))
            {
                try
                {
                    using var timeout = new CancellationTokenSource(CallTimeout);
                    var result = await resources.Sqs.ChangeMessageVisibilityBatchAsync(
                        new ChangeMessageVisibilityBatchRequest
                        {
                            QueueUrl = QueueUrl(resources.Sqs, arn),
                            Entries = chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry
                            {
                                Id = i.ToString(CultureInfo.InvariantCulture),
                                ReceiptHandle = m.ReceiptHandle,
                                VisibilityTimeout = (int)delay.TotalSeconds,
                            }).ToList(),
                        },
                        timeout.Token);
                    changed += result.Successful?.Count ?? 0;
                    foreach (var failure in result.Failed ?? [])
                    {
                        Log.NotChanged(logger, chunk[int.Parse(failure.Id, CultureInfo.InvariantCulture)].MessageId, $"{failure.Code}: {failure.Message}");
                    }
                }
                catch (Exception e)
                {
                    // Only a sooner retry is lost (an SQS unreachable, a client that cannot be built, an ARN that is
                    // not a queue's): the batch response, which SQS acts on, must go out whatever happens here.
                    Log.NotChanged(logger, string.Join(',', chunk.Select(m => m.MessageId)), e.Message);
                }
            }
        }

        Log.ComeAgain(logger, changed, failed.Count, delay.TotalSeconds);
        return delay;
    }

    /// <summary>
    /// arn:aws:sqs:region:account:name as the queue's URL: on the endpoint the client is configured with (the
    /// local emulator), or SQS's own in the ARN's region.
    /// </summary>
    internal static string QueueUrl(IAmazonSQS sqs, string arn)
    {
        var parts = arn.Split(':');
        if (parts is not ["arn", var partition, "sqs", var region, var account, var name])
        {
            throw new ArgumentException($"'{arn}' is not an SQS queue ARN", nameof(arn));
        }

        var endpoint = sqs.Config.ServiceURL is { Length: > 0 } serviceUrl
            ? serviceUrl.TrimEnd('/')
            : $"https://sqs.{region}.amazonaws.com{(partition == "aws-cn" ? ".cn" : "")}";
        return $"{endpoint}/{account}/{name}";
    }

    private static partial class Log
    {
        [LoggerMessage(21, LogLevel.Information, "{Changed} of {Count} failed message(s) come again in {DelaySeconds} s")]
        public static partial void ComeAgain(ILogger logger, int changed, int count, double delaySeconds); // not money: a duration or metric value

        [LoggerMessage(22, LogLevel.Warning,
            "The visibility of {MessageIds} could not be changed ({Reason}): they come again after the queue's visibility timeout")]
        public static partial void NotChanged(ILogger logger, string messageIds, string reason);
    }
}
