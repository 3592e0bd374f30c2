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
    public void Every_queue_is_encrypted_at_rest()
    {
        var queues = Template.Resources.Children
            .Where(r => ((YamlMappingNode)r.Value)["Type"].ToString() == "AWS::SQS::Queue")
            .Select(r => r.Key.ToString()).ToList();

        Assert.NotEmpty(queues);
        Assert.All(queues, q => Assert.Equal("true", Properties(q)["SqsManagedSseEnabled"].ToString()));
    }
}
