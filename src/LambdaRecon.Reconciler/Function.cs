using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Tracing;
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
        var scheduled = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.ScheduledEvent);
        var summary = await Services.Value.GetRequiredService<ScheduledReconciliation>().RunAsync($"schedule:{scheduled.Id}", CancellationToken.None);
        ScheduledReconciliation.Report(summary, scheduled.Id, Services.Value.GetRequiredService<ILogger<Function>>(), Metrics.Value);
        return LambdaPayload.Write(summary, ReconcilerJsonContext.Default.ScheduledSummary);
    }
}

[JsonSerializable(typeof(ScheduledSummary))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ReconcilerJsonContext : JsonSerializerContext;
