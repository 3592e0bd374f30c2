using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Reconciliation;
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
public sealed partial class Function
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
        var scheduled = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.ScheduledEvent);
        var summary = await Services.Value.GetRequiredService<ScheduledReconciliation>().RunAsync($"schedule:{scheduled.Id}", CancellationToken.None);
        Report(summary, scheduled.Id, Services.Value.GetRequiredService<ILogger<Function>>(), Metrics.Value);
        return LambdaPayload.Write(summary, ReconcilerJsonContext.Default.ScheduledSummary);
    }

    /// <summary>One line per run and one per account the run left something to look at, each with the run id; then the run's metrics.</summary>
    public static void Report(ScheduledSummary summary, string? eventId, ILogger logger, EmbeddedMetrics metrics)
    {
        Finished(logger, summary.RunId, eventId, summary.Differences, summary.Accounts.Count, summary.Republished.Count, summary.DeadLetters.Count,
            summary.OpenBreaks);
        foreach (var account in summary.Accounts.Where(a => a.UnmatchedInternal + a.UnmatchedExternal + a.AmountMismatches + a.Differences > 0))
        {
            AccountDifferences(logger, summary.RunId, account.AccountId, account.RunId, account.UnmatchedInternal, account.UnmatchedExternal,
                account.AmountMismatches, account.Differences);
        }

        metrics.Emit(summary.Metrics(), [new("run_id", summary.RunId.ToString())]);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Reconciliation {RunId} finished (event {EventId}): {Differences} ledger differences, {Accounts} accounts reconciled, {Republished} stuck transactions republished, {DeadLetters} in the DLQ, {OpenBreaks} breaks open")]
    private static partial void Finished(
        ILogger logger, Guid runId, string? eventId, int differences, int accounts, int republished, int deadLetters, long openBreaks);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Reconciliation {RunId}: account {AccountId} (run {AccountRunId}) has {UnmatchedInternal} unmatched ledger items, {UnmatchedExternal} unmatched statement lines, {AmountMismatches} amount mismatches, {Differences} ledger differences")]
    private static partial void AccountDifferences(
        ILogger logger, Guid runId, string? accountId, Guid? accountRunId, int unmatchedInternal, int unmatchedExternal, int amountMismatches, int differences);
}

[JsonSerializable(typeof(ScheduledSummary))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ReconcilerJsonContext : JsonSerializerContext;
