using LambdaRecon.Infrastructure.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace LambdaRecon.TestSupport;

/// <summary>
/// A database of one test class's own, on the PostgreSQL that ./test.sh started, so that no test
/// reads rows another test wrote. Dropped on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly NpgsqlConnectionStringBuilder _admin;

    private TestDatabase(NpgsqlConnectionStringBuilder admin, string name)
    {
        _admin = admin;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Creates an empty database and, unless told otherwise, migrates it as a deploy does.</summary>
    public static async Task<TestDatabase> CreateAsync(bool applySchema = true)
    {
        var admin = new NpgsqlConnectionStringBuilder(TestEnvironment.Require("DATABASE_URL"));
        var name = "lr_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var server = NpgsqlDataSource.Create(admin.ConnectionString))
        {
            await using var create = server.CreateCommand($"CREATE DATABASE {name}");
            await create.ExecuteNonQueryAsync();
        }

        var database = new TestDatabase(admin, name);
        if (applySchema)
        {
            await new SchemaMigrator(database.DataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        }

        return database;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await using var server = NpgsqlDataSource.Create(_admin.ConnectionString);
        await using var drop = server.CreateCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }
}
