using System.Text.Json;
using System.Text.Json.Nodes;
using LambdaRecon.Lambda.Tests.Events;

namespace LambdaRecon.Lambda.Tests.Scheduling;

public class ScheduledEventTests
{
    [Fact]
    public void The_sample_scheduled_event_keeps_when_and_which_rule_fired()
    {
        var scheduled = EventFiles.Deserialize("scheduled-event.json", LambdaJsonContext.Default.ScheduledEvent);

        Assert.Equal("0", scheduled.Version);
        Assert.Equal("cdc73f9d-aea9-11e3-9d5a-835b769c0d9c", scheduled.Id);
        Assert.Equal("Scheduled Event", scheduled.DetailType);
        Assert.Equal("aws.events", scheduled.Source);
        Assert.Equal("123456789012", scheduled.Account);
        Assert.Equal("us-east-1", scheduled.Region);
        Assert.Equal(DateTimeOffset.UnixEpoch, scheduled.Time);
        Assert.Equal(TimeSpan.Zero, scheduled.Time.Offset);
        Assert.Equal(["arn:aws:events:us-east-1:123456789012:rule/my-schedule"], scheduled.Resources);
        Assert.Equal(JsonValueKind.Object, scheduled.Detail.ValueKind);
    }

    [Fact]
    public void A_scheduled_event_is_written_with_the_hyphenated_detail_type()
    {
        var scheduled = EventFiles.Deserialize("scheduled-event.json", LambdaJsonContext.Default.ScheduledEvent);

        var written = JsonNode.Parse(JsonSerializer.Serialize(scheduled, LambdaJsonContext.Default.ScheduledEvent))!;

        Assert.Equal("Scheduled Event", written["detail-type"]!.GetValue<string>());
        Assert.Null(written["detailType"]);
    }

    [Fact]
    public void An_event_without_detail_reads_as_an_empty_detail()
    {
        var scheduled = JsonSerializer.Deserialize(
            """{"id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-24T15:00:00Z"}""",
            LambdaJsonContext.Default.ScheduledEvent)!;

        Assert.Equal("{}", scheduled.Detail.GetRawText());
        Assert.Empty(scheduled.Resources);
    }
}
