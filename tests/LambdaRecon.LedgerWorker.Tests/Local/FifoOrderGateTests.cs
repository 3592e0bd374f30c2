using Amazon.SQS.Model;
using LambdaRecon.LedgerWorker.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LambdaRecon.LedgerWorker.Tests.Local;

public sealed class FifoOrderGateTests
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(180);

    private readonly FakeTimeProvider _time = new();

    private FifoOrderGate Gate(int maxReceiveCount = 5) => new(maxReceiveCount, _time, NullLogger.Instance);

    private static Message M(string id, string group, int receiveCount = 1) => new()
    {
        MessageId = id,
        Attributes = new() { ["MessageGroupId"] = group, ["ApproximateReceiveCount"] = receiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    private static string[] Ids(IEnumerable<Message> messages) => messages.Select(m => m.MessageId).ToArray();

    private static string[] Admit(FifoOrderGate gate, params Message[] received) => Ids(gate.Admit(received, Visibility).Admitted);

    [Fact]
    public void Messages_that_follow_no_failure_all_go_through()
    {
        var gate = Gate();

        Assert.Equal(["a1", "b1", "a2"], Admit(gate, M("a1", "A"), M("b1", "B"), M("a2", "A")));
    }

    [Fact]
    public void A_later_message_of_a_group_waits_until_the_failed_one_comes_again_while_other_groups_go_on()
    {
        var gate = Gate();
        var a1 = M("a1", "A");
        gate.Admit([a1], Visibility);
        gate.Settle([], [a1]);

        var heldBack = Admit(gate, M("a2", "A"), M("b1", "B"));
        var again = Admit(gate, M("a1", "A", 2), M("a2", "A", 2));

        Assert.Equal(["b1"], heldBack);
        Assert.Equal(["a1", "a2"], again);
    }

    [Fact]
    public void A_held_back_message_keeps_its_place_ahead_of_newer_ones_of_its_group()
    {
        var gate = Gate();
        var a1 = M("a1", "A");
        gate.Admit([a1], Visibility);
        gate.Settle([], [a1]);
        gate.Admit([M("a2", "A")], Visibility);

        var a1Again = M("a1", "A", 2);
        gate.Settle(gate.Admit([a1Again], Visibility).Admitted, []);

        Assert.Empty(Admit(gate, M("a3", "A")));
        Assert.Equal(["a2", "a3"], Admit(gate, M("a2", "A", 2), M("a3", "A", 2)));
    }

    [Fact]
    public void A_message_that_failed_its_last_receive_before_the_dlq_no_longer_holds_its_group()
    {
        var gate = Gate(maxReceiveCount: 3);
        var poison = M("p", "A", 3);
        gate.Admit([poison], Visibility);
        gate.Settle([], [poison]);

        Assert.Equal(["a2"], Admit(gate, M("a2", "A")));
    }

    [Fact]
    public void A_held_back_message_is_told_to_come_again_just_after_the_failed_message_ahead_of_it()
    {
        var gate = Gate();
        var a1 = M("a1", "A");
        gate.Admit([a1], Visibility);
        gate.Settle([], [a1]);
        gate.ComesAgainIn(a1, TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(4));

        var held = Assert.Single(gate.Admit([M("a2", "A")], Visibility).HeldBack);

        Assert.Equal("a2", held.Message.MessageId);
        Assert.Equal(TimeSpan.FromSeconds(7), held.RetryIn);
    }

    [Fact]
    public void A_message_that_has_not_come_again_a_grace_after_it_was_due_is_forgotten_and_its_group_goes_on()
    {
        // A delete that never happened (the server went away), then a server that lost the message.
        var gate = Gate();
        gate.Admit([M("lost", "A")], Visibility);
        _time.Advance(Visibility);

        var beforeGrace = Admit(gate, M("a2", "A"));
        _time.Advance(FifoOrderGate.Grace + TimeSpan.FromSeconds(1));
        var afterGrace = Admit(gate, M("a2", "A", 2));

        Assert.Empty(beforeGrace);
        Assert.Equal(["a2"], afterGrace);
        Assert.Equal(1, gate.Waiting);
    }

    [Fact]
    public void A_message_the_function_succeeded_on_holds_its_group_no_more_even_when_its_delete_did_not_happen()
    {
        var gate = Gate();
        var a1 = M("a1", "A");
        gate.Admit([a1], Visibility);
        gate.Settle(done: [a1], failed: []);

        Assert.Equal(["a2"], Admit(gate, M("a2", "A")));
    }

    [Fact]
    public void Messages_held_back_behind_a_failed_one_are_released_in_order_as_soon_as_it_is_done_and_not_before()
    {
        var gate = Gate();
        var a1 = M("a1", "A");
        gate.Admit([a1], Visibility);
        gate.Settle([], [a1]);
        gate.ComesAgainIn(a1, TimeSpan.FromSeconds(10));
        var held = gate.Admit([M("a2", "A"), M("a3", "A"), M("b1", "B")], Visibility);
        var whileA1Waits = gate.Release();

        var a1Again = M("a1", "A", 2);
        gate.Settle(gate.Admit([a1Again], Visibility).Admitted, []);
        var released = gate.Release();

        // Both wait for a1 alone, not a3 for a2: held messages do not queue behind each other.
        Assert.Equal([TimeSpan.FromSeconds(11), TimeSpan.FromSeconds(11)], held.HeldBack.Select(h => h.RetryIn));
        Assert.Empty(whileA1Waits);
        Assert.Equal(["a2", "a3"], Ids(released));
        Assert.Empty(gate.Release());
        Assert.Equal(["a2", "a3"], Admit(gate, M("a2", "A", 2), M("a3", "A", 2)));
    }
}
