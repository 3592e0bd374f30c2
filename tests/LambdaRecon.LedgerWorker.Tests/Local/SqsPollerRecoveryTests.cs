using System.Collections.Concurrent;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Health;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Local;

namespace LambdaRecon.LedgerWorker.Tests.Local;

/// <summary>
/// The poller outlives its queue: a queue deleted and created again under it (what a restarted emulator is to
/// it: the same URL, none of the old messages) costs a few failed polls, not a FIFO group stalled for good.
/// </summary>
public sealed class SqsPollerRecoveryTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task After_its_queue_is_created_anew_the_poller_forgets_the_lost_message_its_group_waited_for_and_hands_on_the_next()
    {
        var sqs = worker.Resources.Sqs;
        var name = "t" + Guid.NewGuid().ToString("N")[..20] + ".fifo";
        var attributes = new Dictionary<string, string> { ["FifoQueue"] = "true", ["VisibilityTimeout"] = "30" };
        var queueUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes })).QueueUrl;
        var handed = new ConcurrentQueue<string>();
        // The first message fails, so the FIFO gate waits for it to come again: then it is lost with its queue.
        async Task<Stream> FunctionAsync(Stream input)
        {
            var sqsEvent = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent);
            foreach (var record in sqsEvent.Records)
            {
                handed.Enqueue(record.Body);
            }

            var failed = sqsEvent.Records.Where(r => r.Body == "first").Select(r => new SqsBatchItemFailure(r.MessageId)).ToArray();
            return LambdaPayload.Write(new SqsBatchResponse { BatchItemFailures = failed }, LambdaJsonContext.Default.SqsBatchResponse);
        }

        var heartbeat = new WorkerHeartbeat(TimeProvider.System);
        var poller = new SqsPoller(sqs, queueUrl, FunctionAsync, worker.Logs.CreateLogger<SqsPoller>()) { WaitTimeSeconds = 1, Heartbeat = heartbeat };
        using var stop = new CancellationTokenSource();
        var polling = poller.RunAsync(stop.Token);
        try
        {
            await SendAsync(queueUrl, "first");
            await WaitForAsync(() => handed.Contains("first"), TimeSpan.FromSeconds(10));

            await sqs.DeleteQueueAsync(queueUrl);
            // The emulator's CreatedTimestamp counts whole seconds.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes });
            await SendAsync(queueUrl, "second");

            // "first" would come again after 10 s (RetryDelay), and the gate would wait 30 s more for it. The poller
            // says it works again once that poll is over, after the function was handed "second".
            await WaitForAsync(
                () => handed.Contains("second") && worker.Logs.Entries.Any(e => e.Message.StartsWith("Polling " + queueUrl + " works again", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(8));
        }
        finally
        {
            await stop.CancelAsync();
            await polling;
            await sqs.DeleteQueueAsync(queueUrl);
        }

        Assert.Contains(worker.Logs.Entries, e => e.Message.Contains("was created anew", StringComparison.Ordinal) && e.Message.Contains("the 1 message(s)", StringComparison.Ordinal));
        Assert.Contains("not running (stopped)", heartbeat.Problem(), StringComparison.Ordinal);
    }

    private Task<SendMessageResponse> SendAsync(string queueUrl, string body) => worker.Resources.Sqs.SendMessageAsync(new SendMessageRequest
    {
        QueueUrl = queueUrl, MessageBody = body, MessageGroupId = "A", MessageDeduplicationId = Guid.NewGuid().ToString("N"),
    });

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {within.TotalSeconds} s");
            await Task.Delay(100);
        }
    }
}
