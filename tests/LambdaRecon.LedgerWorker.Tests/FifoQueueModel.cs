using System.Globalization;
using LambdaRecon.Lambda.Sqs;

namespace LambdaRecon.LedgerWorker.Tests;

/// <summary>
/// How an SQS FIFO queue feeds a function through Lambda's event source mapping, kept in memory so that a
/// thousand messages and their redeliveries take seconds (the emulator hands out about one message per
/// 10 ms and makes each failure wait out a visibility timeout). A batch holds up to ten messages, each
/// group's in order and never one past a message of its group that stays behind; the messages the batch
/// response names come again with a new receipt handle and a higher receive count; the others are deleted.
/// How full a batch is and which groups it serves vary at random, as they do on SQS.
/// </summary>
public sealed class FifoQueueModel(IEnumerable<SqsMessage> messages, Random random)
{
    private readonly List<SqsMessage> _waiting = messages.ToList();
    private readonly Dictionary<string, int> _receives = [];

    /// <summary>The next batch, or null once every message is deleted.</summary>
    public SqsEvent? NextBatch()
    {
        if (_waiting.Count == 0)
        {
            return null;
        }

        var size = random.Next(1, 11);
        var passedOver = new HashSet<string>(StringComparer.Ordinal);
        var batch = new List<SqsMessage>();
        foreach (var message in _waiting.TakeWhile(_ => batch.Count < size))
        {
            var group = message.MessageGroupId!;
            if (passedOver.Contains(group) || random.Next(4) == 0)
            {
                passedOver.Add(group);
            }
            else
            {
                batch.Add(message);
            }
        }

        return new SqsEvent { Records = (batch.Count > 0 ? batch : [_waiting[0]]).Select(Delivered).ToArray() };
    }

    /// <summary>What SQS does with a batch once the function answered: deletes all but the failed.</summary>
    public void Settle(SqsEvent batch, IReadOnlyCollection<string> failedIds)
    {
        var deleted = batch.Records.Select(r => r.MessageId).Except(failedIds).ToHashSet(StringComparer.Ordinal);
        _waiting.RemoveAll(m => deleted.Contains(m.MessageId));
    }

    private SqsMessage Delivered(SqsMessage message)
    {
        var receives = _receives[message.MessageId] = _receives.GetValueOrDefault(message.MessageId) + 1;
        return message with
        {
            ReceiptHandle = "AQEB" + Guid.NewGuid().ToString("N"),
            Attributes = new Dictionary<string, string>(message.Attributes)
            {
                ["ApproximateReceiveCount"] = receives.ToString(CultureInfo.InvariantCulture),
            },
        };
    }
}
