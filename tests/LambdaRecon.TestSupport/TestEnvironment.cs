using LambdaRecon.Infrastructure.Configuration;

namespace LambdaRecon.TestSupport;

/// <summary>
/// The services the tests run against, as ./test.sh starts and describes them. A test that needs a
/// service and finds no variable for it fails with the variable's name: it never skips.
/// </summary>
public static class TestEnvironment
{
    public static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Run the tests with ./test.sh: it starts PostgreSQL, Redis and the SQS emulator on 127.0.0.1 and sets {name}.");

    /// <summary>The engine settings ./test.sh describes, with a database and queues of the caller's own.</summary>
    public static EngineSettings Settings(string? connectionString = null, TestQueues? queues = null) =>
        new()
        {
            PostgresConnectionString = connectionString ?? Require("DATABASE_URL"),
            RedisConfiguration = EngineSettings.From(Environment.GetEnvironmentVariable).RedisConfiguration,
            QueueUrl = queues?.QueueUrl ?? Require("QUEUE_URL"),
            DlqUrl = queues?.DlqUrl ?? Require("DLQ_URL"),
            WebhookQueueUrl = queues?.WebhookQueueUrl ?? Require("WEBHOOK_QUEUE_URL"),
            AwsRegion = Require("AWS_REGION"),
            SqsServiceUrl = Require("AWS_ENDPOINT_URL_SQS"),
            SsmServiceUrl = Require("AWS_ENDPOINT_URL_SSM"),
        };

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "LambdaRecon.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("LambdaRecon.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string InitSql => File.ReadAllText(Path.Combine(RepositoryRoot, "init.sql"));
}
