using Amazon.SimpleSystemsManagement;
using Amazon.SQS;
using LambdaRecon.Infrastructure.Configuration;
using Npgsql;
using StackExchange.Redis;

namespace LambdaRecon.Infrastructure;

/// <summary>
/// The costly connections of one process (one Lambda execution environment): each built on first use,
/// shared by every request or invocation, disposed when the process ends. A function builds only what it
/// uses, so the worker never connects to Redis, and to SQS only to retry a failed batch sooner.
/// </summary>
public sealed class EngineResources : IAsyncDisposable
{
    private readonly Lazy<NpgsqlDataSource> _dataSource;
    private readonly Lazy<IAmazonSQS> _sqs;
    private readonly Lazy<IAmazonSimpleSystemsManagement> _ssm;
    private readonly Lazy<DatabaseCredentials?> _credentials;
    private readonly Lazy<Task<ConnectionMultiplexer>> _redis;

    public EngineResources(EngineSettings settings)
    {
        Settings = settings;
        _ssm = new(() => new AmazonSimpleSystemsManagementClient(AwsConfig(new AmazonSimpleSystemsManagementConfig(), settings.SsmServiceUrl, settings.RegionOrNull)));
        _credentials = new(() => settings.DatabaseSecretId is { } id ? new DatabaseCredentials(_ssm.Value, id) : null);
        // Not cached when it fails: a Parameter Store hiccup at cold start must not fail the environment for good.
        _dataSource = new(BuildDataSource, LazyThreadSafetyMode.PublicationOnly);
        _sqs = new(() => new AmazonSQSClient(AwsConfig(new AmazonSQSConfig(), settings.SqsServiceUrl, settings.AwsRegion)));
        _redis = new(() =>
        {
            // Redis is a cache that may be down: connecting must never block or fail start-up, and a
            // lost connection reconnects by itself, in the background (AbortOnConnectFail = false), every
            // half second at first, then less often. The fast path does not wait for any of this: see
            // IdempotencyCache.Budget. The timeouts bound what does wait (readiness, /cache/stats).
            var redisOptions = ConfigurationOptions.Parse(settings.RedisConfiguration);
            redisOptions.AbortOnConnectFail = false;
            redisOptions.ConnectTimeout = 1000;
            redisOptions.SyncTimeout = 500;
            redisOptions.AsyncTimeout = 500;
            redisOptions.ReconnectRetryPolicy = new ExponentialRetry(500, 5000);
            // INFO (memory used, for /api/v1/cache/stats) is an admin command to StackExchange.Redis.
            redisOptions.AllowAdmin = true;
            return ConnectionMultiplexer.ConnectAsync(redisOptions);
        });
    }

    public EngineSettings Settings { get; }

    public NpgsqlDataSource DataSource => _dataSource.Value;

    public IAmazonSQS Sqs => _sqs.Value;

    public IAmazonSimpleSystemsManagement Ssm => _ssm.Value;

    /// <summary>The run-time database credentials, or null when the connection string carries them.</summary>
    public DatabaseCredentials? DatabaseCredentials => _credentials.Value;

    public Task<ConnectionMultiplexer> RedisAsync() => _redis.Value;

    private NpgsqlDataSource BuildDataSource()
    {
        var builder = DataSourceBuilder(Settings.PostgresConnectionString);
        if (DatabaseCredentials is { } credentials)
        {
            // The cold start's one blocking read: the pool needs the username before it exists.
            builder.ConnectionStringBuilder.Username = credentials.CurrentAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult().Username;
            builder.UsePasswordProvider(
                _ => credentials.PasswordAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult(),
                async (_, cancellationToken) => await credentials.PasswordAsync(cancellationToken));
            builder.UsePhysicalConnectionInitializer(
                _ => credentials.Confirm(),
                _ =>
                {
                    credentials.Confirm();
                    return Task.CompletedTask;
                });
        }

        return builder.Build();
    }

    /// <summary>
    /// A data source builder for the connection string with the engine's defaults. Every statement the engine
    /// runs is a fixed text run again and again: prepared, PostgreSQL parses and plans each once per connection,
    /// which cut its CPU per posted transfer by a third (docs/benchmarks.md). A connection string that names
    /// Max Auto Prepare keeps its choice: 0 behind a pooler that pins a session holding prepared statements
    /// (docs/deploy.md).
    /// </summary>
    public static NpgsqlDataSourceBuilder DataSourceBuilder(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        return builder;
    }

    private static T AwsConfig<T>(T config, string? serviceUrl, string? region = null)
        where T : Amazon.Runtime.ClientConfig
    {
        if (serviceUrl is not null)
        {
            config.ServiceURL = serviceUrl;
            config.AuthenticationRegion = region ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
        }
        else if ((region ?? Environment.GetEnvironmentVariable("AWS_REGION")) is { } name)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(name);
        }

        return config;
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated)
        {
            await (await _redis.Value).DisposeAsync();
        }

        if (_sqs.IsValueCreated)
        {
            _sqs.Value.Dispose();
        }

        if (_ssm.IsValueCreated)
        {
            _ssm.Value.Dispose();
        }

        if (_dataSource.IsValueCreated)
        {
            await _dataSource.Value.DisposeAsync();
        }
    }
}
