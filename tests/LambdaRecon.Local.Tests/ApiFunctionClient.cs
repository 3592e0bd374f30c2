using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>What ApiFunction answered: API Gateway's v2 response shape, read back from the output stream.</summary>
public sealed record ApiFunctionResponse(int StatusCode, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// Calls ApiFunction through its template.yaml handler string with HTTP API v2 events written as JSON, the
/// way API Gateway sends them, so the test exercises the same deserializer Lambda's runtime would feed.
/// </summary>
public sealed class ApiFunctionClient
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    private readonly FunctionInvoker _invoker = new(Template.Function("ApiFunction"));
    private readonly string _key;

    private ApiFunctionClient(string key) => _key = key;

    /// <summary>
    /// A client with an API key of its own, registered in DATABASE_URL's api_keys table (the database the
    /// function reads), and a unique client id so that its idempotency keys never meet another test's.
    /// </summary>
    public static async Task<ApiFunctionClient> CreateAsync()
    {
        var key = "k-local-" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        await new ApiKeyStore(dataSource).RegisterAsync(key, "local-" + Guid.NewGuid().ToString("N"), ApiScopes.All, CancellationToken.None);
        return new ApiFunctionClient(key);
    }

    /// <summary>An HTTP API v2 event as API Gateway sends it on the $default stage behind ANY /{proxy+}.</summary>
    public JsonObject Event(string method, string path, string? jsonBody = null)
    {
        var headers = new JsonObject
        {
            ["accept"] = "application/json",
            ["authorization"] = "Bearer " + _key,
            ["host"] = "r3pmxmplak.execute-api.us-east-1.amazonaws.com",
            ["x-forwarded-proto"] = "https",
            ["x-forwarded-port"] = "443",
            ["x-forwarded-for"] = "203.0.113.17",
        };
        if (jsonBody is not null)
        {
            headers["content-type"] = "application/json";
            headers["content-length"] = Encoding.UTF8.GetByteCount(jsonBody).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var queryAt = path.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryAt < 0 ? path : path[..queryAt];
        var @event = new JsonObject
        {
            ["version"] = "2.0",
            ["routeKey"] = "ANY /{proxy+}",
            ["rawPath"] = rawPath,
            ["rawQueryString"] = queryAt < 0 ? "" : path[(queryAt + 1)..],
            ["headers"] = headers,
            ["pathParameters"] = new JsonObject { ["proxy"] = rawPath.TrimStart('/') },
            ["requestContext"] = new JsonObject
            {
                ["accountId"] = "123456789012",
                ["apiId"] = "r3pmxmplak",
                ["domainName"] = "r3pmxmplak.execute-api.us-east-1.amazonaws.com",
                ["domainPrefix"] = "r3pmxmplak",
                ["http"] = new JsonObject
                {
                    ["method"] = method,
                    ["path"] = rawPath,
                    ["protocol"] = "HTTP/1.1",
                    ["sourceIp"] = "203.0.113.17",
                    ["userAgent"] = "LambdaRecon.Local.Tests",
                },
                ["requestId"] = "req-" + Guid.NewGuid().ToString("N")[..12],
                ["routeKey"] = "ANY /{proxy+}",
                ["stage"] = "$default",
                ["time"] = DateTimeOffset.UtcNow.ToString("dd/MMM/yyyy:HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture),
                ["timeEpoch"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            },
            ["isBase64Encoded"] = false,
        };
        if (jsonBody is not null)
        {
            @event["body"] = jsonBody;
        }

        return @event;
    }

    public Task<ApiFunctionResponse> SendAsync(string method, string path, string? jsonBody = null) =>
        InvokeAsync(Event(method, path, jsonBody));

    public async Task<ApiFunctionResponse> InvokeAsync(JsonObject @event)
    {
        await using var input = new MemoryStream(Encoding.UTF8.GetBytes(@event.ToJsonString()));
        await using var output = await _invoker.HandleAsync(input);
        var response = (await JsonDocument.ParseAsync(output)).RootElement;
        var headers = response.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object
            ? h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var body = response.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "";
        if (response.TryGetProperty("isBase64Encoded", out var base64) && base64.ValueKind == JsonValueKind.True)
        {
            body = Encoding.UTF8.GetString(Convert.FromBase64String(body));
        }

        return new ApiFunctionResponse(response.GetProperty("statusCode").GetInt32(), headers, body);
    }

    /// <summary>Opens an account through POST /api/v1/accounts; a null overdraft limit lets it go below zero without bound.</summary>
    public async Task<ApiFunctionResponse> OpenAccountAsync(string id, string? overdraftLimit = "0")
    {
        var limit = overdraftLimit is null ? "null" : $"\"{overdraftLimit}\"";
        return await SendAsync("POST", "/api/v1/accounts", $$"""{"account_id":"{{id}}","currency":"USD","overdraft_limit":{{limit}}}""");
    }

    public static string Transfer(string from, string to, string amount, string key) =>
        $$"""{"transaction":{"source_account_id":"{{from}}","destination_account_id":"{{to}}","amount":"{{amount}}"},"idempotencyKey":"{{key}}"}""";
}
