using System.Security.Cryptography;
using System.Text;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Tenants;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record Resolution(string Status, Guid? AdjustmentTransactionId, string? FailureCode, string? FailureReason);

/// <summary>
/// Settles a break: either with an adjustment posted through the ledger rules against the tenant's
/// suspense account in the currency, or as explained with a note. Either way the account's audit trail
/// records who did it, and later runs leave the break's items out.
/// </summary>
public sealed class BreakResolution(NpgsqlDataSource dataSource)
{
    /// <returns>Null for an unknown break, and for another tenant's.</returns>
    public async Task<Resolution?> ResolveAsync(string tenantId, Guid breakId, bool adjust, string note, string actor, CancellationToken cancellationToken)
    {
        string accountId, currency, status;
        long amount;
        Guid? adjustment;
        await using (var read = dataSource.CreateCommand(
            """
            SELECT b.account_id, b.currency, b.amount, b.status, b.adjustment_transaction_id
              FROM reconciliation_breaks b JOIN accounts a ON a.id = b.account_id
             WHERE b.id = @id AND a.tenant_id = @tenant
            """))
        {
            read.Parameters.AddWithValue("id", breakId);
            read.Parameters.AddWithValue("tenant", tenantId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (accountId, currency, amount, status) = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3));
            adjustment = reader.IsDBNull(4) ? null : reader.GetGuid(4);
        }

        if (status != "open")
        {
            return new Resolution(status, adjustment, null, null);
        }

        if (!adjust)
        {
            await MarkAsync(breakId, "explained", note, actor, null, accountId, cancellationToken);
            return new Resolution("explained", null, null, null);
        }

        // The adjustment's id comes from the break's, so resolving twice posts once.
        var id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes("adjustment:" + breakId))[..16]);
        // The ledger refuses an account of another tenant, so money cannot leave the tenant even if the id were taken.
        var suspense = TenantStore.SuspenseAccountId(tenantId, currency);
        await using (var open = dataSource.CreateCommand(
            """
            INSERT INTO accounts (id, tenant_id, currency, kind, overdraft_limit) VALUES (@id, @tenant, @currency, 'suspense', NULL)
            ON CONFLICT (id) DO NOTHING
            """))
        {
            open.Parameters.AddWithValue("id", suspense);
            open.Parameters.AddWithValue("tenant", tenantId);
            open.Parameters.AddWithValue("currency", currency);
            await open.ExecuteNonQueryAsync(cancellationToken);
        }

        // A positive break amount is money the statement has and the ledger lacks: it comes in from suspense.
        var record = amount > 0
            ? new TransactionRecord(id, TransactionType.Adjustment, amount, currency, suspense, accountId, Description: note)
            : new TransactionRecord(id, TransactionType.Adjustment, -amount, currency, accountId, suspense, Description: note);
        var outcome = (await new LedgerStore(dataSource).PostBatchAsync([record], cancellationToken))[0];
        if (outcome.Status != TransactionStatus.Posted)
        {
            return new Resolution("open", id, outcome.FailureCode, outcome.FailureReason);
        }

        await MarkAsync(breakId, "adjusted", note, actor, id, accountId, cancellationToken);
        return new Resolution("adjusted", id, null, null);
    }

    private async Task MarkAsync(Guid breakId, string status, string note, string actor, Guid? adjustment, string accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH resolved AS (
                UPDATE reconciliation_breaks
                   SET status = @status, resolution_note = @note, resolved_by = @actor, resolved_at = now(), adjustment_transaction_id = @adjustment
                 WHERE id = @id AND status = 'open'
                RETURNING id, run_id, kind, amount, currency
            ), settled AS (
                -- The adjustment is the ledger's side of what the break was about: no later run may report it.
                INSERT INTO reconciliation_matches (run_id, account_id, match_no, rule, confidence, transaction_id)
                SELECT run_id, @account, 0, 'Adjustment', 100, @adjustment FROM resolved WHERE @adjustment::uuid IS NOT NULL
            )
            INSERT INTO account_events (account_id, event, actor, detail)
            SELECT @account, 'break.' || @status, @actor,
                   jsonb_build_object('break_id', id, 'kind', kind, 'amount', amount, 'currency', currency, 'note', @note, 'adjustment_transaction_id', @adjustment)
              FROM resolved
            """);
        command.Parameters.AddWithValue("id", breakId);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("note", note);
        command.Parameters.AddWithValue("actor", actor);
        command.Parameters.Add(new NpgsqlParameter<Guid?>("adjustment", adjustment) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue("account", accountId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
