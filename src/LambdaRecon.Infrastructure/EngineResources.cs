using Amazon.Runtime;
using Amazon.SQS;
using LambdaRecon.Infrastructure.Configuration;
using Npgsql;
using StackExchange.Redis;

namespace LambdaRecon.Infrastructure;

/// <summary>
/// The costly connections of one process (one Lambda execution environment): built once, shared by
/// every request or invocation, disposed when the process ends.
/// </summary>
public sealed class EngineResources : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _redis;

    public EngineResources(EngineSettings settings)
    {
        Settings = settings;
        DataSource = NpgsqlDataSource.Create(settings.PostgresConnectionString);
        var sqsConfig = new AmazonSQSConfig { AuthenticationRegion = settings.AwsRegion };
        if (settings.SqsServiceUrl is not null)
        {
            sqsConfig.ServiceURL = settings.SqsServiceUrl;
        }
        else
        {
            sqsConfig.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.AwsRegion);
        }

        Sqs = new AmazonSQSClient(sqsConfig);

        // Redis is a cache that may be down: connecting must never block or fail start-up, and a
        // lost connection reconnects by itself (AbortOnConnectFail = false).
        var redisOptions = ConfigurationOptions.Parse(settings.RedisConfiguration);
        redisOptions.AbortOnConnectFail = false;
        redisOptions.ConnectTimeout = 2000;
        redisOptions.SyncTimeout = 1000;
        redisOptions.AsyncTimeout = 1000;
        // INFO (memory used, for /api/v1/cache/stats) is an admin command to StackExchange.Redis.
        redisOptions.AllowAdmin = true;
        _redis = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(redisOptions));
    }

    public EngineSettings Settings { get; }

    public NpgsqlDataSource DataSource { get; }

    public IAmazonSQS Sqs { get; }

    public Task<ConnectionMultiplexer> RedisAsync() => _redis.Value;

    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated)
        {
            await (await _redis.Value).DisposeAsync();
        }

        Sqs.Dispose();
        await DataSource.DisposeAsync();
    }
}
