using System.Buffers.Text;
using System.Text.Json;
using Npgsql;

namespace LambdaRecon.Infrastructure.Ledger;

public sealed record Balance(string AccountId, string Currency, long Minor, DateTimeOffset AsOf);

public sealed record EntryView(
    long Id, Guid TransactionId, string Type, long Amount, string Currency, long BalanceAfter, long Sequence, DateTimeOffset PostedAt, string? Description);

public sealed record LedgerPage(IReadOnlyList<EntryView> Entries, string? NextCursor);

public sealed record AuditEvent(DateTimeOffset At, string Event, string Actor, Guid? TransactionId, JsonElement Detail);

/// <summary>
/// Reads of the ledger, each served by an index of ledger_entries or transactions, each for one tenant:
/// another tenant's account reads as an unknown one.
/// </summary>
public sealed class LedgerReader(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 500;

    /// <summary>The balance now, or at <paramref name="at"/> (the balance after the last entry posted by then); null for an unknown account.</summary>
    public async Task<Balance?> GetBalanceAsync(string tenantId, string accountId, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(at is null
            ? """
              SELECT a.currency,
                     coalesce((SELECT e.balance_after FROM ledger_entries e
                                WHERE e.account_id = a.id ORDER BY e.sequence DESC LIMIT 1), 0),
                     now()
                FROM accounts a WHERE a.id = @id AND a.tenant_id = @tenant
              """
            : """
              SELECT a.currency,
                     coalesce((SELECT e.balance_after FROM ledger_entries e
                                WHERE e.account_id = a.id AND e.posted_at <= @at
                                ORDER BY e.posted_at DESC, e.sequence DESC LIMIT 1), 0),
                     @at
                FROM accounts a WHERE a.id = @id AND a.tenant_id = @tenant
              """);
        command.Parameters.AddWithValue("id", accountId);
        command.Parameters.AddWithValue("tenant", tenantId);
        if (at is not null)
        {
            command.Parameters.AddWithValue("at", at.Value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Balance(accountId, reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2))
            : null;
    }

    /// <summary>Entries newest first; the cursor is opaque to clients (it encodes the last sequence read).</summary>
    public async Task<LedgerPage> GetEntriesAsync(string tenantId, string accountId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var before = cursor is null ? long.MaxValue : DecodeCursor(cursor);
        await using var command = dataSource.CreateCommand(
            """
            SELECT e.id, e.transaction_id, t.type, e.amount, e.currency, e.balance_after, e.sequence, e.posted_at, t.description
              FROM ledger_entries e JOIN transactions t ON t.id = e.transaction_id
             WHERE e.account_id = @account AND e.sequence < @before AND t.tenant_id = @tenant
             ORDER BY e.sequence DESC
             LIMIT @limit
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("before", before);
        command.Parameters.AddWithValue("limit", limit + 1);
        var entries = new List<EntryView>(limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new EntryView(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetInt64(5), reader.GetInt64(6), reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        var more = entries.Count > limit;
        if (more)
        {
            entries.RemoveAt(limit);
        }

        return new LedgerPage(entries, more ? EncodeCursor(entries[^1].Sequence) : null);
    }

    /// <summary>
    /// Every change of the account and of the transactions that touch it, newest first: the account's
    /// own events, and each transaction's acceptance, publication and outcome with who caused them.
    /// </summary>
    public async Task<IReadOnlyList<AuditEvent>> GetAuditTrailAsync(string tenantId, string accountId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH touching AS (
                (SELECT * FROM transactions WHERE source_account_id = @account AND tenant_id = @tenant ORDER BY accepted_at DESC LIMIT @limit)
                UNION
                (SELECT * FROM transactions WHERE destination_account_id = @account AND tenant_id = @tenant ORDER BY accepted_at DESC LIMIT @limit)
            ), events AS (
                SELECT at, event, actor, NULL::uuid AS transaction_id, detail FROM account_events
                 WHERE account_id = @account AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = @account AND a.tenant_id = @tenant)
                UNION ALL
                SELECT accepted_at, 'transaction.accepted', coalesce(client_id, 'ledger'), id,
                       jsonb_build_object('type', type, 'amount', amount, 'currency', currency,
                                          'source_account_id', source_account_id, 'destination_account_id', destination_account_id,
                                          'idempotency_key', idempotency_key)
                  FROM touching
                UNION ALL
                SELECT published_at, 'transaction.published', 'api', id, jsonb_build_object('message_id', message_id)
                  FROM touching WHERE published_at IS NOT NULL
                UNION ALL
                SELECT posted_at, 'transaction.posted', 'ledger-worker', id, '{}'::jsonb FROM touching WHERE posted_at IS NOT NULL
                UNION ALL
                SELECT failed_at, 'transaction.failed', 'ledger-worker', id,
                       jsonb_build_object('failure_code', failure_code, 'failure_reason', failure_reason)
                  FROM touching WHERE failed_at IS NOT NULL
            )
            SELECT at, event, actor, transaction_id, detail::text FROM events ORDER BY at DESC, event LIMIT @limit
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("limit", limit);
        var events = new List<AuditEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new AuditEvent(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetGuid(3), JsonDocument.Parse(reader.GetString(4)).RootElement.Clone()));
        }

        return events;
    }

    private static string EncodeCursor(long sequence) => Base64Url.EncodeToString(BitConverter.GetBytes(sequence));

    /// <exception cref="FormatException">The cursor was not made by this reader.</exception>
    public static long DecodeCursor(string cursor)
    {
        try
        {
            var bytes = Base64Url.DecodeFromChars(cursor);
            return bytes.Length == sizeof(long) && BitConverter.ToInt64(bytes) > 0
                ? BitConverter.ToInt64(bytes)
                : throw new FormatException("the cursor is not one this API returned");
        }
        catch (FormatException)
        {
            throw new FormatException("the cursor is not one this API returned");
        }
    }
}
