using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Lambda.Sqs;
using Microsoft.Extensions.Logging;
using static LambdaRecon.LedgerWorker.Tests.WorkerFixture;

namespace LambdaRecon.LedgerWorker.Tests.Posting;

public sealed class SqsBatchHandlerTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private readonly string _p = Prefix();

    [Fact]
    public async Task A_well_formed_batch_posts_every_transfer_in_one_database_transaction_and_reports_no_failure()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 10_000);
        var bob = await worker.FundedAsync(_p + "-bob", 10_000);
        var carol = await worker.OpenAsync(_p + "-carol");
        var transfers = new[] { Transfer(alice, carol, 1_000), Transfer(bob, carol, 2_000), Transfer(alice, bob, 3_000) };

        var failed = await worker.FailedIdsAsync(transfers.Select(Record).ToArray());

        Assert.Empty(failed);
        Assert.Equal((6_000, 11_000, 3_000), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob), await worker.BalanceAsync(carol)));
        // now() is the transaction's start: one posted_at for the batch means one database transaction.
        Assert.Equal(1L, await worker.Database.ScalarAsync<long>(
            $"SELECT count(DISTINCT posted_at) FROM transactions WHERE id IN ({string.Join(',', transfers.Select(t => $"'{t.Id}'"))})"));
    }

    [Fact]
    public async Task A_malformed_message_fails_with_the_later_messages_of_its_group_which_are_never_posted_while_other_groups_post()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 10_000);
        var bob = await worker.FundedAsync(_p + "-bob", 10_000);
        var carol = await worker.OpenAsync(_p + "-carol");
        var a1 = Record(Transfer(alice, carol, 100));
        var a2 = Record("{\"transaction_id\":\"not a uuid\"}", alice);
        var a3 = Record(Transfer(alice, carol, 200));
        var a4 = Record(Transfer(alice, carol, 400));
        var b1 = Record(Transfer(bob, carol, 1_000));
        var b2 = Record(Transfer(bob, carol, 2_000));
        var tooMuch = Transfer(bob, carol, 1_000_000);

        var failed = await worker.FailedIdsAsync(b1, a1, a2, b2, a3, Record(tooMuch), a4);

        Assert.Equal([a2.MessageId, a3.MessageId, a4.MessageId], failed);
        Assert.Equal((9_900, 7_000, 3_100), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob), await worker.BalanceAsync(carol)));
        // Left out of the posting call, not posted and then reported: the store never even recorded them.
        Assert.Null(await worker.StatusAsync(IdOf(a3)));
        Assert.Null(await worker.StatusAsync(IdOf(a4)));
        Assert.Equal("FAILED", await worker.StatusAsync(tooMuch.Id));
    }

    [Fact]
    public async Task A_malformed_message_is_logged_with_its_message_id_its_group_and_the_first_bytes_of_its_body()
    {
        var body = "<xml>" + new string('x', 200) + "</xml>";
        var message = Record(body, _p + "-group");

        Assert.Equal([message.MessageId], await worker.FailedIdsAsync(message));

        var line = Assert.Single(worker.Logs.About(message.MessageId));
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal(_p + "-group", line.Fields["MessageGroupId"]);
        Assert.Equal(body[..64], line.Fields["BodyStart"]);
    }

    [Fact]
    public async Task Business_failures_are_outcomes_and_never_batch_item_failures_and_they_stop_nothing_in_their_group()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 5_000);
        var bob = await worker.OpenAsync(_p + "-bob");
        var closed = await worker.OpenAsync(_p + "-closed");
        await new AccountStore(worker.Resources.DataSource).CloseAsync(closed, "test", CancellationToken.None);
        var insufficient = Transfer(alice, bob, 6_000);
        var unknown = Transfer(alice, _p + "-nobody", 1);
        var toClosed = Transfer(alice, closed, 1);
        var refundOfNothing = new TransactionRecord(Guid.NewGuid(), TransactionType.Refund, 1, "USD", bob, alice, Guid.NewGuid());
        var after = Transfer(alice, bob, 5_000);

        var failed = await worker.FailedIdsAsync(Record(insufficient), Record(unknown), Record(toClosed), Record(refundOfNothing), Record(after));

        Assert.Empty(failed);
        var codes = await Task.WhenAll(new[] { insufficient, unknown, toClosed, refundOfNothing }.Select(t => FailureCodeAsync(t.Id)));
        Assert.Equal(
            new[] { FailureCodes.InsufficientFunds, FailureCodes.UnknownAccount, FailureCodes.AccountClosed, FailureCodes.RefundOfUnknownTransaction },
            codes);
        Assert.Equal("POSTED", await worker.StatusAsync(after.Id));
        Assert.Equal((0, 5_000), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob)));
    }

    [Fact]
    public async Task The_same_record_handed_twice_posts_once_and_the_second_delivery_reports_the_first_outcome()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 1_000);
        var bob = await worker.OpenAsync(_p + "-bob");
        var transfer = Record(Transfer(alice, bob, 600));
        var refused = Record(Transfer(alice, bob, 600));

        var first = await worker.FailedIdsAsync(transfer, refused);
        var second = await worker.FailedIdsAsync(transfer, refused);

        Assert.Empty(first);
        Assert.Empty(second);
        Assert.Equal((2L, 0L), (await worker.EntryCountAsync(IdOf(transfer)), await worker.EntryCountAsync(IdOf(refused))));
        Assert.Equal((400, 600), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob)));
        Assert.Equal(
            [TransactionStatus.Posted, TransactionStatus.Failed],
            new[] { transfer, refused }.Select(m => worker.Logs.About(m.MessageId).Single(l => l.EventName == "AlreadyFinal").Fields["Status"]).Cast<TransactionStatus>());
    }

    [Fact]
    public async Task A_transaction_published_twice_into_one_batch_posts_once_and_neither_message_fails()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 1_000);
        var bob = await worker.OpenAsync(_p + "-bob");
        var transfer = Transfer(alice, bob, 600);

        // Two messages of one transaction: a publish repeated after SQS forgot its deduplication id (five minutes).
        Assert.Empty(await worker.FailedIdsAsync(Record(transfer), Record(transfer)));

        Assert.Equal(2L, await worker.EntryCountAsync(transfer.Id));
        Assert.Equal((400, 600), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob)));
    }

    [Fact]
    public async Task A_message_the_database_refuses_fails_with_the_later_messages_of_its_group_and_the_rest_of_the_batch_posts()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 10_000);
        var bob = await worker.FundedAsync(_p + "-bob", 10_000);
        var carol = await worker.OpenAsync(_p + "-carol");
        // Well-formed JSON the posting rules accept, but the transactions table refuses: source = destination.
        var toItself = Record(Transfer(alice, alice, 100));
        var afterIt = Record(Transfer(alice, carol, 100));
        var before = Record(Transfer(alice, carol, 1_000));
        var other = Record(Transfer(bob, carol, 2_000));

        var failed = await worker.FailedIdsAsync(before, toItself, other, afterIt);

        Assert.Equal([toItself.MessageId, afterIt.MessageId], failed);
        Assert.Equal((9_000, 8_000, 3_000), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob), await worker.BalanceAsync(carol)));
        Assert.Null(await worker.StatusAsync(IdOf(afterIt)));
        Assert.Equal(LogLevel.Error, worker.Logs.About(toItself.MessageId).Single().Level);
    }

    [Fact]
    public async Task A_record_of_a_standard_queue_has_no_group_and_its_failure_stops_no_other_message()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 1_000);
        var bob = await worker.OpenAsync(_p + "-bob");
        SqsMessage Standard(SqsMessage fifo) => fifo with { Attributes = new Dictionary<string, string> { ["ApproximateReceiveCount"] = "1" } };
        var malformed = Standard(Record("{}", alice));
        var transfer = Standard(Record(Transfer(alice, bob, 300)));

        Assert.Equal([malformed.MessageId], await worker.FailedIdsAsync(malformed, transfer));
        Assert.Equal(300, await worker.BalanceAsync(bob));
    }

    private async Task<string?> FailureCodeAsync(Guid id) =>
        await worker.Database.ScalarAsync<string>($"SELECT failure_code FROM transactions WHERE id = '{id}'");

    private static Guid IdOf(SqsMessage message) => Guid.ParseExact(message.Attributes["MessageDeduplicationId"], "N");
}
