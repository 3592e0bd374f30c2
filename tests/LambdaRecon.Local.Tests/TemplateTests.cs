using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using YamlDotNet.RepresentationModel;

namespace LambdaRecon.Local.Tests;

public class TemplateTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    // The settings each function validates at start, as its code declares them.
    public static readonly TheoryData<string, EngineParts> FunctionParts = new()
    {
        { "ApiFunction", Api.Function.Requires },
        { "LedgerWorkerFunction", LedgerWorker.Function.Requires },
        { "ReconcileFunction", Reconciler.Function.Requires },
        { "MigrateFunction", Migrate.Function.Requires },
        { "WebhookFunction", Reconciler.WebhookFunction.Requires },
    };

    [Fact]
    public void The_template_has_the_five_functions_by_their_logical_ids()
    {
        Assert.Equal(
            ["ApiFunction", "LedgerWorkerFunction", "MigrateFunction", "ReconcileFunction", "WebhookFunction"],
            Template.Functions().Select(f => f.LogicalId).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ApiFunction")]
    [InlineData("LedgerWorkerFunction")]
    [InlineData("ReconcileFunction")]
    [InlineData("MigrateFunction")]
    [InlineData("WebhookFunction")]
    public void Each_handler_names_a_public_stream_method_in_the_built_assembly(string logicalId)
    {
        var method = FunctionInvoker.Resolve(Template.Function(logicalId).Handler);

        Assert.Equal(typeof(Task<Stream>), method.ReturnType);
        Assert.Equal([typeof(Stream)], method.GetParameters().Select(p => p.ParameterType));
    }

    [Theory]
    [MemberData(nameof(FunctionParts))]
    public void Each_function_is_given_the_variables_it_requires_and_reads_its_database_login_at_run_time(string logicalId, EngineParts parts)
    {
        var environment = Template.Function(logicalId).Environment;

        // Values are CloudFormation references here; any well-formed value of the right kind stands in.
        string? Lookup(string name) => name == "AWS_REGION" ? "us-east-1" // Lambda sets it for every function
            : !environment.ContainsKey(name) ? null
            : name == "REDIS_URL" ? "redis://cache:6379"
            : name is "DATABASE_POOL_SIZE" or "PGPORT" ? "4"
            : name.EndsWith("_URL", StringComparison.Ordinal) ? "https://sqs.us-east-1.amazonaws.com/1/q"
            : "value";

        var settings = EngineSettings.From(Lookup).Require(parts);

        Assert.Contains("Host=value", settings.PostgresConnectionString, StringComparison.Ordinal);
        Assert.Equal("value", settings.DatabaseSecretId);
        Assert.DoesNotContain("PGPASSWORD", environment.Keys);
        Assert.DoesNotContain("PGUSER", environment.Keys);
    }

    [Theory]
    [MemberData(nameof(FunctionParts))]
    public void No_function_is_given_a_variable_of_a_part_it_does_not_use(string logicalId, EngineParts parts)
    {
        var environment = Template.Function(logicalId).Environment;

        Assert.Equal(parts.HasFlag(EngineParts.Redis), environment.ContainsKey("REDIS_URL"));
        Assert.Equal(parts.HasFlag(EngineParts.Queues), environment.ContainsKey("QUEUE_URL"));
        Assert.Equal(parts.HasFlag(EngineParts.Queues), environment.ContainsKey("DLQ_URL"));
        Assert.Equal(parts.HasFlag(EngineParts.WebhookQueue), environment.ContainsKey("WEBHOOK_QUEUE_URL"));
    }

    [Fact]
    public void The_migrate_function_gives_up_by_itself_before_Lambda_stops_it()
    {
        var migrate = Template.Function("MigrateFunction");

        var deadline = int.Parse(migrate.Environment["MIGRATE_DEADLINE_SECONDS"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(deadline + 30 <= migrate.Timeout, $"MIGRATE_DEADLINE_SECONDS {deadline} leaves under 30 s of Timeout {migrate.Timeout} to answer");
    }

    [Fact]
    public void The_worker_takes_batches_of_ten_with_partial_batch_responses_at_most_ten_at_once_and_the_queue_outlasts_it_six_times()
    {
        var worker = Template.Function("LedgerWorkerFunction");
        var queue = (YamlMappingNode)((YamlMappingNode)Template.Resources["TransactionsQueue"])["Properties"];

        Assert.Equal(10, worker.SqsBatchSize);
        Assert.Equal(10, worker.SqsMaximumConcurrency); // WorkerMaximumConcurrency's default, as the local runner's poller runs it
        Assert.Equal(["ReportBatchItemFailures"], worker.SqsResponseTypes);
        Assert.True(int.Parse(((YamlScalarNode)queue["VisibilityTimeout"]).Value!, System.Globalization.CultureInfo.InvariantCulture) >= 6 * worker.Timeout);
    }

    [Fact]
    public void The_transactions_queue_is_in_high_throughput_mode_past_a_plain_fifo_queues_300_sends_a_second()
    {
        var queue = (YamlMappingNode)((YamlMappingNode)Template.Resources["TransactionsQueue"])["Properties"];

        Assert.Equal("messageGroup", ((YamlScalarNode)queue["DeduplicationScope"]).Value);
        Assert.Equal("perMessageGroupId", ((YamlScalarNode)queue["FifoThroughputLimit"]).Value);
    }

    [Fact]
    public void The_reconciler_runs_every_fifteen_minutes_and_its_sweep_alone_every_minute_by_default()
    {
        var reconciler = Template.Function("ReconcileFunction");

        Assert.Equal(TimeSpan.FromMinutes(15), SamTemplate.RatePeriod(reconciler.Schedule("Schedule").Expression));
        Assert.Null(reconciler.Schedule("Schedule").Input);
        Assert.Equal(TimeSpan.FromMinutes(1), SamTemplate.RatePeriod(reconciler.Schedule("Sweep").Expression));
        Assert.True(JsonDocument.Parse(reconciler.Schedule("Sweep").Input!).RootElement.GetProperty("sweep").GetBoolean());
    }

    [Fact]
    public void The_localstack_hook_creates_the_same_queues_as_the_emulator()
    {
        var emulator = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "tools/sqs-emulator/queues.json")))
            .RootElement.GetProperty("queues").EnumerateArray()
            .ToDictionary(q => q.GetProperty("name").GetString()!, q => Normalize(q.GetProperty("attributes")));
        var script = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "localstack/ready.d/create-queues.sh"));
        var localstack = Regex.Matches(script, @"--queue-name (\S+) \\\s+--attributes '([^']+)'")
            .ToDictionary(m => m.Groups[1].Value, m => Normalize(JsonDocument.Parse(m.Groups[2].Value).RootElement));

        Assert.Equal(emulator.Keys.Order(), localstack.Keys.Order());
        foreach (var (name, attributes) in emulator)
        {
            Assert.Equal(attributes, localstack[name]);
        }
    }

    // Attribute values as strings, a redrive policy as "target name/maxReceiveCount", whatever the notation.
    private static SortedDictionary<string, string> Normalize(JsonElement attributes)
    {
        var normalized = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in attributes.EnumerateObject())
        {
            var value = attribute.Value.ValueKind == JsonValueKind.String ? attribute.Value.GetString()! : attribute.Value.GetRawText();
            if (attribute.Name == "RedrivePolicy")
            {
                var policy = attribute.Value.ValueKind == JsonValueKind.String ? JsonDocument.Parse(value).RootElement : attribute.Value;
                var target = policy.TryGetProperty("deadLetterTargetName", out var n) ? n.GetString()! : policy.GetProperty("deadLetterTargetArn").GetString()!.Split(':')[^1];
                value = $"{target}/{policy.GetProperty("maxReceiveCount").GetRawText().Trim('"')}";
            }

            normalized[attribute.Name] = value;
        }

        return normalized;
    }
}
