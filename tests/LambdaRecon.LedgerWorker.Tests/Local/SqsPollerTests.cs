using System.Text.Json;
using Amazon.SQS.Model;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Local;
using LambdaRecon.TestSupport;
using static LambdaRecon.LedgerWorker.Tests.WorkerFixture;

namespace LambdaRecon.LedgerWorker.Tests.Local;

/// <summary>The worker fed by real receives from a queue of the test's own on the SQS emulator, through the local poller.</summary>
public sealed class SqsPollerTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private readonly string _p = Prefix();

    private async Task<string> PublishAsync(TestQueues queues, TransactionRecord transaction) =>
        await new TransactionPublisher(worker.Resources.Sqs, queues.QueueUrl).PublishAsync(TransactionMessage.From(transaction), "test", CancellationToken.None);

    private Task<SendMessageResponse> SendRawAsync(TestQueues queues, string body, string group) =>
        worker.Resources.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queues.QueueUrl,
            MessageBody = body,
            MessageGroupId = group,
            MessageDeduplicationId = Guid.NewGuid().ToString("N"),
        });

    /// <summary>Wraps a function to keep every event it was handed and every response it gave.</summary>
    private sealed class Recorder(Func<Stream, Task<Stream>> function)
    {
        public List<(SqsEvent Event, string Json, IReadOnlyList<string> Failed)> Calls { get; } = [];

        public async Task<Stream> InvokeAsync(Stream input)
        {
            var json = await new StreamReader(input).ReadToEndAsync();
            var output = await function(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
            var response = await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.SqsBatchResponse);
            Calls.Add((JsonSerializer.Deserialize(json, LambdaJsonContext.Default.SqsEvent)!, json, response.BatchItemFailures.Select(f => f.ItemIdentifier).ToList()));
            return LambdaPayload.Write(response, LambdaJsonContext.Default.SqsBatchResponse);
        }
    }

    [Fact]
    public async Task A_transaction_recorded_as_accepted_and_published_is_received_posted_and_deleted()
    {
        var queues = await worker.QueuesAsync();
        var alice = await worker.FundedAsync(_p + "-alice", 10_000);
        var bob = await worker.OpenAsync(_p + "-bob");
        var transfer = Transfer(alice, bob, 2_500);
        // As the API does: the transaction is ACCEPTED in PostgreSQL, then published.
        await worker.Database.ExecuteAsync(
            $"""
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id)
            VALUES ('{transfer.Id}', 'transfer', {transfer.Amount}, 'USD', '{alice}', '{bob}')
            """);
        var messageId = await PublishAsync(queues, transfer);
        await worker.Database.ExecuteAsync($"UPDATE transactions SET message_id = '{messageId}', published_at = now() WHERE id = '{transfer.Id}'");

        var result = await worker.Poller(queues, worker.FunctionAsync).PollOnceAsync(CancellationToken.None);

        Assert.Equal(new PollResult(Received: 1, Invoked: 1, Deleted: 1, HeldBack: 0), result);
        Assert.Equal("POSTED", await worker.StatusAsync(transfer.Id));
        Assert.True(await worker.Database.ScalarAsync<bool>($"SELECT posted_at >= published_at FROM transactions WHERE id = '{transfer.Id}'"));
        Assert.Equal((7_500, 2_500), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob)));
        Assert.Equal(0, await worker.MessagesLeftAsync(queues.QueueUrl));
    }

    [Fact]
    public async Task The_function_gets_the_event_lambda_would_send_and_only_the_messages_it_reports_failed_come_again()
    {
        var queues = await worker.QueuesAsync();
        var first = await SendRawAsync(queues, "first", "group-1");
        var second = await SendRawAsync(queues, "second", "group-1");
        var recorder = new Recorder(_ => Task.FromResult(LambdaPayload.Write(
            new SqsBatchResponse { BatchItemFailures = [new SqsBatchItemFailure(second.MessageId)] }, LambdaJsonContext.Default.SqsBatchResponse)));
        var poller = worker.Poller(queues, recorder.InvokeAsync);

        await poller.PollOnceAsync(CancellationToken.None);
        await poller.PollOnceAsync(CancellationToken.None);

        var json = JsonDocument.Parse(recorder.Calls[0].Json).RootElement.GetProperty("Records");
        var record = json[0];
        Assert.Equal(first.MessageId, record.GetProperty("messageId").GetString());
        Assert.Equal("first", record.GetProperty("body").GetString());
        Assert.False(string.IsNullOrEmpty(record.GetProperty("receiptHandle").GetString()));
        Assert.Equal("aws:sqs", record.GetProperty("eventSource").GetString());
        Assert.EndsWith(":" + queues.QueueUrl.Split('/')[^1], record.GetProperty("eventSourceARN").GetString(), StringComparison.Ordinal);
        Assert.Equal(TestEnvironment.Require("AWS_REGION"), record.GetProperty("awsRegion").GetString());
        var attributes = record.GetProperty("attributes");
        Assert.Equal("group-1", attributes.GetProperty("MessageGroupId").GetString());
        Assert.False(string.IsNullOrEmpty(attributes.GetProperty("MessageDeduplicationId").GetString()));
        Assert.False(string.IsNullOrEmpty(attributes.GetProperty("SequenceNumber").GetString()));
        Assert.Equal("1", attributes.GetProperty("ApproximateReceiveCount").GetString());
        Assert.Equal([first.MessageId, second.MessageId], recorder.Calls[0].Event.Records.Select(r => r.MessageId));
        var redelivered = Assert.Single(recorder.Calls[1].Event.Records);
        Assert.Equal((second.MessageId, 2), (redelivered.MessageId, redelivered.ApproximateReceiveCount));
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task The_failures_a_function_reports_count_only_with_ReportBatchItemFailures(bool reportBatchItemFailures, int left)
    {
        var queues = await worker.QueuesAsync();
        var failed = (await SendRawAsync(queues, "one", "group-1")).MessageId;
        await SendRawAsync(queues, "two", "group-2");
        Task<Stream> ReportsOneFailed(Stream input) => Task.FromResult<Stream>(LambdaPayload.Write(
            new SqsBatchResponse { BatchItemFailures = [new SqsBatchItemFailure(failed)] }, LambdaJsonContext.Default.SqsBatchResponse));

        var result = await new SqsPoller(worker.Resources.Sqs, queues.QueueUrl, ReportsOneFailed, worker.Logs.CreateLogger<SqsPoller>())
        {
            VisibilityTimeout = 1, WaitTimeSeconds = 2, ReportBatchItemFailures = reportBatchItemFailures,
        }.PollOnceAsync(CancellationToken.None);

        Assert.Equal(2 - left, result.Deleted);
        Assert.Equal(left, await worker.MessagesLeftAsync(queues.QueueUrl));
    }

    [Fact]
    public async Task A_function_that_throws_fails_its_whole_batch_and_nothing_is_deleted()
    {
        var queues = await worker.QueuesAsync();
        await SendRawAsync(queues, "one", "group-1");
        await SendRawAsync(queues, "two", "group-2");

        var result = await worker.Poller(queues, _ => throw new InvalidOperationException("crash"))
            .PollOnceAsync(CancellationToken.None);

        Assert.Equal(new PollResult(Received: 2, Invoked: 2, Deleted: 0, HeldBack: 0), result);
        Assert.Equal(2, await worker.MessagesLeftAsync(queues.QueueUrl));
    }

    [Fact]
    public async Task A_message_sent_after_a_failed_one_of_its_group_waits_for_it()
    {
        var queues = await worker.QueuesAsync();
        var a1 = await SendRawAsync(queues, "a1", "A");
        var failedOnce = false;
        var recorder = new Recorder(input =>
        {
            var failures = failedOnce ? [] : new[] { new SqsBatchItemFailure(a1.MessageId) };
            failedOnce = true;
            return Task.FromResult(LambdaPayload.Write(new SqsBatchResponse { BatchItemFailures = failures }, LambdaJsonContext.Default.SqsBatchResponse));
        });
        var poller = worker.Poller(queues, recorder.InvokeAsync);
        await poller.PollOnceAsync(CancellationToken.None);
        await SendRawAsync(queues, "a2", "A");
        await SendRawAsync(queues, "b1", "B");

        await worker.DrainAsync(poller, queues);

        var handed = recorder.Calls.SelectMany(c => c.Event.Records).Select(r => r.Body).ToList();
        Assert.Equal(["a1", "a1", "a2"], handed.Where(b => b != "b1"));
        Assert.Single(handed, "b1");
        Assert.True(handed.IndexOf("b1") < handed.LastIndexOf("a1"), "group B does not wait for group A");
    }

    [Fact]
    public async Task Several_batches_run_at_once_across_groups_while_each_group_is_in_one_batch_at_a_time_and_in_order()
    {
        var queues = await worker.QueuesAsync();
        for (var i = 1; i <= 15; i++)
        {
            await SendRawAsync(queues, $"a{i:00}", "A");
        }

        await SendRawAsync(queues, "b01", "B");
        var batchOfB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batchOfA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = new HashSet<string>();
        var overlaps = new List<string>();
        var handed = new List<(string Group, string Body)>();
        var lockObject = new Lock();
        var bWhileA = false;
        var poller = new SqsPoller(worker.Resources.Sqs, queues.QueueUrl, async input =>
        {
            var records = JsonSerializer.Deserialize(input, LambdaJsonContext.Default.SqsEvent)!.Records;
            var groups = records.Select(r => r.Attributes["MessageGroupId"]).Distinct().ToList();
            lock (lockObject)
            {
                overlaps.AddRange(groups.Where(g => !inFlight.Add(g)));
                handed.AddRange(records.Select(r => (r.Attributes["MessageGroupId"], r.Body)));
            }

            if (groups.Contains("B"))
            {
                // B's batch may be handed over a moment before A's first: it waits for A's to begin (with one
                // batch at a time that never happens, and the check below fails).
                await Task.WhenAny(batchOfA.Task, Task.Delay(TimeSpan.FromSeconds(10)));
                lock (lockObject)
                {
                    bWhileA |= inFlight.Contains("A");
                }

                batchOfB.TrySetResult();
            }
            else
            {
                batchOfA.TrySetResult();
                // The first batch (a01..a10) waits for B's: with one batch at a time it never comes.
                await batchOfB.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }

            lock (lockObject)
            {
                inFlight.ExceptWith(groups);
            }

            return LambdaPayload.Write(new SqsBatchResponse { BatchItemFailures = [] }, LambdaJsonContext.Default.SqsBatchResponse);
        }, worker.Logs.CreateLogger<SqsPoller>()) { WaitTimeSeconds = 1, Concurrency = 3 };
        using var stop = new CancellationTokenSource();
        var running = poller.RunAsync(stop.Token);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await worker.MessagesLeftAsync(queues.QueueUrl) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await running;
        Assert.True(bWhileA, "group B's batch ran while group A's first was in flight");
        Assert.Empty(overlaps);
        Assert.Equal(Enumerable.Range(1, 15).Select(i => $"a{i:00}"), handed.Where(h => h.Group == "A").Select(h => h.Body));
        Assert.Equal(0, await worker.MessagesLeftAsync(queues.QueueUrl));
    }

    [Fact]
    public async Task A_poison_message_is_reported_failed_on_every_delivery_and_ends_in_the_dlq_while_other_groups_in_its_batches_post()
    {
        var queues = await worker.QueuesAsync(maxReceiveCount: 3);
        var alice = await worker.FundedAsync(_p + "-alice", 10_000);
        var bob = await worker.FundedAsync(_p + "-bob", 10_000);
        var carol = await worker.OpenAsync(_p + "-carol");
        var a1 = Transfer(alice, carol, 100);
        var b1 = Transfer(bob, carol, 1_000);
        var a2 = Transfer(alice, carol, 200);
        var b2 = Transfer(bob, carol, 2_000);
        await PublishAsync(queues, a1);
        await PublishAsync(queues, b1);
        var poison = (await SendRawAsync(queues, "{\"transaction_id\":", alice)).MessageId;
        await PublishAsync(queues, a2);
        await PublishAsync(queues, b2);
        var recorder = new Recorder(worker.FunctionAsync);
        var poller = worker.Poller(queues, recorder.InvokeAsync);

        await worker.DrainAsync(poller, queues);

        var deliveries = recorder.Calls.Where(c => c.Event.Records.Any(r => r.MessageId == poison)).ToList();
        Assert.Equal(queues.MaxReceiveCount, deliveries.Count);
        Assert.All(deliveries, d => Assert.Contains(poison, d.Failed));
        var statuses = await Task.WhenAll(new[] { a1, b1, b2 }.Select(t => worker.StatusAsync(t.Id)));
        Assert.Equal(["POSTED", "POSTED", "POSTED"], statuses.AsEnumerable());
        Assert.Equal((9_900, 7_000), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob)));
        // Behind the poison in its group, a2 shared each of its batches, and its fate: FIFO order is kept,
        // and DeadLetterRedrive brings it back once the poison is dealt with.
        Assert.Null(await worker.StatusAsync(a2.Id));
        var dead = (await worker.Resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queues.DlqUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 })).Messages;
        Assert.Equal(["{\"transaction_id\":", TransactionMessage.From(a2).ToJson()], dead.Select(m => m.Body));
    }

    [Fact]
    public async Task PostgreSQL_unreachable_for_one_batch_fails_it_whole_and_the_redelivery_posts_each_transfer_once()
    {
        var queues = await worker.QueuesAsync();
        var alice = await worker.FundedAsync(_p + "-alice", 1_000);
        var bob = await worker.FundedAsync(_p + "-bob", 1_000);
        var carol = await worker.OpenAsync(_p + "-carol");
        var transfers = new[] { Transfer(alice, carol, 300), Transfer(bob, carol, 400), Transfer(alice, bob, 700) };
        foreach (var transfer in transfers)
        {
            await PublishAsync(queues, transfer);
        }

        var calls = 0;
        var recorder = new Recorder(input => Interlocked.Increment(ref calls) == 1
            ? worker.UnreachableHandler.HandleAsync(input, CancellationToken.None)
            : worker.FunctionAsync(input));
        var poller = worker.Poller(queues, recorder.InvokeAsync);
        await worker.DrainAsync(poller, queues);

        Assert.Equal(recorder.Calls[0].Event.Records.Select(r => r.MessageId), recorder.Calls[0].Failed);
        Assert.Equal(3, recorder.Calls[0].Failed.Count);
        Assert.All(recorder.Calls.Skip(1), c => Assert.Empty(c.Failed));
        var entries = await Task.WhenAll(transfers.Select(t => worker.EntryCountAsync(t.Id)));
        Assert.Equal([2L, 2L, 2L], entries);
        Assert.Equal((0, 1_300, 700), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob), await worker.BalanceAsync(carol)));
    }
}
