using System.Text.Json;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using Npgsql;

namespace LambdaRecon.Infrastructure.Transactions;

public sealed record TransactionView(
    TransactionRecord Record,
    TransactionStatus Status,
    string? IdempotencyKey,
    string? ClientId,
    string? FailureCode,
    string? FailureReason,
    JsonElement Metadata,
    string? MessageId,
    DateTimeOffset AcceptedAt,
    DateTimeOffset? PublishedAt,
    DateTimeOffset? PostedAt,
    DateTimeOffset? FailedAt,
    long RefundedMinor,
    IReadOnlyList<PostedEntry> Entries);

public sealed record PostedEntry(long Id, string AccountId, long Amount, long BalanceAfter, long Sequence, DateTimeOffset PostedAt);

/// <summary>Transactions as their tenant sees them: another tenant's transaction reads as an unknown one.</summary>
public sealed class TransactionReader(NpgsqlDataSource dataSource)
{
    public Task<TransactionView?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken) =>
        ReadAsync(GetCommand(tenantId, id), cancellationToken);

    /// <summary>The read of <see cref="GetAsync"/> as one command of a batch, for a caller that sends it with other reads in one round trip.</summary>
    internal static NpgsqlBatchCommand GetCommand(string tenantId, Guid id) =>
        Command(tenantId, "t.id = @id", p => p.AddWithValue("id", id));

    /// <summary>The transaction a client submitted under an idempotency key (keys are scoped per tenant and client).</summary>
    public Task<TransactionView?> GetByKeyAsync(string tenantId, string clientId, string key, CancellationToken cancellationToken) =>
        ReadAsync(Command(
            tenantId,
            "t.id = (SELECT k.transaction_id FROM idempotency_keys k WHERE k.tenant_id = @tenant AND k.client_id = @client AND k.key = @key)",
            p =>
            {
                p.AddWithValue("client", clientId);
                p.AddWithValue("key", key);
            }), cancellationToken);

    private async Task<TransactionView?> ReadAsync(NpgsqlBatchCommand command, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(command);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadViewAsync(reader, cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string tenantId, string where, Action<NpgsqlParameterCollection> bind)
    {
        // The transaction, its refunds so far, and its entries in one round trip.
        var command = new NpgsqlBatchCommand(
            $"""
            SELECT t.id, t.type, t.status, t.amount, t.currency, t.source_account_id, t.destination_account_id, t.refund_of,
                   t.description, t.idempotency_key, t.client_id, t.failure_code, t.failure_reason, t.metadata::text, t.message_id,
                   t.accepted_at, t.published_at, t.posted_at, t.failed_at,
                   (SELECT coalesce(sum(r.amount), 0) FROM transactions r WHERE r.refund_of = t.id AND r.status = 'POSTED'),
                   e.id, e.account_id, e.amount, e.balance_after, e.sequence, e.posted_at
              FROM transactions t
              LEFT JOIN ledger_entries e ON e.transaction_id = t.id
             WHERE {where} AND t.tenant_id = @tenant
             ORDER BY e.amount
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        bind(command.Parameters);
        return command;
    }

    /// <summary>Reads the current result set of a <see cref="GetCommand"/>.</summary>
    internal static async Task<TransactionView?> ReadViewAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        TransactionView? view = null;
        var entries = new List<PostedEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            view ??= new TransactionView(
                new TransactionRecord(
                    reader.GetGuid(0), LedgerStore.ParseType(reader.GetString(1)), reader.GetInt64(3), reader.GetString(4),
                    reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetGuid(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8)),
                LedgerStore.ParseStatus(reader.GetString(2)),
                NullableString(reader, 9), NullableString(reader, 10), NullableString(reader, 11), NullableString(reader, 12),
                JsonDocument.Parse(reader.GetString(13)).RootElement.Clone(), NullableString(reader, 14),
                reader.GetFieldValue<DateTimeOffset>(15), NullableTime(reader, 16), NullableTime(reader, 17), NullableTime(reader, 18),
                reader.GetInt64(19), entries);
            if (!reader.IsDBNull(20))
            {
                entries.Add(new PostedEntry(
                    reader.GetInt64(20), reader.GetString(21), reader.GetInt64(22), reader.GetInt64(23), reader.GetInt64(24),
                    reader.GetFieldValue<DateTimeOffset>(25)));
            }
        }

        return view;
    }

    private static string? NullableString(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
}
