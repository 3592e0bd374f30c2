using LambdaRecon.Lambda;

namespace LambdaRecon.LedgerWorker.Tests;

/// <summary>The handler Lambda calls, configured from the environment ./test.sh sets, on AWS's own sample event.</summary>
public sealed class FunctionTests
{
    private static readonly string FifoEvent = Path.Combine(AppContext.BaseDirectory, "Events", "sqs-fifo-event.json");

    [Fact]
    public async Task The_sample_fifo_event_has_no_transaction_message_so_every_record_is_reported_failed_in_order()
    {
        await using var input = File.OpenRead(FifoEvent);

        await using var output = await new Function().HandleAsync(input);
        var response = await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.SqsBatchResponse);

        Assert.Equal(
            ["2e1424d4-f796-459a-8184-9c92662be6da", "9f3c0a51-6b0e-4d3a-a7f2-4c1e8b2d5a60", "c5a8e1f2-0d3b-4e6a-9b7c-1f2e3d4c5b6a"],
            response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Fact]
    public async Task The_handler_and_its_connections_are_built_once_per_process()
    {
        foreach (var _ in Enumerable.Range(0, 3))
        {
            await using var input = File.OpenRead(FifoEvent);
            await using var output = await new Function().HandleAsync(input);
        }

        Assert.Equal(1, Function.Builds);
    }
}
