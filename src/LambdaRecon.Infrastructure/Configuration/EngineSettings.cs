using Npgsql;

namespace LambdaRecon.Infrastructure.Configuration;

/// <summary>
/// Everything the engine reads from its environment, validated once at start so that a missing
/// variable fails the process with its name instead of failing the first request that needs it.
/// </summary>
public sealed record EngineSettings(
    string PostgresConnectionString,
    string RedisConfiguration,
    string QueueUrl,
    string DlqUrl,
    string AwsRegion,
    string? SqsServiceUrl)
{
    /// <summary>Reads the settings through a lookup by variable name (the environment, or a host's configuration).</summary>
    /// <exception cref="InvalidOperationException">Names every variable that is missing or malformed.</exception>
    public static EngineSettings From(Func<string, string?> lookup)
    {
        string? Get(string name) => lookup(name) is { } s && s.Trim().Length > 0 ? s.Trim() : null;
        var problems = new List<string>();

        var postgres = PostgresFrom(Get, problems);
        if (postgres is not null && Get("DATABASE_POOL_SIZE") is { } poolSize)
        {
            // Each Lambda execution environment keeps its own pool: a small one, so that a burst of
            // environments cannot exhaust the database's (or RDS Proxy's) connections.
            if (int.TryParse(poolSize, out var size) && size is > 0 and <= 1000)
            {
                postgres = new NpgsqlConnectionStringBuilder(postgres) { MaxPoolSize = size }.ConnectionString;
            }
            else
            {
                problems.Add($"DATABASE_POOL_SIZE '{poolSize}' is not a number from 1 to 1000");
            }
        }
        var redis = RedisFrom(Get("REDIS_URL"), problems);
        var queueUrl = AbsoluteUrl("QUEUE_URL", Get("QUEUE_URL"), problems);
        var dlqUrl = AbsoluteUrl("DLQ_URL", Get("DLQ_URL"), problems);
        var region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION");
        if (region is null)
        {
            problems.Add("AWS_REGION is not set (for example AWS_REGION=us-east-1)");
        }

        var sqsEndpoint = Get("AWS_ENDPOINT_URL_SQS") ?? Get("AWS_ENDPOINT_URL");
        if (sqsEndpoint is not null)
        {
            sqsEndpoint = AbsoluteUrl("AWS_ENDPOINT_URL_SQS", sqsEndpoint, problems);
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                "LambdaRecon configuration is incomplete: " + string.Join("; ", problems) +
                ". See README.md, section Configuration.");
        }

        return new EngineSettings(postgres!, redis!, queueUrl!, dlqUrl!, region!, sqsEndpoint);
    }

    public static EngineSettings FromEnvironment() => From(Environment.GetEnvironmentVariable);

    // DATABASE_URL wins when present (an Npgsql connection string); otherwise the libpq PG* parts.
    private static string? PostgresFrom(Func<string, string?> get, List<string> problems)
    {
        var connectionString = get("DATABASE_URL");
        if (connectionString is not null)
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(connectionString).ConnectionString;
            }
            catch (ArgumentException e)
            {
                problems.Add($"DATABASE_URL is not a valid Npgsql connection string ({e.Message})");
                return null;
            }
        }

        var host = get("PGHOST");
        var database = get("PGDATABASE");
        var user = get("PGUSER");
        if (host is null || database is null || user is null)
        {
            var missing = new[] { ("PGHOST", host), ("PGDATABASE", database), ("PGUSER", user) }
                .Where(p => p.Item2 is null).Select(p => p.Item1);
            problems.Add("PostgreSQL is not configured: set DATABASE_URL, or " + string.Join(", ", missing));
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = host, Database = database, Username = user };
        if (get("PGPASSWORD") is { } password)
        {
            builder.Password = password;
        }

        if (get("PGPORT") is { } port)
        {
            if (!int.TryParse(port, out var p) || p is < 1 or > 65535)
            {
                problems.Add($"PGPORT '{port}' is not a port number");
                return null;
            }

            builder.Port = p;
        }

        return builder.ConnectionString;
    }

    // REDIS_URL is redis://[:password@]host:port[/db]; StackExchange.Redis wants "host:port,password=…".
    private static string? RedisFrom(string? url, List<string> problems)
    {
        if (url is null)
        {
            problems.Add("REDIS_URL is not set (for example REDIS_URL=redis://127.0.0.1:6379)");
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss"))
        {
            problems.Add($"REDIS_URL '{url}' is not a redis:// or rediss:// URL");
            return null;
        }

        var parts = new List<string> { $"{uri.Host}:{(uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port)}" };
        var userInfo = Uri.UnescapeDataString(uri.UserInfo);
        if (userInfo.Length > 0)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var password = colon >= 0 ? userInfo[(colon + 1)..] : userInfo;
            if (colon > 0)
            {
                parts.Add("user=" + userInfo[..colon]);
            }

            parts.Add("password=" + password);
        }

        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } db)
        {
            parts.Add("defaultDatabase=" + db);
        }

        if (uri.Scheme == "rediss")
        {
            parts.Add("ssl=true");
        }

        return string.Join(',', parts);
    }

    private static string? AbsoluteUrl(string name, string? value, List<string> problems)
    {
        if (value is null)
        {
            problems.Add($"{name} is not set");
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            problems.Add($"{name} '{value}' is not an http(s) URL");
            return null;
        }

        return value;
    }
}
