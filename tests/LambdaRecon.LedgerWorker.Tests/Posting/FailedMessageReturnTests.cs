using Amazon.SQS.Model;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Posting;
using static LambdaRecon.LedgerWorker.Tests.WorkerFixture;

namespace LambdaRecon.LedgerWorker.Tests.Posting;

/// <summary>What the function does with the messages it reports failed: they come again in seconds, without spending a receive.</summary>
public sealed class FailedMessageReturnTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 30)]
    [InlineData(3, 90)]
    [InlineData(4, 270)]
    [InlineData(6, 900)]
    [InlineData(50, 900)]
    public void The_delay_grows_threefold_with_each_receive_from_ten_seconds_up_to_fifteen_minutes(int receiveCount, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryDelay.After(receiveCount));
    }

    [Fact]
    public void A_queue_url_is_made_from_the_arn_on_the_configured_endpoint()
    {
        var url = FailedMessageReturn.QueueUrl(worker.Resources.Sqs, "arn:aws:sqs:eu-west-1:123456789012:stack-transactions.fifo");

        Assert.Equal(worker.Resources.Settings.SqsServiceUrl!.TrimEnd('/') + "/123456789012/stack-transactions.fifo", url);
    }

    [Fact]
    public async Task A_message_reported_failed_is_visible_again_after_ten_seconds_instead_of_its_visibility_timeout_and_no_receive_is_spent()
    {
        var queues = await worker.QueuesAsync();
        var arn = (await worker.Resources.Sqs.GetQueueAttributesAsync(queues.QueueUrl, ["QueueArn"])).QueueARN;
        await worker.Resources.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queues.QueueUrl, MessageBody = "not a transaction", MessageGroupId = "g", MessageDeduplicationId = "d",
        });
        var received = await ReceiveAsync(queues.QueueUrl, waitSeconds: 5);
        var record = Record(received.Body, "g") with { MessageId = received.MessageId, ReceiptHandle = received.ReceiptHandle, EventSourceArn = arn };
        var sqsEvent = new SqsEvent { Records = [record] };
        var response = await worker.Handler.HandleAsync(sqsEvent, CancellationToken.None);

        var delay = await new FailedMessageReturn(worker.Resources, worker.Logs.CreateLogger<FailedMessageReturn>()).ReturnSoonerAsync(sqsEvent, response);
        // Received with a visibility of 120 s: within 20 s only the change brings it back.
        var again = await ReceiveAsync(queues.QueueUrl, waitSeconds: 20);

        Assert.Equal(TimeSpan.FromSeconds(10), delay);
        Assert.Equal(received.MessageId, again.MessageId);
        Assert.Equal("2", again.Attributes["ApproximateReceiveCount"]);
    }

    private async Task<Message> ReceiveAsync(string queueUrl, int waitSeconds)
    {
        var messages = (await worker.Resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queueUrl,
            WaitTimeSeconds = waitSeconds,
            VisibilityTimeout = 120,
            MessageSystemAttributeNames = ["ApproximateReceiveCount"],
        })).Messages;
        return Assert.Single(messages ?? []);
    }
}
