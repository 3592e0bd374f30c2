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

    private static async Task<string> AccountAsync(NpgsqlDataSource dataSource, string currency, string? externalId = null)
    {
        var account = "cli-" + Guid.NewGuid().ToString("N")[..8];
        await using var create = dataSource.CreateCommand(
            """
            INSERT INTO accounts (id, currency) VALUES (@id, @currency);
            INSERT INTO account_external_ids (tenant_id, scheme, external_id, account_id) SELECT 'default', 'OTHER', @external, @id WHERE @external IS NOT NULL;
            """);
        create.Parameters.AddWithValue("id", account);
        create.Parameters.AddWithValue("currency", currency);
        create.Parameters.Add(new NpgsqlParameter<string?>("external", externalId) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await create.ExecuteNonQueryAsync();
        return account;
    }

    private static async Task<string> FileAsync(string content)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, content);
        return file;
    }

    private static string Mt940(string number, string currency) => $"""
        :20:CLI-{currency}
        :25:10020030/{number}
        :28C:1/1
        :60F:C250101{currency}10,00
        :61:2501020102C5,00NTRFNONREF
        :86:payment
        :62F:C250102{currency}15,00
        -
        """;

    [Fact]
    public async Task Without_an_account_each_statement_goes_to_the_account_holding_its_identifier_as_the_api_routes_it()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        var (eurNumber, usdNumber) = ("3" + Random.Shared.NextInt64(100_000_000, 999_999_999), "4" + Random.Shared.NextInt64(100_000_000, 999_999_999));
        var eur = await AccountAsync(dataSource, "EUR", eurNumber);
        var usd = await AccountAsync(dataSource, "USD", usdNumber);
        var file = await FileAsync(Mt940(eurNumber, "EUR") + "\n" + Mt940(usdNumber, "USD"));

        var (exit, stdout, _) = await ImportProgressTests.RunAsync("dotnet", [ImportProgressTests.LocalDll, "import-statement", "--file", file]);

        Assert.Equal(0, exit);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains($"1 of 1 lines imported (statement 'CLI-EUR' (line 1), account {eur})", stdout, StringComparison.Ordinal);
        Assert.Contains($"1 of 1 lines imported (statement 'CLI-USD' (line 9), account {usd})", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_account_a_foreign_currency_an_unknown_identifier_and_a_bad_file_exit_1_with_the_apis_message()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        var usd = await AccountAsync(dataSource, "USD");
        var number = "5" + Random.Shared.NextInt64(100_000_000, 999_999_999);
        var eurFile = await FileAsync(Mt940(number, "EUR"));
        var notAStatement = await FileAsync("hello, this is not a statement\n");

        var unknown = await ImportProgressTests.RunAsync("dotnet", [ImportProgressTests.LocalDll, "import-statement", "--account", "cli-nobody-here", "--file", eurFile]);
        var currency = await ImportProgressTests.RunAsync("dotnet", [ImportProgressTests.LocalDll, "import-statement", "--account", usd, "--file", eurFile]);
        var unrouted = await ImportProgressTests.RunAsync("dotnet", [ImportProgressTests.LocalDll, "import-statement", "--file", eurFile]);
        var bad = await ImportProgressTests.RunAsync("dotnet", [ImportProgressTests.LocalDll, "import-statement", "--account", usd, "--file", notAStatement]);
        var badFormat = await ImportProgressTests.RunAsync("dotnet", [ImportProgressTests.LocalDll, "import-statement", "--account", usd, "--format", "mt950", "--file", eurFile]);
        await using var count = dataSource.CreateCommand($"SELECT count(*) FROM external_records WHERE account_id = '{usd}'");

        Assert.Equal((1, 1, 1, 1, 1), (unknown.Exit, currency.Exit, unrouted.Exit, bad.Exit, badFormat.Exit));
        Assert.Contains("account 'cli-nobody-here' does not exist", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains($"statement 'CLI-EUR' (line 1) is in EUR, account '{usd}' holds USD", currency.Stderr, StringComparison.Ordinal);
        Assert.Contains($"is for OTHER {number}, which no account holds", unrouted.Stderr, StringComparison.Ordinal);
        Assert.Contains("refused whole, nothing imported: ", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("(read as csv)", bad.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("line 0", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("unknown format 'mt950'", badFormat.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", string.Concat(unknown.Stderr, currency.Stderr, unrouted.Stderr, bad.Stderr), StringComparison.Ordinal);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }
}
