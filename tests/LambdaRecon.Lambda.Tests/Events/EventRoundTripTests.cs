using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace LambdaRecon.Lambda.Tests.Events;

public class EventRoundTripTests
{
    // Each sample event and the contract that must read it: deserialize, then serialize again.
    private static readonly Dictionary<string, Func<byte[], string>> Contracts = new()
    {
        ["http-api-v2-request.json"] = json => Rewrite(json, LambdaJsonContext.Default.ApiGatewayHttpRequest),
        ["http-api-v2-health.json"] = json => Rewrite(json, LambdaJsonContext.Default.ApiGatewayHttpRequest),
        ["sqs-event.json"] = json => Rewrite(json, LambdaJsonContext.Default.SqsEvent),
        ["sqs-fifo-event.json"] = json => Rewrite(json, LambdaJsonContext.Default.SqsEvent),
        ["sqs-batch-response.json"] = json => Rewrite(json, LambdaJsonContext.Default.SqsBatchResponse),
        ["scheduled-event.json"] = json => Rewrite(json, LambdaJsonContext.Default.ScheduledEvent),
    };

    public static TheoryData<string> Files => [.. Contracts.Keys];

    private static string Rewrite<T>(byte[] json, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Serialize(JsonSerializer.Deserialize(json, typeInfo)!, typeInfo);

    [Fact]
    public void Every_sample_event_has_a_contract_that_reads_it()
    {
        var files = Directory.GetFiles(EventFiles.Directory, "*.json").Select(Path.GetFileName).Order();

        Assert.Equal(Contracts.Keys.Order(), files);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_sample_event_written_back_keeps_every_field_it_came_with(string file)
    {
        var json = EventFiles.Read(file);

        var written = Contracts[file](json);

        EventFiles.AssertHasEveryField(JsonNode.Parse(json), JsonNode.Parse(written));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_sample_event_read_written_and_read_again_is_the_same_event(string file)
    {
        var once = Contracts[file](EventFiles.Read(file));

        var twice = Contracts[file](Encoding.UTF8.GetBytes(once));

        Assert.Equal(once, twice);
    }
}
