using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>One way the ledger disagrees with itself: expected is what the entries add up to.</summary>
public sealed record Difference(
    string Kind, string? AccountId, Guid? TransactionId, string Currency, long Expected, long Actual, long? FirstEntryId)
{
    public long Amount => Actual - Expected;
}

/// <summary>
/// The ledger checked against itself, with the triggers' help or without it (they may have been
/// disabled): each account's balance (its last balance_after) against the sum of its entries, each
/// transaction's entries against zero per currency, and the trial balance per currency against zero.
/// </summary>
public static class LedgerIntegrity
{
    public const string AccountBalance = "account_balance";
    public const string UnbalancedTransaction = "unbalanced_transaction";
    public const string TrialBalance = "trial_balance";

    /// <param name="accountId">One account (its balance and its transactions), or null for the whole ledger.</param>
    public static async Task<IReadOnlyList<Difference>> CheckAsync(NpgsqlDataSource dataSource, string? accountId, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var account = new NpgsqlParameter<string?>("account", accountId) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            SELECT a.id, a.currency, sums.expected, coalesce(last.balance_after, 0),
                   (SELECT min(x.id) FROM (SELECT e.id, e.balance_after, sum(e.amount) OVER (ORDER BY e.sequence) AS running
                                             FROM ledger_entries e WHERE e.account_id = a.id) x
                     WHERE x.balance_after <> x.running)
              FROM accounts a
              CROSS JOIN LATERAL (SELECT coalesce(sum(e.amount), 0) AS expected FROM ledger_entries e WHERE e.account_id = a.id) sums
              LEFT JOIN LATERAL (SELECT e.balance_after FROM ledger_entries e WHERE e.account_id = a.id ORDER BY e.sequence DESC LIMIT 1) last ON true
             WHERE (@account IS NULL OR a.id = @account) AND sums.expected <> coalesce(last.balance_after, 0)
            """)
        { Parameters = { account } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            SELECT e.transaction_id, e.currency, sum(e.amount), min(e.id)
              FROM ledger_entries e
             WHERE @account IS NULL
                OR e.transaction_id IN (SELECT x.transaction_id FROM ledger_entries x WHERE x.account_id = @account)
             GROUP BY e.transaction_id, e.currency
            HAVING sum(e.amount) <> 0
            """)
        { Parameters = { account.Clone() } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            SELECT a.currency, sum(coalesce(last.balance_after, 0))
              FROM accounts a
              LEFT JOIN LATERAL (SELECT e.balance_after FROM ledger_entries e WHERE e.account_id = a.id ORDER BY e.sequence DESC LIMIT 1) last ON true
             GROUP BY a.currency
            HAVING sum(coalesce(last.balance_after, 0)) <> 0
            """));

        var differences = new List<Difference>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            differences.Add(new Difference(AccountBalance, reader.GetString(0), null, reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4)));
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            differences.Add(new Difference(UnbalancedTransaction, accountId, reader.GetGuid(0), reader.GetString(1), 0, reader.GetInt64(2), reader.GetInt64(3)));
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            differences.Add(new Difference(TrialBalance, null, null, reader.GetString(0), 0, reader.GetInt64(1), null));
        }

        return differences;
    }
}
