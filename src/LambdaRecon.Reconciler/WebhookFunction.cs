using System.Diagnostics.CodeAnalysis;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Tracing;
using LambdaRecon.Infrastructure.Webhooks;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Reconciler;

/// <summary>
/// WebhookFunction's handler (LambdaRecon.Reconciler::LambdaRecon.Reconciler.WebhookFunction::HandleAsync): an SQS
/// event from the webhook events' queue in, each message a stored event's id to process; the batch response out
/// (ReportBatchItemFailures). Processing reconciles the event's clearing account, hence the reconciler's code.
/// </summary>
public sealed partial class WebhookFunction
{
    /// <summary>It reads and writes PostgreSQL alone: the event source mapping receives and deletes the messages.</summary>
    public const EngineParts Requires = EngineParts.Database;

    // Built once per execution environment: connection pools outlive invocations.
    private static readonly Lazy<ServiceProvider> Services = new(() => EngineServices.BuildForFunction(Requires));

    public WebhookFunction() => _ = Services.Value;

    /// <summary>
    /// Processes the batch's events in order. One that throws (the database unreachable) is reported failed, and so
    /// is every later message of its group, unprocessed, so that a group's events keep their order when they come
    /// again (then, after five receives, the DLQ). A message that is no webhook event message is logged and dropped:
    /// retrying cannot make it one. Processing's own failures (an event it cannot map) are the event's outcome, not
    /// the message's.
    /// </summary>
    [SuppressMessage("Performance", "CA1822", Justification = "Lambda calls the handler on an instance it creates.")]
    public async Task<Stream> HandleAsync(Stream input)
    {
        try
        {
            var sqsEvent = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent);
            var processor = Services.Value.GetRequiredService<WebhookEventProcessor>();
            var logger = Services.Value.GetRequiredService<ILogger<WebhookFunction>>();
            var failures = new List<SqsBatchItemFailure>();
            var failedGroups = new HashSet<string>(StringComparer.Ordinal);
            // Each clearing account the batch records to is reconciled once, after the batch: not once per event.
            var batch = new WebhookEventProcessor.Batch();
            foreach (var record in sqsEvent.Records)
            {
                var group = record.MessageGroupId ?? "";
                if (failedGroups.Contains(group))
                {
                    failures.Add(new SqsBatchItemFailure(record.MessageId));
                    continue;
                }

                if (WebhookEventMessage.TryParse(record.Body) is not { } message)
                {
                    Log.NotOurs(logger, record.MessageId);
                    continue;
                }

                try
                {
                    var outcome = await processor.ProcessAsync(message.WebhookEventId, batch, CancellationToken.None);
                    Log.Processed(logger, message.WebhookEventId, outcome.Status, outcome.Reason);
                }
                catch (Exception e)
                {
                    Log.Failed(logger, message.WebhookEventId, record.MessageId, e);
                    failures.Add(new SqsBatchItemFailure(record.MessageId));
                    failedGroups.Add(group);
                }
            }

            try
            {
                await processor.ReconcileAsync(batch, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The events are recorded and their outcomes appended: the account's next run matches them.
                Log.ReconcileFailed(logger, e);
            }

            return LambdaPayload.Write(new SqsBatchResponse { BatchItemFailures = [.. failures] }, LambdaJsonContext.Default.SqsBatchResponse);
        }
        finally
        {
            // Lambda may freeze the environment once the handler returns: the batch's spans leave first.
            EngineTracing.Flush();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Webhook event {WebhookEventId} processed: {Outcome} {Reason}")]
        public static partial void Processed(ILogger logger, Guid webhookEventId, string outcome, string? reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "The batch's events are recorded, but reconciling their accounts failed: the accounts' next runs match them")]
        public static partial void ReconcileFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} is not a webhook event message ({{\"webhook_event_id\": \"<uuid>\"}}): dropped")]
        public static partial void NotOurs(ILogger logger, string messageId);

        [LoggerMessage(Level = LogLevel.Error, Message = "Webhook event {WebhookEventId} (message {MessageId}) could not be processed: it comes again")]
        public static partial void Failed(ILogger logger, Guid webhookEventId, string messageId, Exception exception);
    }
}
