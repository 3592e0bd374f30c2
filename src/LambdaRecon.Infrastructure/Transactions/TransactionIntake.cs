using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using Npgsql;

namespace LambdaRecon.Infrastructure.Transactions;

/// <summary>What PostgreSQL holds for one (tenant, client, idempotency key).</summary>
public sealed record IdempotencyEntry(byte[] RequestHash, Guid TransactionId, bool LeaseActive, int? ResponseStatus, string? ResponseBody)
{
    public bool Completed => ResponseStatus is not null;
}

/// <summary>
/// The durable half of the accept path. A request reserves its idempotency key and records its
/// transaction as ACCEPTED in one statement, so a key never exists without its transaction nor a
/// transaction without its key. The key carries a lease: while it runs, a repeat is answered 409;
/// once it lapses (the request crashed, or SQS was down) a repeat takes the key over and finishes.
/// Keys are scoped per tenant and client: two tenants may each have a client of the same name.
/// </summary>
public sealed class TransactionIntake(NpgsqlDataSource dataSource)
{
    /// <summary>How long a request may hold its key; far longer than a publish, far shorter than a client's patience.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);

    public async Task<IdempotencyEntry?> FindAsync(string tenantId, string clientId, string key, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(FindCommand(tenantId, clientId, key));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadEntryAsync(reader, cancellationToken);
    }

    /// <summary>
    /// Finds the key and, in the same round trip, makes the read a new key needs (its accounts, or a refund's
    /// original), so a new transaction costs one read before its reserve whether or not the key is known.
    /// </summary>
    public async Task<(IdempotencyEntry? Entry, T Read)> FindWithAsync<T>(
        string tenantId, string clientId, string key, NpgsqlBatchCommand read, Func<NpgsqlDataReader, CancellationToken, Task<T>> readResult,
        CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(FindCommand(tenantId, clientId, key));
        batch.BatchCommands.Add(read);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var entry = await ReadEntryAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return (entry, await readResult(reader, cancellationToken));
    }

    private static NpgsqlBatchCommand FindCommand(string tenantId, string clientId, string key)
    {
        var command = new NpgsqlBatchCommand(
            """
            SELECT request_hash, transaction_id, coalesce(lease_until > now(), false), response_status, response_body
              FROM idempotency_keys WHERE tenant_id = @tenant AND client_id = @client AND key = @key
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("key", key);
        return command;
    }

    private static async Task<IdempotencyEntry?> ReadEntryAsync(NpgsqlDataReader reader, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken)
            ? new IdempotencyEntry(
                reader.GetFieldValue<byte[]>(0), reader.GetGuid(1), reader.GetBoolean(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4))
            : null;

    /// <returns>False when the key was taken meanwhile: look it up again.</returns>
    public async Task<bool> ReserveAsync(
        string tenantId, string clientId, string key, byte[] requestHash, TransactionRecord transaction, string metadataJson, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH reserved AS (
                INSERT INTO idempotency_keys (tenant_id, client_id, key, request_hash, transaction_id, lease_until)
                VALUES (@tenant, @client, @key, @hash, @id, now() + @lease)
                ON CONFLICT (tenant_id, client_id, key) DO NOTHING
                RETURNING transaction_id
            )
            INSERT INTO transactions (id, tenant_id, idempotency_key, client_id, type, amount, currency,
                                      source_account_id, destination_account_id, refund_of, description, metadata)
            SELECT transaction_id, @tenant, @key, @client, @type, @amount, @currency, @source, @destination, @refund_of, @description, @metadata::jsonb
              FROM reserved
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("hash", requestHash);
        command.Parameters.AddWithValue("id", transaction.Id);
        command.Parameters.AddWithValue("lease", Lease);
        command.Parameters.AddWithValue("type", LedgerStore.TypeText(transaction.Type));
        command.Parameters.AddWithValue("amount", transaction.Amount);
        command.Parameters.AddWithValue("currency", transaction.Currency);
        command.Parameters.AddWithValue("source", transaction.SourceAccountId);
        command.Parameters.AddWithValue("destination", transaction.DestinationAccountId);
        command.Parameters.AddWithValue("refund_of", (object?)transaction.RefundOf ?? DBNull.Value);
        command.Parameters.AddWithValue("description", (object?)transaction.Description ?? DBNull.Value);
        command.Parameters.AddWithValue("metadata", metadataJson);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <returns>True when this request now holds the lapsed lease of an unfinished request.</returns>
    public async Task<bool> TakeOverAsync(string tenantId, string clientId, string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE idempotency_keys SET lease_until = now() + @lease
             WHERE tenant_id = @tenant AND client_id = @client AND key = @key AND response_status IS NULL AND lease_until <= now()
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("lease", Lease);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Records the publication and the response a replay will give, in one statement whose commit does not wait
    /// for the WAL flush: losing it in a crash is the "published, answer not recorded" case, which the lease,
    /// the sweep, SQS deduplication and the worker's posting once already absorb (docs/accept-path.md). So a
    /// new transaction waits for one durable commit, the reserve.
    /// </summary>
    public async Task CompleteAsync(
        string tenantId, string clientId, string key, Guid transactionId, string messageId, int status, string body, CancellationToken cancellationToken)
    {
        // One round trip holding a transaction block of its own: SET LOCAL lasts until its COMMIT, and the setting
        // in force at commit is the one that decides whether the commit waits. Should the update fail, COMMIT is
        // never run and Npgsql rolls the block back when the connection returns to the pool.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
        var command = new NpgsqlBatchCommand(
            """
            WITH published AS (
                UPDATE transactions SET published_at = coalesce(published_at, now()), message_id = @message WHERE id = @id AND tenant_id = @tenant
            )
            UPDATE idempotency_keys SET response_status = @status, response_body = @body, lease_until = NULL, completed_at = now()
             WHERE tenant_id = @tenant AND client_id = @client AND key = @key
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("id", transactionId);
        command.Parameters.AddWithValue("message", messageId);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("body", body);
        batch.BatchCommands.Add(command);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Gives the key up at once after a failed publish, so the client's retry can finish the job.</summary>
    public async Task ReleaseAsync(string tenantId, string clientId, string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE idempotency_keys SET lease_until = now() WHERE tenant_id = @tenant AND client_id = @client AND key = @key AND response_status IS NULL");
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("key", key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
