using System.Globalization;
using System.Text;
using LambdaRecon.Local.Template;

namespace LambdaRecon.Local;

/// <summary>
/// EventBridge's rate schedule, locally: the function invoked every period with a real scheduled event, or
/// with the schedule's constant input when it has one.
/// </summary>
public static class LocalSchedule
{
    public static async Task RunAsync(FunctionInvoker function, TimeSpan period, CancellationToken stopping, string? input = null, bool runAtStart = false)
    {
        using var timer = new PeriodicTimer(period);
        for (var first = runAtStart; first || await timer.WaitForNextTickAsync(stopping); first = false)
        {
            try
            {
                await using var output = await function.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(input ?? Event(DateTimeOffset.UtcNow))));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed run is logged and the next tick tries again, as EventBridge would.
                await Console.Error.WriteLineAsync($"{function.Function.LogicalId} failed: {e.Message}");
            }
        }
    }

    /// <summary>The event EventBridge sends for a schedule rule.</summary>
    public static string Event(DateTimeOffset time) => $$$"""
        {"version":"0","id":"{{{Guid.NewGuid()}}}","detail-type":"Scheduled Event","source":"aws.events","account":"000000000000",
         "time":"{{{time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}}}","region":"{{{Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1"}}}",
         "resources":["arn:aws:events:us-east-1:000000000000:rule/local-schedule"],"detail":{}}
        """;
}
