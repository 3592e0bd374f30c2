using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Infrastructure.Tests.Queue;

public sealed class DeadLetterRedriveTests : IAsyncLifetime
{
    private EngineResources _resources = null!;

    public Task InitializeAsync()
    {
        _resources = new EngineResources(TestEnvironment.Settings());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _resources.DisposeAsync();

    /// <summary>Queues whose DLQ holds the given bodies (group, body), put there by the redrive policy after one failed receive each.</summary>
    private async Task<TestQueues> DeadLettersAsync(params (string Group, string Body)[] messages)
    {
        var queues = await TestQueues.CreateAsync(_resources.Sqs, maxReceiveCount: 1);
        foreach (var (group, body) in messages)
        {
            await _resources.Sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = queues.QueueUrl,
                MessageBody = body,
                MessageGroupId = group,
                MessageDeduplicationId = Guid.NewGuid().ToString("N"),
            });
        }

        // One message per receive, hidden for no time: each is in the DLQ as soon as it was received once.
        foreach (var _ in messages)
        {
            Assert.Single((await ReceiveAsync(queues.QueueUrl, max: 1, visibilityTimeout: 0)).Messages);
        }

        await WaitUntilAsync(async () => (await CountAsync(queues.DlqUrl)) == messages.Length);
        return queues;
    }

    private Task<ReceiveMessageResponse> ReceiveAsync(string url, int max = 10, int visibilityTimeout = 30) =>
        _resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = url,
            MaxNumberOfMessages = max,
            WaitTimeSeconds = 1,
            VisibilityTimeout = visibilityTimeout,
            MessageSystemAttributeNames = ["MessageGroupId"],
        });

    private async Task<int> CountAsync(string url)
    {
        var attributes = await _resources.Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        return attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(50);
        }
    }

    private async Task<List<(string Group, string Body)>> MainQueueAsync(TestQueues queues) =>
        (await ReceiveAsync(queues.QueueUrl)).Messages?.Select(m => (m.Attributes["MessageGroupId"], m.Body)).ToList() ?? [];

    private static readonly (string, string)[] Letters = [("A", "a1"), ("B", "b1"), ("A", "a2")];

    [Fact]
    public async Task Redrive_moves_every_dead_letter_back_to_the_queue_in_its_group_and_order_with_the_servers_move_task()
    {
        var queues = await DeadLettersAsync(Letters);

        var result = await new DeadLetterRedrive(_resources.Sqs, queues.DlqUrl, queues.QueueUrl).RedriveAsync(CancellationToken.None);

        Assert.Equal(new RedriveResult(Moved: 3, ByMoveTask: true), result);
        Assert.Equal(0, await CountAsync(queues.DlqUrl));
        Assert.Equal(Letters, await MainQueueAsync(queues));
    }

    [Fact]
    public async Task Receive_and_send_moves_every_dead_letter_back_in_its_group_and_order_for_servers_without_move_tasks()
    {
        var queues = await DeadLettersAsync(Letters);

        var moved = await new DeadLetterRedrive(_resources.Sqs, queues.DlqUrl, queues.QueueUrl).ReceiveAndSendAsync(CancellationToken.None);

        Assert.Equal(3, moved);
        Assert.Equal(0, await CountAsync(queues.DlqUrl));
        Assert.Equal(Letters, await MainQueueAsync(queues));
    }

    [Fact]
    public async Task Redriving_an_empty_dlq_moves_nothing()
    {
        var queues = await DeadLettersAsync();

        var result = await new DeadLetterRedrive(_resources.Sqs, queues.DlqUrl, queues.QueueUrl).RedriveAsync(CancellationToken.None);

        Assert.Equal(0, result.Moved);
        Assert.Equal(0, await CountAsync(queues.QueueUrl));
    }
}
