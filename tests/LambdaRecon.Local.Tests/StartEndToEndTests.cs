using LambdaRecon.Infrastructure;
using LambdaRecon.LedgerWorker.Local;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LambdaRecon.Local.Tests;

/// <summary>
/// What `start` wires together, in process, with every hop through a Stream entry point: ApiFunction takes
/// the transfer and queues it on QUEUE_URL, the runner's SqsPoller hands the batch to LedgerWorkerFunction as
/// an SQS event, and ApiFunction reads the outcome back.
/// </summary>
[Collection(SharedQueueDefinition.Name)]
public class StartEndToEndTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    [Fact]
    public async Task A_transfer_posted_to_the_api_function_is_posted_by_the_worker_function_and_polls_as_posted_with_its_entries()
    {
        var p = "e2e" + Guid.NewGuid().ToString("N")[..10];
        var api = await ApiFunctionClient.CreateAsync();
        await api.OpenAccountAsync(p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(p + "-to");
        var accepted = await api.SendAsync("POST", "/api/v1/transactions", ApiFunctionClient.Transfer(p + "-from", p + "-to", "70.00", p + "-k"));
        Assert.Equal(202, accepted.StatusCode);

        // The functions read QUEUE_URL once per process, so this is ./test.sh's shared transactions.fifo: the
        // poller may also post what other tests of the collection left there, which is what `start` would do.
        await using var resources = new EngineResources(TestEnvironment.Settings());
        var worker = new FunctionInvoker(Template.Function("LedgerWorkerFunction"));
        var poller = new SqsPoller(resources.Sqs, resources.Settings.QueueUrl, worker.HandleAsync, NullLogger<SqsPoller>.Instance)
        {
            WaitTimeSeconds = 1,
        };
        ApiFunctionResponse status = null!;
        for (var poll = 0; poll < 20; poll++)
        {
            await poller.PollOnceAsync(CancellationToken.None);
            status = await api.SendAsync("GET", $"/api/v1/transactions/status/{p}-k");
            if (status.Json.GetProperty("status").GetString() != "ACCEPTED")
            {
                break;
            }
        }

        var balance = await api.SendAsync("GET", $"/api/v1/accounts/{p}-to/balance");
        Assert.Equal(200, status.StatusCode);
        Assert.Equal("POSTED", status.Json.GetProperty("status").GetString());
        Assert.Equal(
            [(p + "-from", "-70.00"), (p + "-to", "70.00")],
            status.Json.GetProperty("entries").EnumerateArray()
                .Select(e => (e.GetProperty("account_id").GetString(), e.GetProperty("amount").GetString())));
        Assert.Equal(7000, balance.Json.GetProperty("balance_minor").GetInt64());
    }
}
