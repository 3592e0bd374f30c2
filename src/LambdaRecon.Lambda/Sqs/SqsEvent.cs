using System.Globalization;
using System.Text.Json.Serialization;

namespace LambdaRecon.Lambda.Sqs;

/// <summary>A batch of messages that an SQS event source mapping hands to a function.</summary>
public sealed record SqsEvent
{
    [JsonPropertyName("Records")]
    public required IReadOnlyList<SqsMessage> Records { get; init; }
}

public sealed record SqsMessage
{
    private static readonly IReadOnlyDictionary<string, string> EmptyAttributes = new Dictionary<string, string>();
    private static readonly IReadOnlyDictionary<string, SqsMessageAttributeValue> EmptyMessageAttributes =
        new Dictionary<string, SqsMessageAttributeValue>();

    /// <summary>The id a batch response names to have this one message retried.</summary>
    public required string MessageId { get; init; }

    public required string ReceiptHandle { get; init; }

    public required string Body { get; init; }

    public string? Md5OfBody { get; init; }

    /// <summary>Absent when the message has no attributes.</summary>
    public string? Md5OfMessageAttributes { get; init; }

    [JsonPropertyName("eventSourceARN")]
    public string? EventSourceArn { get; init; }

    public string? EventSource { get; init; }

    public string? AwsRegion { get; init; }

    /// <summary>
    /// The system attributes, every value a string: ApproximateReceiveCount, SentTimestamp, and on a FIFO
    /// queue MessageGroupId, MessageDeduplicationId and SequenceNumber.
    /// </summary>
    // Coerced in init: the source generator sets an init-only property the JSON lacks to null, past any initializer.
    public IReadOnlyDictionary<string, string> Attributes { get; init => field = value ?? EmptyAttributes; } = EmptyAttributes;

    public IReadOnlyDictionary<string, SqsMessageAttributeValue> MessageAttributes
    {
        get;
        init => field = value ?? EmptyMessageAttributes;
    } = EmptyMessageAttributes;

    /// <summary>The FIFO group: messages of one group reach the function in order, one batch at a time.</summary>
    [JsonIgnore]
    public string? MessageGroupId => Attributes.GetValueOrDefault("MessageGroupId");

    [JsonIgnore]
    public string? MessageDeduplicationId => Attributes.GetValueOrDefault("MessageDeduplicationId");

    /// <summary>Kept as text: SQS's FIFO sequence numbers run to 128 bits.</summary>
    [JsonIgnore]
    public string? SequenceNumber => Attributes.GetValueOrDefault("SequenceNumber");

    /// <summary>How many times SQS has handed this message out, this time included; 0 when SQS did not say.</summary>
    [JsonIgnore]
    public int ApproximateReceiveCount =>
        Attributes.TryGetValue("ApproximateReceiveCount", out var count)
            ? int.Parse(count, NumberStyles.None, CultureInfo.InvariantCulture)
            : 0;
}

/// <summary>A message attribute's value; binary values are base64 text, as SQS delivers them.</summary>
public sealed record SqsMessageAttributeValue
{
    public string? StringValue { get; init; }

    public string? BinaryValue { get; init; }

    public IReadOnlyList<string>? StringListValues { get; init; }

    public IReadOnlyList<string>? BinaryListValues { get; init; }

    /// <summary>String, Number or Binary, optionally with a custom suffix (Number.int).</summary>
    public required string DataType { get; init; }
}
