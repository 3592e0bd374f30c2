using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using YamlDotNet.RepresentationModel;

namespace LambdaRecon.Local.Tests.Webhooks;

/// <summary>What the template must give webhooks: their own throttled route, and encrypted queues for the payment data they carry.</summary>
public class WebhookTemplateTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    private static YamlMappingNode Properties(string logicalId) => (YamlMappingNode)((YamlMappingNode)Template.Resources[logicalId])["Properties"];

    [Fact]
    public void The_webhook_route_is_its_own_POST_route_of_the_API_function_and_is_throttled()
    {
        var events = (YamlMappingNode)Properties("ApiFunction")["Events"];
        var route = (YamlMappingNode)((YamlMappingNode)events["Webhooks"])["Properties"];
        Assert.Equal("/api/v1/webhooks/{provider}", route["Path"].ToString());
        Assert.Equal("POST", route["Method"].ToString());

        var settings = (YamlMappingNode)((YamlMappingNode)Properties("HttpApi")["RouteSettings"])["POST /api/v1/webhooks/{provider}"];
        Assert.True(int.Parse(settings["ThrottlingRateLimit"].ToString(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(int.Parse(settings["ThrottlingBurstLimit"].ToString(), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public void The_webhook_events_queue_is_fifo_deduplicated_by_id_with_a_dlq_after_five_receives_an_alarm_and_outlasts_its_function_six_times()
    {
        var queue = Properties("WebhookEventsQueue");
        var function = Template.Function("WebhookFunction");
        var redrive = (YamlMappingNode)queue["RedrivePolicy"];
        var alarm = (YamlMappingNode)Properties("WebhookDeadLetterQueueAlarm")["Dimensions"][0];

        Assert.Equal("true", queue["FifoQueue"].ToString());
        Assert.Equal("false", queue["ContentBasedDeduplication"].ToString());
        Assert.Equal("5", redrive["maxReceiveCount"].ToString());
        Assert.Contains("WebhookEventsDeadLetterQueue", redrive["deadLetterTargetArn"].ToString(), StringComparison.Ordinal);
        Assert.Contains("WebhookEventsDeadLetterQueue", alarm["Value"].ToString(), StringComparison.Ordinal);
        Assert.Equal(["ReportBatchItemFailures"], function.SqsResponseTypes);
        Assert.True(int.Parse(queue["VisibilityTimeout"].ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 6 * function.Timeout);
        Assert.Contains("WebhookEventsQueue", ((YamlMappingNode)Properties("ApiFunction")["Environment"])["Variables"]["WEBHOOK_QUEUE_URL"].ToString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Every_queue_is_encrypted_at_rest()
    {
        var queues = Template.Resources.Children
            .Where(r => ((YamlMappingNode)r.Value)["Type"].ToString() == "AWS::SQS::Queue")
            .Select(r => r.Key.ToString()).ToList();

        Assert.NotEmpty(queues);
        Assert.All(queues, q => Assert.Equal("true", Properties(q)["SqsManagedSseEnabled"].ToString()));
    }
}
