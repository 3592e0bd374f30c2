using LambdaRecon.Infrastructure.Configuration;

namespace LambdaRecon.Infrastructure.Tests.Configuration;

public class EngineSettingsTests
{
    private static readonly Dictionary<string, string> Complete = new()
    {
        ["DATABASE_URL"] = "Host=127.0.0.1;Port=5432;Username=u;Database=d",
        ["REDIS_URL"] = "redis://127.0.0.1:6380",
        ["QUEUE_URL"] = "http://127.0.0.1:9324/000000000000/transactions.fifo",
        ["DLQ_URL"] = "http://127.0.0.1:9324/000000000000/transactions-dlq.fifo",
        ["AWS_REGION"] = "eu-west-1",
        ["AWS_ENDPOINT_URL_SQS"] = "http://127.0.0.1:9324",
    };

    private const EngineParts All = EngineParts.Database | EngineParts.Queues | EngineParts.Redis;

    private static EngineSettings Read(Dictionary<string, string> variables, EngineParts parts = All) =>
        EngineSettings.From(name => variables.GetValueOrDefault(name)).Require(parts);

    [Fact]
    public void A_complete_environment_is_read_as_given()
    {
        var settings = Read(Complete);

        Assert.Contains("Host=127.0.0.1", settings.PostgresConnectionString, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1:6380", settings.RedisConfiguration);
        Assert.Equal("eu-west-1", settings.AwsRegion);
        Assert.Equal("http://127.0.0.1:9324", settings.SqsServiceUrl);
    }

    [Theory]
    [InlineData("REDIS_URL")]
    [InlineData("QUEUE_URL")]
    [InlineData("DLQ_URL")]
    [InlineData("AWS_REGION")]
    public void A_missing_variable_is_named_in_the_error(string name)
    {
        var variables = new Dictionary<string, string>(Complete);
        variables.Remove(name);

        var error = Assert.Throws<InvalidOperationException>(() => Read(variables));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_webhook_queue_is_required_only_of_what_uses_it_and_named_once_with_the_region_when_missing()
    {
        var variables = new Dictionary<string, string>(Complete);
        variables.Remove("AWS_REGION");

        var error = Assert.Throws<InvalidOperationException>(() => Read(variables, All | EngineParts.WebhookQueue));
        var given = Read(new Dictionary<string, string>(Complete) { ["WEBHOOK_QUEUE_URL"] = "http://127.0.0.1:9324/000000000000/webhook-events.fifo" },
            All | EngineParts.WebhookQueue);

        Assert.Contains("WEBHOOK_QUEUE_URL is not set", error.Message, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(error.Message, "AWS_REGION is not set"));
        Assert.Equal("http://127.0.0.1:9324/000000000000/webhook-events.fifo", given.WebhookQueueUrl);
        Assert.NotNull(Read(Complete)); // All, without the webhook queue: the worker's and the reconciler's parts start without it
    }

    [Fact]
    public void Without_DATABASE_URL_the_missing_PG_parts_are_named()
    {
        var variables = new Dictionary<string, string>(Complete) { ["PGHOST"] = "db.internal" };
        variables.Remove("DATABASE_URL");

        var error = Assert.Throws<InvalidOperationException>(() => Read(variables));

        Assert.Contains("PGDATABASE", error.Message, StringComparison.Ordinal);
        Assert.Contains("PGUSER", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PGHOST", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PG_parts_make_a_connection_string()
    {
        var variables = new Dictionary<string, string>(Complete)
        {
            ["PGHOST"] = "db.internal",
            ["PGPORT"] = "6432",
            ["PGDATABASE"] = "ledger",
            ["PGUSER"] = "app",
            ["PGPASSWORD"] = "s3cret",
        };
        variables.Remove("DATABASE_URL");

        var settings = Read(variables);

        var built = new Npgsql.NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
        Assert.Equal(
            ("db.internal", 6432, "ledger", "app", "s3cret"),
            (built.Host, built.Port, built.Database, built.Username, built.Password));
    }

    [Theory]
    [InlineData("redis://:pw@cache.internal:6390/2", "cache.internal:6390,password=pw,defaultDatabase=2")]
    [InlineData("rediss://user:pw@cache.internal", "cache.internal:6379,user=user,password=pw,ssl=true")]
    public void Redis_urls_become_StackExchange_configuration(string url, string expected)
    {
        var settings = Read(new Dictionary<string, string>(Complete) { ["REDIS_URL"] = url });

        Assert.Equal(expected, settings.RedisConfiguration);
    }

    [Fact]
    public void A_malformed_url_is_refused_by_name()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => Read(new Dictionary<string, string>(Complete) { ["QUEUE_URL"] = "transactions.fifo" }));

        Assert.Contains("QUEUE_URL 'transactions.fifo'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DATABASE_POOL_SIZE_caps_the_connection_pool()
    {
        var settings = Read(new Dictionary<string, string>(Complete) { ["DATABASE_POOL_SIZE"] = "4" });

        Assert.Equal(4, new Npgsql.NpgsqlConnectionStringBuilder(settings.PostgresConnectionString).MaxPoolSize);
        Assert.Throws<InvalidOperationException>(() => Read(new Dictionary<string, string>(Complete) { ["DATABASE_POOL_SIZE"] = "lots" }));
    }

    [Fact]
    public void A_function_that_needs_only_the_database_starts_without_Redis_or_queues()
    {
        var variables = new Dictionary<string, string> { ["DATABASE_URL"] = Complete["DATABASE_URL"] };

        var settings = Read(variables, EngineParts.Database);

        Assert.Contains("Host=127.0.0.1", settings.PostgresConnectionString, StringComparison.Ordinal);
        var error = Assert.Throws<InvalidOperationException>(() => settings.RedisConfiguration);
        Assert.Contains("REDIS_URL", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Read(variables, EngineParts.Database | EngineParts.Queues));
    }

    [Fact]
    public void With_a_database_secret_the_user_and_password_come_from_it_not_the_environment()
    {
        var variables = new Dictionary<string, string>(Complete)
        {
            ["PGHOST"] = "proxy.internal",
            ["PGDATABASE"] = "ledger",
            ["PGPASSWORD"] = "stale",
            ["DATABASE_SECRET_ID"] = "arn:aws:secretsmanager:eu-west-1:1:secret:db",
        };
        variables.Remove("DATABASE_URL");

        var settings = Read(variables);

        var built = new Npgsql.NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
        Assert.Equal(("proxy.internal", "ledger", null, null), (built.Host, built.Database, built.Username, built.Password));
        Assert.Equal("arn:aws:secretsmanager:eu-west-1:1:secret:db", settings.DatabaseSecretId);
    }
}
