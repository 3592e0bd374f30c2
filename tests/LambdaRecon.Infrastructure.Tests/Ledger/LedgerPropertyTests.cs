using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LambdaRecon.Core.Ledger;

namespace LambdaRecon.Infrastructure.Tests.Ledger;

/// <summary>One generated operation: indexes into the script's accounts and earlier operations.</summary>
public sealed record LedgerOp(int Kind, int From, int To, long Amount, int Earlier);

public sealed record LedgerScript(LedgerOp[][] Batches)
{
    public override string ToString() =>
        string.Join(" | ", Batches.Select(b => string.Join(", ", b.Select(o => $"{o.Kind}:{o.From}>{o.To}:{o.Amount}@{o.Earlier}"))));
}

public static class LedgerScripts
{
    // 0 funding USD (no limit), 1 suspense USD, 2..4 customers USD (limits 0, 500, 0), 5 customer EUR, 6 funding EUR.
    public static readonly (string Name, string Currency, long? Limit, string Kind)[] Accounts =
    [
        ("funding", "USD", null, AccountKinds.Funding), ("suspense", "USD", null, AccountKinds.Suspense),
        ("a", "USD", 0, AccountKinds.Customer), ("b", "USD", 500, AccountKinds.Customer), ("c", "USD", 0, AccountKinds.Customer),
        ("e", "EUR", 0, AccountKinds.Customer), ("funding-eur", "EUR", null, AccountKinds.Funding),
    ];

    private static readonly Gen<LedgerOp> Op =
        from kind in Gen.Frequency((6, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)))
        from accounts in Gen.Two(Gen.Choose(0, Accounts.Length - 1)).Where(p => p.Item1 != p.Item2)
        from amount in Gen.Choose(1, 3_000)
        from earlier in Gen.Choose(0, 1_000)
        select new LedgerOp(kind, accounts.Item1, accounts.Item2, amount, earlier);

    public static Arbitrary<LedgerScript> Script() =>
        Gen.ArrayOf(Gen.Choose(1, 15).SelectMany(n => Gen.ArrayOf(Op, n)))
            .Where(batches => batches.Length is >= 2 and <= 12)
            .Select(batches => new LedgerScript(batches))
            .ToArbitrary();
}

public sealed class LedgerPropertyTests(LedgerFixture ledger) : IClassFixture<LedgerFixture>
{
    /// <summary>Turns a script into transactions over accounts of its own (new ids, prefixed).</summary>
    private async Task<(string[] Accounts, List<TransactionRecord[]> Batches)> PrepareAsync(LedgerScript script)
    {
        var prefix = LedgerFixture.Prefix();
        var accounts = new string[LedgerScripts.Accounts.Length];
        for (var i = 0; i < accounts.Length; i++)
        {
            var (name, currency, limit, kind) = LedgerScripts.Accounts[i];
            accounts[i] = await ledger.OpenAsync($"{prefix}-{name}", currency, limit, kind);
        }

        var all = new List<TransactionRecord>();
        var batches = new List<TransactionRecord[]>();
        foreach (var batch in script.Batches)
        {
            var records = new List<TransactionRecord>();
            foreach (var op in batch)
            {
                var currency = LedgerScripts.Accounts[op.From].Currency;
                var transfers = all.Where(t => t.Type == TransactionType.Transfer).ToArray();
                TransactionRecord record = op.Kind switch
                {
                    1 when transfers.Length > 0 => Refund(transfers[op.Earlier % transfers.Length], op.Amount),
                    2 => new(Guid.NewGuid(), TransactionType.Adjustment, op.Amount, "USD",
                        op.From % 2 == 0 ? accounts[1] : accounts[2 + (op.To % 3)], op.From % 2 == 0 ? accounts[2 + (op.To % 3)] : accounts[1],
                        Description: "reconciliation difference"),
                    3 when all.Count > 0 => all[op.Earlier % all.Count],
                    _ => new(Guid.NewGuid(), TransactionType.Transfer, op.Amount, currency, accounts[op.From], accounts[op.To]),
                };
                records.Add(record);
                all.Add(record);
            }

            batches.Add([.. records]);
        }

        return (accounts, batches);
    }

    private static TransactionRecord Refund(TransactionRecord original, long amount) =>
        new(Guid.NewGuid(), TransactionType.Refund, amount, original.Currency, original.DestinationAccountId, original.SourceAccountId, original.Id);

