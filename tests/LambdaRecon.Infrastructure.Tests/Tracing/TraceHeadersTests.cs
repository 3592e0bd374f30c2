using System.Diagnostics;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Tracing;

namespace LambdaRecon.Infrastructure.Tests.Tracing;

public class TraceHeadersTests
{
    [Fact]
    public void An_xray_header_from_aws_gives_its_trace_and_parent_whatever_else_it_carries()
    {
        var context = TraceHeaders.FromXRay("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1");

        Assert.NotNull(context);
        Assert.Equal("5759e988bd862e3fe1be46a994272793", context.Value.TraceId.ToHexString());
        Assert.Equal("53995c3f42cd8ad8", context.Value.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.Value.TraceFlags);
        Assert.True(context.Value.IsRemote);
    }

    [Theory]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8")]
    [InlineData("Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Parent=zz")]
    [InlineData("")]
    public void An_xray_header_without_a_well_formed_root_and_parent_gives_no_context(string header) =>
        Assert.Null(TraceHeaders.FromXRay(header));

    [Fact]
    public void The_xray_form_of_a_context_reads_back_as_the_same_context()
    {
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);

        var back = TraceHeaders.FromXRay(TraceHeaders.ToXRay(context));

        Assert.Equal((context.TraceId, context.SpanId, ActivityTraceFlags.None), (back!.Value.TraceId, back.Value.SpanId, back.Value.TraceFlags));
    }

    [Fact]
    public void The_traceparent_wins_over_the_xray_header_and_the_xray_header_stands_in_for_a_malformed_one()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        const string xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", TraceHeaders.Extract(traceParent, null, xray)!.Value.TraceId.ToHexString());
        Assert.Equal("5759e988bd862e3fe1be46a994272793", TraceHeaders.Extract("00-garbage", null, xray)!.Value.TraceId.ToHexString());
        Assert.Null(TraceHeaders.Extract(null, null, null));
    }

    [Fact]
    public void A_message_sent_without_a_span_carries_no_trace_attributes()
    {
        var request = new SendMessageRequest();

        TraceHeaders.Inject(null, request);

        Assert.Null(request.MessageAttributes);
        Assert.Null(request.MessageSystemAttributes);
    }
}
