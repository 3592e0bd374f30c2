using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Tracing;
using LambdaRecon.Infrastructure.Webhooks;
using LambdaRecon.Lambda;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Reconciler;

/// <summary>
/// ReconcileFunction's handler (LambdaRecon.Reconciler::LambdaRecon.Reconciler.Function::HandleAsync):
/// an EventBridge scheduled event in (or an on-demand invoke with the same shape), the run's summary out.
/// </summary>
[SuppressMessage("Naming", "CA1716", Justification = "template.yaml's Handler names this class, as AWS's own samples name theirs.")]
public sealed class Function
{
    /// <summary>The reconciler reads the ledger and sweeps the queues; it never touches Redis.</summary>
    public const EngineParts Requires = EngineParts.Database | EngineParts.Queues;

    // Built once per execution environment: connection pools outlive invocations.
    private static readonly Lazy<ServiceProvider> Services = new(() => EngineServices.BuildForFunction(Requires));

    private static readonly Lazy<EmbeddedMetrics> Metrics = new(() =>
        EmbeddedMetrics.ForFunction("ReconcileFunction", Services.Value.GetRequiredService<IConfiguration>()));

    public Function() => _ = Services.Value;

    /// <summary>
    /// A scheduled event runs the whole reconciliation; the Sweep schedule's constant input,
    /// <c>{"sweep": true}</c>, only republishes the transactions still ACCEPTED and processes the webhook events
    /// still without an outcome (see template.yaml).
    /// </summary>
    [SuppressMessage("Performance", "CA1822", Justification = "Lambda calls the handler on an instance it creates.")]
    public async Task<Stream> HandleAsync(Stream input)
    {
        try
        {
            return await ReconcileAsync(input);
        }
        finally
        {
            // Lambda may freeze the environment once the handler returns: the run's spans leave first.
            EngineTracing.Flush();
        }
    }

    private static async Task<Stream> ReconcileAsync(Stream input)
    {
        var buffered = new MemoryStream();
        await input.CopyToAsync(buffered);
        buffered.Position = 0;
        if (IsSweep(buffered))
        {
            var sweep = Services.Value.GetRequiredService<PipelineSweep>();
            var republished = await sweep.RepublishStuckAsync(CancellationToken.None);
            // Webhook events whose message was lost (or never sent) are processed here, directly.
            // Then held events whose predecessor never came within the window are applied and reported (orphaned).
            var webhookSweep = Services.Value.GetRequiredService<WebhookSweep>();
            var webhooks = await webhookSweep.ProcessStuckAsync(CancellationToken.None);
            var released = await webhookSweep.ReleaseExpiredAsync(CancellationToken.None);
            var result = new SweepResult(republished.Count, webhooks.Count, released.Count, (long)sweep.StuckAfter.TotalSeconds);
            // The sweeps log what they did; the metrics count every run, nothing done included.
            Metrics.Value.Emit([
                Metric.Count("StuckRepublished", result.Republished), Metric.Count("WebhookEventsSwept", result.WebhookEventsProcessed),
                Metric.Count("WebhookEventsOrphaned", result.WebhookEventsOrphaned)]);
            return LambdaPayload.Write(result, ReconcilerJsonContext.Default.SweepResult);
        }

        buffered.Position = 0;
        var scheduled = await LambdaPayload.ReadAsync(buffered, LambdaJsonContext.Default.ScheduledEvent);
        var summary = await Services.Value.GetRequiredService<ScheduledReconciliation>().RunAsync($"schedule:{scheduled.Id}", CancellationToken.None);
        ScheduledReconciliation.Report(summary, scheduled.Id, Services.Value.GetRequiredService<ILogger<Function>>(), Metrics.Value);
        return LambdaPayload.Write(summary, ReconcilerJsonContext.Default.ScheduledSummary);
    }

    private static bool IsSweep(MemoryStream input)
    {
        try
        {
            using var document = JsonDocument.Parse(input.GetBuffer().AsMemory(0, (int)input.Length));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("sweep", out var sweep) && sweep.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

public sealed record SweepResult(int Republished, int WebhookEventsProcessed, int WebhookEventsOrphaned, long StuckAfterSeconds);

[JsonSerializable(typeof(ScheduledSummary))]
[JsonSerializable(typeof(SweepResult))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ReconcilerJsonContext : JsonSerializerContext;
