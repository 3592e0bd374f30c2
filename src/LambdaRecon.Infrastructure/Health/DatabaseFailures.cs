using System.Net.Sockets;
using Npgsql;

namespace LambdaRecon.Infrastructure.Health;

/// <summary>Tells "the database is not there" from "this request is wrong", for callers that answer each differently.</summary>
public static class DatabaseFailures
{
    /// <summary>
    /// A connection that could not be made or was lost (sockets, I/O, timeouts, an exhausted pool: Npgsql's
    /// transient errors), the server shutting down (57P01, 57P02), starting up (57P03), out of connection slots
    /// (53300), or a connection exception (class 08); looked for along the inner exceptions too.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300"
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };
}
