using LambdaRecon.Core.Ledger;
using Npgsql;
using static LambdaRecon.Infrastructure.Tests.Ledger.LedgerFixture;

namespace LambdaRecon.Infrastructure.Tests.Ledger;

/// <summary>Writes behind the ledger store's back: the database itself must refuse every one.</summary>
public sealed class LedgerTamperingTests(LedgerFixture ledger) : IClassFixture<LedgerFixture>
{
    private readonly string _p = Prefix();

    private async Task<(string Alice, string Bob, TransactionRecord Payment)> PostedPaymentAsync()
    {
        var funding = await ledger.OpenAsync(_p + "-funding", overdraftLimit: null, kind: AccountKinds.Funding);
        var alice = await ledger.OpenAsync(_p + "-alice");
        var bob = await ledger.OpenAsync(_p + "-bob");
        await ledger.PostAsync(Transfer(funding, alice, 1_000));
        var payment = Transfer(alice, bob, 400);
        await ledger.PostAsync(payment);
        return (alice, bob, payment);
    }

    private async Task<PostgresException> RefusedAsync(string sql)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ledger.Database.ExecuteAsync(sql));
        return error;
    }

    [Fact]
    public async Task Updating_an_entry_is_refused()
    {
        var (alice, _, _) = await PostedPaymentAsync();

        var error = await RefusedAsync($"UPDATE ledger_entries SET amount = amount * 2 WHERE account_id = '{alice}'");

        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_or_truncating_entries_is_refused()
    {
        var (alice, _, _) = await PostedPaymentAsync();

        await RefusedAsync($"DELETE FROM ledger_entries WHERE account_id = '{alice}'");
        await RefusedAsync("TRUNCATE ledger_entries CASCADE");

        Assert.Equal(600, await ledger.BalanceAsync(alice));
    }

    [Fact]
    public async Task A_single_unbalanced_leg_is_refused_at_commit()
    {
        var (alice, bob, _) = await PostedPaymentAsync();
        var id = Guid.NewGuid();

        var error = await RefusedAsync(
            $"""
            BEGIN;
            INSERT INTO transactions (id, type, status, amount, currency, source_account_id, destination_account_id, posted_at)
            VALUES ('{id}', 'transfer', 'POSTED', 100, 'USD', '{alice}', '{bob}', now());
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES ('{id}', '{bob}', 100, 'USD', 500, 2);
            COMMIT;
            """);

        Assert.Contains("does not balance", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(400, await ledger.BalanceAsync(bob));
    }

    [Fact]
    public async Task An_entry_that_is_not_a_leg_of_its_transaction_is_refused()
    {
        var (alice, bob, payment) = await PostedPaymentAsync();

        var error = await RefusedAsync(
            $"""
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES ('{payment.Id}', '{alice}', -1, 'USD', 599, 3), ('{payment.Id}', '{bob}', 1, 'USD', 401, 2)
            """);

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task A_balance_after_that_is_not_the_running_sum_is_refused()
    {
        var (alice, bob, _) = await PostedPaymentAsync();
        var id = Guid.NewGuid();

        var error = await RefusedAsync(
            $"""
            BEGIN;
            INSERT INTO transactions (id, type, status, amount, currency, source_account_id, destination_account_id, posted_at)
            VALUES ('{id}', 'transfer', 'POSTED', 100, 'USD', '{alice}', '{bob}', now());
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES ('{id}', '{alice}', -100, 'USD', 1000500, 3), ('{id}', '{bob}', 100, 'USD', 500, 2);
            COMMIT;
            """);

        Assert.Contains("does not continue", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(600, await ledger.BalanceAsync(alice));
    }

    [Fact]
    public async Task Posting_a_posted_transaction_again_is_refused()
    {
        var (_, _, payment) = await PostedPaymentAsync();

        var error = await RefusedAsync($"UPDATE transactions SET status = 'FAILED', posted_at = NULL, failed_at = now(), failure_code = 'x' WHERE id = '{payment.Id}'");

        Assert.Contains("already POSTED", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_past_the_overdraft_limit_is_refused_even_when_it_balances()
    {
        var (alice, bob, _) = await PostedPaymentAsync();
        var id = Guid.NewGuid();

        var error = await RefusedAsync(
            $"""
            BEGIN;
            INSERT INTO transactions (id, type, status, amount, currency, source_account_id, destination_account_id, posted_at)
            VALUES ('{id}', 'transfer', 'POSTED', 5000, 'USD', '{alice}', '{bob}', now());
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES ('{id}', '{alice}', -5000, 'USD', -4400, 3), ('{id}', '{bob}', 5000, 'USD', 5400, 2);
            COMMIT;
            """);

        Assert.Contains("overdraft limit", error.MessageText, StringComparison.Ordinal);
    }
    /// <summary>
    /// A refund of <paramref name="payment"/> written straight into the tables as POSTED, with legs that are
    /// otherwise valid (they continue both accounts' chains), so that only the refund cap can refuse it.
    /// </summary>
    private async Task PostRefundDirectlyAsync(TransactionRecord payment, long amount)
    {
        var (alice, bob, id) = (payment.SourceAccountId, payment.DestinationAccountId, Guid.NewGuid());
        var (aliceBalance, aliceSequence) = await LastEntryAsync(alice);
        var (bobBalance, bobSequence) = await LastEntryAsync(bob);
        await ledger.Database.ExecuteAsync(
            $"""
            BEGIN;
            INSERT INTO transactions (id, type, status, amount, currency, source_account_id, destination_account_id, refund_of, posted_at)
            VALUES ('{id}', 'refund', 'POSTED', {amount}, 'USD', '{bob}', '{alice}', '{payment.Id}', now());
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES ('{id}', '{bob}', -{amount}, 'USD', {bobBalance - amount}, {bobSequence + 1}),
                   ('{id}', '{alice}', {amount}, 'USD', {aliceBalance + amount}, {aliceSequence + 1});
            COMMIT;
            """);
    }

    private async Task<(long Balance, long Sequence)> LastEntryAsync(string account)
    {
        await using var command = ledger.Database.DataSource.CreateCommand(
            "SELECT balance_after, sequence FROM ledger_entries WHERE account_id = @account ORDER BY sequence DESC LIMIT 1");
        command.Parameters.AddWithValue("account", account);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private Task<long> RefundedAsync(TransactionRecord payment) =>
        ledger.Database.ScalarAsync<long>($"SELECT coalesce(sum(amount), 0)::bigint FROM transactions WHERE refund_of = '{payment.Id}' AND status = 'POSTED'");

    [Fact]
    public async Task Refunds_inserted_directly_are_refused_at_commit_once_they_would_exceed_the_original()
    {
        var (alice, bob, payment) = await PostedPaymentAsync();
        // Bob holds more than the payment, so a larger refund's legs are valid and only the cap stands in the way.
        await ledger.PostAsync(Transfer(_p + "-funding", bob, 1_000));

        var overOnce = await Assert.ThrowsAsync<PostgresException>(() => PostRefundDirectlyAsync(payment, 401));
        await PostRefundDirectlyAsync(payment, 300);
        var overTogether = await Assert.ThrowsAsync<PostgresException>(() => PostRefundDirectlyAsync(payment, 101));
        await PostRefundDirectlyAsync(payment, 100);
        var overAfterAll = await Assert.ThrowsAsync<PostgresException>(() => PostRefundDirectlyAsync(payment, 1));

        Assert.All([overOnce, overTogether, overAfterAll], e => Assert.Contains("more than its 400 posted", e.MessageText, StringComparison.Ordinal));
        Assert.Equal(400, await RefundedAsync(payment));
        Assert.Equal((1_000, 1_000), (await ledger.BalanceAsync(alice), await ledger.BalanceAsync(bob)));
    }

    [Fact]
    public async Task A_posted_refund_of_a_transaction_that_does_not_exist_or_failed_is_refused()
    {
        var (_, bob, payment) = await PostedPaymentAsync();
        await ledger.PostAsync(Transfer(_p + "-funding", bob, 1_000));
        var failed = payment with { Id = Guid.NewGuid() };
        await ledger.Database.ExecuteAsync(
            $"""
            INSERT INTO transactions (id, type, status, amount, currency, source_account_id, destination_account_id, failed_at, failure_code)
            VALUES ('{failed.Id}', 'transfer', 'FAILED', 400, 'USD', '{payment.SourceAccountId}', '{bob}', now(), 'insufficient_funds')
            """);

        var ofMissing = await Assert.ThrowsAsync<PostgresException>(() => PostRefundDirectlyAsync(payment with { Id = Guid.NewGuid() }, 1));
        var ofFailed = await Assert.ThrowsAsync<PostgresException>(() => PostRefundDirectlyAsync(failed, 1));

        Assert.All([ofMissing, ofFailed], e => Assert.Contains("more than its 0 posted", e.MessageText, StringComparison.Ordinal));
        Assert.Equal(1_400, await ledger.BalanceAsync(bob));
    }

    [Fact]
    public async Task An_accepted_refund_beyond_the_original_cannot_be_turned_posted_by_an_update()
    {
        var (alice, bob, payment) = await PostedPaymentAsync();
        await ledger.PostAsync(Transfer(_p + "-funding", bob, 1_000));
        var refund = Guid.NewGuid();
        await ledger.Database.ExecuteAsync(
            $"""
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id, refund_of)
            VALUES ('{refund}', 'refund', 500, 'USD', '{bob}', '{alice}', '{payment.Id}')
            """);

        var error = await RefusedAsync(
            $"""
            BEGIN;
            UPDATE transactions SET status = 'POSTED', posted_at = now() WHERE id = '{refund}';
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
            VALUES ('{refund}', '{bob}', -500, 'USD', 900, 3), ('{refund}', '{alice}', 500, 'USD', 1100, 3);
            COMMIT;
            """);

        Assert.Contains("more than its 400 posted", error.MessageText, StringComparison.Ordinal);
        Assert.Equal("ACCEPTED", await ledger.Database.ScalarAsync<string>($"SELECT status FROM transactions WHERE id = '{refund}'"));
        Assert.Equal((600, 1_400), (await ledger.BalanceAsync(alice), await ledger.BalanceAsync(bob)));
    }

    [Theory]
    [InlineData("UPDATE transactions SET amount = 1000 WHERE id = '{refund}'")]
    [InlineData("UPDATE transactions SET amount = 100 WHERE id = '{payment}'")]
    [InlineData("UPDATE transactions SET refund_of = '{other}' WHERE id = '{refund}'")]
    [InlineData("UPDATE transactions SET type = 'transfer', refund_of = NULL WHERE id = '{refund}'")]
    public async Task What_a_posted_refund_or_its_original_moves_cannot_be_changed_to_get_past_the_cap(string update)
    {
        var (alice, bob, payment) = await PostedPaymentAsync();
        var other = Transfer(alice, bob, 50);
        await ledger.PostAsync(other);
        var refund = new TransactionRecord(Guid.NewGuid(), TransactionType.Refund, 300, "USD", bob, alice, payment.Id);
        Assert.Equal(TransactionStatus.Posted, (await ledger.PostAsync(refund)).Status);

        var error = await RefusedAsync(update.Replace("{refund}", refund.Id.ToString(), StringComparison.Ordinal)
            .Replace("{payment}", payment.Id.ToString(), StringComparison.Ordinal).Replace("{other}", other.Id.ToString(), StringComparison.Ordinal));

        Assert.Contains("cannot change what it moves", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(300, await RefundedAsync(payment));
        Assert.Equal((
            (400L, "transfer", (Guid?)null), (300L, "refund", (Guid?)payment.Id)),
            (await RowAsync(payment.Id), await RowAsync(refund.Id)));
    }

    private async Task<(long Amount, string Type, Guid? RefundOf)> RowAsync(Guid id)
    {
        await using var command = ledger.Database.DataSource.CreateCommand("SELECT amount, type, refund_of FROM transactions WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2));
    }
}
