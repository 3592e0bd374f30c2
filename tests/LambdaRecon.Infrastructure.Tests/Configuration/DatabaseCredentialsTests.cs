using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Infrastructure.Tests.Configuration;

/// <summary>
/// The database login read at run time from a secret, through Parameter Store (the SQS emulator answers
/// GetParameter too), against a role of ./test.sh's PostgreSQL that must log in with a password.
/// </summary>
public class DatabaseCredentialsTests
{
    private static async Task PutSecretAsync(IAmazonSimpleSystemsManagement ssm, string secretId, string value) =>
        await ssm.PutParameterAsync(new PutParameterRequest
        {
            Name = SecretReference.ParameterName(secretId), Value = value, Type = ParameterType.SecureString, Overwrite = true,
        });

    private static EngineSettings SettingsFor(TestDatabase database, string secretId)
    {
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = null, Password = null, Pooling = true };
        return TestEnvironment.Settings() with { PostgresConnectionString = connection.ConnectionString, DatabaseSecretId = secretId };
    }

    [Fact]
    public async Task After_a_rotation_at_most_one_connection_attempt_fails_and_the_next_reads_the_new_password()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        var role = "rot_" + Guid.NewGuid().ToString("N")[..12];
        var secretId = "lambdarecon/test/" + role;
        await database.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'first-password' IN ROLE lambdarecon_password_login");
        try
        {
            await using var resources = new EngineResources(SettingsFor(database, secretId));
            await PutSecretAsync(resources.Ssm, secretId, $$"""{"username":"{{role}}","password":"first-password","engine":"postgres"}""");

            Assert.Equal(role, await CurrentUserAsync(resources.DataSource));

            // Rotation: the role's password changes and the secret with it. Open connections live on, so a
            // new one is forced, as a Lambda environment opens one when its pool's connections are recycled.
            await database.ExecuteAsync($"ALTER ROLE {role} PASSWORD 'second-password'");
            await PutSecretAsync(resources.Ssm, secretId, $$"""{"username":"{{role}}","password":"second-password"}""");
            resources.DataSource.Clear();
            await Task.Delay(resources.DatabaseCredentials!.MinimumRereadInterval);

            // At most the first attempt with the old password fails (Npgsql may retry an open itself, and the
            // retry already reads the new secret); the next one succeeds, with no restart.
            try
            {
                Assert.Equal(role, await CurrentUserAsync(resources.DataSource));
            }
            catch (PostgresException refused)
            {
                Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
                Assert.Equal(role, await CurrentUserAsync(resources.DataSource));
            }

            Assert.Equal(2, resources.DatabaseCredentials.Reads);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await database.ExecuteAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task Connections_that_open_do_not_read_the_secret_again()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        var role = "rot_" + Guid.NewGuid().ToString("N")[..12];
        var secretId = "lambdarecon/test/" + role;
        await database.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'only-password' IN ROLE lambdarecon_password_login");
        try
        {
            await using var resources = new EngineResources(SettingsFor(database, secretId));
            await PutSecretAsync(resources.Ssm, secretId, $$"""{"username":"{{role}}","password":"only-password"}""");

            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(role, await CurrentUserAsync(resources.DataSource));
                resources.DataSource.Clear();
            }

            Assert.Equal(1, resources.DatabaseCredentials!.Reads);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await database.ExecuteAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task A_secret_without_username_and_password_is_refused_without_showing_its_value()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        var secretId = "lambdarecon/test/bad-" + Guid.NewGuid().ToString("N")[..12];
        await using var resources = new EngineResources(SettingsFor(database, secretId));
        await PutSecretAsync(resources.Ssm, secretId, "hunter2-plain-text");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CurrentUserAsync(resources.DataSource));

        Assert.Contains("'username' and 'password'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> CurrentUserAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT current_user");
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
