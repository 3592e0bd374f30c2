using Npgsql;

namespace LambdaRecon.Infrastructure.Configuration;

/// <summary>The groups of settings a function may need; each function requires only its own at start.</summary>
[Flags]
public enum EngineParts
{
    None = 0,

    /// <summary>PostgreSQL: DATABASE_URL, or PGHOST/PGDATABASE with PGUSER or DATABASE_SECRET_ID.</summary>
    Database = 1,

    /// <summary>SQS: QUEUE_URL, DLQ_URL and AWS_REGION.</summary>
    Queues = 2,

    /// <summary>The idempotency cache: REDIS_URL.</summary>
    Redis = 4,

    /// <summary>The webhook events' queue, which only the API sends to: WEBHOOK_QUEUE_URL and AWS_REGION.</summary>
    WebhookQueue = 8,
}

/// <summary>
/// Everything the engine reads from its environment. Reading never fails: each group keeps its own
/// problems, <see cref="Require"/> fails the process at start naming every missing or malformed variable
/// of the groups a function uses, and a group read that was not required fails the same way. So the worker,
/// which needs only the database, starts without REDIS_URL or QUEUE_URL.
/// </summary>
public sealed record EngineSettings
{
    private readonly Dictionary<EngineParts, List<string>> _problems = [];

    public string PostgresConnectionString { get => field ?? throw Incomplete(EngineParts.Database); init; }

    public string RedisConfiguration { get => field ?? throw Incomplete(EngineParts.Redis); init; }

    public string QueueUrl { get => field ?? throw Incomplete(EngineParts.Queues); init; }

    public string DlqUrl { get => field ?? throw Incomplete(EngineParts.Queues); init; }

    public string WebhookQueueUrl { get => field ?? throw Incomplete(EngineParts.WebhookQueue); init; }

    private readonly string? _region;

    public string AwsRegion { get => _region ?? throw Incomplete(EngineParts.Queues); init => _region = value; }

    /// <summary>AWS_ENDPOINT_URL_SQS: the local SQS emulator, or LocalStack; null in AWS.</summary>
    public string? SqsServiceUrl { get; init; }

    /// <summary>AWS_ENDPOINT_URL_SSM: a local Parameter Store stand-in; null in AWS.</summary>
    public string? SsmServiceUrl { get; init; }

    /// <summary>
    /// DATABASE_SECRET_ID: the Secrets Manager secret (name or ARN) holding the database username and password,
    /// read at run time through Parameter Store. Null when the connection string carries the credentials.
    /// </summary>
    public string? DatabaseSecretId { get; init; }

