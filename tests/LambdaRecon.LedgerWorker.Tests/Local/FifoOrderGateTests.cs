using Amazon.SQS.Model;
using LambdaRecon.LedgerWorker.Local;

namespace LambdaRecon.LedgerWorker.Tests.Local;

public sealed class FifoOrderGateTests
{
    private static Message M(string id, string group, int receiveCount = 1) => new()
    {
        MessageId = id,
        Attributes = new() { ["MessageGroupId"] = group, ["ApproximateReceiveCount"] = receiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    private static string[] Ids(IEnumerable<Message> messages) => messages.Select(m => m.MessageId).ToArray();

    [Fact]
    public void Messages_that_follow_no_failure_all_go_through()
    {
        var gate = new FifoOrderGate(maxReceiveCount: 5);
        var batch = new[] { M("a1", "A"), M("b1", "B"), M("a2", "A") };

        Assert.Equal(["a1", "b1", "a2"], Ids(gate.Admit(batch)));
    }

    [Fact]
    public void A_later_message_of_a_group_waits_until_the_failed_one_comes_again_while_other_groups_go_on()
    {
        var gate = new FifoOrderGate(maxReceiveCount: 5);
        var a1 = M("a1", "A");
        gate.Settle([], Ids(gate.Admit([a1])).Select(_ => a1));

        var heldBack = gate.Admit([M("a2", "A"), M("b1", "B")]);
        var again = gate.Admit([M("a1", "A", 2), M("a2", "A", 2)]);

        Assert.Equal(["b1"], Ids(heldBack));
        Assert.Equal(["a1", "a2"], Ids(again));
    }

    [Fact]
    public void A_held_back_message_keeps_its_place_ahead_of_newer_ones_of_its_group()
    {
        var gate = new FifoOrderGate(maxReceiveCount: 5);
        var a1 = M("a1", "A");
        gate.Admit([a1]);
        gate.Settle([], [a1]);
        gate.Admit([M("a2", "A")]);

        var a1Again = M("a1", "A", 2);
        gate.Settle(gate.Admit([a1Again]), []);

        Assert.Empty(gate.Admit([M("a3", "A")]));
        Assert.Equal(["a2", "a3"], Ids(gate.Admit([M("a2", "A", 2), M("a3", "A", 2)])));
    }

    [Fact]
    public void A_message_that_failed_its_last_receive_before_the_dlq_no_longer_holds_its_group()
    {
        var gate = new FifoOrderGate(maxReceiveCount: 3);
        var poison = M("p", "A", 3);
        gate.Admit([poison]);
        gate.Settle([], [poison]);

        Assert.Equal(["a2"], Ids(gate.Admit([M("a2", "A")])));
    }
}
