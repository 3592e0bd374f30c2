using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.LedgerWorker.Local;

/// <summary>What may go to the function now, and the messages held back, each with how long until what holds it back is due again.</summary>
internal sealed record Admission(IReadOnlyList<Message> Admitted, IReadOnlyList<HeldBack> HeldBack);

internal sealed record HeldBack(Message Message, TimeSpan RetryIn);

/// <summary>
/// Keeps each FIFO group in order for a poller whose server does not lock a group while one of its
/// messages is in flight, as SQS and the local emulator (since issue 14) do. Without it, a later message of a
/// group could be received, and posted, while an earlier one that failed waits out its visibility timeout.
/// </summary>
/// <remarks>
/// It remembers, per group, the messages received and not yet done, in the order they were first
/// received: the server hands out visible messages in their group's order, so a message never seen
/// before is always later in its group than the ones already remembered. A received message goes to the
/// function only if every remembered message ahead of it goes in the same batch; otherwise it is held
/// back, hidden by the poller until just after the message that blocks it is due again, and released at
/// once (<see cref="Release"/>) when that message is done, so that a group's held messages never form a
/// convoy, each waiting out the one before it. A message on its
/// last receive before the DLQ is forgotten when it fails or is held back, so that it cannot keep its group
/// waiting for ever. The emulator counts a held-back message's receive, so behind a poison message a later
/// message of its group spends its receives too, as it would sharing the poison's batches on AWS.
/// <para>
/// A remembered message is due again when its visibility timeout runs out. One that has not come again
/// <see cref="Grace"/> after that will not come: another consumer deleted it, or the server lost it (an
/// emulator restart loses every message). It is then forgotten, with a warning, so that its group goes on.
/// </para>
/// <para>The poller's lanes share one gate: each call holds its lock.</para>
/// </remarks>
internal sealed partial class FifoOrderGate(int? maxReceiveCount, TimeProvider time, ILogger logger)
{
    /// <summary>How late a due message may come before it is taken for gone: a few polls and a slow batch.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, List<Remembered>> _remembered = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>How many messages the gate is waiting for, across every group.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _remembered.Values.Sum(r => r.Count);
            }
        }
    }

    /// <param name="visibility">How long the receive hid the messages: when each is due again if it is not done.</param>
    public Admission Admit(IReadOnlyList<Message> received, TimeSpan visibility)
    {
        lock (_lock)
        {
            return AdmitLocked(received, visibility);
        }
    }

    private Admission AdmitLocked(IReadOnlyList<Message> received, TimeSpan visibility)
    {
        var now = time.GetUtcNow();
        ForgetGone(now);
        var admitted = new List<Message>();
        var heldBack = new List<HeldBack>();
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

            var entry = remembered.Find(r => r.MessageId == message.MessageId);
            if (entry is null)
            {
                remembered.Add(entry = new Remembered(message.MessageId));
            }

            entry.DueAt = now + visibility;
            var ahead = remembered.TakeWhile(r => r != entry).Where(r => !admittedIds.Contains(r.MessageId)).ToList();
            if (ahead.Count == 0)
            {
                entry.Held = null;
                admitted.Add(message);
                admittedIds.Add(message.MessageId);
            }
            else if (IsLastReceive(message))
            {
                Forget(group, message.MessageId);
            }
            else
            {
                // Visible again just after what blocks it (a failed message, one in flight) is due, in case the
                // release does not come; held ones ahead of it are released with it.
                var blockers = ahead.Where(r => r.Held is null).ToList();
                var retryIn = (blockers.Count > 0 ? blockers : ahead).Max(r => r.DueAt) - now + TimeSpan.FromSeconds(1);
                entry.Held = message;
                heldBack.Add(new HeldBack(message, retryIn < TimeSpan.Zero ? TimeSpan.Zero : retryIn));
            }
        }

        return new Admission(admitted, heldBack);
    }

    /// <summary>
    /// Records what became of the admitted messages. Done (the function succeeded; deleted or not, the ledger
    /// holds the outcome, and a redelivery only reports it again) no longer holds its group; a failed one
    /// comes again (<see cref="ComesAgainIn"/> tells when, if its visibility is changed).
    /// </summary>
    public void Settle(IEnumerable<Message> done, IEnumerable<Message> failed)
    {
        lock (_lock)
        {
            foreach (var message in done.Concat(failed.Where(IsLastReceive)))
            {
                if (GroupOf(message) is { } group)
                {
                    Forget(group, message.MessageId);
                }
            }
        }
    }

    /// <summary>
    /// The held-back messages now at the head of their group (what blocked them is done, or forgotten): the
    /// poller makes them visible at once. They are due now, and block what comes after them until they come.
    /// </summary>
    public IReadOnlyList<Message> Release()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var released = new List<Message>();
            foreach (var remembered in _remembered.Values)
            {
                foreach (var entry in remembered.TakeWhile(r => r.Held is not null))
                {
                    released.Add(entry.Held!);
                    (entry.Held, entry.DueAt) = (null, now);
                }
            }

            return released;
        }
    }

    /// <summary>When a message the gate remembers is due again, after the poller changed its visibility.</summary>
    public void ComesAgainIn(Message message, TimeSpan retryIn)
    {
        lock (_lock)
        {
            if (GroupOf(message) is { } group && _remembered.TryGetValue(group, out var remembered)
                && remembered.Find(r => r.MessageId == message.MessageId) is { } entry)
            {
                entry.DueAt = time.GetUtcNow() + retryIn;
            }
        }
    }

    private void ForgetGone(DateTimeOffset now)
    {
        foreach (var (group, remembered) in _remembered.ToList())
        {
            foreach (var gone in remembered.Where(r => now > r.DueAt + Grace).ToList())
            {
                Log.Gone(logger, gone.MessageId, group, (now - gone.DueAt).TotalSeconds);
                Forget(group, gone.MessageId);
            }
        }
    }

    private void Forget(string group, string messageId)
    {
        if (_remembered.TryGetValue(group, out var remembered) && remembered.RemoveAll(r => r.MessageId == messageId) > 0 && remembered.Count == 0)
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

    private sealed class Remembered(string messageId)
    {
        public string MessageId { get; } = messageId;

        public DateTimeOffset DueAt { get; set; }

        /// <summary>The message as last received, while it is held back; null while it is in flight or failed.</summary>
        public Message? Held { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(111, LogLevel.Warning,
            "Message {MessageId} of group {MessageGroupId} was due again {LateSeconds:0} s ago and has not come: taken for gone (deleted elsewhere, or lost by a restarted server); its group goes on without it")]
        public static partial void Gone(ILogger logger, string messageId, string messageGroupId, double lateSeconds); // not money: a duration or metric value
    }
}
