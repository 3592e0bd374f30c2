using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Queue;

namespace LambdaRecon.Infrastructure.Webhooks;

/// <summary>The body of a message on the webhook events' queue: the stored event to process, nothing of its payload.</summary>
public sealed record WebhookEventMessage([property: JsonPropertyName("webhook_event_id")] Guid WebhookEventId)
{
    /// <summary>Reads a message body; null when it is not a webhook event message.</summary>
    public static WebhookEventMessage? TryParse(string? body)
    {
        try
        {
            return body is null ? null
                : JsonSerializer.Deserialize(body, WebhookQueueJsonContext.Default.WebhookEventMessage) is { } m && m.WebhookEventId != Guid.Empty ? m : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Sends a stored webhook event to WEBHOOK_QUEUE_URL for WebhookFunction to process. The message group is
/// <c>&lt;tenant&gt;:&lt;provider&gt;</c>, so one tenant's events of one provider are processed one at a time, in
/// arrival order (two reconciliations of one clearing account never race); the deduplication id is the stored
/// event's id, so a redelivery sent again within SQS's five minutes adds nothing to the queue.
/// </summary>
public sealed class WebhookEventPublisher(IAmazonSQS sqs, string queueUrl)
{
    /// <exception cref="QueueUnavailableException">SQS failed or could not be reached: the event stays stored, and the sweep processes it.</exception>
    public async Task PublishAsync(Guid webhookEventId, string tenantId, string provider, CancellationToken cancellationToken)
    {
        try
        {
            await sqs.SendMessageAsync(
                new SendMessageRequest
                {
                    QueueUrl = queueUrl,
                    MessageBody = JsonSerializer.Serialize(new WebhookEventMessage(webhookEventId), WebhookQueueJsonContext.Default.WebhookEventMessage),
                    MessageGroupId = $"{tenantId}:{provider}",
                    MessageDeduplicationId = webhookEventId.ToString("N"),
                },
                cancellationToken);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or TaskCanceledException
                                  && !cancellationToken.IsCancellationRequested)
        {
            throw new QueueUnavailableException($"sending webhook event {webhookEventId} to its queue failed: {e.Message}", e);
        }
    }
}

[JsonSerializable(typeof(WebhookEventMessage))]
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
internal sealed partial class WebhookQueueJsonContext : JsonSerializerContext;
