using System.Diagnostics;
using System.Text.Json;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Api.Lambda;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Tests.Lambda;
using LambdaRecon.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.OpenApi;

/// <summary>
/// The OpenAPI document generated from the code: equal to the committed docs/openapi.json, clean under Redocly and
/// Spectral, and complete where the lint does not look (scopes, refusals, headers, examples). None needs a service.
/// </summary>
public sealed class OpenApiDocumentTests
{
    private const string Regenerate = "./run.sh openapi > docs/openapi.json";

    private static readonly Lazy<Task<string>> Generated = new(() => ApiContract.GenerateAsync(CancellationToken.None));

    private static async Task<JsonElement> DocumentAsync() => JsonDocument.Parse(await Generated.Value).RootElement;

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (path.Name, op.Name, op.Value)));

    [Fact]
    public async Task The_committed_copy_is_the_document_the_code_generates()
    {
        var committed = await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepositoryRoot, "docs", "openapi.json"));
        var generated = await Generated.Value;
        if (committed != generated)
        {
            var lines = (Committed: committed.Split('\n'), Generated: generated.Split('\n'));
            var first = Enumerable.Range(0, Math.Min(lines.Committed.Length, lines.Generated.Length))
                .FirstOrDefault(i => lines.Committed[i] != lines.Generated[i], Math.Min(lines.Committed.Length, lines.Generated.Length));
            Assert.Fail($"docs/openapi.json differs from the document the code generates (first at line {first + 1}: "
                + $"copy '{lines.Committed.ElementAtOrDefault(first)?.Trim()}', code '{lines.Generated.ElementAtOrDefault(first)?.Trim()}'). "
                + $"Regenerate it with: {Regenerate}");
        }
    }

    [Fact]
    public async Task The_generated_document_passes_Redocly_and_Spectral()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lambdarecon-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, await Generated.Value);
        try
        {
            var start = new ProcessStartInfo(Path.Combine(TestEnvironment.RepositoryRoot, "tools", "openapi-lint", "lint.sh"), [file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var lint = Process.Start(start)!;
            var output = lint.StandardOutput.ReadToEndAsync();
            var errors = lint.StandardError.ReadToEndAsync();
            await lint.WaitForExitAsync();
            Assert.True(lint.ExitCode == 0, $"tools/openapi-lint/lint.sh found problems (exit {lint.ExitCode}):\n{await output}\n{await errors}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Info_names_the_API_its_version_licence_and_contact()
    {
        var info = (await DocumentAsync()).GetProperty("info");
        Assert.Equal("LambdaRecon", info.GetProperty("title").GetString());
        Assert.Equal(ApiContract.Version, info.GetProperty("version").GetString());
        Assert.False(string.IsNullOrWhiteSpace(info.GetProperty("description").GetString()));
        Assert.True(info.GetProperty("license").TryGetProperty("name", out _));
        Assert.True(info.GetProperty("contact").TryGetProperty("url", out _));
    }

    [Fact]
    public async Task Every_operation_has_an_id_a_summary_a_description_and_a_described_tag()
    {
        var document = await DocumentAsync();
        var described = document.GetProperty("tags").EnumerateArray()
            .Where(t => t.TryGetProperty("description", out _)).Select(t => t.GetProperty("name").GetString()).ToHashSet();
        var operations = Operations(document).ToList();
        Assert.True(operations.Count >= 39, $"only {operations.Count} operations");
        foreach (var (path, method, operation) in operations)
        {
            foreach (var field in new[] { "operationId", "summary", "description" })
            {
                Assert.True(operation.TryGetProperty(field, out var value) && value.GetString()!.Length > 0, $"{method} {path} has no {field}");
            }

            Assert.All(operation.GetProperty("tags").EnumerateArray(), tag => Assert.Contains(tag.GetString(), described));
        }
    }

    [Fact]
    public async Task Each_operation_with_a_key_names_its_scopes_and_answers_401_403_and_503_as_problems()
    {
        var document = await DocumentAsync();
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        var open = new List<string>();
        foreach (var (path, method, operation) in Operations(document))
        {
            var requirements = operation.GetProperty("security").EnumerateArray().ToList();
            if (requirements.Count == 0)
            {
                open.Add(path);
                continue;
            }

            Assert.NotEmpty(requirements.Single().GetProperty("bearer").EnumerateArray());
            foreach (var status in new[] { "401", "403", "503" })
            {
                var problem = operation.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/problem+json");
                Assert.Equal("#/components/schemas/Problem", problem.GetProperty("schema").GetProperty("$ref").GetString());
                Assert.Equal(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("example").GetProperty("status").GetInt32());
            }

            Assert.True(operation.GetProperty("responses").GetProperty("503").GetProperty("headers").TryGetProperty("Retry-After", out _), $"{method} {path}: 503 without Retry-After");
        }

        // Without a key: the probes, and the webhook intake, which a provider's signature authenticates instead.
        Assert.Equal(["/api/v1/health", "/api/v1/ready", "/api/v1/webhooks/{provider}"], open.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_problem_schema_has_field_and_trace_id_and_integers_are_plain_integers()
    {
        var document = await DocumentAsync();
        var problem = document.GetProperty("components").GetProperty("schemas").GetProperty("Problem").GetProperty("properties");
        Assert.True(problem.TryGetProperty("field", out _));
        Assert.True(problem.TryGetProperty("trace_id", out _));
        var balance = document.GetProperty("components").GetProperty("schemas").GetProperty("BalanceResponse").GetProperty("properties").GetProperty("balance_minor");
        Assert.Equal("integer", balance.GetProperty("type").GetString());
        Assert.False(balance.TryGetProperty("pattern", out _));
        Assert.DoesNotContain("\"pattern\": \"^-?(?:0|[1-9]\\\\d*)$\"", await Generated.Value);
    }

    [Fact]
    public async Task Submitting_a_transfer_documents_the_idempotency_key_its_replay_its_refusals_and_the_seed_example()
    {
        var operation = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/transactions").GetProperty("post");
        Assert.Equal("CreateTransaction", operation.GetProperty("operationId").GetString());
        Assert.Contains(operation.GetProperty("parameters").EnumerateArray(),
            p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header");
        var body = operation.GetProperty("requestBody");
        Assert.True(body.GetProperty("required").GetBoolean());
        var example = body.GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.Equal("unique-key-12345", example.GetProperty("idempotencyKey").GetString());
        Assert.Equal("account-123", example.GetProperty("transaction").GetProperty("source_account_id").GetString());
        var responses = operation.GetProperty("responses");
        Assert.Equal(["200", "202", "400", "401", "403", "409", "413", "415", "422", "503"], responses.EnumerateObject().Select(r => r.Name).Order());
        var replay = responses.GetProperty("200").GetProperty("headers");
        Assert.True(replay.TryGetProperty("Idempotent-Replayed", out _));
        Assert.True(replay.TryGetProperty("Original-Status", out _));
        Assert.True(responses.GetProperty("409").GetProperty("headers").TryGetProperty("Retry-After", out _));
        Assert.All(responses.EnumerateObject(), r => Assert.True(r.Value.GetProperty("headers").TryGetProperty("X-Request-Id", out _), $"{r.Name} without X-Request-Id"));
        Assert.Equal("idempotencyKey", responses.GetProperty("422").GetProperty("content").GetProperty("application/problem+json")
            .GetProperty("example").GetProperty("field").GetString());
    }

    [Fact]
    public async Task Every_2xx_with_a_body_has_content_and_a_runs_202_and_its_exports_say_what_they_are()
    {
        var document = await DocumentAsync();
        foreach (var (path, method, operation) in Operations(document))
        {
            foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(r => r.Name is ['2', ..] and not "204"))
            {
                Assert.True(response.Value.TryGetProperty("content", out var content) && content.EnumerateObject().Any(),
                    $"{method} {path} {response.Name} has no content");
            }
        }

        var paths = document.GetProperty("paths");
        var breaks = paths.GetProperty("/api/v1/reconciliations/{runId}/breaks").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.Equal("#/components/schemas/BreakPageResponse", breaks.GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Equal("string", breaks.GetProperty("text/csv").GetProperty("schema").GetProperty("type").GetString());
        Assert.True(paths.GetProperty("/api/v1/reconciliations/{runId}/report").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").TryGetProperty("text/html", out _));
        var accepted = paths.GetProperty("/api/v1/accounts/{accountId}/reconcile").GetProperty("post").GetProperty("responses").GetProperty("202");
        Assert.True(accepted.GetProperty("headers").TryGetProperty("Location", out _));
        Assert.True(accepted.GetProperty("headers").TryGetProperty("Retry-After", out _));
        Assert.DoesNotContain("pollUrl", accepted.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_created_resource_documents_its_Location()
    {
        var document = await DocumentAsync();
        var created = Operations(document).Where(o => o.Operation.GetProperty("responses").TryGetProperty("201", out _)).ToList();
        Assert.Contains(created, o => o.Path == "/api/v1/accounts");
        Assert.All(created, o => Assert.True(
            o.Operation.GetProperty("responses").GetProperty("201").GetProperty("headers").TryGetProperty("Location", out _), $"{o.Method} {o.Path}"));
    }

    [Fact]
    public async Task The_servers_of_the_served_document_are_where_the_request_came_in_stage_included()
    {
        await using var app = ApiHost.Build([], builder => builder.Services.AddSingleton<IServer, ApiGatewayServer>(), checkSettings: false);
        await app.StartAsync();
        var server = (ApiGatewayServer)app.Services.GetRequiredService<IServer>();
        var request = ApiGatewayEvents.Request("GET", "/prod/openapi/v1.json");
        request = request with { RequestContext = request.RequestContext with { Stage = "prod" } };

        var response = await server.ProcessAsync(request);

        Assert.Equal(200, response.StatusCode);
        var servers = JsonDocument.Parse(response.Body!).RootElement.GetProperty("servers");
        Assert.Equal("https://r3pmxmplak.execute-api.us-east-1.amazonaws.com/prod", servers.EnumerateArray().Single().GetProperty("url").GetString());
        await app.StopAsync();
    }
}
