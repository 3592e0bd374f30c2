using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Tracing;

namespace LambdaRecon.Infrastructure.Queue;

/// <summary>
/// Publishes transactions to the FIFO queue. The message group is the source account, so one
/// account's transactions post in the order they were accepted while different accounts proceed
/// in parallel; the deduplication id is the transaction id, so a retried publish within SQS's
/// five-minute window is dropped by SQS itself (and after it, by the worker's idempotent posting).
/// The message attribute <see cref="RequestIdAttribute"/> carries the id of the request that published it,
/// so the worker's lines about the message name the same request as the API's.
/// </summary>
public sealed class TransactionPublisher(IAmazonSQS sqs, string queueUrl)
{
    public const string RequestIdAttribute = "RequestId";

    /// <param name="requestId">The API request's id (X-Request-Id), or what else published it.</param>
    /// <returns>The SQS message id.</returns>
    /// <exception cref="QueueUnavailableException">SQS failed or could not be reached; the message may or may not be queued.</exception>
    public async Task<string> PublishAsync(TransactionMessage message, string requestId, CancellationToken cancellationToken)
    {
        using var span = ClientSpans.StartPublish(queueUrl, message.TransactionId);
        var request = new SendMessageRequest
        {
            QueueUrl = queueUrl,
            MessageBody = message.ToJson(),
            MessageGroupId = message.SourceAccountId,
            MessageDeduplicationId = message.TransactionId.ToString("N"),
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                [RequestIdAttribute] = new() { DataType = "String", StringValue = requestId },
            },
        };
        // The worker continues this trace: the publish span's context travels with the message.
        TraceHeaders.Inject(span, request);
        try
        {
            var response = await sqs.SendMessageAsync(request, cancellationToken);
            span?.SetTag("messaging.message.id", response.MessageId);
            return response.MessageId;
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or TaskCanceledException
                                  && !cancellationToken.IsCancellationRequested)
        {
            // A timeout is a TaskCanceledException too; only the caller's own cancellation stays one.
            span.Failed(e);
            throw new QueueUnavailableException($"publishing transaction {message.TransactionId} failed: {e.Message}", e);
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }

    /// <summary>
    /// Up to ten messages in one SendMessageBatch, in their order (a FIFO queue keeps a batch's order within
    /// each group), each with the same group and deduplication id as <see cref="PublishAsync"/> gives it.
    /// </summary>
    /// <param name="requestId">What sent them: goes with each as its RequestId attribute.</param>
    /// <returns>The SQS message id of each transaction SQS took; one it refused is absent, for a later run to send again.</returns>
    public async Task<IReadOnlyDictionary<Guid, string>> PublishBatchAsync(
        IReadOnlyList<TransactionMessage> messages, string requestId, CancellationToken cancellationToken)
    {
        var response = await sqs.SendMessageBatchAsync(
            new SendMessageBatchRequest
            {
                QueueUrl = queueUrl,
                Entries = messages.Select((m, i) => new SendMessageBatchRequestEntry
                {
                    Id = i.ToString(CultureInfo.InvariantCulture),
                    MessageBody = m.ToJson(),
                    MessageGroupId = m.SourceAccountId,
                    MessageDeduplicationId = m.TransactionId.ToString("N"),
                    MessageAttributes = new Dictionary<string, MessageAttributeValue>
                    {
                        [RequestIdAttribute] = new() { DataType = "String", StringValue = requestId },
                    },
                }).ToList(),
            },
            cancellationToken);
        return (response.Successful ?? []).ToDictionary(s => messages[int.Parse(s.Id, CultureInfo.InvariantCulture)].TransactionId, s => s.MessageId);
    }
}
