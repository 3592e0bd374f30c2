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
        // Round amounts often, so that balances land exactly on an overdraft limit (0 or -500) and refunds exactly on what is left.
        from amount in Gen.Frequency((3, Gen.Elements(250, 500, 750, 1_000)), (2, Gen.Choose(1, 3_000)))
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

    /// <summary>
    /// The oracle is <see cref="SimpleLedger"/>, not <c>PostingRules</c>: had the rules a bug, a model built on
    /// them would agree with the database and the property could not fail.
    /// </summary>
    [Property(MaxTest = 40, Arbitrary = new[] { typeof(LedgerScripts) })]
    public async Task<bool> Serial_batches_end_where_a_plain_model_of_the_ledger_says(LedgerScript script)
    {
        var (accounts, batches) = await PrepareAsync(script);
        var model = new SimpleLedger(accounts.Select((id, i) => (id, LedgerScripts.Accounts[i].Currency, LedgerScripts.Accounts[i].Limit, LedgerScripts.Accounts[i].Kind)));

        foreach (var batch in batches)
        {
            var outcomes = await ledger.Store.PostBatchAsync(batch, CancellationToken.None);

            var expected = batch.Select(model.Apply).ToArray();
            Assert.Equal(expected, outcomes.Select(o => (o.Status == TransactionStatus.Posted ? "POSTED" : "FAILED", o.FailureCode)));
        }

        // What the database ends with: each transaction's outcome, each account's balance and number of entries.
        var ids = batches.SelectMany(b => b).Select(t => t.Id).Distinct().ToArray();
        await using (var command = ledger.Database.DataSource.CreateCommand("SELECT id, status, failure_code FROM transactions WHERE id = ANY(@ids)"))
        {
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync();
            var stored = new Dictionary<Guid, (string, string?)>();
            while (await reader.ReadAsync())
            {
                stored[reader.GetGuid(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
            }

            Assert.Equal(ids.Select(id => model.Outcomes[id]), ids.Select(id => stored[id]));
        }

        foreach (var account in accounts)
        {
            Assert.Equal((account, model.Balances[account]), (account, await ledger.BalanceAsync(account)));
            Assert.Equal(
                (account, (long)model.Postings[account]),
                (account, await ledger.Database.ScalarAsync<long>($"SELECT count(*) FROM ledger_entries WHERE account_id = '{account}'")));
        }

        await AssertInvariantsAsync(accounts);
        return true;
    }

    /// <summary>
    /// The ledger as a person would state it, applied one transaction at a time: balances in a dictionary,
    /// a transaction's first outcome is final, and a transaction posts unless the first of these refuses
    /// it: an account in another currency, a suspense account touched by anything but an adjustment, a
    /// refund of a FAILED (or not yet posted) transaction, not the original's way back, or more than is
    /// left of it, an adjustment without a suspense side or a reason, a source pushed below its overdraft
    /// limit. Shares no code with PostingRules.
    /// </summary>
    private sealed class SimpleLedger
    {
        private readonly Dictionary<string, (string Currency, long? Limit, bool Suspense)> _accounts = new(StringComparer.Ordinal);
        private readonly Dictionary<Guid, TransactionRecord> _transactions = [];
        private readonly Dictionary<Guid, long> _refunded = [];

        public SimpleLedger(IEnumerable<(string Id, string Currency, long? Limit, string Kind)> accounts)
        {
            foreach (var (id, currency, limit, kind) in accounts)
            {
                _accounts[id] = (currency, limit, kind == AccountKinds.Suspense);
                Balances[id] = 0;
                Postings[id] = 0;
            }
        }

        public Dictionary<string, long> Balances { get; } = new(StringComparer.Ordinal);

        /// <summary>Entries per account: one for each posted transaction on either side.</summary>
        public Dictionary<string, int> Postings { get; } = new(StringComparer.Ordinal);

        public Dictionary<Guid, (string Status, string? Code)> Outcomes { get; } = [];

        public (string Status, string? Code) Apply(TransactionRecord t)
        {
            if (Outcomes.TryGetValue(t.Id, out var final))
            {
                return final;
            }

            _transactions[t.Id] = t;
            var refusal = Refusal(t);
            if (refusal is null)
            {
                Balances[t.SourceAccountId] -= t.Amount;
                Balances[t.DestinationAccountId] += t.Amount;
                Postings[t.SourceAccountId]++;
                Postings[t.DestinationAccountId]++;
                if (t.RefundOf is { } original)
                {
                    _refunded[original] = _refunded.GetValueOrDefault(original) + t.Amount;
                }
            }

            return Outcomes[t.Id] = refusal is null ? ("POSTED", null) : ("FAILED", refusal);
        }

        private string? Refusal(TransactionRecord t)
        {
            var (source, destination) = (_accounts[t.SourceAccountId], _accounts[t.DestinationAccountId]);
            if (source.Currency != t.Currency || destination.Currency != t.Currency)
            {
                return FailureCodes.CurrencyMismatch;
            }

            if (t.Type != TransactionType.Adjustment && (source.Suspense || destination.Suspense))
            {
                return FailureCodes.SuspenseReserved;
            }

            if (t.RefundOf is { } originalId)
            {
                var original = _transactions[originalId];
                var status = Outcomes.TryGetValue(originalId, out var outcome) ? outcome.Status : "ACCEPTED";
                if (status != "POSTED")
                {
                    return status == "FAILED" ? FailureCodes.RefundOfFailedTransaction : FailureCodes.RefundOfUnpostedTransaction;
                }

                if (t.SourceAccountId != original.DestinationAccountId || t.DestinationAccountId != original.SourceAccountId)
                {
                    return FailureCodes.RefundMismatch;
                }

                if (t.Amount > original.Amount - _refunded.GetValueOrDefault(originalId))
                {
                    return FailureCodes.RefundExceedsOriginal;
                }
            }

            if (t.Type == TransactionType.Adjustment)
            {
                if (!source.Suspense && !destination.Suspense)
                {
                    return FailureCodes.AdjustmentWithoutSuspense;
                }

                if (string.IsNullOrWhiteSpace(t.Description))
                {
                    return FailureCodes.AdjustmentWithoutReason;
                }
            }

            return source.Limit is { } limit && Balances[t.SourceAccountId] - t.Amount < -limit ? FailureCodes.InsufficientFunds : null;
        }
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
