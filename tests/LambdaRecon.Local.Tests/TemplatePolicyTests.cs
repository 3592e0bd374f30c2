using LambdaRecon.Local.Template;
using LambdaRecon.Local.Tests.Policy;
using LambdaRecon.TestSupport;
using YamlDotNet.RepresentationModel;

namespace LambdaRecon.Local.Tests;

/// <summary>
/// Least privilege, checked by a test: each function's policy in template.yaml lists exactly the AWS actions
/// its code calls, so a new SDK call fails here instead of with AccessDenied in production, and a right the
/// code stopped using is noticed and removed. Only the services our code calls are compared; the managed
/// policies SAM attaches by itself (logs, VPC networking, X-Ray) are not in the template.
/// </summary>
public class TemplatePolicyTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    private static readonly string[] ComparedServices = ["sqs", "ssm", "secretsmanager"];

    // What Lambda's SQS event source mapping does with the function's own role: AWS's Lambda guide (Using Lambda
    // with Amazon SQS, execution role permissions) requires ReceiveMessage, DeleteMessage and GetQueueAttributes
    // for it to poll, delete what succeeded and read the queue's settings; ChangeMessageVisibility is the fourth
    // action SAM's SQSPollerPolicy grants a poller, for the messages it hands back to the queue.
    private static readonly string[] SqsEventSourceMappingActions =
        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"];

    public static TheoryData<string> Functions => [.. Template.Functions().Select(f => f.LogicalId)];

    [Theory]
    [MemberData(nameof(Functions))]
    public void Each_function_policy_lists_exactly_the_actions_its_code_calls(string logicalId)
    {
        var function = Template.Function(logicalId);
        var calls = AwsCallGraph.ActionsReachableFrom(EntryType(function));
        var needed = calls.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (function.SqsBatchSize is not null)
        {
            needed.UnionWith(SqsEventSourceMappingActions);
        }

        var granted = PolicyActions(logicalId);
        var missing = needed.Except(granted, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var unused = granted.Except(needed, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0 && unused.Count == 0, $"""
            {logicalId}'s Policies in template.yaml and its code disagree.
              Called by the code but not granted: {Describe(missing, calls)}
              Granted but never called (remove it; a wildcard never matches, list the actions): {Describe(unused, calls)}
            """);
    }

    [Fact]
    public void The_checker_sees_the_publishers_send_the_workers_visibility_change_and_no_queue_call_from_the_migration()
    {
        // A known call: proves the IL walk finds SDK calls at all, so an empty set below means something.
        Assert.Contains("sqs:SendMessage", AwsCallGraph.ActionsReachableFrom(typeof(Infrastructure.Queue.TransactionPublisher)).Keys);

        // The migration must never have SQS rights, so no code it reaches may call SQS.
        Assert.DoesNotContain(AwsCallGraph.ActionsReachableFrom(EntryType(Template.Function("MigrateFunction"))).Keys, IsSqs);

        // The worker's own code makes one SQS call, the visibility change that retries failed messages sooner;
        // the rest of its SQS rights are the event source mapping's.
        Assert.Equal(
            ["sqs:ChangeMessageVisibility"],
            AwsCallGraph.ActionsReachableFrom(EntryType(Template.Function("LedgerWorkerFunction"))).Keys.Where(IsSqs));
    }

    private static bool IsSqs(string action) => action.StartsWith("sqs:", StringComparison.OrdinalIgnoreCase);

    private static Type EntryType(SamFunction function) => FunctionInvoker.Resolve(function.Handler).DeclaringType!;

    // Each action with who needs it, so a failure points at the call site.
    private static string Describe(List<string> actions, SortedDictionary<string, SortedSet<string>> calls) =>
        actions.Count == 0 ? "none" : string.Join(", ", actions.Select(a =>
            calls.TryGetValue(a, out var callers) ? $"{a} (called in {string.Join(", ", callers)})"
            : SqsEventSourceMappingActions.Contains(a, StringComparer.OrdinalIgnoreCase) ? $"{a} (the SQS event source mapping)"
            : a));

    /// <summary>The compared actions the function's Policies allow; a policy whose actions cannot be read here fails.</summary>
    private static HashSet<string> PolicyActions(string logicalId)
    {
        var properties = (YamlMappingNode)((YamlMappingNode)Template.Resources[logicalId])["Properties"];
        var actions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!properties.Children.TryGetValue("Policies", out var policies))
        {
            return actions;
        }

        foreach (var policy in Items(policies))
        {
            // A managed policy's name or a SAM policy template (SQSPollerPolicy, ...) hides its actions from this
            // check: the template writes its statements out instead.
            if (policy is not YamlMappingNode document || !document.Children.TryGetValue("Statement", out var statements))
            {
                throw new InvalidOperationException($"{logicalId}: write the policy {policy} as Statement entries, so its actions can be checked");
            }

            foreach (var statement in Items(statements).Cast<YamlMappingNode>())
            {
                if (!statement.Children.TryGetValue("Action", out var action))
                {
                    throw new InvalidOperationException($"{logicalId}: a statement without Action (NotAction?) cannot be checked: {statement}");
                }

                // A Deny only narrows what an Allow granted.
                if (((YamlScalarNode)statement["Effect"]).Value != "Allow")
                {
                    continue;
                }

                actions.UnionWith(Items(action).Select(a => ((YamlScalarNode)a).Value!)
                    .Where(a => ComparedServices.Contains(a.Split(':')[0], StringComparer.OrdinalIgnoreCase)));
            }
        }

        return actions;
    }

    // IAM accepts a single value where it accepts a list.
    private static IEnumerable<YamlNode> Items(YamlNode node) => node is YamlSequenceNode list ? list.Children : [node];
}
