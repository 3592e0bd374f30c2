using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LambdaRecon.Infrastructure.Migrations;

/// <summary>One ordered schema step: migrations/NNNN_name.sql.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the text with line endings made LF, so a checkout's line endings do not change it.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

/// <param name="Applied">The migrations this run applied, in order.</param>
/// <param name="Version">The database's version after the run.</param>
/// <param name="Newer">Versions recorded in the database that this code does not know (a rollback runs older code).</param>
public sealed record MigrationReport(IReadOnlyList<Migration> Applied, int Version, IReadOnlyList<int> Newer);

/// <summary>A migration that cannot be applied, or an applied one that was edited afterwards.</summary>
public sealed class MigrationException(int version, string message, Exception? inner = null) : Exception(message, inner)
{
    public int Version { get; } = version;
}

/// <summary>
/// Applies migrations/ in order, each in one transaction with its row in schema_migrations, under a
/// session advisory lock so that two runners (two deploys, a deploy and ./run.sh migrate) apply each
/// step once. An applied migration whose file changed is refused by version before anything runs.
/// Our own ~100 lines rather than Evolve or DbUp: the rules we need (one transaction per step, a
/// checksum refusal, an advisory lock, migrations embedded in the assembly that Lambda runs) are these
/// lines, and neither library is needed to read them.
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    /// <summary>pg_advisory_lock key: "LRMIGRAT" in ASCII, fixed so every runner contends for the same lock.</summary>
    private const long LockKey = 0x4C524D4947524154;

    /// <summary>The migrations built into this assembly, in version order.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    public Task<MigrationReport> MigrateAsync(CancellationToken cancellationToken) => MigrateAsync(Embedded, cancellationToken);

    public async Task<MigrationReport> MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_lock(@key)", cancellationToken, ("key", LockKey));
        try
        {
            await ExecuteAsync(connection,
                """
                SET client_min_messages = warning;
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    int         PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);
            var applied = await AppliedAsync(connection, cancellationToken);
            var known = migrations.ToDictionary(m => m.Version);
            foreach (var (appliedVersion, checksum) in applied)
            {
                if (known.TryGetValue(appliedVersion, out var migration) && migration.Checksum != checksum)
                {
                    throw new MigrationException(appliedVersion,
                        $"migration {appliedVersion} ({migration.Name}) was changed after it was applied (checksum {checksum[..12]}… in the database, " +
                        $"{migration.Checksum[..12]}… in the file): put the change in a new migration");
                }
            }

            var newer = applied.Keys.Where(v => !known.ContainsKey(v)).Order().ToList();
            if (newer.Count > 0)
            {
                LogNewer(logger, string.Join(", ", newer));
            }

            var done = new List<Migration>();
            foreach (var migration in migrations.Where(m => !applied.ContainsKey(m.Version)).OrderBy(m => m.Version))
            {
                await ApplyAsync(connection, migration, cancellationToken);
                done.Add(migration);
                LogApplied(logger, migration.Version, migration.Name);
            }

            var version = applied.Keys.Concat(done.Select(m => m.Version)).DefaultIfEmpty(0).Max();
            return new MigrationReport(done, version, newer);
        }
        finally
        {
            await ExecuteAsync(connection, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, ("key", LockKey));
        }
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using (var step = new NpgsqlCommand(migration.Sql, connection, transaction))
            {
                await step.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var record = new NpgsqlCommand(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (@version, @name, @checksum)", connection, transaction);
            record.Parameters.AddWithValue("version", migration.Version);
            record.Parameters.AddWithValue("name", migration.Name);
            record.Parameters.AddWithValue("checksum", migration.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException e)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            throw new MigrationException(migration.Version,
                $"migration {migration.Version} ({migration.Name}) failed and was rolled back whole: {e.MessageText}" +
                (e.Position > 0 ? $" (at character {e.Position})" : ""), e);
        }
    }

    private static async Task<Dictionary<int, string>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var applied = new Dictionary<int, string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads NNNN_name.sql files; the versions must be unique.</summary>
    public static IReadOnlyList<Migration> Parse(IEnumerable<(string FileName, string Sql)> files)
    {
        var migrations = new List<Migration>();
        foreach (var (fileName, sql) in files)
        {
            var match = FileName().Match(fileName);
            if (!match.Success)
            {
                throw new FormatException($"migration file '{fileName}' is not named NNNN_name.sql");
            }

            migrations.Add(new Migration(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, sql));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null
            ? [.. migrations.OrderBy(m => m.Version)]
            : throw new FormatException($"two migration files have version {duplicate.Key}");
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal))
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!, Encoding.UTF8);
                return (n["migrations/".Length..], reader.ReadToEnd());
            });
        return [.. Parse(files)];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} {Name}")]
    private static partial void LogApplied(ILogger logger, int version, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database has migrations this code does not know ({Versions}): a newer version migrated it")]
    private static partial void LogNewer(ILogger logger, string versions);

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex FileName();
}
