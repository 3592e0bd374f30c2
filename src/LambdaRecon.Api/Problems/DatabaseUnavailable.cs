using System.Globalization;
using LambdaRecon.Infrastructure.Health;
using Microsoft.AspNetCore.Diagnostics;

namespace LambdaRecon.Api.Problems;

/// <summary>
/// PostgreSQL unreachable, restarting, shutting down or out of connections: a 503 problem+json
/// (<c>service-unavailable</c>) with <c>Retry-After</c>, on every endpoint, authentication included,
/// instead of a generic 500. The request changed nothing it did not commit, and its retry is safe: writes are
/// idempotent by key.
/// </summary>
public sealed partial class DatabaseUnavailable(ILogger<DatabaseUnavailable> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait: a restart or a failover takes a few.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!DatabaseFailures.IsUnavailable(exception) || httpContext.Response.HasStarted)
        {
            return false;
        }

        Log.Unavailable(logger, httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name, exception.Message);
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await Problem.Of(StatusCodes.Status503ServiceUnavailable, "service-unavailable", "The database is unavailable",
                $"the ledger database cannot be reached right now; nothing was changed that is not safe to retry: retry in {RetryAfterSeconds} s")
            .ExecuteAsync(httpContext);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "{Method} {Path}: the database is unavailable ({ExceptionType}: {Reason}); answered 503 with Retry-After")]
        public static partial void Unavailable(ILogger logger, string method, string path, string exceptionType, string reason);
    }
}
