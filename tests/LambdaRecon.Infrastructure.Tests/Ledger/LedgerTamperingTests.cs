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
}
