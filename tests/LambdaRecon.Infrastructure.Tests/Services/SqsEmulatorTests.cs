using Amazon.SQS.Model;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Infrastructure.Tests.Services;

public sealed class SqsEmulatorTests : IAsyncLifetime
{
    private EngineResources _resources = null!;
    private TestQueues _queues = null!;

    public async Task InitializeAsync()
    {
        _resources = new EngineResources(TestEnvironment.Settings());
        _queues = await TestQueues.CreateAsync(_resources.Sqs, maxReceiveCount: 2);
    }

    public async Task DisposeAsync() => await _resources.DisposeAsync();

    private Task<SendMessageResponse> SendAsync(string body, string dedupId, string group = "account-123") =>
        _resources.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = _queues.QueueUrl,
            MessageBody = body,
            MessageGroupId = group,
            MessageDeduplicationId = dedupId,
        });

    private async Task<List<Message>> ReceiveAsync(string queueUrl, int visibilityTimeout = 30, int wait = 1, int max = 10) =>
        (await _resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queueUrl,
            MaxNumberOfMessages = max,
            WaitTimeSeconds = wait,
            VisibilityTimeout = visibilityTimeout,
        })).Messages ?? [];

    [Fact]
    public async Task A_message_is_sent_received_and_deleted_on_the_fifo_queue()
    {
        var sent = await SendAsync("{\"n\":1}", "tx-1");
        var received = Assert.Single(await ReceiveAsync(_queues.QueueUrl));
        await _resources.Sqs.DeleteMessageAsync(_queues.QueueUrl, received.ReceiptHandle);

        Assert.Equal(sent.MessageId, received.MessageId);
        Assert.Equal("{\"n\":1}", received.Body);
        Assert.Empty(await ReceiveAsync(_queues.QueueUrl, visibilityTimeout: 0));
    }

    [Fact]
    public async Task An_empty_receive_answers_with_no_messages_instead_of_failing()
    {
        Assert.Empty(await ReceiveAsync(_queues.QueueUrl, wait: 0));
    }

    [Fact]
    public async Task A_duplicate_deduplication_id_is_not_delivered_twice()
    {
        await SendAsync("first", "tx-dup");
        await SendAsync("second", "tx-dup");

        var received = await ReceiveAsync(_queues.QueueUrl);
        foreach (var message in received)
        {
            await _resources.Sqs.DeleteMessageAsync(_queues.QueueUrl, message.ReceiptHandle);
        }

        Assert.Equal("first", Assert.Single(received).Body);
        Assert.Empty(await ReceiveAsync(_queues.QueueUrl, visibilityTimeout: 0));
    }

    [Fact]
    public async Task A_repeat_of_a_delivered_message_with_other_attributes_is_answered_with_the_digests_of_what_it_sent()
    {
        // What a republish of a stuck transaction is: the same deduplication id, after the first was delivered
        // and deleted, with another RequestId. The SDK checks the digests it gets back against what it sent.
        var first = await SendWithRequestIdAsync("first");
        foreach (var message in await ReceiveAsync(_queues.QueueUrl))
        {
            await _resources.Sqs.DeleteMessageAsync(_queues.QueueUrl, message.ReceiptHandle);
        }

        var again = await SendWithRequestIdAsync("reconciliation:0f8e");

        Assert.Equal(first.MessageId, again.MessageId);
        Assert.NotEqual(first.MD5OfMessageAttributes, again.MD5OfMessageAttributes);
        Assert.Empty(await ReceiveAsync(_queues.QueueUrl, visibilityTimeout: 0));

        Task<SendMessageResponse> SendWithRequestIdAsync(string requestId) => _resources.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = _queues.QueueUrl,
            MessageBody = "{}",
            MessageGroupId = "account-123",
            MessageDeduplicationId = "tx-republished",
            MessageAttributes = new Dictionary<string, MessageAttributeValue> { ["RequestId"] = new() { DataType = "String", StringValue = requestId } },
        });
    }

    [Fact]
    public async Task A_message_received_more_than_max_receive_count_times_lands_in_the_dlq()
    {
        await SendAsync("poison", "tx-poison");

        // A receive of up to 10 with no visibility timeout counts one receive, as SQS does.
        for (var receive = 0; receive < _queues.MaxReceiveCount; receive++)
        {
            Assert.Equal("poison", Assert.Single(await ReceiveAsync(_queues.QueueUrl, visibilityTimeout: 0)).Body);
        }

        Assert.Empty(await ReceiveAsync(_queues.QueueUrl, visibilityTimeout: 0));
        Assert.Equal("poison", Assert.Single(await ReceiveAsync(_queues.DlqUrl)).Body);
    }

    [Fact]
    public async Task Changing_a_message_visibility_makes_it_visible_then_without_counting_a_receive()
    {
        await SendAsync("retried", "tx-retried");
        var first = Assert.Single(await ReceiveAsync(_queues.QueueUrl, visibilityTimeout: 60));

        await _resources.Sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
        {
            QueueUrl = _queues.QueueUrl,
            Entries = [new ChangeMessageVisibilityBatchRequestEntry { Id = "0", ReceiptHandle = first.ReceiptHandle, VisibilityTimeout = 1 }],
        });
        var again = (await _resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _queues.QueueUrl,
            WaitTimeSeconds = 5,
            VisibilityTimeout = 60,
            MessageSystemAttributeNames = ["ApproximateReceiveCount"],
        })).Messages;

        // Two receives in all, so (maxReceiveCount 2) the message is still on the queue and not in the DLQ.
        Assert.Equal("retried", Assert.Single(again).Body);
        Assert.Equal("2", again[0].Attributes["ApproximateReceiveCount"]);
    }

    [Fact]
    public async Task One_receive_takes_up_to_ten_messages_across_groups_each_group_in_its_order()
    {
        for (var i = 1; i <= 6; i++)
        {
            await SendAsync($"a{i}", $"tx-a{i}", group: "A");
            await SendAsync($"b{i}", $"tx-b{i}", group: "B");
        }

        var first = await ReceiveAsync(_queues.QueueUrl, wait: 0);
        var bodies = first.Select(m => m.Body).ToList();

        Assert.Equal(10, bodies.Count);
        Assert.Equal(bodies.Where(b => b[0] == 'a').Order(), bodies.Where(b => b[0] == 'a'));
        Assert.Equal(bodies.Where(b => b[0] == 'b').Order(), bodies.Where(b => b[0] == 'b'));
        // Both groups have messages in flight now: the two left wait for them.
        Assert.Empty(await ReceiveAsync(_queues.QueueUrl, wait: 0));
    }

    [Fact]
    public async Task A_group_with_a_message_in_flight_gives_nothing_until_it_is_deleted_while_other_groups_are_served()
    {
        await SendAsync("a1", "tx-a1", group: "A");
        await SendAsync("a2", "tx-a2", group: "A");
        var a1 = Assert.Single(await ReceiveAsync(_queues.QueueUrl, max: 1));
        await SendAsync("b1", "tx-b1", group: "B");

        Assert.Equal(["b1"], (await ReceiveAsync(_queues.QueueUrl, wait: 0)).Select(m => m.Body));
        Assert.Empty(await ReceiveAsync(_queues.QueueUrl, wait: 0));
        await _resources.Sqs.DeleteMessageAsync(_queues.QueueUrl, a1.ReceiptHandle);
        Assert.Equal(["a2"], (await ReceiveAsync(_queues.QueueUrl, wait: 0)).Select(m => m.Body));
    }

    [Fact]
    public async Task A_message_whose_visibility_runs_out_comes_again_before_the_later_ones_of_its_group()
    {
        await SendAsync("a1", "tx-a1", group: "A");
        Assert.Equal("a1", Assert.Single(await ReceiveAsync(_queues.QueueUrl, visibilityTimeout: 1)).Body);
        await SendAsync("a2", "tx-a2", group: "A");

        // Not deleted: after its visibility timeout a1 comes again, then a2 in the same reply, in order.
        var again = await ReceiveAsync(_queues.QueueUrl, wait: 5);

        Assert.Equal(["a1", "a2"], again.Select(m => m.Body));
    }

    [Fact]
    public async Task A_long_poll_answers_with_a_message_sent_while_it_waits()
    {
        var receiving = ReceiveAsync(_queues.QueueUrl, wait: 20);
        await SendAsync("late", "tx-late");

        Assert.Equal("late", Assert.Single(await receiving).Body);
    }
}