    /// <summary>Reads the settings through a lookup by variable name (the environment, or a host's configuration).</summary>
    public static EngineSettings From(Func<string, string?> lookup)
    {
        string? Get(string name) => lookup(name) is { } s && s.Trim().Length > 0 ? s.Trim() : null;
        var problems = new Dictionary<EngineParts, List<string>>
        {
            [EngineParts.Database] = [],
            [EngineParts.Queues] = [],
            [EngineParts.Redis] = [],
            [EngineParts.WebhookQueue] = [],
        };

        var secretId = Get("DATABASE_SECRET_ID");
        var postgres = PostgresFrom(Get, secretId is not null, problems[EngineParts.Database]);
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
                problems[EngineParts.Database].Add($"DATABASE_POOL_SIZE '{poolSize}' is not a number from 1 to 1000");
                postgres = null;
            }
        }

        var region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION");
        if (region is null)
        {
            problems[EngineParts.Queues].Add("AWS_REGION is not set (for example AWS_REGION=us-east-1)");
            problems[EngineParts.WebhookQueue].Add("AWS_REGION is not set (for example AWS_REGION=us-east-1)");
        }

        var sqsEndpoint = Get("AWS_ENDPOINT_URL_SQS") ?? Get("AWS_ENDPOINT_URL");
        if (sqsEndpoint is not null)
        {
            // Both queue parts talk to SQS through it.
            var endpointProblems = new List<string>();
            sqsEndpoint = AbsoluteUrl("AWS_ENDPOINT_URL_SQS", sqsEndpoint, endpointProblems);
            problems[EngineParts.Queues].AddRange(endpointProblems);
            problems[EngineParts.WebhookQueue].AddRange(endpointProblems);
        }

        var ssmEndpoint = Get("AWS_ENDPOINT_URL_SSM") ?? Get("AWS_ENDPOINT_URL");
        if (ssmEndpoint is not null)
        {
            ssmEndpoint = AbsoluteUrl("AWS_ENDPOINT_URL_SSM", ssmEndpoint, problems[EngineParts.Database]);
        }

        return new EngineSettings(problems)
        {
            PostgresConnectionString = postgres!,
            DatabaseSecretId = secretId,
            RedisConfiguration = RedisFrom(Get("REDIS_URL"), problems[EngineParts.Redis])!,
            QueueUrl = AbsoluteUrl("QUEUE_URL", Get("QUEUE_URL"), problems[EngineParts.Queues])!,
            DlqUrl = AbsoluteUrl("DLQ_URL", Get("DLQ_URL"), problems[EngineParts.Queues])!,
            WebhookQueueUrl = AbsoluteUrl("WEBHOOK_QUEUE_URL", Get("WEBHOOK_QUEUE_URL"), problems[EngineParts.WebhookQueue])!,
            AwsRegion = region!,
            SqsServiceUrl = sqsEndpoint,
            SsmServiceUrl = ssmEndpoint,
        };
    }

    /// <summary>Settings given whole, as tests and benchmarks build them.</summary>
    public EngineSettings()
    {
    }

    private EngineSettings(Dictionary<EngineParts, List<string>> problems) => _problems = problems;

    public static EngineSettings FromEnvironment() => From(Environment.GetEnvironmentVariable);

    /// <summary>AWS_REGION, or null when it is not set.</summary>
    public string? RegionOrNull => _region;

    /// <summary>Fails naming every missing or malformed variable of <paramref name="parts"/>.</summary>
    /// <exception cref="InvalidOperationException">Names the variables.</exception>
    public EngineSettings Require(EngineParts parts)
    {
        var problems = Enum.GetValues<EngineParts>()
            .Where(p => p != EngineParts.None && parts.HasFlag(p))
            .SelectMany(p => _problems.GetValueOrDefault(p) ?? [])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        // AWS_REGION is also needed by the database credentials' Parameter Store client.
        if (parts.HasFlag(EngineParts.Database) && DatabaseSecretId is not null && RegionOrNull is null
            && !parts.HasFlag(EngineParts.Queues) && !parts.HasFlag(EngineParts.WebhookQueue))
        {
            problems.Add("AWS_REGION is not set (DATABASE_SECRET_ID is read through Parameter Store)");
        }

        return problems.Count == 0 ? this : throw Incomplete(problems);
    }

    private InvalidOperationException Incomplete(EngineParts part) =>
        Incomplete(_problems.GetValueOrDefault(part) ?? [$"{part} settings were not given"]);

    private static InvalidOperationException Incomplete(IEnumerable<string> problems) =>
        new("LambdaRecon configuration is incomplete: " + string.Join("; ", problems) + ". See README.md, section Configuration.");

    // DATABASE_URL wins when present (an Npgsql connection string); otherwise the libpq PG* parts, whose
    // user and password may come from DATABASE_SECRET_ID instead.
    private static string? PostgresFrom(Func<string, string?> get, bool fromSecret, List<string> problems)
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
        if (host is null || database is null || (user is null && !fromSecret))
        {
            var missing = new[] { ("PGHOST", host), ("PGDATABASE", database), ("PGUSER", fromSecret ? "secret" : user) }
                .Where(p => p.Item2 is null).Select(p => p.Item1);
            problems.Add("PostgreSQL is not configured: set DATABASE_URL, or " + string.Join(", ", missing));
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = host, Database = database };
        if (user is not null)
        {
            builder.Username = user;
        }

        if (get("PGPASSWORD") is { } password && !fromSecret)
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
