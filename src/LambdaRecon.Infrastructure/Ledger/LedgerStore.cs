using LambdaRecon.Core.Ledger;
using Npgsql;

namespace LambdaRecon.Infrastructure.Ledger;

/// <summary>
/// The outcome of posting one transaction; <c>AlreadyFinal</c> when an earlier posting decided it. <c>AcceptedAt</c>
/// is when the API recorded it, for the accepted→posted latency.
/// </summary>
public sealed record PostingOutcome(
    Guid TransactionId, TransactionStatus Status, string? FailureCode, string? FailureReason, bool AlreadyFinal, DateTimeOffset AcceptedAt);

/// <summary>
/// Posts batches of transactions into the ledger: one database transaction and two round trips
/// per batch, whatever its size. Round trip 1 opens the transaction, records the transactions not yet
/// known and locks the batch's transactions and accounts in id order (so concurrent batches cannot
/// deadlock); the rules then run in memory; round trip 2 writes every outcome and every entry,
/// set-based, and commits. A hot account costs one lock per batch and no update at all: its balance is its last
/// entry's balance_after. The database's own triggers check the result again. An account of another
/// tenant than the transaction is, to the transaction, an unknown account: money never crosses tenants.
/// </summary>
public sealed class LedgerStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<PostingOutcome>> PostBatchAsync(IReadOnlyList<TransactionRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        // BEGIN and COMMIT travel inside the batches (round trips 1 and 2) rather than costing a round trip
        // each. Whatever stops the method before COMMIT ran (a trigger's refusal, a deferred check failing
        // at COMMIT, a cancellation), the connection returns to the pool with its transaction open or
        // failed, and Npgsql rolls it back there: nothing of the batch is kept.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        var (recorded, accounts, tenants, refundTargets) = await LockAsync(connection, batch, cancellationToken);

        // A transaction already POSTED or FAILED keeps its outcome; so does a repeat inside the batch.
        var outcomes = new Dictionary<Guid, PostingOutcome>();
        var toPost = new List<TransactionRecord>();
        var decisions = new List<PostingDecision>();
        foreach (var id in batch.Select(t => t.Id).Distinct())
        {
            var row = recorded[id];
            if (row.Status != TransactionStatus.Accepted)
            {
                outcomes[id] = new PostingOutcome(id, row.Status, row.FailureCode, row.FailureReason, AlreadyFinal: true, row.AcceptedAt);
            }
            else if (ForeignAccount(row, tenants) is { } foreign)
            {
                decisions.Add(PostingDecision.Fail(id, FailureCodes.UnknownAccount, foreign));
            }
            else
            {
                toPost.Add(row.Record);
            }
        }

        decisions.AddRange(PostingRules.ApplyBatch(toPost, accounts, refundTargets));
        foreach (var decision in decisions)
        {
            outcomes[decision.TransactionId] = new PostingOutcome(
                decision.TransactionId,
                decision.Posted ? TransactionStatus.Posted : TransactionStatus.Failed,
                decision.FailureCode, decision.FailureReason, AlreadyFinal: false, recorded[decision.TransactionId].AcceptedAt);
        }

        await WriteAndCommitAsync(connection, decisions, cancellationToken);
        return batch.Select(t => outcomes[t.Id]).ToArray();
    }

    private sealed record RecordedTransaction(
        TransactionRecord Record, TransactionStatus Status, string? FailureCode, string? FailureReason, string TenantId, DateTimeOffset AcceptedAt);

    /// <returns>The failure reason when one of the transaction's accounts belongs to another tenant, worded as for a missing account.</returns>
    private static string? ForeignAccount(RecordedTransaction row, Dictionary<string, string> tenants) =>
        tenants.TryGetValue(row.Record.SourceAccountId, out var source) && source != row.TenantId
            ? $"source account '{row.Record.SourceAccountId}' does not exist"
        : tenants.TryGetValue(row.Record.DestinationAccountId, out var destination) && destination != row.TenantId
            ? $"destination account '{row.Record.DestinationAccountId}' does not exist"
        : null;

    private static async Task<(Dictionary<Guid, RecordedTransaction>, Dictionary<string, AccountState>, Dictionary<string, string>, Dictionary<Guid, RefundTarget>)> LockAsync(
        NpgsqlConnection connection, IReadOnlyList<TransactionRecord> batch, CancellationToken cancellationToken)
    {
        var accountIds = batch.SelectMany(t => new[] { t.SourceAccountId, t.DestinationAccountId }).Distinct().ToArray();
        var originalIds = batch.Where(t => t.RefundOf is not null).Select(t => t.RefundOf!.Value).Distinct().ToArray();

        // Every lock this batch takes, it takes in id order: the rows it inserts (an insert waits for a
        // concurrent insert of the same id), then the transactions, then the accounts. Two batches
        // therefore never wait on each other in a circle.
        // A transaction the ledger records itself (an adjustment, or a message whose row is missing) takes
        // its source account's tenant; the API records its own with the client's tenant.
        await using var lockBatch = new NpgsqlBatch(connection);
        lockBatch.BatchCommands.Add(Command("BEGIN"));
        lockBatch.BatchCommands.Add(Command(
            """
            INSERT INTO transactions (id, tenant_id, type, amount, currency, source_account_id, destination_account_id, refund_of, description)
            SELECT t.id, coalesce((SELECT a.tenant_id FROM accounts a WHERE a.id = t.source), 'default'),
                   t.type, t.amount, t.currency, t.source, t.destination, t.refund_of, t.description
              FROM unnest(@ids, @types, @amounts, @currencies, @sources, @destinations, @refund_ofs, @descriptions)
                   AS t(id, type, amount, currency, source, destination, refund_of, description)
             ORDER BY t.id
            ON CONFLICT (id) DO NOTHING
            """,
            new NpgsqlParameter<Guid[]>("ids", batch.Select(t => t.Id).ToArray()),
            new NpgsqlParameter<string[]>("types", batch.Select(t => TypeText(t.Type)).ToArray()),
            new NpgsqlParameter<long[]>("amounts", batch.Select(t => t.Amount).ToArray()),
            new NpgsqlParameter<string[]>("currencies", batch.Select(t => t.Currency).ToArray()),
            new NpgsqlParameter<string[]>("sources", batch.Select(t => t.SourceAccountId).ToArray()),
            new NpgsqlParameter<string[]>("destinations", batch.Select(t => t.DestinationAccountId).ToArray()),
            new NpgsqlParameter<Guid?[]>("refund_ofs", batch.Select(t => t.RefundOf).ToArray()),
            new NpgsqlParameter<string?[]>("descriptions", batch.Select(t => t.Description).ToArray())));
        lockBatch.BatchCommands.Add(Command(
            $"SELECT {TransactionColumns} FROM transactions WHERE id = ANY(@ids) ORDER BY id FOR UPDATE",
            new NpgsqlParameter<Guid[]>("ids", batch.Select(t => t.Id).Distinct().ToArray())));
        lockBatch.BatchCommands.Add(Command(
            "SELECT id, currency, kind, overdraft_limit, status, tenant_id FROM accounts WHERE id = ANY(@ids) ORDER BY id FOR UPDATE",
            new NpgsqlParameter<string[]>("ids", accountIds)));
        // An account's balance and sequence are those of its last entry. They are read by a statement
        // of their own, after the locks are held: in READ COMMITTED each statement sees what committed
        // before it began, while a locking statement that had to wait still sees its starting snapshot.
        lockBatch.BatchCommands.Add(Command(
            """
            SELECT a.id, last.balance_after, last.sequence
              FROM unnest(@ids) AS a(id)
              CROSS JOIN LATERAL (SELECT e.balance_after, e.sequence FROM ledger_entries e
                                   WHERE e.account_id = a.id ORDER BY e.sequence DESC LIMIT 1) last
            """,
            new NpgsqlParameter<string[]>("ids", accountIds)));
        // The originals of the batch's refunds, and how much of each is refunded already. Their
        // accounts are the refunds' own, locked above, so no concurrent batch can refund them meanwhile.
        lockBatch.BatchCommands.Add(Command(
            $"""
            SELECT {TransactionColumns},
                   (SELECT coalesce(sum(r.amount), 0) FROM transactions r WHERE r.refund_of = t.id AND r.status = 'POSTED')
              FROM transactions t WHERE t.id = ANY(@ids)
            """,
            new NpgsqlParameter<Guid[]>("ids", originalIds)));

        var recorded = new Dictionary<Guid, RecordedTransaction>();
        var accounts = new Dictionary<string, AccountState>(StringComparer.Ordinal);
        var tenants = new Dictionary<string, string>(StringComparer.Ordinal);
        var refundTargets = new Dictionary<Guid, RefundTarget>();
        await using (var reader = await lockBatch.ExecuteReaderAsync(cancellationToken))
        {
            // BEGIN and the INSERT return no rows: the first result set is the locked transactions.
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = ReadTransaction(reader);
                recorded[row.Record.Id] = row;
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var account = new AccountState(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.GetString(4) == "open", balance: 0, lastSequence: 0);
                accounts[account.Id] = account;
                tenants[account.Id] = reader.GetString(5);
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (accounts.TryGetValue(reader.GetString(0), out var account))
                {
                    account.Balance = reader.GetInt64(1);
                    account.LastSequence = reader.GetInt64(2);
                }
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = ReadTransaction(reader);
                refundTargets[row.Record.Id] = new RefundTarget(row.Record, row.Status, reader.GetInt64(TransactionColumnCount));
            }
        }

        return (recorded, accounts, tenants, refundTargets);
    }

    private static async Task WriteAndCommitAsync(NpgsqlConnection connection, List<PostingDecision> decisions, CancellationToken cancellationToken)
    {
        var entries = decisions.Where(d => d.Posted).SelectMany(d => new[] { d.Debit!, d.Credit! }).ToArray();

        await using var writeBatch = new NpgsqlBatch(connection);
        // Status first: the entries' trigger accepts legs of POSTED transactions only.
        if (decisions.Count > 0)
        {
            writeBatch.BatchCommands.Add(Command(
                """
                UPDATE transactions t
                   SET status = v.status, failure_code = v.code, failure_reason = v.reason,
                       posted_at = CASE WHEN v.status = 'POSTED' THEN now() END,
                       failed_at = CASE WHEN v.status = 'FAILED' THEN now() END
                  FROM unnest(@ids, @statuses, @codes, @reasons) AS v(id, status, code, reason)
                 WHERE t.id = v.id
                """,
                new NpgsqlParameter<Guid[]>("ids", decisions.Select(d => d.TransactionId).ToArray()),
                new NpgsqlParameter<string[]>("statuses", decisions.Select(d => d.Posted ? "POSTED" : "FAILED").ToArray()),
                new NpgsqlParameter<string?[]>("codes", decisions.Select(d => d.FailureCode).ToArray()),
                new NpgsqlParameter<string?[]>("reasons", decisions.Select(d => d.FailureReason).ToArray())));
        }

        // Entries only for what posted: a batch of refusals writes statuses and commits.
        if (entries.Length > 0)
        {
            writeBatch.BatchCommands.Add(Command(
                """
                INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, sequence)
                SELECT * FROM unnest(@transactions, @accounts, @amounts, @currencies, @balances, @sequences)
                """,
                new NpgsqlParameter<Guid[]>("transactions", entries.Select(e => e.TransactionId).ToArray()),
                new NpgsqlParameter<string[]>("accounts", entries.Select(e => e.AccountId).ToArray()),
                new NpgsqlParameter<long[]>("amounts", entries.Select(e => e.Amount).ToArray()),
                new NpgsqlParameter<string[]>("currencies", entries.Select(e => e.Currency).ToArray()),
                new NpgsqlParameter<long[]>("balances", entries.Select(e => e.BalanceAfter).ToArray()),
                new NpgsqlParameter<long[]>("sequences", entries.Select(e => e.Sequence).ToArray())));
        }

        writeBatch.BatchCommands.Add(Command("COMMIT"));
        await writeBatch.ExecuteNonQueryAsync(cancellationToken);
    }

    private const string TransactionColumns =
        "id, type, status, amount, currency, source_account_id, destination_account_id, refund_of, description, failure_code, failure_reason, tenant_id, accepted_at";

    private const int TransactionColumnCount = 13;

    private static RecordedTransaction ReadTransaction(NpgsqlDataReader reader) => new(
        new TransactionRecord(
            reader.GetGuid(0), ParseType(reader.GetString(1)), reader.GetInt64(3), reader.GetString(4),
            reader.GetString(5), reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetGuid(7),
            reader.IsDBNull(8) ? null : reader.GetString(8)),
        ParseStatus(reader.GetString(2)),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.GetString(11),
        reader.GetFieldValue<DateTimeOffset>(12));

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    public static string TypeText(TransactionType type) => type switch
    {
        TransactionType.Transfer => "transfer",
        TransactionType.Refund => "refund",
        TransactionType.Adjustment => "adjustment",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static TransactionType ParseType(string text) => text switch
    {
        "transfer" => TransactionType.Transfer,
        "refund" => TransactionType.Refund,
        "adjustment" => TransactionType.Adjustment,
        _ => throw new InvalidOperationException($"unknown transaction type '{text}'"),
    };

    public static TransactionStatus ParseStatus(string text) => text switch
    {
        "ACCEPTED" => TransactionStatus.Accepted,
        "POSTED" => TransactionStatus.Posted,
        "FAILED" => TransactionStatus.Failed,
        _ => throw new InvalidOperationException($"unknown transaction status '{text}'"),
    };
}
