using System.Text.Json;
using LambdaRecon.Core.Statements;
using Npgsql;

namespace LambdaRecon.Infrastructure.Accounts;

public sealed record Account(
    string Id, string Currency, string Kind, long? OverdraftLimit, string Status, JsonElement Metadata, DateTimeOffset CreatedAt);

public enum AccountCreation
{
    Created,

    /// <summary>The account existed with exactly these settings: a safe retry.</summary>
    AlreadyExists,

    /// <summary>The id is taken by an account with other settings, or by another tenant's account.</summary>
    Conflict,

    /// <summary>One of the external ids is held by another account of the tenant: nothing was created.</summary>
    ExternalIdTaken,
}

/// <summary>
/// Accounts, each in one tenant. Ids are global (the ledger's keys), so every read names the tenant and
/// another tenant's account is answered exactly as a missing one.
/// </summary>
public sealed class AccountStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, currency, kind, overdraft_limit, status, metadata, created_at";

    private readonly ExternalIdStore _externalIds = new(dataSource);

    /// <summary>
    /// Creates an account in <paramref name="tenantId"/>, or recognises a retry of the same creation. The
    /// insert and the event are one statement, so an account never exists without the record of who opened it.
    /// </summary>
    /// <returns>The account, except for a <see cref="AccountCreation.Conflict"/>: what holds the id is not the caller's to see.</returns>
    /// <param name="externalIds">The account's identifiers (see <see cref="ExternalIdStore"/>), null when not given; a retry must give the same ones.</param>
    public async Task<(AccountCreation Result, Account? Account, ExternalIdTaken? Taken)> CreateAsync(
        string tenantId, string id, string currency, string kind, long? overdraftLimit, JsonElement? metadata, string actor,
        CancellationToken cancellationToken, IReadOnlyCollection<ExternalId>? externalIds = null)
    {
        var metadataJson = metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : "{}";
        // The account and its external ids are created together or not at all.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            WITH created AS (
                INSERT INTO accounts (id, tenant_id, currency, kind, overdraft_limit, metadata)
                VALUES (@id, @tenant, @currency, @kind, @limit, @metadata::jsonb)
                ON CONFLICT (id) DO NOTHING
                RETURNING {Columns}
            ), opened AS (
                INSERT INTO account_events (account_id, event, actor, detail)
                SELECT id, 'account.created', @actor,
                       jsonb_build_object('currency', currency, 'kind', kind, 'overdraft_limit', overdraft_limit)
                  FROM created
            )
            SELECT true, {Columns} FROM created
            UNION ALL
            SELECT false, {Columns} FROM accounts WHERE id = @id AND tenant_id = @tenant AND NOT EXISTS (SELECT 1 FROM created)
            """, connection, transaction);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("currency", currency);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("limit", (object?)overdraftLimit ?? DBNull.Value);
        command.Parameters.AddWithValue("metadata", metadataJson);
        command.Parameters.AddWithValue("actor", actor);
        Account? account;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                account = null;
            }
            else if (reader.GetBoolean(0))
            {
                var created = Read(reader, 1);
                await reader.CloseAsync();
                if (externalIds is { Count: > 0 }
                    && await _externalIds.ReplaceAsync(tenantId, id, externalIds, actor, cancellationToken, transaction) is { } taken)
                {
                    return (AccountCreation.ExternalIdTaken, null, taken);
                }

                await transaction.CommitAsync(cancellationToken);
                return (AccountCreation.Created, created, null);
            }
            else
            {
                account = Read(reader, 1);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        // Another tenant holds the id, or a concurrent creation of it committed after this statement's snapshot was taken.
        account ??= await GetAsync(tenantId, id, cancellationToken);
        if (account is null)
        {
            return (AccountCreation.Conflict, null, null);
        }

        var same = account.Currency == currency && account.Kind == kind && account.OverdraftLimit == overdraftLimit
            && JsonSameObject(account.Metadata, metadataJson)
            && (externalIds is null || (await _externalIds.GetAsync(id, cancellationToken)).ToHashSet().SetEquals(externalIds));
        return same ? (AccountCreation.AlreadyExists, account, null) : (AccountCreation.Conflict, null, null);
    }

    /// <returns>Null for an unknown account and for another tenant's.</returns>
    public async Task<Account?> GetAsync(string tenantId, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM accounts WHERE id = @id AND tenant_id = @tenant");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("tenant", tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : null;
    }

    /// <summary>The accounts among <paramref name="ids"/> that exist in <paramref name="tenantId"/>, by id, in one round trip.</summary>
    public async Task<IReadOnlyDictionary<string, Account>> GetManyAsync(string tenantId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(GetManyCommand(tenantId, ids));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadManyAsync(reader, cancellationToken);
    }

    /// <summary>The read of <see cref="GetManyAsync"/> as one command of a batch, for a caller that sends it with other reads in one round trip.</summary>
    internal static NpgsqlBatchCommand GetManyCommand(string tenantId, IReadOnlyCollection<string> ids)
    {
        var command = new NpgsqlBatchCommand($"SELECT {Columns} FROM accounts WHERE id = ANY(@ids) AND tenant_id = @tenant");
        command.Parameters.AddWithValue("ids", ids.ToArray());
        command.Parameters.AddWithValue("tenant", tenantId);
        return command;
    }

    /// <summary>Reads the current result set of a <see cref="GetManyCommand"/>.</summary>
    internal static async Task<IReadOnlyDictionary<string, Account>> ReadManyAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var accounts = new Dictionary<string, Account>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var account = Read(reader, 0);
            accounts[account.Id] = account;
        }

        return accounts;
    }

    /// <summary>Closes an open account; a closed account takes no new postings but keeps its history.</summary>
    public async Task<bool> CloseAsync(string id, string actor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH closed AS (
                UPDATE accounts SET status = 'closed', updated_at = now() WHERE id = @id AND status = 'open' RETURNING id
            )
            INSERT INTO account_events (account_id, event, actor) SELECT id, 'account.closed', @actor FROM closed
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("actor", actor);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static Account Read(NpgsqlDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetString(first + 1),
        reader.GetString(first + 2),
        reader.IsDBNull(first + 3) ? null : reader.GetInt64(first + 3),
        reader.GetString(first + 4),
        JsonDocument.Parse(reader.GetString(first + 5)).RootElement.Clone(),
        reader.GetFieldValue<DateTimeOffset>(first + 6));

    // jsonb normalises key order and whitespace, so compare parsed values, not text.
    private static bool JsonSameObject(JsonElement stored, string requested) =>
        JsonElement.DeepEquals(stored, JsonDocument.Parse(requested).RootElement);
}
