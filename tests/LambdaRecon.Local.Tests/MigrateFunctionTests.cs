using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Migrations;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>
/// MigrateFunction as CloudFormation drives it: `invoke MigrateFunction --event` in a process of its own
/// (its database is fixed at its cold start), with a local HTTP receiver standing in for the ResponseURL.
/// </summary>
public class MigrateFunctionTests
{
    private static JsonObject Event(string requestType, string responseUrl, string? physicalId = null)
    {
        var e = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Events", "cloudformation-create.json")))!.AsObject();
        e["RequestType"] = requestType;
        e["ResponseURL"] = responseUrl;
        if (physicalId is not null)
        {
            e["PhysicalResourceId"] = physicalId;
        }

        return e;
    }

    [Fact]
    public async Task Create_on_a_fresh_database_and_Update_on_a_migrated_one_answer_SUCCESS_and_migrate_once()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        var latest = SchemaMigrator.Embedded[^1].Version;

        var created = await InvokeAsync(database.ConnectionString, receiver => Event("Create", receiver));
        var updated = await InvokeAsync(database.ConnectionString, receiver => Event("Update", receiver, created.Answer["PhysicalResourceId"]!.GetValue<string>()));

        Assert.Equal("SUCCESS", created.Answer["Status"]!.GetValue<string>());
        Assert.Equal(latest.ToString(System.Globalization.CultureInfo.InvariantCulture), created.Answer["Data"]!["Version"]!.GetValue<string>());
        Assert.Equal("DatabaseMigration", created.Answer["LogicalResourceId"]!.GetValue<string>());
        Assert.Equal("2a1f6c7e-0d4b-4a3e-9a51-8f6a1d2b3c4d", created.Answer["RequestId"]!.GetValue<string>());
        Assert.Equal("SUCCESS", updated.Answer["Status"]!.GetValue<string>());
        Assert.Equal("none", updated.Answer["Data"]!["Applied"]!.GetValue<string>());
        Assert.Equal(created.Answer["PhysicalResourceId"]!.GetValue<string>(), updated.Answer["PhysicalResourceId"]!.GetValue<string>());
        Assert.Equal(SchemaMigrator.Embedded.Count, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        // What the stand-in S3 URL received is exactly what the invoke printed, and carries no Content-Type.
        Assert.Null(created.ContentType);
        Assert.Equal(created.Answer.ToJsonString(), JsonNode.Parse(created.Stdout)!.ToJsonString());
    }

    [Fact]
    public async Task The_bootstrap_admin_key_from_its_secret_is_registered_once_and_authenticates()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);
        var secretId = "lambdarecon/test/admin-" + Guid.NewGuid().ToString("N")[..8];
        var key = ApiKeyStore.NewKey();
        using (var ssm = new AmazonSimpleSystemsManagementClient(new AmazonSimpleSystemsManagementConfig
        {
            ServiceURL = TestEnvironment.Require("AWS_ENDPOINT_URL_SSM"), AuthenticationRegion = TestEnvironment.Require("AWS_REGION"),
        }))
        {
            await ssm.PutParameterAsync(new PutParameterRequest { Name = SecretReference.ParameterName(secretId), Value = key + "\n", Type = ParameterType.SecureString });
        }

        var first = await InvokeAsync(database.ConnectionString, receiver => Event("Create", receiver), ("ADMIN_API_KEY_SECRET_ID", secretId));
        var second = await InvokeAsync(database.ConnectionString, receiver => Event("Update", receiver, Migrate.Function.PhysicalId), ("ADMIN_API_KEY_SECRET_ID", secretId));

        Assert.Contains("admin key: registered", first.Answer["Reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("admin key: already known", second.Answer["Reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var client = await new ApiKeyStore(database.DataSource).AuthenticateAsync(key, CancellationToken.None);
        Assert.NotNull(client);
        Assert.True(client.Has(ApiScopes.Admin));
        Assert.DoesNotContain(key, first.Stdout + first.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_answers_SUCCESS_and_touches_no_data()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);

        var deleted = await InvokeAsync(database.ConnectionString, receiver => Event("Delete", receiver, Migrate.Function.PhysicalId));

        Assert.Equal("SUCCESS", deleted.Answer["Status"]!.GetValue<string>());
        Assert.Equal(DBNull.Value, await database.ScalarAsync<object>("SELECT to_regclass('schema_migrations')::text"));
    }

    [Fact]
    public async Task An_unreachable_database_is_answered_FAILED_with_the_reason()
    {
        var unreachable = $"Host=127.0.0.1;Port={ClosedPort()};Username=x;Database=x;Timeout=2";

        var failed = await InvokeAsync(unreachable, receiver => Event("Create", receiver));

        Assert.Equal("FAILED", failed.Answer["Status"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(failed.Answer["Reason"]!.GetValue<string>()));
        Assert.Equal(0, failed.ExitCode);
    }

    [Fact]
    public async Task A_malformed_event_with_a_ResponseURL_is_answered_FAILED_naming_what_is_wrong()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);

        var failed = await InvokeAsync(database.ConnectionString, receiver =>
        {
            var e = Event("Create", receiver);
            e.Remove("RequestType");
            e["StackId"] = "";
            return e;
        });

        Assert.Equal("FAILED", failed.Answer["Status"]!.GetValue<string>());
        Assert.Contains("RequestType is missing", failed.Answer["Reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("StackId is missing", failed.Answer["Reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(DBNull.Value, await database.ScalarAsync<object>("SELECT to_regclass('schema_migrations')::text"));
    }

    [Fact]
    public async Task An_event_without_a_ResponseURL_fails_the_invoke_with_a_clear_error()
    {
        var file = Path.GetTempFileName();
        var e = Event("Create", "unused");
        e.Remove("ResponseURL");
        await File.WriteAllTextAsync(file, e.ToJsonString());

        var (exitCode, stdout, stderr) = await RunLocalAsync(TestEnvironment.Require("DATABASE_URL"), ["invoke", "MigrateFunction", "--event", file]);

        // Lambda's error document, as `sam local invoke` prints it, and a failed exit.
        Assert.Equal(1, exitCode);
        using var error = JsonDocument.Parse(stdout);
        Assert.Contains("ResponseURL is missing", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ResponseURL is missing", stderr, StringComparison.Ordinal);
    }

    private sealed record Invocation(JsonObject Answer, string? ContentType, int ExitCode, string Stdout, string Stderr);

    private static async Task<Invocation> InvokeAsync(string databaseUrl, Func<string, JsonObject> makeEvent, params (string, string)[] environment)
    {
        var port = ClosedPort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        // Answers the function's PUT at once, as S3 does, while the invoke runs.
        var received = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var result = (context.Request.HttpMethod, context.Request.ContentType, body);
            context.Response.StatusCode = 200;
            context.Response.Close();
            return result;
        });

        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, makeEvent($"http://127.0.0.1:{port}/cloudformation-response?X-Amz-Signature=abc").ToJsonString());
        var (exitCode, stdout, stderr) = await RunLocalAsync(databaseUrl, ["invoke", "MigrateFunction", "--event", file], environment);

        Assert.True(received.IsCompleted, $"nothing reached the ResponseURL (exit {exitCode}): {stderr}");
        var (method, contentType, body) = await received;
        Assert.Equal("PUT", method);
        return new Invocation(JsonNode.Parse(body)!.AsObject(), contentType, exitCode, stdout, stderr);
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunLocalAsync(
        string databaseUrl, string[] args, params (string Name, string Value)[] environment) =>
        LocalProcess.RunAsync(args, null, [("DATABASE_URL", databaseUrl), .. environment]);

    private static int ClosedPort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
