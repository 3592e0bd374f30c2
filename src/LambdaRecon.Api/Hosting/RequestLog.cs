using System.Diagnostics;
using System.Globalization;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.Problems;
using LambdaRecon.Infrastructure.Observability;

namespace LambdaRecon.Api.Hosting;

/// <summary>
/// One Information line and one metrics document per request. The request id is the API Gateway request id
/// (HttpContext.TraceIdentifier, which the bridge sets from the event), or Kestrel's own where the app is
/// served directly; it is the <c>X-Request-Id</c> header of every answer, the <c>trace_id</c> of every
/// problem+json, the <c>request_id</c> field of every line logged while the request runs, and the RequestId
/// attribute of the SQS message it publishes, so the worker's lines name it too.
/// </summary>
public static partial class RequestLog
{
    public const string RequestIdHeader = "X-Request-Id";

    private const string TransactionItem = "lambdarecon.log.transaction";
    private const string IdempotencyKeyItem = "lambdarecon.log.idempotency_key";
    private const string ProblemTypeItem = "lambdarecon.log.problem_type";

    /// <summary>The request's transaction, for its log line.</summary>
    public static void NoteTransaction(this HttpContext http, Guid transactionId) => http.Items[TransactionItem] = transactionId;

    /// <summary>The request's idempotency key, for its log line.</summary>
    public static void NoteIdempotencyKey(this HttpContext http, string key) => http.Items[IdempotencyKeyItem] = key;

    /// <summary>Every problem+json names the request it answers, and its type counts in the metrics.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        context.ProblemDetails.Extensions.Remove("traceId");
        context.ProblemDetails.Extensions["trace_id"] = http.TraceIdentifier;
        http.Items[ProblemTypeItem] = context.ProblemDetails.Type;
    }

    /// <summary>First in the pipeline, so that it sees the final status, the exception handler's 500 included.</summary>
    public static void UseRequestLog(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestLog).FullName!);
        var metrics = app.Services.GetRequiredService<EmbeddedMetrics>();
        app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            http.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                context.Response.Headers[RequestIdHeader] = context.TraceIdentifier;
                return Task.CompletedTask;
            }, http);
            using (logger.BeginScope(new RequestScope(http.TraceIdentifier)))
            {
                try
                {
                    await next(http);
                }
                finally
                {
                    Write(http, logger, metrics, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        });
    }

    private static void Write(HttpContext http, ILogger logger, EmbeddedMetrics metrics, double durationMs) // not money: a duration or metric value
    {
        var status = http.Response.StatusCode;
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var problemType = http.Items.TryGetValue(ProblemTypeItem, out var type) ? ProblemName(type as string, status) : null;
        if (logger.IsEnabled(LogLevel.Information))
        {
            var line = new RequestLine(
            [
                new("Method", http.Request.Method),
                new("Route", route ?? "(no route)"),
                new("Status", status),
                new("DurationMs", Math.Round(durationMs, 2)),
                new("ClientId", http.ClientOrNull()?.ClientId),
                new("IdempotencyKey", http.Items.TryGetValue(IdempotencyKeyItem, out var key) ? key : null),
                new("TransactionId", http.Items.TryGetValue(TransactionItem, out var id) ? id : null),
                new("ProblemType", problemType),
            ]);
            logger.Log(LogLevel.Information, AnsweredEvent, line, null, static (l, _) => l.ToString());
        }

        var replayed = http.Response.Headers["Idempotent-Replayed"] == "true";
        List<Metric> values = [Metric.Milliseconds("Latency", [durationMs])];
        if (status == StatusCodes.Status202Accepted)
        {
            values.Add(Metric.Count("Accepted", 1));
        }
        else if (replayed)
        {
            values.Add(Metric.Count("Replayed", 1));
        }
        else if (status >= 500)
        {
            values.Add(Metric.Count("ServerErrors", 1));
        }
        else if (status >= 400)
        {
            values.Add(Metric.Count("Refused", 1));
            values.Add(Metric.Count("Refused." + (problemType ?? "http-" + status), 1));
        }

        metrics.Emit(values);
    }

    // Our problem types by their last segment ("validation"); the framework's (an unknown route's 404) by status.
    private static string ProblemName(string? type, int status) =>
        type is not null && type.StartsWith(Problem.TypeBase, StringComparison.Ordinal) ? type[Problem.TypeBase.Length..] : "http-" + status;

    private static readonly EventId AnsweredEvent = new(1, "Answered");

    /// <summary>The request's line: its fields, those without a value left out, and a short message.</summary>
    private sealed class RequestLine(KeyValuePair<string, object?>[] fields) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _fields = Array.FindAll(fields, f => f.Value is not null);

        public int Count => _fields.Length;

        public KeyValuePair<string, object?> this[int index] => _fields[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        // "POST /api/v1/transactions/ answered 202 in 12.5 ms"
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{_fields[0].Value} {_fields[1].Value} answered {_fields[2].Value} in {_fields[3].Value} ms");
    }

    /// <summary>The scope every line of the request carries: its request_id.</summary>
    private sealed class RequestScope(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "RequestId:" + requestId;
    }
}
