using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Transactions;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Infrastructure.Tests.Transactions;

/// <summary>The durable half of the accept path: what its two writes leave behind on the connection and in the tables.</summary>
public sealed class TransactionIntakeTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Completion_records_the_answer_and_leaves_the_pooled_connection_committing_durably()
    {
        await using var single = SingleConnection();
        var intake = new TransactionIntake(single);
        var transaction = new TransactionRecord(Guid.NewGuid(), TransactionType.Transfer, 300, "USD", "a", "b", null, null);
        Assert.True(await intake.ReserveAsync("default", "c", "k1", [1, 2, 3], transaction, "{}", CancellationToken.None));

        await intake.CompleteAsync("default", "c", "k1", transaction.Id, "m-1", 202, "{\"status\":\"ACCEPTED\"}", CancellationToken.None);

        await using var show = single.CreateCommand("SHOW synchronous_commit");
        Assert.Equal("on", (string?)await show.ExecuteScalarAsync());
        var entry = await intake.FindAsync("default", "c", "k1", CancellationToken.None);
        Assert.NotNull(entry);
        Assert.Equal(202, entry.ResponseStatus);
        Assert.False(entry.LeaseActive);
        await using var published = single.CreateCommand($"SELECT message_id FROM transactions WHERE id = '{transaction.Id}' AND published_at IS NOT NULL");
        Assert.Equal("m-1", (string?)await published.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_completion_that_fails_leaves_no_transaction_open_on_the_pooled_connection()
    {
        await using var single = SingleConnection();
        var intake = new TransactionIntake(single);

        // A response status the column cannot hold: the update fails inside the completion's block.
        await Assert.ThrowsAsync<PostgresException>(() =>
            intake.CompleteAsync("default", "c", "k3", Guid.NewGuid(), "m", 202, "bad\0body", CancellationToken.None));

        // In the failed block this statement would itself fail ("current transaction is aborted").
        await using var state = single.CreateCommand("SELECT current_setting('synchronous_commit')");
        Assert.Equal("on", (string?)await state.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_key_found_with_its_companion_read_returns_both_in_one_batch()
    {
        var intake = new TransactionIntake(_database.DataSource);
        var transaction = new TransactionRecord(Guid.NewGuid(), TransactionType.Transfer, 300, "USD", "a", "b", null, null);
        await intake.ReserveAsync("default", "c", "k2", [9], transaction, "{}", CancellationToken.None);

        var (known, knownCount) = await intake.FindWithAsync(
            "default", "c", "k2", new NpgsqlBatchCommand("SELECT count(*) FROM transactions"), CountAsync, CancellationToken.None);
        var (unknown, unknownCount) = await intake.FindWithAsync(
            "default", "c", "other", new NpgsqlBatchCommand("SELECT count(*) FROM transactions"), CountAsync, CancellationToken.None);

        Assert.Equal(transaction.Id, known?.TransactionId);
        Assert.True(known!.LeaseActive);
        Assert.Null(unknown);
        Assert.Equal(1, knownCount);
        Assert.Equal(1, unknownCount);
    }

    /// <summary>
    /// One connection, so the statement after CompleteAsync runs on the connection it used; synchronous commit on
    /// for the session whatever the test cluster's default (off), and no reset on return to the pool, which
    /// would hide a setting that outlived its transaction.
    /// </summary>
    private NpgsqlDataSource SingleConnection() =>
        new NpgsqlDataSourceBuilder(_database.ConnectionString + ";Maximum Pool Size=1;No Reset On Close=true;Options=-c synchronous_commit=on").Build();

    private static async Task<long> CountAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt64(0);
    }
}
