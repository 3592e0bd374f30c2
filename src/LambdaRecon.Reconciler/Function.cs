using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Lambda;

namespace LambdaRecon.Reconciler;

/// <summary>
/// ReconcileFunction's handler (LambdaRecon.Reconciler::LambdaRecon.Reconciler.Function::HandleAsync):
/// an EventBridge scheduled event in (or an on-demand invoke with the same shape), the run's summary out.
/// </summary>
[SuppressMessage("Naming", "CA1716", Justification = "template.yaml's Handler names this class, as AWS's own samples name theirs.")]
public sealed class Function
{
    // Built once per execution environment: connection pools outlive invocations.
    private static readonly Lazy<EngineResources> Resources = new(() => new EngineResources(EngineSettings.FromEnvironment()));

    public Function() => _ = Resources.Value;

    [SuppressMessage("Performance", "CA1822", Justification = "Lambda calls the handler on an instance it creates.")]
    public async Task<Stream> HandleAsync(Stream input)
    {
        var scheduled = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.ScheduledEvent);
        var summary = await new ScheduledReconciliation(Resources.Value).RunAsync($"schedule:{scheduled.Id}", CancellationToken.None);
        // One JSON line for CloudWatch Logs, the same summary as the invocation's result.
        Console.WriteLine(JsonSerializer.Serialize(
            new ReconcileLog("reconciliation finished", scheduled.Id, summary.RunId, summary.Differences, summary.Republished.Count,
                summary.DeadLetters.Count, summary.Accounts.Count),
            ReconcilerJsonContext.Default.ReconcileLog));
        return LambdaPayload.Write(summary, ReconcilerJsonContext.Default.ScheduledSummary);
    }
}

public sealed record ReconcileLog(string Message, string? EventId, Guid RunId, int Differences, int Republished, int DeadLetters, int Accounts);

[JsonSerializable(typeof(ScheduledSummary))]
[JsonSerializable(typeof(ReconcileLog))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ReconcilerJsonContext : JsonSerializerContext;
