using System.Security.Cryptography;
using System.Text;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;
using Npgsql;
using NpgsqlTypes;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>One statement of a file and the account it was routed to.</summary>
/// <param name="Position">Its place in the file (0 for the first), which with the file and the account makes it the same statement on a re-import.</param>
public sealed record RoutedStatement(int Position, BankStatement Statement, string AccountId);

/// <summary>What one statement of an import became: its row, its lines, and how many of them were new to the account.</summary>
public sealed record ImportedStatement(Guid StatementId, string AccountId, RoutedStatement Routed, int Lines, int Imported);

/// <summary>One file's import: its statements, created now or (<see cref="AlreadyImported"/>) by an earlier import of the same file.</summary>
public sealed record StatementImport(Guid ImportId, bool AlreadyImported, IReadOnlyList<ImportedStatement> Statements)
{
    public int Lines => Statements.Sum(s => s.Lines);

    public int Imported => Statements.Sum(s => s.Imported);
}

/// <summary>A stored statement: its account, what the file said about it, how many lines it held and how many of those are its own records.</summary>
public sealed record StoredStatement(
    Guid StatementId, Guid ImportId, string AccountId, string Format, int Position, int SourceLine, string? Reference, string? Number,
    string? AccountScheme, string? AccountIdentifier, string? Currency, long? OpeningBalanceMinor, DateOnly? OpeningDate,
    long? ClosingBalanceMinor, DateOnly? ClosingDate, bool IsInterim, int Lines, long Records, string FileSha256, string ImportedBy,
    DateTimeOffset ImportedAt);

/// <summary>A stored line of a statement, as GET /statements/{id} pages them.</summary>
public sealed record StoredLine(
    string LineId, int SourceLine, long AmountMinor, string Currency, DateOnly BookingDate, DateOnly ValueDate, string? Reference,
    string? EndToEndId, string? Counterparty, string? Description, long? FeeMinor, long? NetMinor, bool IsReversal, string? EntryRef,
    int BatchCount, string? PayoutId, string? Category);

