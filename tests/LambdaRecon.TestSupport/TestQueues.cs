using Amazon.SQS;
using Amazon.SQS.Model;

namespace LambdaRecon.TestSupport;

/// <summary>
/// A FIFO queue and its DLQ of one test's own on the SQS emulator, shaped like transactions.fifo
/// (redrive after <paramref name="MaxReceiveCount"/> receives), and a FIFO queue in place of webhook-events.fifo,
/// so tests never see each other's messages.
/// </summary>
public sealed record TestQueues(string QueueUrl, string DlqUrl, int MaxReceiveCount, string WebhookQueueUrl)
{
    public static async Task<TestQueues> CreateAsync(IAmazonSQS sqs, int maxReceiveCount = 5)
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..20];
        var dlq = await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name + "-dlq.fifo",
            Attributes = new() { ["FifoQueue"] = "true" },
        });
        var dlqArn = (await sqs.GetQueueAttributesAsync(dlq.QueueUrl, ["QueueArn"])).QueueARN;
        var queue = await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name + ".fifo",
            Attributes = new()
            {
                ["FifoQueue"] = "true",
                ["VisibilityTimeout"] = "30",
                ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":{{maxReceiveCount}}}""",
            },
        });
        var webhooks = await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name + "-webhooks.fifo",
            Attributes = new() { ["FifoQueue"] = "true", ["VisibilityTimeout"] = "30" },
        });
        return new TestQueues(queue.QueueUrl, dlq.QueueUrl, maxReceiveCount, webhooks.QueueUrl);
    }
}
