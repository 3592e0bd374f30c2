using Amazon.SQS.Model;
using LambdaRecon.Infrastructure;
using LambdaRecon.LedgerWorker.Local;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LambdaRecon.Local.Tests;

/// <summary>
/// What an operator does after a worker outage: a transaction whose message SQS gave up on (moved to the DLQ
/// after maxReceiveCount receives) is sent back with POST /queue/dlq/redrive, and the worker then posts it.
/// Every hop goes through the template's handler strings, on ./test.sh's shared transactions.fifo and its DLQ.
/// </summary>
[Collection(SharedQueueDefinition.Name)]
public class DeadLetterRedriveTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    [Fact]
    public async Task A_transaction_in_the_dlq_is_posted_once_after_a_redrive_through_the_api()
    {
        var p = "dlq" + Guid.NewGuid().ToString("N")[..10];
        var api = await ApiFunctionClient.CreateAsync();
        await api.OpenAccountAsync(p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(p + "-to");
        var accepted = await api.SendAsync("POST", "/api/v1/transactions", ApiFunctionClient.Transfer(p + "-from", p + "-to", "12.34", p + "-k"));
        Assert.Equal(202, accepted.StatusCode);
        var transactionId = accepted.Json.GetProperty("transactionId").GetString()!;
        await using var resources = new EngineResources(TestEnvironment.Settings());

        // A broken worker: it receives the message and never deletes it, until SQS moves it to the DLQ.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await PeekAsync(resources, resources.Settings.DlqUrl)).Any(m => m.Body.Contains(transactionId, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the message did not reach the DLQ within 30 s");
            await resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = resources.Settings.QueueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 0,
            });
        }

        var stuck = await api.SendAsync("GET", $"/api/v1/transactions/status/{p}-k");
        var redrive = await api.SendAsync("POST", "/api/v1/queue/dlq/redrive", "{}");
        var worker = new FunctionInvoker(Template.Function("LedgerWorkerFunction"));
        var poller = new SqsPoller(resources.Sqs, resources.Settings.QueueUrl, worker.HandleAsync, NullLogger<SqsPoller>.Instance) { WaitTimeSeconds = 1 };
        ApiFunctionResponse status = stuck;
        for (var poll = 0; poll < 20 && status.Json.GetProperty("status").GetString() == "ACCEPTED"; poll++)
        {
            await poller.PollOnceAsync(CancellationToken.None);
            status = await api.SendAsync("GET", $"/api/v1/transactions/status/{p}-k");
        }

        var balance = await api.SendAsync("GET", $"/api/v1/accounts/{p}-to/balance");

        Assert.Equal("ACCEPTED", stuck.Json.GetProperty("status").GetString());
        Assert.Equal(200, redrive.StatusCode);
        Assert.True(redrive.Json.GetProperty("moved").GetInt64() >= 1);
        Assert.Equal("POSTED", status.Json.GetProperty("status").GetString());
        Assert.Equal(2, status.Json.GetProperty("entries").GetArrayLength());
        Assert.Equal(1234, balance.Json.GetProperty("balance_minor").GetInt64());
        Assert.DoesNotContain(await PeekAsync(resources, resources.Settings.DlqUrl), m => m.Body.Contains(transactionId, StringComparison.Ordinal));
    }

    /// <summary>The queue's messages, looked at and left where they are (hidden for no time).</summary>
    private static async Task<List<Message>> PeekAsync(EngineResources resources, string queueUrl) =>
        (await resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 0, VisibilityTimeout = 0,
        })).Messages ?? [];
}
