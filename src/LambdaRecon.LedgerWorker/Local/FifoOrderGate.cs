using Amazon.SQS.Model;

namespace LambdaRecon.LedgerWorker.Local;

/// <summary>
/// Keeps each FIFO group in order for a poller whose server does not lock a group while one of its
/// messages is in flight, as SQS does and the local emulator does not. Without it, a later message of a
/// group could be received, and posted, while an earlier one that failed waits out its visibility timeout.
/// </summary>
/// <remarks>
/// It remembers, per group, the messages received and not yet deleted, in the order they were first
/// received: the server hands out visible messages in their group's order, so a message never seen
/// before is always later in its group than the ones already remembered. A received message goes to the
/// function only if every remembered message ahead of it goes in the same batch; otherwise it is held
/// back and comes again when its visibility runs out. A message on its last receive before the DLQ is
/// forgotten when it fails or is held back, so that it cannot keep its group waiting for ever. The
/// emulator counts a held-back message's receive, so behind a poison message a later message of its
/// group spends its receives too, as it would sharing the poison's batches on AWS.
/// </remarks>
internal sealed class FifoOrderGate(int? maxReceiveCount)
{
    private readonly Dictionary<string, List<string>> _remembered = new(StringComparer.Ordinal);

    /// <summary>The messages that may go to the function now, in the order received; the others are held back.</summary>
    public IReadOnlyList<Message> Admit(IReadOnlyList<Message> received)
    {
        var admitted = new List<Message>();
        var admittedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in received)
        {
            if (GroupOf(message) is not { } group)
            {
                admitted.Add(message);
                continue;
            }

            if (!_remembered.TryGetValue(group, out var remembered))
            {
                _remembered[group] = remembered = [];
            }

            if (!remembered.Contains(message.MessageId))
            {
                remembered.Add(message.MessageId);
            }

            if (remembered.TakeWhile(id => id != message.MessageId).All(admittedIds.Contains))
            {
                admitted.Add(message);
                admittedIds.Add(message.MessageId);
            }
            else if (IsLastReceive(message))
            {
                Forget(group, message.MessageId);
            }
        }

        return admitted;
    }

    /// <summary>Records what became of the admitted messages: the deleted are done, the failed come again.</summary>
    public void Settle(IEnumerable<Message> deleted, IEnumerable<Message> failed)
    {
        foreach (var message in deleted.Concat(failed.Where(IsLastReceive)))
        {
            if (GroupOf(message) is { } group)
            {
                Forget(group, message.MessageId);
            }
        }
    }

    private void Forget(string group, string messageId)
    {
        if (_remembered.TryGetValue(group, out var remembered) && remembered.Remove(messageId) && remembered.Count == 0)
        {
            _remembered.Remove(group);
        }
    }

    // When its visibility runs out the queue's redrive policy moves it to the DLQ: it will not come again.
    private bool IsLastReceive(Message message) =>
        maxReceiveCount is { } max
        && message.Attributes?.TryGetValue("ApproximateReceiveCount", out var count) == true
        && int.TryParse(count, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= max;

    private static string? GroupOf(Message message) => message.Attributes?.GetValueOrDefault("MessageGroupId");
}
