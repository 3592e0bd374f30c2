using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Tenants;

namespace LambdaRecon.Api.Admin;

public sealed record CreatedKeyResponse(
    string KeyId, string Key, string ClientId, string TenantId, IReadOnlyList<string> Scopes, string? Description, DateTimeOffset CreatedAt,
    string? CreatedBy);

public sealed record KeyListResponse(IReadOnlyList<ApiKeyInfo> Keys);

/// <summary>
/// API keys for operators (scope admin): create one for a tenant (its secret answered once, never stored),
/// list them (never a secret, every tenant's), revoke one. ./run.sh keys does the same against any DATABASE_URL.
/// </summary>
public static partial class KeysApi
{
    public static void MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/admin/keys").WithTags("Admin");
        api.MapPost("/", CreateAsync).WithName("CreateApiKey").RequireScope(ApiScopes.Admin)
            .WithSummary("Create an API key")
            .WithDescription("Creates a key for a client of a tenant (the admin key's own when `tenant_id` is left out). The key is answered this once and stored only as its SHA-256.")
            .RequestBody<CreateKeyRequest>()
            .RequestExample("""{"client_id":"shop-backend","scopes":["transactions:write","ledger:read"],"description":"the shop's checkout"}""")
            .Produces<CreatedKeyResponse>(201)
            .ResponseExample(201, """{"key_id":"3f1c2a9b8d7e6f50","key":"lrk_4a7d1e0c9b8f2a6e5d3c1b0a9f8e7d6c5b4a3f2e1d0c9b8a","client_id":"shop-backend","tenant_id":"default","scopes":["transactions:write","ledger:read"],"description":"the shop's checkout","created_at":"2026-11-24T14:29:51.648818+00:00","created_by":"local"}""")
            .ProblemExample(400, "validation", "The request is not valid", "'reports:write' is not a scope: transactions:write, ledger:read, reconciliation:run, admin", "scopes")
            .ProblemExample(422, "unknown-tenant", "Unknown tenant", "tenant 'acme' does not exist: create it with POST /api/v1/admin/tenants", "tenant_id");
        api.MapGet("/", ListAsync).WithName("ListApiKeys").RequireScope(ApiScopes.Admin)
            .WithSummary("List API keys")
            .WithDescription("Every key of every tenant, revoked ones too; never a secret.")
            .Produces<KeyListResponse>();
        // The Location a created key answers with.
        api.MapGet("/{keyId}", GetAsync).WithName("GetApiKey").RequireScope(ApiScopes.Admin)
            .WithSummary("Get an API key")
            .WithDescription("One key as the list shows it (the `Location` of a created key).")
            .Produces<ApiKeyInfo>().ProblemExample(404, "not-found", "API key not found", "there is no API key '3f1c2a9b8d7e6f50'");
        api.MapDelete("/{keyId}", RevokeAsync).WithName("RevokeApiKey").RequireScope(ApiScopes.Admin)
            .WithSummary("Revoke an API key")
            .WithDescription("Revokes the key (again: no change) and answers it as it is now. A revoked key is refused within the key cache's lifetime.")
            .Produces<ApiKeyInfo>().ProblemExample(404, "not-found", "API key not found", "there is no API key '3f1c2a9b8d7e6f50'");
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    public static partial Regex ClientIdPattern();

    /// <summary>The scopes a new key may hold, checked: a known scope each, at least one, no repeats.</summary>
    public static string? CheckScopes(IReadOnlyList<string> scopes) =>
        scopes.Count == 0 ? "a key needs at least one scope"
        : scopes.FirstOrDefault(s => !ApiScopes.All.Contains(s, StringComparer.Ordinal)) is { } unknown
            ? $"'{unknown}' is not a scope: {string.Join(", ", ApiScopes.All)}"
        : scopes.Distinct(StringComparer.Ordinal).Count() != scopes.Count ? "a scope is named twice"
        : null;

    public static async Task<IResult> CreateAsync(HttpContext http, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        if (JsonBody.RefuseUnknown(body, "", "client_id", "scopes", "description", "tenant_id") is { } unknown)
        {
            return unknown;
        }

        var (clientId, p1) = JsonBody.OptionalString(body, "client_id", "");
        var (description, p2) = JsonBody.OptionalString(body, "description", "");
        var (tenantId, p3) = JsonBody.OptionalString(body, "tenant_id", "");
        if ((p1 ?? p2 ?? p3) is { } problem)
        {
            return problem;
        }

        // Without a tenant, the key joins the admin key's own.
        tenantId ??= http.Client().TenantId;
        if (!TenantStore.IdPattern().IsMatch(tenantId))
        {
            return Problem.Validation("tenant_id", $"'{tenantId}' is not a tenant id: {TenantStore.IdRule}");
        }

        if (clientId is null || !ClientIdPattern().IsMatch(clientId))
        {
            return Problem.Validation("client_id", clientId is null
                ? "'client_id' is required: the client the key acts for, e.g. \"shop-1\""
                : $"'{clientId}' is not a client id: 1 to 64 characters of A-Z a-z 0-9 . _ : -");
        }

        if (description is { Length: > 200 })
        {
            return Problem.Validation("description", "'description' may hold at most 200 characters");
        }

        if (!body.TryGetProperty("scopes", out var scopesElement) || scopesElement.ValueKind != JsonValueKind.Array
            || scopesElement.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
        {
            return Problem.Validation("scopes", $"'scopes' must be an array of scopes: {string.Join(", ", ApiScopes.All)}");
        }

        var scopes = scopesElement.EnumerateArray().Select(s => s.GetString()!).ToArray();
        if (CheckScopes(scopes) is { } scopeProblem)
        {
            return Problem.Validation("scopes", scopeProblem);
        }

        if (await keys.CreateAsync(tenantId, clientId, scopes, description, http.Client().ClientId, cancellationToken) is not { } created)
        {
            return UnknownTenant(tenantId);
        }

        return TypedResults.Created($"{http.Request.PathBase}/api/v1/admin/keys/{created.Info.KeyId}", Created(created.Key, created.Info));
    }

    public static async Task<IResult> GetAsync(string keyId, ApiKeyStore keys, CancellationToken cancellationToken) =>
        await keys.GetAsync(keyId, cancellationToken) is { } key
            ? TypedResults.Ok(key)
            : Problem.NotFound("API key", $"there is no API key '{keyId}'");

    public static CreatedKeyResponse Created(string key, ApiKeyInfo info) =>
        new(info.KeyId, key, info.ClientId, info.TenantId, info.Scopes, info.Description, info.CreatedAt, info.CreatedBy);

    public static IResult UnknownTenant(string tenantId) => Problem.Unprocessable(
        "unknown-tenant", "Unknown tenant", $"tenant '{tenantId}' does not exist: create it with POST /api/v1/admin/tenants", "tenant_id");

    public static async Task<IResult> ListAsync(ApiKeyStore keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(new KeyListResponse(await keys.ListAsync(cancellationToken)));

    public static async Task<IResult> RevokeAsync(string keyId, HttpContext http, ApiKeyStore keys, CancellationToken cancellationToken) =>
        await keys.RevokeAsync(keyId, http.Client().ClientId, cancellationToken) is { } info
            ? TypedResults.Ok(info)
            : Problem.NotFound("API key", $"there is no API key '{keyId}'");
}
