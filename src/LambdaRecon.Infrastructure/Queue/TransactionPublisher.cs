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

    /// <param name="requestId">The API request's id (X-Request-Id), or what else published it (the reconciliation run).</param>
    /// <returns>The SQS message id.</returns>
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
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }
}
