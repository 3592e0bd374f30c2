using System.Security.Cryptography;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;
using Npgsql;
using NpgsqlTypes;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record StatementImport(Guid StatementId, int Lines, int Imported, bool AlreadyImported);

/// <summary>A stored statement: its account, format, how many lines it held and how many of those are its own records.</summary>
public sealed record StoredStatement(
    Guid StatementId, string AccountId, string Format, int Lines, long Records, string FileSha256, string ImportedBy, DateTimeOffset ImportedAt);

/// <summary>Stores parsed statements: all of a file's lines or none, and never a line twice.</summary>
public sealed class StatementStore(NpgsqlDataSource dataSource)
{
    /// <summary>A statement of the tenant's accounts; null for another tenant's, as for a missing one.</summary>
    public async Task<StoredStatement?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT s.id, s.account_id, s.format, s.line_count,
                   (SELECT count(*) FROM external_records r WHERE r.statement_id = s.id), s.file_sha256, s.imported_by, s.imported_at
            FROM statements s JOIN accounts a ON a.id = s.account_id
            WHERE s.id = @id AND a.tenant_id = @tenant
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("tenant", tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredStatement(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt64(4),
                Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(5)), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7))
            : null;
    }

    /// <param name="progress">Told how many lines have been copied so far, every <see cref="ProgressEvery"/> lines.</param>
    public async Task<StatementImport> ImportAsync(
        string accountId, string format, byte[] file, IReadOnlyList<StatementLine> lines, string importedBy, CancellationToken cancellationToken,
        IProgress<int>? progress = null)
    {
        var sha = SHA256.HashData(file);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var statement = new NpgsqlCommand(
            """
            INSERT INTO statements (id, account_id, format, file_sha256, line_count, imported_by)
            VALUES (@id, @account, @format, @sha, @lines, @by)
            ON CONFLICT (account_id, file_sha256) DO UPDATE SET line_count = statements.line_count
            RETURNING id, xmax = 0
            """, connection, transaction))
        {
            statement.Parameters.AddWithValue("id", Guid.NewGuid());
            statement.Parameters.AddWithValue("account", accountId);
            statement.Parameters.AddWithValue("format", format);
            statement.Parameters.AddWithValue("sha", sha);
            statement.Parameters.AddWithValue("lines", lines.Count);
            statement.Parameters.AddWithValue("by", importedBy);
            await using var reader = await statement.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var id = reader.GetGuid(0);
            if (!reader.GetBoolean(1))
            {
                return new StatementImport(id, lines.Count, 0, AlreadyImported: true);
            }

            await reader.CloseAsync();
            var imported = await CopyLinesAsync(connection, accountId, id, lines, progress, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new StatementImport(id, lines.Count, imported, AlreadyImported: false);
        }
    }

    public const int ProgressEvery = 1000;

    // Binary COPY into a staging table, then one insert that skips lines this account already has.
    private static async Task<int> CopyLinesAsync(
        NpgsqlConnection connection, string accountId, Guid statementId, IReadOnlyList<StatementLine> lines, IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        await using (var stage = new NpgsqlCommand(
            "CREATE TEMP TABLE staged_records (LIKE external_records) ON COMMIT DROP", connection))
        {
            await stage.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var import = await connection.BeginBinaryImportAsync(
            """
            COPY staged_records (account_id, line_id, statement_id, source_line, amount, currency, booking_date, value_date,
                                 reference, end_to_end_id, counterparty, description, fee, net) FROM STDIN (FORMAT BINARY)
            """, cancellationToken))
        {
            for (var i = 0; i < lines.Count; i++)
            {
                if (i % ProgressEvery == 0)
                {
                    progress?.Report(i);
                }

                var line = lines[i];
                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(accountId, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(line.LineId, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(statementId, NpgsqlDbType.Uuid, cancellationToken);
                await import.WriteAsync(line.SourceLine, NpgsqlDbType.Integer, cancellationToken);
                await import.WriteAsync(line.Amount.Minor, NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(line.Amount.Currency.Code, NpgsqlDbType.Char, cancellationToken);
                await import.WriteAsync(line.BookingDate, NpgsqlDbType.Date, cancellationToken);
                await import.WriteAsync(line.ValueDate, NpgsqlDbType.Date, cancellationToken);
                await WriteNullableAsync(import, line.Reference, cancellationToken);
                await WriteNullableAsync(import, line.EndToEndId, cancellationToken);
                await WriteNullableAsync(import, line.Counterparty, cancellationToken);
                await WriteNullableAsync(import, line.Description, cancellationToken);
                await WriteMinorAsync(import, line.Fee, cancellationToken);
                await WriteMinorAsync(import, line.Net, cancellationToken);
            }

            var copied = await import.CompleteAsync(cancellationToken);
            progress?.Report(lines.Count);
            if (copied != (ulong)lines.Count)
            {
                throw new InvalidOperationException($"COPY wrote {copied} of {lines.Count} statement lines");
            }
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO external_records SELECT * FROM staged_records ON CONFLICT (account_id, line_id) DO NOTHING", connection);
        return await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter import, string? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task WriteMinorAsync(NpgsqlBinaryImporter import, Money? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value.Value.Minor, NpgsqlDbType.Bigint, cancellationToken);
}
