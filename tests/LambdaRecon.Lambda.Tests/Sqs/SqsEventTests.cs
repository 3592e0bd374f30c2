using System.Text.Json;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.Lambda.Tests.Events;

namespace LambdaRecon.Lambda.Tests.Sqs;

public class SqsEventTests
{
    [Fact]
    public void The_sample_message_keeps_what_the_worker_reads()
    {
        var message = Assert.Single(EventFiles.Deserialize("sqs-event.json", LambdaJsonContext.Default.SqsEvent).Records);

        Assert.Equal("MessageID", message.MessageId);
        Assert.Equal("MessageReceiptHandle", message.ReceiptHandle);
        Assert.Equal("Message Body", message.Body);
        Assert.Equal("fce0ea8dd236ccb3ed9b37dae260836f", message.Md5OfBody);
        Assert.Equal("582c92c5c5b6ac403040a4f3ab3115c9", message.Md5OfMessageAttributes);
        Assert.Equal("arn:aws:sqs:us-west-2:123456789012:SQSQueue", message.EventSourceArn);
        Assert.Equal("aws:sqs", message.EventSource);
        Assert.Equal("us-west-2", message.AwsRegion);
        Assert.Equal("1520621625029", message.Attributes["SentTimestamp"]);
        Assert.Equal(2, message.ApproximateReceiveCount);
    }

    [Fact]
    public void A_message_of_a_standard_queue_has_no_group_deduplication_id_or_sequence_number()
    {
        var message = Assert.Single(EventFiles.Deserialize("sqs-event.json", LambdaJsonContext.Default.SqsEvent).Records);

        Assert.Null(message.MessageGroupId);
        Assert.Null(message.MessageDeduplicationId);
        Assert.Null(message.SequenceNumber);
    }

    [Fact]
    public void The_sample_message_attributes_keep_every_kind_of_value()
    {
        var attributes = Assert.Single(EventFiles.Deserialize("sqs-event.json", LambdaJsonContext.Default.SqsEvent).Records)
            .MessageAttributes;

        var first = attributes["Attribute1"];
        Assert.Equal("123", first.StringValue);
        Assert.Equal("U21hdWc=", first.BinaryValue);
        Assert.Equal(["a1", "a2"], first.StringListValues!);
        Assert.Equal(["VmVybWl0aHJheA==", "UGVqb3JhdGl2ZQ=="], first.BinaryListValues!);
        Assert.Equal("Number", first.DataType);
        var second = attributes["Attribute2"];
        Assert.Equal("AttributeValue2", second.StringValue);
        Assert.Null(second.BinaryValue);
        Assert.Empty(second.BinaryListValues!);
        Assert.Equal("String", second.DataType);
    }

    [Fact]
    public void A_fifo_batch_keeps_each_message_group_deduplication_id_and_sequence_number_in_order()
    {
        var records = EventFiles.Deserialize("sqs-fifo-event.json", LambdaJsonContext.Default.SqsEvent).Records;

        Assert.Equal(["acct-payer-17", "acct-payer-17", "acct-payer-42"], records.Select(r => r.MessageGroupId));
        Assert.Equal(["tx-0001", "tx-0002", "tx-0107"], records.Select(r => r.MessageDeduplicationId));
        Assert.Equal(
            ["18898731522873556992", "18898731522873556993", "18898731522873557120"],
            records.Select(r => r.SequenceNumber));
        Assert.Equal([1, 3, 1], records.Select(r => r.ApproximateReceiveCount));
    }

    [Fact]
    public void A_fifo_message_without_attributes_has_no_attribute_digest()
    {
        var records = EventFiles.Deserialize("sqs-fifo-event.json", LambdaJsonContext.Default.SqsEvent).Records;

        Assert.Empty(records[0].MessageAttributes);
        Assert.Null(records[0].Md5OfMessageAttributes);
        Assert.Equal("8e03978e-40d5-43e8-bc93-6894a57f9324", records[1].MessageAttributes["Idempotency-Key"].StringValue);
        Assert.Equal("arn:aws:sqs:us-east-1:123456789012:transactions.fifo", records[2].EventSourceArn);
    }

    [Fact]
    public void A_message_without_attributes_reads_as_one_with_none()
    {
        var sqsEvent = JsonSerializer.Deserialize(
            """{"Records":[{"messageId":"m-1","receiptHandle":"r-1","body":"{}"}]}""",
            LambdaJsonContext.Default.SqsEvent)!;

        var message = Assert.Single(sqsEvent.Records);
        Assert.Empty(message.Attributes);
        Assert.Empty(message.MessageAttributes);
        Assert.Null(message.MessageGroupId);
        Assert.Equal(0, message.ApproximateReceiveCount);
    }
}
