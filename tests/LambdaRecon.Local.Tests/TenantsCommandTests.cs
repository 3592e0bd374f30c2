using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>`./run.sh tenants …` and `./run.sh keys create --tenant …`: what the admin endpoints do, against DATABASE_URL.</summary>
public class TenantsCommandTests
{
    [Fact]
    public async Task A_tenant_is_created_once_and_gets_keys_while_an_unknown_tenant_gets_none()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        var tenant = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var client = tenant + "-app";

        var created = await Commands.RunAsync(["tenants", "create", "--tenant", tenant, "--name", "CLI Ltd"]);
        var again = await Commands.RunAsync(["tenants", "create", "--tenant", tenant, "--name", "CLI Ltd"]);
        var nameless = await Commands.RunAsync(["tenants", "create", "--tenant", tenant + "x"]);
        var listed = await Commands.RunAsync(["tenants", "list"]);
        var key = await Commands.RunAsync(["keys", "create", "--tenant", tenant, "--client", client, "--scopes", "ledger:read"]);
        var orphan = await Commands.RunAsync(["keys", "create", "--tenant", tenant + "-none", "--client", client + "-orphan", "--scopes", "ledger:read"]);

        Assert.Equal((0, 1, 2, 0, 0, 1), (created, again, nameless, listed, key, orphan));
        Assert.Equal("CLI Ltd", await ScalarAsync<string>(dataSource, $"SELECT name FROM tenants WHERE id = '{tenant}'"));
        Assert.Equal(0L, await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM tenants WHERE id = '{tenant}x'"));
        Assert.Equal(tenant, await ScalarAsync<string>(dataSource, $"SELECT tenant_id FROM api_keys WHERE client_id = '{client}'"));
        Assert.Equal(0L, await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM api_keys WHERE client_id = '{client}-orphan'"));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
