using System.Diagnostics;
using Amazon.SQS.Model;

namespace LambdaRecon.Infrastructure.Tracing;

/// <summary>
/// How a trace crosses the queue: the W3C <c>traceparent</c> (and <c>tracestate</c>) as message attributes,
/// and the same context as X-Ray's <c>AWSTraceHeader</c> system attribute, the one SQS itself carries to
/// Lambda and X-Ray. The worker reads traceparent first and falls back to AWSTraceHeader, so a message
/// published by an X-Ray-instrumented producer continues its trace too.
/// </summary>
public static class TraceHeaders
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";
    public const string AwsTraceHeader = "AWSTraceHeader";

    /// <summary>Puts the span's context on the message; nothing when there is no span (tracing off).</summary>
    public static void Inject(Activity? activity, SendMessageRequest request)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return;
        }

        request.MessageAttributes ??= [];
        request.MessageAttributes[TraceParent] = new MessageAttributeValue { DataType = "String", StringValue = activity.Id };
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            request.MessageAttributes[TraceState] = new MessageAttributeValue { DataType = "String", StringValue = activity.TraceStateString };
        }

        request.MessageSystemAttributes ??= [];
        request.MessageSystemAttributes[AwsTraceHeader] = new MessageSystemAttributeValue { DataType = "String", StringValue = ToXRay(activity.Context) };
    }

    /// <summary>The context a message carries, from its traceparent, else its AWSTraceHeader; null when it carries none.</summary>
    public static ActivityContext? Extract(string? traceParent, string? traceState, string? awsTraceHeader)
    {
        if (traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context))
        {
            return context;
        }

        return awsTraceHeader is not null ? FromXRay(awsTraceHeader) : null;
    }

    /// <summary>X-Ray's form of a W3C context: <c>Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled={0|1}</c>.</summary>
    public static string ToXRay(ActivityContext context)
    {
        var traceId = context.TraceId.ToHexString();
        var sampled = context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? 1 : 0;
        return $"Root=1-{traceId[..8]}-{traceId[8..]};Parent={context.SpanId.ToHexString()};Sampled={sampled}";
    }

    /// <summary>Null when the header lacks a well-formed Root or Parent (X-Ray puts Lineage and others beside them).</summary>
    public static ActivityContext? FromXRay(string header)
    {
        string? root = null, parent = null;
        var sampled = false;
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = part.IndexOf('=') is var at and > 0 ? (part[..at], part[(at + 1)..]) : (part, "");
            switch (key)
            {
                case "Root":
                    root = value;
                    break;
                case "Parent":
                    parent = value;
                    break;
                case "Sampled":
                    sampled = value == "1";
                    break;
            }
        }

        // Root=1-5759e988-bd862e3fe1be46a994272793: version 1, then 32 hex digits split 8 + 24.
        var rootParts = root?.Split('-');
        if (rootParts is not ["1", { Length: 8 } time, { Length: 24 } random] || parent is not { Length: 16 }
            || !IsHex(time + random) || !IsHex(parent))
        {
            return null;
        }

        return new ActivityContext(
            ActivityTraceId.CreateFromString(time + random), ActivitySpanId.CreateFromString(parent),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true);
    }

    // What ActivityTraceId and ActivitySpanId accept: lowercase hex, not all zeros.
    private static bool IsHex(string text) => text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')) && text.Any(c => c != '0');
}
