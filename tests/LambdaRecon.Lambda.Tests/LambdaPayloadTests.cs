using System.Text;
using System.Text.Json;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.Lambda.Tests.Events;

namespace LambdaRecon.Lambda.Tests;

public class LambdaPayloadTests
{
    [Fact]
    public async Task An_event_is_read_from_the_stream_the_runtime_hands_over()
    {
        await using var input = File.OpenRead(Path.Combine(EventFiles.Directory, "sqs-fifo-event.json"));

        var sqsEvent = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent);

        Assert.Equal(3, sqsEvent.Records.Count);
    }

    [Fact]
    public async Task A_null_event_is_refused()
    {
        using var input = new MemoryStream("null"u8.ToArray());

        await Assert.ThrowsAsync<JsonException>(
            async () => await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent));
    }

    [Fact]
    public async Task A_message_missing_a_field_the_worker_needs_is_refused()
    {
        using var input = new MemoryStream("""{"Records":[{"messageId":"m-1","receiptHandle":"r"}]}"""u8.ToArray());

        var error = await Assert.ThrowsAsync<JsonException>(
            async () => await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent));

        Assert.Contains("body", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_response_is_written_to_a_stream_positioned_at_its_start()
    {
        var response = new SqsBatchResponse { BatchItemFailures = [new("m-3")] };

        await using var output = LambdaPayload.Write(response, LambdaJsonContext.Default.SqsBatchResponse);

        Assert.Equal(0, output.Position);
        using var reader = new StreamReader(output, Encoding.UTF8);
        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m-3"}]}""", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task What_is_written_reads_back_as_the_same_response()
    {
        var response = new SqsBatchResponse { BatchItemFailures = [new("m-1"), new("m-9")] };

        await using var output = LambdaPayload.Write(response, LambdaJsonContext.Default.SqsBatchResponse);
        var read = await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.SqsBatchResponse);

        Assert.Equal(response.BatchItemFailures, read.BatchItemFailures);
    }
}
