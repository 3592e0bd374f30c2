using System.Text.Json;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.Lambda.Tests.Events;

namespace LambdaRecon.Lambda.Tests.Sqs;

public class SqsBatchResponseTests
{
    [Fact]
    public void The_sample_batch_response_names_the_failed_messages()
    {
        var response = EventFiles.Deserialize("sqs-batch-response.json", LambdaJsonContext.Default.SqsBatchResponse);

        Assert.Equal(["MessageID_1", "MessageID_2"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Fact]
    public void A_batch_response_is_written_in_the_shape_Lambda_reads()
    {
        var response = new SqsBatchResponse { BatchItemFailures = [new("m-2"), new("m-5")] };

        var json = JsonSerializer.Serialize(response, LambdaJsonContext.Default.SqsBatchResponse);

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-5"}]}""", json);
    }

    [Fact]
    public void A_batch_where_everything_succeeded_writes_an_empty_failure_list()
    {
        var json = JsonSerializer.Serialize(
            new SqsBatchResponse { BatchItemFailures = [] }, LambdaJsonContext.Default.SqsBatchResponse);

        Assert.Equal("""{"batchItemFailures":[]}""", json);
    }
}
