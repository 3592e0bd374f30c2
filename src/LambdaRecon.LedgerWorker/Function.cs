using System.Diagnostics.CodeAnalysis;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Tracing;
using LambdaRecon.Lambda;
using LambdaRecon.LedgerWorker.Posting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.LedgerWorker;

/// <summary>
/// LedgerWorkerFunction's handler (LambdaRecon.LedgerWorker::LambdaRecon.LedgerWorker.Function::HandleAsync):
/// an SQS event from the queue's event source mapping in, the batch response out (ReportBatchItemFailures).
/// </summary>
[SuppressMessage("Naming", "CA1716", Justification = "template.yaml's Handler names this class, as AWS's own samples name theirs.")]
public sealed class Function
{
    // One handler, connection pool and logger per execution environment, reused by every invocation while
    // Lambda keeps the environment warm. Environment variables cannot change under a running environment,
    // so a build that failed fails every later invocation with the same error instead of being retried.
    private static readonly Lazy<(SqsBatchHandler Handler, FailedMessageReturn Return)> Handler = new(Build);

    private static int _builds;

    /// <summary>The worker needs PostgreSQL alone: it starts without REDIS_URL or the queue URLs.</summary>
    public const EngineParts Requires = EngineParts.Database;

    private readonly SqsBatchHandler _handler;
    private readonly FailedMessageReturn _return;

    /// <summary>Lambda creates the instance during its init phase: building from here takes it off the first batch.</summary>
    public Function() => (_handler, _return) = Handler.Value;

    /// <summary>How many times this process has built the handler.</summary>
    internal static int Builds => Volatile.Read(ref _builds);

    // The runtime offers no cancellation to a Stream handler: at its timeout Lambda ends the process, and
    // PostgreSQL rolls back the open transaction with the connection.
    // The failed messages are made visible again sooner, once the database work is over.
    public async Task<Stream> HandleAsync(Stream input)
    {
        try
        {
            var sqsEvent = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent);
            var response = await _handler.HandleAsync(sqsEvent, CancellationToken.None);
            await _return.ReturnSoonerAsync(sqsEvent, response);
            return LambdaPayload.Write(response, LambdaJsonContext.Default.SqsBatchResponse);
        }
        finally
        {
            // Lambda may freeze the environment once the handler returns: the batch's spans leave first.
            EngineTracing.Flush();
        }
    }

    private static (SqsBatchHandler, FailedMessageReturn) Build()
    {
        Interlocked.Increment(ref _builds);
        var services = EngineServices.BuildForFunction(Requires);
        var metrics = EmbeddedMetrics.ForFunction("LedgerWorkerFunction", services.GetRequiredService<IConfiguration>());
        return (ActivatorUtilities.CreateInstance<SqsBatchHandler>(services, metrics), ActivatorUtilities.CreateInstance<FailedMessageReturn>(services));
    }
}
