using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Health;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Posting;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.LedgerWorker.Local;

/// <summary>What one receive did: how many messages came, went to the function, were deleted, were held back.</summary>
public sealed record PollResult(int Received, int Invoked, int Deleted, int HeldBack);

/// <summary>
/// The local runner's stand-in for Lambda's SQS event source mapping: long-polls the queue, hands each
/// batch to the function as the SQS event JSON Lambda would send, deletes the messages the function did
/// not report failed and leaves the failed ones to come again after their visibility timeout (then to the
/// DLQ, by the queue's redrive policy). Up to <see cref="Concurrency"/> batches run at once, as the mapping
/// scales out across a FIFO queue's message groups: each lane receives, invokes and deletes in turn, and the
/// queue hands out nothing of a group while a batch holding it is in flight, so a group is in one batch at a
/// time and keeps its order (the FIFO gate keeps it too against a server that does not lock groups).
/// </summary>
/// <remarks>
/// It outlives its queue server: when a call fails (the emulator stopped) it logs, waits (1 s, doubling to
/// 15 s) and tries again, and once the server answers it asks whether the queue is the one it knew. A queue
/// created anew (the emulator restarted, with every message lost) clears what the FIFO gate was waiting for;
/// the sweep republishes the transactions those messages carried.
/// </remarks>
public sealed partial class SqsPoller(IAmazonSQS sqs, string queueUrl, Func<Stream, Task<Stream>> function, ILogger<SqsPoller> logger)
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(15);

    private readonly Lock _describeLock = new();
    private Task<QueueFacts>? _describing;
    private QueueFacts? _queue;
    private volatile bool _checkQueue;

    /// <summary>Messages per batch, 1 to 10: the event source mapping's BatchSize for a FIFO queue.</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>
    /// Batches at once, at least 1: the event source mapping's ScalingConfig.MaximumConcurrency. Each lane
    /// waits for its batch before it receives again, so this also bounds the function's concurrent invocations.
    /// </summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>
    /// Four batches at once, for a poller whose template sets no ScalingConfig: locally it keeps up with the API
    /// at 16 clients as well as ten do (docs/benchmarks.md, issue 14), with fewer connections from the pool.
    /// </summary>
    public const int DefaultConcurrency = 4;

    /// <summary>Long polling, 0 to 20 seconds, as the event source mapping does.</summary>
    public int WaitTimeSeconds { get; init; } = 20;

    /// <summary>How long a received message stays hidden; null for the queue's own VisibilityTimeout.</summary>
    public int? VisibilityTimeout { get; init; }

    /// <summary>
    /// The event source mapping's FunctionResponseTypes holds ReportBatchItemFailures: the response names the
    /// messages to retry. Without it Lambda ignores the response, and a batch that returns is done whole.
    /// </summary>
    public bool ReportBatchItemFailures { get; init; } = true;

    /// <summary>Told of each poll, for /ready; null when nobody asks.</summary>
    public WorkerHeartbeat? Heartbeat { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Polls with <see cref="Concurrency"/> lanes until cancelled. A failed poll (the queue unreachable) is logged
    /// and tried again by its lane after a growing pause.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Concurrency, 1);
        Heartbeat?.Started();
        var stopped = "stopped";
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(() => LaneAsync(cancellationToken), CancellationToken.None)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped. A batch cut short is not deleted: it comes again after its visibility timeout.
        }
        catch (Exception e)
        {
            stopped = $"ended by {e.GetType().Name}: {e.Message}";
            throw;
        }
        finally
        {
            Heartbeat?.Stopped(stopped);
        }
    }

    private async Task LaneAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var failingSince = DateTimeOffset.MinValue;
        while (true)
        {
            try
            {
                var result = await PollOnceAsync(cancellationToken);
                if (failures > 0)
                {
                    Log.Recovered(logger, queueUrl, failures, (Time.GetUtcNow() - failingSince).TotalSeconds);
                    failures = 0;
                }

                if (result.Received > 0)
                {
                    Log.Polled(logger, result.Received, result.Invoked, result.Deleted, result.HeldBack);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    failingSince = Time.GetUtcNow();
                }

                // Doubling from 1 s to 15 s: a server that is back is found within 15 s, and one that stays
                // down costs a log line per pause, not a busy loop.
                var pause = TimeSpan.FromTicks(Math.Min(LongestPause.Ticks, FirstPause.Ticks << Math.Min(failures - 1, 4)));
                Log.PollFailed(logger, e, queueUrl, failures, pause.TotalSeconds);
                Heartbeat?.Failed(e);
                _checkQueue = true;
                await Task.Delay(pause, Time, cancellationToken);
            }
        }
    }

    /// <summary>One receive, one invocation of the function with what may go to it, one delete of what succeeded.</summary>
    public async Task<PollResult> PollOnceAsync(CancellationToken cancellationToken)
    {
        var queue = await QueueAsync(cancellationToken);
        var visibility = TimeSpan.FromSeconds(VisibilityTimeout ?? queue.VisibilityTimeout);
        var received = (await sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = BatchSize,
                WaitTimeSeconds = WaitTimeSeconds,
                VisibilityTimeout = VisibilityTimeout,
                // MessageGroupId, MessageDeduplicationId, SequenceNumber, ApproximateReceiveCount…: what Lambda puts in each record.
                MessageSystemAttributeNames = ["All"],
                MessageAttributeNames = ["All"],
            },
            cancellationToken)).Messages ?? [];
        if (received.Count == 0)
        {
            Heartbeat?.Polled(0, 0, queue.Gate.Waiting);
            return new PollResult(0, 0, 0, 0);
        }

        var admission = queue.Gate.Admit(received, visibility);
        await HoldBackAsync(admission.HeldBack, queue.Gate, cancellationToken);
        var admitted = admission.Admitted;
        if (admitted.Count == 0)
        {
            // A message forgotten here (gone, or on its last receive) may free its group.
            await ChangeVisibilityAsync(queue.Gate.Release().Select(m => (m, TimeSpan.Zero)).ToList(), cancellationToken);
            Heartbeat?.Polled(received.Count, 0, queue.Gate.Waiting);
            return new PollResult(received.Count, 0, 0, received.Count);
        }

        var failedIds = await InvokeAsync(admitted, queue, cancellationToken);
        var failed = admitted.Where(m => failedIds.Contains(m.MessageId)).ToList();
        var succeeded = admitted.Where(m => !failedIds.Contains(m.MessageId)).ToList();
        // What succeeded is done for the gate whether or not its delete goes through: the ledger holds its
        // outcome, and a redelivery only reports it again. So a delete cut short by a server that went away
        // never leaves its group waiting.
        queue.Gate.Settle(succeeded, failed);
        await RetrySoonerAsync(failed, visibility, queue.Gate, cancellationToken);
        // Held-back messages whose group is free again come at once, in their order, with the next receive.
        await ChangeVisibilityAsync(queue.Gate.Release().Select(m => (m, TimeSpan.Zero)).ToList(), cancellationToken);
        var deleted = await DeleteAsync(succeeded, cancellationToken);
        Heartbeat?.Polled(received.Count, deleted.Count, queue.Gate.Waiting);
        return new PollResult(received.Count, admitted.Count, deleted.Count, received.Count - admitted.Count);
    }

    // The function made its failed messages visible again after RetryDelay (FailedMessageReturn), as it does on
    // AWS; the poller does the same, so that a crashed invocation gets it too, and so that the gate knows when
    // each failed message is due (a shorter visibility given to the receive stays the shorter).
    private async Task RetrySoonerAsync(List<Message> failed, TimeSpan visibility, FifoOrderGate gate, CancellationToken cancellationToken)
    {
        if (failed.Count == 0)
        {
            return;
        }

        var retryIn = RetryDelay.After(failed.Max(ReceiveCount));
        retryIn = retryIn < visibility ? retryIn : visibility;
        var changed = await ChangeVisibilityAsync(failed.Select(m => (m, retryIn)).ToList(), cancellationToken);
        foreach (var message in failed.Where(m => changed.Contains(m.MessageId)))
        {
            gate.ComesAgainIn(message, retryIn);
        }
    }

    private static int ReceiveCount(Message message) =>
        message.Attributes?.TryGetValue("ApproximateReceiveCount", out var count) == true
        && int.TryParse(count, CultureInfo.InvariantCulture, out var n) ? n : 1;

    // A held-back message is hidden until just after the messages ahead of it are due again, so that they come
    // together and in order, instead of waiting out the whole visibility timeout behind a message that came back.
    private async Task HoldBackAsync(IReadOnlyList<HeldBack> heldBack, FifoOrderGate gate, CancellationToken cancellationToken)
    {
        var changed = await ChangeVisibilityAsync(heldBack.Select(h => (h.Message, h.RetryIn)).ToList(), cancellationToken);
        foreach (var held in heldBack.Where(h => changed.Contains(h.Message.MessageId)))
        {
            gate.ComesAgainIn(held.Message, held.RetryIn);
        }
    }

    /// <returns>The ids whose visibility was changed.</returns>
    private async Task<HashSet<string>> ChangeVisibilityAsync(List<(Message Message, TimeSpan In)> messages, CancellationToken cancellationToken)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in messages.Chunk(10))
        {
            var response = await sqs.ChangeMessageVisibilityBatchAsync(
                new ChangeMessageVisibilityBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry
                    {
                        Id = i.ToString(CultureInfo.InvariantCulture),
                        ReceiptHandle = m.Message.ReceiptHandle,
                        VisibilityTimeout = (int)Math.Ceiling(m.In.TotalSeconds),
                    }).ToList(),
                },
                cancellationToken);
            changed.UnionWith((response.Successful ?? []).Select(s => chunk[int.Parse(s.Id, CultureInfo.InvariantCulture)].Message.MessageId));
        }

        return changed;
    }

    // After a failed call the server may be a new one (a restarted emulator keeps no message): a queue created
    // since it was last described holds none of the messages the gate waits for.
    // One lane asks at a time; the others wait for its answer.
    private Task<QueueFacts> QueueAsync(CancellationToken cancellationToken)
    {
        lock (_describeLock)
        {
            if (_describing is null || (_checkQueue && _describing.IsCompleted) || _describing.IsFaulted || _describing.IsCanceled)
            {
                _checkQueue = false;
                _describing = RefreshAsync(cancellationToken);
            }

            return _describing;
        }
    }

    private async Task<QueueFacts> RefreshAsync(CancellationToken cancellationToken)
    {
        var facts = await DescribeQueueAsync(cancellationToken);
        if (_queue is not null && facts.CreatedTimestamp == _queue.CreatedTimestamp)
        {
            facts = facts with { Gate = _queue.Gate };
        }
        else if (_queue is not null)
        {
            Log.QueueRecreated(logger, queueUrl, _queue.Gate.Waiting);
        }

        return _queue = facts;
    }

    private sealed record QueueFacts(string Arn, string Region, int VisibilityTimeout, string? CreatedTimestamp, FifoOrderGate Gate);

    private async Task<QueueFacts> DescribeQueueAsync(CancellationToken cancellationToken)
    {
        var attributes = (await sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest
            {
                QueueUrl = queueUrl, AttributeNames = ["QueueArn", "RedrivePolicy", "VisibilityTimeout", "CreatedTimestamp"],
            },
            cancellationToken)).Attributes ?? [];
        var arn = attributes.GetValueOrDefault("QueueArn")
            ?? throw new InvalidOperationException($"The queue {queueUrl} did not tell its ARN.");
        var visibility = int.TryParse(attributes.GetValueOrDefault("VisibilityTimeout"), CultureInfo.InvariantCulture, out var seconds) ? seconds : 30;
        // arn:aws:sqs:<region>:<account>:<name>
        return new QueueFacts(arn, arn.Split(':')[3], visibility, attributes.GetValueOrDefault("CreatedTimestamp"),
            new FifoOrderGate(MaxReceiveCount(attributes.GetValueOrDefault("RedrivePolicy")), Time, logger));
    }

    // {"deadLetterTargetArn": "…", "maxReceiveCount": 5}; SQS may write the count as a string.
    private static int? MaxReceiveCount(string? redrivePolicy)
    {
        if (redrivePolicy is null)
        {
            return null;
        }

        using var policy = JsonDocument.Parse(redrivePolicy);
        var count = policy.RootElement.GetProperty("maxReceiveCount");
        return count.ValueKind == JsonValueKind.String ? int.Parse(count.GetString()!, CultureInfo.InvariantCulture) : count.GetInt32();
    }

    // Lambda treats an invocation that throws, or a response it cannot read or that names a message not
    // in the batch, as the failure of the whole batch.
    private async Task<HashSet<string>> InvokeAsync(IReadOnlyList<Message> messages, QueueFacts queue, CancellationToken cancellationToken)
    {
        var all = messages.Select(m => m.MessageId).ToHashSet(StringComparer.Ordinal);
        var sqsEvent = new SqsEvent { Records = messages.Select(m => ToRecord(m, queue)).ToArray() };
        try
        {
            await using var input = LambdaPayload.Write(sqsEvent, LambdaJsonContext.Default.SqsEvent);
            await using var output = await function(input);
            if (!ReportBatchItemFailures)
            {
                return [];
            }

            var response = await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.SqsBatchResponse, cancellationToken);
            var failed = response.BatchItemFailures.Select(f => f.ItemIdentifier).ToHashSet(StringComparer.Ordinal);
            if (failed.IsSubsetOf(all))
            {
                return failed;
            }

            Log.UnknownItemIdentifier(logger, string.Join(',', failed.Except(all)));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.InvocationFailed(logger, e, messages.Count);
        }

        return all;
    }

    private static SqsMessage ToRecord(Message message, QueueFacts queue) => new()
    {
        MessageId = message.MessageId,
        ReceiptHandle = message.ReceiptHandle,
        Body = message.Body,
        Md5OfBody = message.MD5OfBody,
        Md5OfMessageAttributes = message.MD5OfMessageAttributes,
        Attributes = message.Attributes ?? [],
        MessageAttributes = (message.MessageAttributes ?? []).ToDictionary(
            a => a.Key,
            a => new SqsMessageAttributeValue
            {
                DataType = a.Value.DataType,
                StringValue = a.Value.StringValue,
                BinaryValue = a.Value.BinaryValue is { } binary ? Convert.ToBase64String(binary.ToArray()) : null,
                StringListValues = a.Value.StringListValues ?? [],
                BinaryListValues = (a.Value.BinaryListValues ?? []).Select(b => Convert.ToBase64String(b.ToArray())).ToArray(),
            }),
        EventSource = "aws:sqs",
        EventSourceArn = queue.Arn,
        AwsRegion = queue.Region,
    };

    /// <returns>The messages actually deleted; one whose delete failed comes again, and the ledger reports its outcome again.</returns>
    private async Task<List<Message>> DeleteAsync(List<Message> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return messages;
        }

        var response = await sqs.DeleteMessageBatchAsync(
            new DeleteMessageBatchRequest
            {
                QueueUrl = queueUrl,
                Entries = messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
            },
            cancellationToken);
        foreach (var failure in response.Failed ?? [])
        {
            Log.DeleteFailed(logger, messages[int.Parse(failure.Id, CultureInfo.InvariantCulture)].MessageId, failure.Code, failure.Message);
        }

        var deleted = (response.Successful ?? []).Select(s => int.Parse(s.Id, CultureInfo.InvariantCulture)).ToHashSet();
        return messages.Where((_, i) => deleted.Contains(i)).ToList();
    }

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Debug, "Received {Received}: {Invoked} handed to the function, {Deleted} deleted, {HeldBack} held back behind an earlier message of their group")]
        public static partial void Polled(ILogger logger, int received, int invoked, int deleted, int heldBack);

        [LoggerMessage(102, LogLevel.Error, "Polling {QueueUrl} failed ({Failures} in a row); trying again in {PauseSeconds} s")]
        public static partial void PollFailed(ILogger logger, Exception exception, string queueUrl, int failures, double pauseSeconds); // not money: a duration or metric value

        [LoggerMessage(103, LogLevel.Error, "The function failed on a batch of {Count}: every message of it comes again")]
        public static partial void InvocationFailed(ILogger logger, Exception exception, int count);

        [LoggerMessage(104, LogLevel.Error, "The function reported failed messages that were not in its batch ({ItemIdentifiers}): every message of it comes again")]
        public static partial void UnknownItemIdentifier(ILogger logger, string itemIdentifiers);

        [LoggerMessage(105, LogLevel.Warning, "Message {MessageId} could not be deleted ({Code}: {Reason}): it comes again")]
        public static partial void DeleteFailed(ILogger logger, string messageId, string code, string reason);

        [LoggerMessage(106, LogLevel.Warning, "Polling {QueueUrl} works again, after {Failures} failed polls over {Seconds:0} s")]
        public static partial void Recovered(ILogger logger, string queueUrl, int failures, double seconds); // not money: a duration or metric value

        [LoggerMessage(107, LogLevel.Warning,
            "{QueueUrl} was created anew (the queue server restarted): the {Waiting} message(s) the FIFO gate waited for are gone and forgotten; the sweep republishes their transactions")]
        public static partial void QueueRecreated(ILogger logger, string queueUrl, int waiting);
    }
}
