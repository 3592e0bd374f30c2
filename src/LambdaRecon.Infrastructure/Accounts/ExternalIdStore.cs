using LambdaRecon.Core.Statements;
using Npgsql;

namespace LambdaRecon.Infrastructure.Accounts;

/// <summary>An identifier already held by another account of the tenant (the only holder a caller may be told about).</summary>
public sealed record ExternalIdTaken(ExternalId Id, string HolderAccountId);

/// <summary>
/// The identifiers banks and providers name an account by (IBAN, BBAN, OTHER, STRIPE), which route
/// imported statements to their accounts. An identifier names at most one account per tenant; another
/// tenant may hold the same one, and never learns of it.
/// </summary>
public sealed class ExternalIdStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<ExternalId>> GetAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT scheme, external_id FROM account_external_ids WHERE account_id = @account ORDER BY scheme, external_id");
        command.Parameters.AddWithValue("account", accountId);
        var ids = new List<ExternalId>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(new ExternalId(reader.GetString(0), reader.GetString(1)));
        }

        return ids;
    }

    /// <summary>Which account of the tenant holds each of <paramref name="ids"/> that one holds, in one round trip.</summary>
    public async Task<IReadOnlyDictionary<ExternalId, string>> HoldersAsync(string tenantId, IEnumerable<ExternalId> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.Distinct().ToArray();
        await using var command = dataSource.CreateCommand(
            """
            SELECT e.scheme, e.external_id, e.account_id
              FROM account_external_ids e JOIN unnest(@schemes, @ids) AS w(scheme, external_id) USING (scheme, external_id)
             WHERE e.tenant_id = @tenant
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("schemes", wanted.Select(i => i.Scheme).ToArray());
        command.Parameters.AddWithValue("ids", wanted.Select(i => i.Id).ToArray());
        var holders = new Dictionary<ExternalId, string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            holders[new ExternalId(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
        }

        return holders;
    }

    /// <summary>
    /// Makes <paramref name="ids"/> the account's whole list, in <paramref name="transaction"/> when given
    /// (an account's creation), else in one of its own. Nothing changes when another account of the tenant
    /// holds one of them: that one is returned, and the transaction (the caller's too) is rolled back.
    /// </summary>
    public async Task<ExternalIdTaken?> ReplaceAsync(
        string tenantId, string accountId, IReadOnlyCollection<ExternalId> ids, string actor, CancellationToken cancellationToken,
        NpgsqlTransaction? transaction = null)
    {
        await using var own = transaction is null ? await dataSource.OpenConnectionAsync(cancellationToken) : null;
        await using var ownTransaction = own is null ? null : await own.BeginTransactionAsync(cancellationToken);
        var tx = transaction ?? ownTransaction!;
        ids = ids.Distinct().ToArray();
        await using (var replace = new NpgsqlBatch(tx.Connection, tx))
        {
            replace.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM account_external_ids WHERE account_id = @account")
            {
                Parameters = { new NpgsqlParameter("account", accountId) },
            });
            replace.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                INSERT INTO account_external_ids (tenant_id, scheme, external_id, account_id)
                SELECT @tenant, scheme, external_id, @account FROM unnest(@schemes, @ids) AS w(scheme, external_id)
                ON CONFLICT (tenant_id, scheme, external_id) DO NOTHING
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter("tenant", tenantId), new NpgsqlParameter("account", accountId),
                    new NpgsqlParameter("schemes", ids.Select(i => i.Scheme).ToArray()), new NpgsqlParameter("ids", ids.Select(i => i.Id).ToArray()),
                },
            });
            replace.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                INSERT INTO account_events (account_id, event, actor, detail)
                VALUES (@account, 'account.external_ids_set', @actor, jsonb_build_object('external_ids', @list::jsonb))
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter("account", accountId), new NpgsqlParameter("actor", actor),
                    new NpgsqlParameter("list", System.Text.Json.JsonSerializer.Serialize(ids.Select(i => new { scheme = i.Scheme, id = i.Id }))),
                },
            });
            await replace.ExecuteNonQueryAsync(cancellationToken);
            if (replace.BatchCommands[1].RecordsAffected == ids.Count)
            {
                if (ownTransaction is not null)
                {
                    await ownTransaction.CommitAsync(cancellationToken);
                }

                return null;
            }
        }

        // Some id is another account's: find which, and leave everything as it was.
        await using var holder = new NpgsqlCommand(
            """
            SELECT e.scheme, e.external_id, e.account_id
              FROM account_external_ids e JOIN unnest(@schemes, @ids) AS w(scheme, external_id) USING (scheme, external_id)
             WHERE e.tenant_id = @tenant AND e.account_id <> @account
             ORDER BY e.scheme, e.external_id LIMIT 1
            """, tx.Connection, tx);
        holder.Parameters.AddWithValue("tenant", tenantId);
        holder.Parameters.AddWithValue("account", accountId);
        holder.Parameters.AddWithValue("schemes", ids.Select(i => i.Scheme).ToArray());
        holder.Parameters.AddWithValue("ids", ids.Select(i => i.Id).ToArray());
        ExternalIdTaken? taken;
        await using (var reader = await holder.ExecuteReaderAsync(cancellationToken))
        {
            taken = await reader.ReadAsync(cancellationToken)
                ? new ExternalIdTaken(new ExternalId(reader.GetString(0), reader.GetString(1)), reader.GetString(2))
                : throw new InvalidOperationException("an external id insert conflicted, yet no other account holds any of the ids");
        }

        await tx.RollbackAsync(cancellationToken);
        return taken;
    }
}