    [Property(MaxTest = 40, Arbitrary = new[] { typeof(LedgerScripts) })]
    public async Task<bool> Serial_batches_end_exactly_where_the_posting_rules_say(LedgerScript script)
    {
        var (accounts, batches) = await PrepareAsync(script);
        var model = accounts.Select((id, i) => new AccountState(
                id, LedgerScripts.Accounts[i].Currency, LedgerScripts.Accounts[i].Kind, LedgerScripts.Accounts[i].Limit, true, 0, 0))
            .ToDictionary(a => a.Id);
        var statuses = new Dictionary<Guid, TransactionStatus>();
        var targets = new Dictionary<Guid, RefundTarget>();

        foreach (var batch in batches)
        {
            var outcomes = await ledger.Store.PostBatchAsync(batch, CancellationToken.None);

            // The model: what is already final stays so; the rest goes through the rules in order.
            var fresh = batch.DistinctBy(t => t.Id).Where(t => !statuses.ContainsKey(t.Id)).ToArray();
            foreach (var original in batch.Where(t => t.Type == TransactionType.Transfer))
            {
                targets.TryAdd(original.Id, new RefundTarget(original, statuses.GetValueOrDefault(original.Id), 0));
            }

            foreach (var decision in PostingRules.ApplyBatch(fresh, model, targets))
            {
                statuses[decision.TransactionId] = decision.Posted ? TransactionStatus.Posted : TransactionStatus.Failed;
                if (targets.TryGetValue(decision.TransactionId, out var target))
                {
                    target.Status = statuses[decision.TransactionId];
                }
            }

            Assert.Equal(batch.Select(t => statuses[t.Id]), outcomes.Select(o => o.Status));
        }

        foreach (var account in accounts)
        {
            Assert.Equal(model[account].Balance, await ledger.BalanceAsync(account));
        }

        await AssertInvariantsAsync(accounts);
        return true;
    }

    [Property(MaxTest = 30, Arbitrary = new[] { typeof(LedgerScripts) })]
    public async Task<bool> Concurrent_batches_keep_every_invariant(LedgerScript script)
    {
        var (accounts, batches) = await PrepareAsync(script);

        // Every batch at once, each on its own connection, each twice: the repeats must change nothing.
        await Task.WhenAll(batches.Concat(batches).Select(batch => Task.Run(() => ledger.Store.PostBatchAsync(batch, CancellationToken.None))));

        await AssertInvariantsAsync(accounts);
        return true;
    }

    private async Task AssertInvariantsAsync(string[] accounts)
    {
        var ids = string.Join(", ", accounts.Select(a => $"'{a}'"));

        var balances = $"""
            SELECT a.id, a.currency, a.overdraft_limit,
                   coalesce((SELECT e.balance_after FROM ledger_entries e WHERE e.account_id = a.id ORDER BY e.sequence DESC LIMIT 1), 0) AS balance,
                   coalesce((SELECT sum(e.amount) FROM ledger_entries e WHERE e.account_id = a.id), 0) AS entries
              FROM accounts a WHERE a.id IN ({ids})
            """;

        // Money is neither created nor lost: per currency the balances of the script's accounts sum to zero.
        Assert.Equal(0L, await ledger.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM (SELECT currency FROM ({balances}) b GROUP BY currency HAVING sum(balance) <> 0) x"));
        // Every balance equals the sum of its entries and lies within its limit.
        Assert.Equal(0L, await ledger.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM ({balances}) b WHERE b.balance <> b.entries OR (b.overdraft_limit IS NOT NULL AND b.balance < -b.overdraft_limit)"));
        // Every entry's balance_after is the running sum, its sequence the running count.
        Assert.Equal(0L, await ledger.Database.ScalarAsync<long>(
            $"""
            SELECT count(*) FROM (
                SELECT balance_after, sequence,
                       sum(amount) OVER (PARTITION BY account_id ORDER BY sequence) AS running,
                       row_number() OVER (PARTITION BY account_id ORDER BY sequence) AS n
                  FROM ledger_entries WHERE account_id IN ({ids})) x
             WHERE balance_after <> running OR sequence <> n
            """));
        // A POSTED transaction has exactly its two legs; any other has none.
        Assert.Equal(0L, await ledger.Database.ScalarAsync<long>(
            $"""
            SELECT count(*) FROM transactions t
             WHERE t.source_account_id IN ({ids})
               AND (SELECT count(*) FROM ledger_entries e WHERE e.transaction_id = t.id) <> CASE WHEN t.status = 'POSTED' THEN 2 ELSE 0 END
            """));
        // Refunds never add up to more than what they refund.
        Assert.Equal(0L, await ledger.Database.ScalarAsync<long>(
            $"""
            SELECT count(*) FROM transactions o
             WHERE o.source_account_id IN ({ids})
               AND o.amount < (SELECT coalesce(sum(r.amount), 0) FROM transactions r WHERE r.refund_of = o.id AND r.status = 'POSTED')
            """));
        // Only adjustments touch the suspense account.
        Assert.Equal(0L, await ledger.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM ledger_entries e JOIN transactions t ON t.id = e.transaction_id WHERE e.account_id = '{accounts[1]}' AND t.type <> 'adjustment'"));
    }
}
