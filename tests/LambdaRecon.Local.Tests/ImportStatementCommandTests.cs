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
}
