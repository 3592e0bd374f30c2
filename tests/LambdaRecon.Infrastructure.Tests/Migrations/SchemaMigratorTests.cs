using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Migrations;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Tenants;
using LambdaRecon.Infrastructure.Transactions;
using LambdaRecon.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace LambdaRecon.Infrastructure.Tests.Migrations;

public class SchemaMigratorTests
{
    private static SchemaMigrator Migrator(TestDatabase database) => new(database.DataSource, NullLogger<SchemaMigrator>.Instance);

    private static Migration Step(int version, string sql) => new(version, "step_" + version, sql);

    [Fact]
    public async Task A_second_run_applies_nothing()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);

        var first = await Migrator(database).MigrateAsync(CancellationToken.None);
        var second = await Migrator(database).MigrateAsync(CancellationToken.None);

        Assert.Equal(SchemaMigrator.Embedded.Select(m => m.Version), first.Applied.Select(m => m.Version));
        Assert.Empty(second.Applied);
        Assert.Equal(SchemaMigrator.Embedded[^1].Version, second.Version);
        Assert.Equal(SchemaMigrator.Embedded.Count, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_is_refused_by_version_before_anything_runs()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        await Migrator(database).MigrateAsync([Step(1, "CREATE TABLE a (x int)")], CancellationToken.None);

        var error = await Assert.ThrowsAsync<MigrationException>(() => Migrator(database).MigrateAsync(
            [Step(1, "CREATE TABLE a (x bigint)"), Step(2, "CREATE TABLE b (x int)")], CancellationToken.None));

        Assert.Equal(1, error.Version);
        Assert.Contains("migration 1 (step_1) was changed after it was applied", error.Message, StringComparison.Ordinal);
        Assert.Equal(DBNull.Value, await database.ScalarAsync<object>("SELECT to_regclass('b')::text"));
    }

    [Fact]
    public void Line_endings_alone_do_not_change_a_checksum()
    {
        Assert.Equal(Step(1, "SELECT 1;\nSELECT 2;\n").Checksum, Step(1, "SELECT 1;\r\nSELECT 2;\r\n").Checksum);
        Assert.NotEqual(Step(1, "SELECT 1;").Checksum, Step(1, "SELECT 2;").Checksum);
    }

    [Fact]
    public async Task A_failing_migration_leaves_nothing_half_applied_and_a_fixed_one_applies_later()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        var one = Step(1, "CREATE TABLE a (x int)");

        var error = await Assert.ThrowsAsync<MigrationException>(() => Migrator(database).MigrateAsync(
            [one, Step(2, "CREATE TABLE b (x int); INSERT INTO a VALUES (1); SELECT 1 / 0;")], CancellationToken.None));

        Assert.Equal(2, error.Version);
        Assert.Contains("division by zero", error.Message, StringComparison.Ordinal);
        Assert.Equal(DBNull.Value, await database.ScalarAsync<object>("SELECT to_regclass('b')::text"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM a"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));

        var fixedRun = await Migrator(database).MigrateAsync([one, Step(2, "CREATE TABLE b (x int)")], CancellationToken.None);
        Assert.Equal([2], fixedRun.Applied.Select(m => m.Version));
    }

    [Fact]
    public async Task Runners_at_the_same_time_apply_each_migration_once()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);

        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Migrator(database).MigrateAsync(CancellationToken.None))));

        Assert.Equal(SchemaMigrator.Embedded.Count, reports.Sum(r => r.Applied.Count));
        Assert.Equal(SchemaMigrator.Embedded.Count, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Versions_a_newer_release_applied_are_reported_not_refused()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        await Migrator(database).MigrateAsync([Step(1, "SELECT 1"), Step(2, "SELECT 2")], CancellationToken.None);

        var older = await Migrator(database).MigrateAsync([Step(1, "SELECT 1")], CancellationToken.None);

        Assert.Empty(older.Applied);
        Assert.Equal([2], older.Newer);
    }

    [Fact]
    public void Migration_files_must_be_numbered_and_unique()
    {
        Assert.Throws<FormatException>(() => SchemaMigrator.Parse([("initial.sql", "")]));
        Assert.Throws<FormatException>(() => SchemaMigrator.Parse([("0001_a.sql", ""), ("0001_b.sql", "")]));
        Assert.Equal([1, 2], SchemaMigrator.Parse([("0002_b.sql", ""), ("0001_a.sql", "")]).Select(m => m.Version));
    }

    [Fact]
    public async Task A_database_at_version_2_with_data_upgrades_to_tenants_with_everything_in_default()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        await Migrator(database).MigrateAsync(SchemaMigrator.Embedded.Where(m => m.Version <= 2).ToArray(), CancellationToken.None);
        const string key = "lrk_before_tenants_0123456789abcdef";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var (transaction, run) = (Guid.NewGuid(), Guid.NewGuid());
        await database.ExecuteAsync(
            $"""
            INSERT INTO api_keys (key_id, key_hash, client_id, scopes) VALUES ('{Convert.ToHexStringLower(hash, 0, 8)}', '\x{Convert.ToHexStringLower(hash)}', 'shop', ARRAY['transactions:write']);
            INSERT INTO accounts (id, currency) VALUES ('from', 'USD'), ('to', 'USD');
            INSERT INTO transactions (id, idempotency_key, client_id, type, amount, currency, source_account_id, destination_account_id)
            VALUES ('{transaction}', 'order-1', 'shop', 'transfer', 100, 'USD', 'from', 'to');
            INSERT INTO idempotency_keys (client_id, key, request_hash, transaction_id) VALUES ('shop', 'order-1', '\x00', '{transaction}');
            INSERT INTO statements (id, account_id, format, file_sha256, line_count, imported_by) VALUES (gen_random_uuid(), 'to', 'csv', '\x01', 0, 'shop');
            INSERT INTO reconciliation_runs (id, kind, account_id, triggered_by) VALUES ('{run}', 'on_demand', 'to', 'shop');
            """);

        var upgrade = await Migrator(database).MigrateAsync(CancellationToken.None);

        Assert.Contains(3, upgrade.Applied.Select(m => m.Version));
        Assert.Equal("default", await database.ScalarAsync<string>("SELECT string_agg(id, ',') FROM tenants"));
        foreach (var table in new[] { "api_keys", "accounts", "transactions", "idempotency_keys" })
        {
            Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE tenant_id <> 'default'"));
        }

        // Statements and runs belong to their account's tenant.
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM statements s JOIN accounts a ON a.id = s.account_id WHERE a.tenant_id = 'default'"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM reconciliation_runs r JOIN accounts a ON a.id = r.account_id WHERE a.tenant_id = 'default'"));
        // And what existed works as before, through the tenant-scoped stores.
        Assert.Equal("default", (await new ApiKeyStore(database.DataSource).AuthenticateAsync(key, CancellationToken.None))?.TenantId);
        Assert.NotNull(await new AccountStore(database.DataSource).GetAsync(TenantStore.Default, "from", CancellationToken.None));
        Assert.Equal(transaction, (await new TransactionReader(database.DataSource).GetByKeyAsync(TenantStore.Default, "shop", "order-1", CancellationToken.None))?.Record.Id);
        Assert.NotNull(await new ReconciliationReader(database.DataSource).RunAsync(TenantStore.Default, false, run, CancellationToken.None));
        Assert.Equal("tenant_id,client_id,key", await database.ScalarAsync<string>(
            """
            SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM pg_constraint c
              CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
             WHERE c.conrelid = 'idempotency_keys'::regclass AND c.contype = 'p'
            """));
    }

    [Fact]
    public void The_embedded_migrations_are_the_files_in_migrations()
    {
        var files = Directory.GetFiles(Path.Combine(TestEnvironment.RepositoryRoot, "migrations"), "*.sql").Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(files, SchemaMigrator.Embedded.Select(m => $"{m.Version:D4}_{m.Name}.sql"));
    }

    [Fact]
    public async Task The_migrations_and_init_sql_make_the_same_schema()
    {
        await using var migrated = await TestDatabase.CreateAsync();
        await migrated.ExecuteAsync("DROP TABLE schema_migrations");
        await using var fromFile = await TestDatabase.CreateAsync(applySchema: false);
        await fromFile.ExecuteAsync(TestEnvironment.InitSql);

        var expected = await SchemaDumpAsync(fromFile);
        var actual = await SchemaDumpAsync(migrated);

        Assert.Contains("CREATE TABLE public.ledger_entries", expected, StringComparison.Ordinal);
        Assert.Equal(expected, actual);
    }

    // pg_dump --schema-only, without comments, SET lines and the session's \restrict key.
    private static async Task<string> SchemaDumpAsync(TestDatabase database)
    {
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var start = new ProcessStartInfo(Path.Combine(TestEnvironment.Require("LAMBDARECON_PG_BIN"), "pg_dump"))
        {
            ArgumentList = { "--schema-only", "--no-owner", "--no-privileges", "-h", connection.Host!, "-p", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", connection.Username!, database.Name },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var dump = Process.Start(start)!;
        var output = await dump.StandardOutput.ReadToEndAsync();
        var errors = await dump.StandardError.ReadToEndAsync();
        await dump.WaitForExitAsync();
        Assert.True(dump.ExitCode == 0, "pg_dump failed: " + errors);
        var lines = output.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith("SET ", StringComparison.Ordinal)
                && !l.StartsWith("SELECT pg_catalog.set_config", StringComparison.Ordinal) && !Regex.IsMatch(l, @"^\\(un)?restrict "));
        return string.Join('\n', lines);
    }
}
