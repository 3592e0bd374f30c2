using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>`./run.sh import-statement …`: the same parse and store as the API, from a file.</summary>
public class ImportStatementCommandTests
{
    [Fact]
    public async Task A_csv_file_is_imported_once_and_a_malformed_one_not_at_all()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        var account = "cli-" + Guid.NewGuid().ToString("N")[..8];
        await using (var create = dataSource.CreateCommand($"INSERT INTO accounts (id, currency) VALUES ('{account}', 'USD')"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var good = Path.GetTempFileName();
        var bad = Path.GetTempFileName();
        await File.WriteAllTextAsync(good, "Date,Amount,Currency,Reference\n2026-11-24,12.50,USD,a\n2026-11-24,-3.00,USD,b\n");
        await File.WriteAllTextAsync(bad, "Date,Amount,Currency,Reference\n2026-11-24,12.50,USD,a\n2026-11-24,-3.001,USD,b\n");

        var first = await Commands.RunAsync(["import-statement", "--account", account, "--format", "csv", "--file", good]);
        var again = await Commands.RunAsync(["import-statement", "--account", account, "--format", "csv", "--file", good]);
        var refused = await Commands.RunAsync(["import-statement", "--account", account, "--format", "csv", "--file", bad]);
        await using var count = dataSource.CreateCommand($"SELECT count(*) FROM external_records WHERE account_id = '{account}'");

        Assert.Equal((0, 0, 1), (first, again, refused));
        Assert.Equal(2L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_mapping_file_or_a_stored_mapping_reads_a_custom_export_and_an_unknown_mapping_imports_nothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        var account = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var stored = account + "-map";
        await using (var create = dataSource.CreateCommand(
            $$$"""
            INSERT INTO accounts (id, currency) VALUES ('{{{account}}}', 'EUR');
            INSERT INTO statement_mappings (tenant_id, name, definition, created_by)
            VALUES ('default', '{{{stored}}}', '{"delimiter": ";", "currency": "EUR", "columns": {"booking_date": 1, "amount": 3}}', 'test')
            """))
        {
            await create.ExecuteNonQueryAsync();
        }

        var mappingFile = Path.Combine(Path.GetTempPath(), $"{account}.json");
        var statement = Path.GetTempFileName();
        var other = Path.GetTempFileName();
        await File.WriteAllTextAsync(mappingFile, """{"delimiter": ";", "decimal_separator": ",", "currency": "EUR", "columns": {"booking_date": "Datum", "amount": "Betrag"}}""");
        await File.WriteAllTextAsync(statement, "Datum;Text;Betrag\n2026-11-24;a;12,50\n2026-11-25;b;-3,00\n");
        await File.WriteAllTextAsync(other, "Datum;Text;Betrag\n2026-11-26;c;1.25\n");

        var byFile = await Commands.RunAsync(["import-statement", "--account", account, "--format", "csv", "--mapping-file", mappingFile, "--file", statement]);
        var byName = await Commands.RunAsync(["import-statement", "--account", account, "--format", "csv", "--mapping", stored, "--file", other]);
        var unknown = await Commands.RunAsync(["import-statement", "--account", account, "--format", "csv", "--mapping", "no-such-mapping", "--file", other]);
        await using var sum = dataSource.CreateCommand($"SELECT sum(amount)::bigint FROM external_records WHERE account_id = '{account}'");

        Assert.Equal((0, 0, 1), (byFile, byName, unknown));
        Assert.Equal(1250L - 300 + 125, (long)(await sum.ExecuteScalarAsync())!);
    }
}
