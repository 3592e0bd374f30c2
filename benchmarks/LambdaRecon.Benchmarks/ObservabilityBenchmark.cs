using System.Diagnostics;
using System.Globalization;
using LambdaRecon.Infrastructure.Observability;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// What logging and metrics add to one accepted request, alone: the request's scope, its JSON line (the
/// fields the API's request line has) and its EMF document, written as on Lambda, each with one call to a
/// synchronized writer that flushes every call to a file (one write(2) each, as stdout does). Reported as
/// CPU microseconds per request, the least of five rounds, from 1 and from 16 threads (the writer's lock).
/// </summary>
public static class ObservabilityBenchmark
{
    public static int Run(int requests)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lambdarecon-observability-{Environment.ProcessId}.log");
        try
        {
            using var file = new StreamWriter(path) { AutoFlush = true };
            var output = TextWriter.Synchronized(file);
            using var factory = LoggerFactory.Create(logging => logging.AddProvider(new JsonLineLoggerProvider(() => output)));
            var logger = factory.CreateLogger("LambdaRecon.Api.Hosting.RequestLog");
            var metrics = new EmbeddedMetrics("ApiFunction", "benchmark", () => output);

            Console.WriteLine("| threads | requests | CPU µs per request (log line + EMF document) |");
            Console.WriteLine("|---:|---:|---:|");
            foreach (var threads in new[] { 1, 16 })
            {
                Once(logger, metrics, threads, requests / 10);
                var best = Enumerable.Range(0, 5).Min(_ => Once(logger, metrics, threads, requests));
                Console.WriteLine($"| {threads} | {requests} | {best.ToString("0.0", CultureInfo.InvariantCulture)} |");
            }

            // Every request wrote its two lines, whole.
            output.Flush();
            var lines = File.ReadLines(path).Count();
            var expected = 2L * 2 * (requests / 10 + 5 * requests);
            if (lines != expected)
            {
                Console.Error.WriteLine($"wrong answer: {lines} lines written, {expected} expected");
                return 1;
            }

            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double Once(ILogger logger, EmbeddedMetrics metrics, int threads, int requests)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Parallel.For(0, requests, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            using (logger.BeginScope(new Dictionary<string, object?> { ["RequestId"] = "JyslmjwJMzaDTg==" }))
            {
                KeyValuePair<string, object?>[] fields =
                [
                    new("Method", "POST"), new("Route", "/api/v1/transactions/"), new("Status", 202), new("DurationMs", 12.34),
                    new("ClientId", "shop-1"), new("IdempotencyKey", "order-" + i), new("TransactionId", Guid.NewGuid()),
                ];
                logger.Log(LogLevel.Information, new EventId(1, "Answered"), fields, null, static (_, _) => "POST /api/v1/transactions/ answered 202 in 12.34 ms");
            }

            metrics.Emit([Metric.Milliseconds("Latency", [12.34]), Metric.Count("Accepted", 1)]);
        });
        return (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / requests;
    }
}