/// <summary>
/// Stores routed statements: all statements of a file and all their lines, or nothing; never a line
/// twice for an account. Routing and checking are <see cref="StatementImporter"/>'s.
/// </summary>
public sealed class StatementStore(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 500;

    private const string StatementColumns =
        """
        s.id, s.import_id, s.account_id, s.format, s.position, s.source_line, s.reference, s.number, s.account_scheme, s.account_identifier,
        s.currency, s.opening_balance, s.opening_date, s.closing_balance, s.closing_date, s.is_interim, s.line_count,
        (SELECT count(*) FROM external_records r WHERE r.statement_id = s.id), s.file_sha256, s.imported_by, s.imported_at
        """;

    /// <summary>A statement of the tenant's accounts; null for another tenant's, as for a missing one.</summary>
    public async Task<StoredStatement?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {StatementColumns}
            FROM statements s JOIN accounts a ON a.id = s.account_id
            WHERE s.id = @id AND a.tenant_id = @tenant
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("tenant", tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadStatement(reader) : null;
    }

    /// <summary>The tenant's statements, of one account when given, newest first, <paramref name="limit"/> after the statement <paramref name="before"/>.</summary>
    public async Task<IReadOnlyList<StoredStatement>> ListAsync(
        string tenantId, string? accountId, Guid? before, int limit, CancellationToken cancellationToken)
    {
        // Statement ids are version 7 uuids: their order is the order of creation.
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {StatementColumns}
            FROM statements s JOIN accounts a ON a.id = s.account_id
            WHERE a.tenant_id = @tenant AND (@account::text IS NULL OR s.account_id = @account) AND (@before::uuid IS NULL OR s.id < @before)
            ORDER BY s.id DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.Add(new NpgsqlParameter<string?>("account", accountId) { NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<Guid?>("before", before) { NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue("limit", limit);
        var statements = new List<StoredStatement>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            statements.Add(ReadStatement(reader));
        }

        return statements;
    }

    /// <summary>
    /// A statement's own lines (those it brought to the account first) in file order, <paramref name="limit"/>
    /// at a time; the cursor is opaque to clients.
    /// </summary>
    /// <exception cref="FormatException">The cursor was not made here.</exception>
    public async Task<(IReadOnlyList<StoredLine> Lines, string? NextCursor)> LinesAsync(
        Guid statementId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var (afterLine, afterId) = cursor is null ? (int.MinValue, "") : DecodeCursor(cursor);
        await using var command = dataSource.CreateCommand(
            """
            SELECT line_id, source_line, amount, currency, booking_date, value_date, reference, end_to_end_id, counterparty, description,
                   fee, net, is_reversal, entry_ref, batch_count, payout_id, category
              FROM external_records
             WHERE statement_id = @statement AND (source_line, line_id) > (@line, @id)
             ORDER BY source_line, line_id LIMIT @limit
            """);
        command.Parameters.AddWithValue("statement", statementId);
        command.Parameters.AddWithValue("line", afterLine);
        command.Parameters.AddWithValue("id", afterId);
        command.Parameters.AddWithValue("limit", limit + 1);
        var lines = new List<StoredLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(new StoredLine(
                reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetString(3), reader.GetFieldValue<DateOnly>(4),
                reader.GetFieldValue<DateOnly>(5), Text(reader, 6), Text(reader, 7), Text(reader, 8), Text(reader, 9),
                reader.IsDBNull(10) ? null : reader.GetInt64(10), reader.IsDBNull(11) ? null : reader.GetInt64(11), reader.GetBoolean(12),
                Text(reader, 13), reader.GetInt32(14), Text(reader, 15), Text(reader, 16)));
        }

        if (lines.Count <= limit)
        {
            return (lines, null);
        }

        lines.RemoveAt(limit);
        var last = lines[^1];
        return (lines, Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last.SourceLine}\n{last.LineId}")));
    }

    private static (int Line, string Id) DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            return newline > 0 && int.TryParse(text.AsSpan(0, newline), out var line)
                ? (line, text[(newline + 1)..])
                : throw new FormatException("the cursor is not one this API returned");
        }
        catch (FormatException)
        {
            throw new FormatException("the cursor is not one this API returned");
        }
    }

    /// <summary>
    /// Stores the statements of one file, routed, in one transaction. The same file routed to the same
    /// accounts is the same statements: a second import finds them, changes nothing, and says it imported no line.
    /// </summary>
    /// <param name="progress">Told how many lines have been copied so far, every <see cref="ProgressEvery"/> lines.</param>
    public async Task<StatementImport> ImportAsync(
        string format, byte[] file, IReadOnlyList<RoutedStatement> statements, string importedBy, CancellationToken cancellationToken,
        IProgress<int>? progress = null)
    {
        var sha = SHA256.HashData(file);
        var importId = Guid.CreateVersion7();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var ids = statements.Select(_ => Guid.CreateVersion7()).ToArray();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO statements (id, import_id, account_id, format, file_sha256, line_count, imported_by, position, source_line, reference,
                                    number, account_scheme, account_identifier, currency, opening_balance, opening_date, closing_balance,
                                    closing_date, is_interim)
            SELECT id, @import, account_id, @format, @sha, line_count, @by, position, source_line, reference, number, account_scheme,
                   account_identifier, currency, opening_balance, opening_date, closing_balance, closing_date, is_interim
              FROM unnest(@ids, @accounts, @line_counts, @positions, @source_lines, @references, @numbers, @schemes, @identifiers,
                          @currencies, @openings, @opening_dates, @closings, @closing_dates, @interims)
                   AS v(id, account_id, line_count, position, source_line, reference, number, account_scheme, account_identifier,
                        currency, opening_balance, opening_date, closing_balance, closing_date, is_interim)
            ON CONFLICT (account_id, file_sha256, position) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("import", importId);
            insert.Parameters.AddWithValue("format", format);
            insert.Parameters.AddWithValue("sha", sha);
            insert.Parameters.AddWithValue("by", importedBy);
            insert.Parameters.AddWithValue("ids", ids);
            insert.Parameters.AddWithValue("accounts", statements.Select(s => s.AccountId).ToArray());
            insert.Parameters.AddWithValue("line_counts", statements.Select(s => s.Statement.Lines.Count).ToArray());
            insert.Parameters.AddWithValue("positions", statements.Select(s => s.Position).ToArray());
            insert.Parameters.AddWithValue("source_lines", statements.Select(s => s.Statement.SourceLine).ToArray());
            insert.Parameters.Add(Texts("references", statements.Select(s => s.Statement.Reference)));
            insert.Parameters.Add(Texts("numbers", statements.Select(s => s.Statement.Number)));
            insert.Parameters.Add(Texts("schemes", statements.Select(s => s.Statement.Account?.Scheme)));
            insert.Parameters.Add(Texts("identifiers", statements.Select(s => s.Statement.Account?.Id)));
            insert.Parameters.Add(Texts("currencies", statements.Select(s => s.Statement.Currency?.Code)));
            insert.Parameters.Add(new NpgsqlParameter<long?[]>("openings", statements.Select(s => s.Statement.Opening?.Amount.Minor).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<DateOnly?[]>("opening_dates", statements.Select(s => s.Statement.Opening?.Date).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<long?[]>("closings", statements.Select(s => s.Statement.Closing?.Amount.Minor).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<DateOnly?[]>("closing_dates", statements.Select(s => s.Statement.Closing?.Date).ToArray()));
            insert.Parameters.AddWithValue("interims", statements.Select(s => s.Statement.IsInterim).ToArray());
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return await ExistingAsync(connection, sha, statements, cancellationToken);
            }
        }

        // A statement a concurrent import of the same file stored first: its lines are that import's.
        var created = await CreatedAsync(connection, transaction, ids, cancellationToken);
        var stored = statements.Select((s, i) => (Routed: s, Id: ids[i])).Where(s => created.Contains(s.Id)).ToArray();
        var imported = await CopyLinesAsync(connection, transaction, stored, progress, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new StatementImport(importId, AlreadyImported: false,
            [.. stored.Select(s => new ImportedStatement(s.Id, s.Routed.AccountId, s.Routed, s.Routed.Statement.Lines.Count, imported.GetValueOrDefault(s.Id)))]);
    }

    public const int ProgressEvery = 1000;

    private static async Task<HashSet<Guid>> CreatedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid[] ids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT id FROM statements WHERE id = ANY(@ids)", connection, transaction);
        command.Parameters.AddWithValue("ids", ids);
        var created = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            created.Add(reader.GetGuid(0));
        }

        return created;
    }

    private static async Task<StatementImport> ExistingAsync(
        NpgsqlConnection connection, byte[] sha, IReadOnlyList<RoutedStatement> statements, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT s.id, s.import_id, s.account_id, s.position
              FROM statements s JOIN unnest(@accounts, @positions) AS v(account_id, position) USING (account_id, position)
             WHERE s.file_sha256 = @sha
            """, connection);
        command.Parameters.AddWithValue("sha", sha);
        command.Parameters.AddWithValue("accounts", statements.Select(s => s.AccountId).ToArray());
        command.Parameters.AddWithValue("positions", statements.Select(s => s.Position).ToArray());
        var found = new Dictionary<int, (Guid Id, Guid Import)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                found[reader.GetInt32(3)] = (reader.GetGuid(0), reader.GetGuid(1));
            }
        }

        var importId = found.Values.Select(f => f.Import).FirstOrDefault();
        return new StatementImport(importId, AlreadyImported: true,
            [.. statements.Where(s => found.ContainsKey(s.Position))
                .Select(s => new ImportedStatement(found[s.Position].Id, s.AccountId, s, s.Statement.Lines.Count, Imported: 0))]);
    }

    /// <summary>Every how many lines one is looked up before copying, to tell a file of new lines from one that repeats some.</summary>
    private const int SampleEvery = 64;

    /// <summary>
    /// Copies the lines straight into external_records when none of a sample of them is one the account
    /// has (the usual case: a day or a month the account has not seen). That spares the staging table and
    /// the insert's conflict check per line, about a quarter of the database's work (docs/benchmarks.md).
    /// Otherwise, or when the unique key stops the COPY after all, the lines go through a staging table and
    /// one insert that skips those the account has.
    /// </summary>
    /// <returns>How many lines each statement brought that the account did not have.</returns>
    private static async Task<Dictionary<Guid, int>> CopyLinesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(RoutedStatement Routed, Guid Id)> statements,
        IProgress<int>? progress, CancellationToken cancellationToken)
    {
        if (!await AnySampleKnownAsync(connection, transaction, statements, cancellationToken))
        {
            await transaction.SaveAsync("direct", cancellationToken);
            try
            {
                await CopyAsync(connection, "external_records", statements, progress, cancellationToken);
                return statements.ToDictionary(s => s.Id, s => s.Routed.Statement.Lines.Count);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                await transaction.RollbackAsync("direct", cancellationToken);
            }
        }

        await using (var stage = new NpgsqlCommand(
            "CREATE TEMP TABLE staged_records (LIKE external_records) ON COMMIT DROP", connection, transaction))
        {
            await stage.ExecuteNonQueryAsync(cancellationToken);
        }

        await CopyAsync(connection, "staged_records", statements, progress, cancellationToken);
        await using var insert = new NpgsqlCommand(
            """
            WITH inserted AS (
                INSERT INTO external_records SELECT * FROM staged_records ON CONFLICT (account_id, line_id) DO NOTHING RETURNING statement_id
            )
            SELECT statement_id, count(*)::int FROM inserted GROUP BY statement_id
            """, connection, transaction);
        var imported = new Dictionary<Guid, int>();
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            imported[reader.GetGuid(0)] = reader.GetInt32(1);
        }

        return imported;
    }

    /// <summary>Whether the accounts already hold one of every <see cref="SampleEvery"/>th line, or the first or last of a statement.</summary>
    private static async Task<bool> AnySampleKnownAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(RoutedStatement Routed, Guid Id)> statements,
        CancellationToken cancellationToken)
    {
        var sample = statements.SelectMany(s => s.Routed.Statement.Lines
            .Where((line, i) => i % SampleEvery == 0 || i == s.Routed.Statement.Lines.Count - 1)
            .Select(line => (s.Routed.AccountId, line.LineId))).ToArray();
        await using var command = new NpgsqlCommand(
            """
            SELECT EXISTS (SELECT 1 FROM external_records r JOIN unnest(@accounts, @lines) AS v(account_id, line_id) USING (account_id, line_id))
            """, connection, transaction);
        command.Parameters.AddWithValue("accounts", sample.Select(s => s.AccountId).ToArray());
        command.Parameters.AddWithValue("lines", sample.Select(s => s.LineId).ToArray());
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task CopyAsync(
        NpgsqlConnection connection, string table, IReadOnlyList<(RoutedStatement Routed, Guid Id)> statements, IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var total = statements.Sum(s => s.Routed.Statement.Lines.Count);
        var written = 0;
        await using var import = await connection.BeginBinaryImportAsync(
            $"""
            COPY {table} (account_id, line_id, statement_id, source_line, amount, currency, booking_date, value_date, reference, end_to_end_id,
                          counterparty, description, fee, net, is_reversal, entry_ref, batch_count, payout_id, category) FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        foreach (var (routed, statementId) in statements)
        {
            foreach (var line in routed.Statement.Lines)
            {
                if (written++ % ProgressEvery == 0)
                {
                    progress?.Report(written - 1);
                }

                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(routed.AccountId, NpgsqlDbType.Text, cancellationToken);
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
                await import.WriteAsync(line.IsReversal, NpgsqlDbType.Boolean, cancellationToken);
                await WriteNullableAsync(import, line.EntryRef, cancellationToken);
                await import.WriteAsync(line.BatchCount, NpgsqlDbType.Integer, cancellationToken);
                await WriteNullableAsync(import, line.PayoutId, cancellationToken);
                await WriteNullableAsync(import, line.Category, cancellationToken);
            }
        }

        var copied = await import.CompleteAsync(cancellationToken);
        progress?.Report(total);
        if (copied != (ulong)total)
        {
            throw new InvalidOperationException($"COPY wrote {copied} of {total} statement lines");
        }
    }

    private static NpgsqlParameter<string?[]> Texts(string name, IEnumerable<string?> values) =>
        new(name, values.ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static StoredStatement ReadStatement(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetInt32(5),
        Text(reader, 6), Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10),
        reader.IsDBNull(11) ? null : reader.GetInt64(11), reader.IsDBNull(12) ? null : reader.GetFieldValue<DateOnly>(12),
        reader.IsDBNull(13) ? null : reader.GetInt64(13), reader.IsDBNull(14) ? null : reader.GetFieldValue<DateOnly>(14),
        reader.GetBoolean(15), reader.GetInt32(16), reader.GetInt64(17), Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(18)),
        reader.GetString(19), reader.GetFieldValue<DateTimeOffset>(20));

    private static string? Text(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static Task WriteNullableAsync(NpgsqlBinaryImporter import, string? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task WriteMinorAsync(NpgsqlBinaryImporter import, Money? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value.Value.Minor, NpgsqlDbType.Bigint, cancellationToken);
}
