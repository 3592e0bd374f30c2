using Microsoft.Extensions.Logging;
using Npgsql;

namespace LambdaRecon.Infrastructure.Webhooks;

/// <summary>
/// The webhook events' safety net, run by the reconciler's Sweep schedule: an event stored but with no outcome
/// after <see cref="StuckAfter"/> (its message was never sent, lost, or is still failing) is processed here,
/// directly, oldest first. So a crash between the insert and the send, or a queue that lost its messages,
/// loses no event. Safe to race with WebhookFunction: processing is idempotent (docs/webhooks.md).
/// </summary>
public sealed partial class WebhookSweep(NpgsqlDataSource dataSource, WebhookEventProcessor processor, ILogger<WebhookSweep> logger)
{
    /// <summary>Far above the queue's delay (milliseconds); one minute unless LAMBDARECON_SWEEP_STUCK_SECONDS says otherwise.</summary>
    public TimeSpan StuckAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Bounds one run well inside the reconciler's timeout (each event may reconcile an account); the next run goes on.</summary>
    public const int MaxPerRun = 200;

    /// <returns>The events processed, with what processing made of each.</returns>
    public async Task<IReadOnlyList<(Guid Id, WebhookOutcome Outcome)>> ProcessStuckAsync(CancellationToken cancellationToken)
    {
        var stuck = new List<Guid>();
        await using (var command = dataSource.CreateCommand(
            """
            SELECT e.id
              FROM webhook_events e
             WHERE e.received_at < now() - @stuck_after
               AND NOT EXISTS (SELECT 1 FROM webhook_event_outcomes o WHERE o.event_id = e.id)
             ORDER BY e.received_at, e.id
             LIMIT @limit
            """))
        {
            command.Parameters.AddWithValue("stuck_after", StuckAfter);
            command.Parameters.AddWithValue("limit", MaxPerRun);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stuck.Add(reader.GetGuid(0));
            }
        }

        var processed = new List<(Guid, WebhookOutcome)>();
        var batch = new WebhookEventProcessor.Batch();
        foreach (var id in stuck)
        {
            var outcome = await processor.ProcessAsync(id, batch, cancellationToken);
            Log.Processed(logger, id, outcome.Status, outcome.Reason);
            processed.Add((id, outcome));
        }

        await processor.ReconcileAsync(batch, cancellationToken);
        return processed;
    }

    /// <summary>Held events past the window (<see cref="WebhookEventProcessor.Window"/>): applied without their predecessor, as outcome 'orphaned' (reported, and a break when unmatched).</summary>
    public async Task<IReadOnlyList<(Guid EventId, WebhookOutcome Outcome)>> ReleaseExpiredAsync(CancellationToken cancellationToken)
    {
        var released = await processor.ReleaseExpiredAsync(processor.HoldWindow, cancellationToken);
        foreach (var (id, outcome) in released)
        {
            Log.Released(logger, id, outcome.Status, outcome.Reason);
        }

        return released;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook event {WebhookEventId} had no outcome after its queue's time: processed by the sweep: {Outcome} {Reason}")]
        public static partial void Processed(ILogger logger, Guid webhookEventId, string outcome, string? reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook event {WebhookEventId} was held past its window without its predecessor: {Outcome} {Reason}")]
        public static partial void Released(ILogger logger, Guid webhookEventId, string outcome, string? reason);
    }
}
