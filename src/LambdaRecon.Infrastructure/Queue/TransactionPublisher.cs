using Amazon.SQS;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Tracing;

namespace LambdaRecon.Infrastructure.Queue;

/// <summary>
/// Publishes transactions to the FIFO queue. The message group is the source account, so one
/// account's transactions post in the order they were accepted while different accounts proceed
/// in parallel; the deduplication id is the transaction id, so a retried publish within SQS's
/// five-minute window is dropped by SQS itself (and after it, by the worker's idempotent posting).
/// </summary>
public sealed class TransactionPublisher(IAmazonSQS sqs, string queueUrl)
{
    /// <returns>The SQS message id.</returns>
    public async Task<string> PublishAsync(TransactionMessage message, CancellationToken cancellationToken)
    {
        using var span = ClientSpans.StartPublish(queueUrl, message.TransactionId);
        var request = new SendMessageRequest
        {
            QueueUrl = queueUrl,
            MessageBody = message.ToJson(),
            MessageGroupId = message.SourceAccountId,
            MessageDeduplicationId = message.TransactionId.ToString("N"),
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
