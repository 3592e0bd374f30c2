using LambdaRecon.Lambda.Sqs;
using Microsoft.Extensions.Logging;
using Npgsql;
using static LambdaRecon.LedgerWorker.Tests.WorkerFixture;

namespace LambdaRecon.LedgerWorker.Tests.Posting;

/// <summary>
/// Technical failures fail every message of the batch that was not decided, so that SQS delivers them
/// again; the redelivery posts each transaction once.
/// </summary>
public sealed class TechnicalFailureTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private readonly string _p = Prefix();

    private async Task<(SqsMessage[] Records, string Alice, string Bob, string Carol)> BatchAsync()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 1_000);
        var bob = await worker.FundedAsync(_p + "-bob", 1_000);
        var carol = await worker.OpenAsync(_p + "-carol");
        SqsMessage[] records =
        [
            Record(Transfer(alice, carol, 300)), Record(Transfer(bob, carol, 500)),
            Record(Transfer(alice, carol, 5_000)), Record(Transfer(alice, bob, 700)),
        ];
        return (records, alice, bob, carol);
    }

    private async Task RedeliveryPostsEachTransactionOnceAsync(SqsMessage[] records, string alice, string bob, string carol)
    {
        Assert.Empty(await worker.FailedIdsAsync(records));
        Assert.Empty(await worker.FailedIdsAsync(records));

        var statuses = await Task.WhenAll(records.Select(r => worker.StatusAsync(IdOf(r))));
        var entries = await Task.WhenAll(records.Select(r => worker.EntryCountAsync(IdOf(r))));
        Assert.Equal(["POSTED", "POSTED", "FAILED", "POSTED"], statuses.AsEnumerable());
        Assert.Equal([2L, 2L, 0L, 2L], entries);
        Assert.Equal((0, 1_200, 800), (await worker.BalanceAsync(alice), await worker.BalanceAsync(bob), await worker.BalanceAsync(carol)));
    }

    [Fact]
    public async Task With_PostgreSQL_unreachable_every_message_of_the_batch_is_reported_failed_and_the_redelivery_posts_each_once()
    {
        var (records, alice, bob, carol) = await BatchAsync();

        var failed = await FailedIdsAsync(worker.UnreachableHandler, records);

        Assert.Equal(records.Select(r => r.MessageId), failed);
        Assert.All(await Task.WhenAll(records.Select(r => worker.StatusAsync(IdOf(r)))), Assert.Null);
        await RedeliveryPostsEachTransactionOnceAsync(records, alice, bob, carol);
    }

    [Fact]
    public async Task A_connection_lost_in_the_middle_of_the_batch_fails_every_message_and_the_redelivery_posts_each_once()
    {
        var (records, alice, bob, carol) = await BatchAsync();
        var dataSource = worker.Resources.DataSource;

        // Alice's row held by another transaction: the handler's batch waits for it inside its own
        // database transaction, where its connection is then ended under it.
        await using var blocker = await dataSource.OpenConnectionAsync();
        await using var blocking = await blocker.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1 FROM accounts WHERE id = @id FOR UPDATE", blocker, blocking))
        {
            hold.Parameters.AddWithValue("id", alice);
            await hold.ExecuteScalarAsync();
        }

        var handling = worker.FailedIdsAsync(records);
        var backend = await WaitingBackendAsync(dataSource);
        await using (var terminate = dataSource.CreateCommand("SELECT pg_terminate_backend(@pid)"))
        {
            terminate.Parameters.AddWithValue("pid", backend);
            Assert.True((bool)(await terminate.ExecuteScalarAsync())!);
        }

        var failed = await handling;
        await blocking.RollbackAsync();

        Assert.Equal(records.Select(r => r.MessageId), failed);
        Assert.All(await Task.WhenAll(records.Select(r => worker.StatusAsync(IdOf(r)))), Assert.Null);
        await RedeliveryPostsEachTransactionOnceAsync(records, alice, bob, carol);
    }

    [Fact]
    public async Task Serialization_failures_are_retried_within_the_invocation_and_the_batch_posts()
    {
        var (records, alice, bob, carol) = await BatchAsync();
        var attempts = await InjectSerializationFailuresAsync(alice, times: 2);

        Assert.Empty(await worker.FailedIdsAsync(records));

        Assert.Equal(3L, await attempts());
        await RedeliveryPostsEachTransactionOnceAsync(records, alice, bob, carol);
    }

    [Fact]
    public async Task Serialization_failures_that_outlast_the_retries_fail_every_message_of_the_batch()
    {
        var (records, alice, bob, carol) = await BatchAsync();
        var attempts = await InjectSerializationFailuresAsync(alice, times: 3);

        var failed = await worker.FailedIdsAsync(records);

        Assert.Equal(records.Select(r => r.MessageId), failed);
        Assert.Equal(3L, await attempts());
        Assert.Contains(worker.Logs.Entries, l => l.Level == LogLevel.Error && l.Exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure });
        await RedeliveryPostsEachTransactionOnceAsync(records, alice, bob, carol);
    }

    // The first `times` postings that record a transaction from the account fail as a serialization
    // failure would. The count is a sequence, which a rolled-back transaction does not undo.
    private async Task<Func<Task<long>>> InjectSerializationFailuresAsync(string account, int times)
    {
        var name = _p + "_conflict";
        await worker.Database.ExecuteAsync(
            $"""
            CREATE SEQUENCE {name};
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('{name}') <= {times} THEN
                    RAISE EXCEPTION 'injected conflict' USING ERRCODE = 'serialization_failure';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {name} BEFORE INSERT ON transactions
                FOR EACH ROW WHEN (NEW.source_account_id = '{account}' AND NEW.amount = 300) EXECUTE FUNCTION {name}();
            """);
        return () => worker.Database.ScalarAsync<long>($"SELECT last_value FROM {name}");
    }

    private static async Task<int> WaitingBackendAsync(NpgsqlDataSource dataSource)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            await using var find = dataSource.CreateCommand(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
            if (await find.ExecuteScalarAsync() is int pid)
            {
                return pid;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("The handler's batch never waited for the lock.");
    }

    private static Guid IdOf(SqsMessage message) => Guid.ParseExact(message.Attributes["MessageDeduplicationId"], "N");
}
