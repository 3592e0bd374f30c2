using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Tenants;

namespace LambdaRecon.Api.Admin;

public sealed record TenantListResponse(IReadOnlyList<Tenant> Tenants);

/// <summary>
/// Tenants for operators (scope admin): create one, list them. A tenant's keys are made with
/// POST /api/v1/admin/keys and its "tenant_id"; ./run.sh tenants does the same against any DATABASE_URL.
/// </summary>
public static class TenantsApi
{
    public static void MapTenantsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/admin/tenants").WithTags("Admin");
        api.MapPost("/", CreateAsync).WithName("CreateTenant").RequireScope(ApiScopes.Admin)
            .WithSummary("Create a tenant")
            .WithDescription("A tenant's accounts, transactions, statements and runs are seen only by its keys (make them with POST /admin/keys and its `tenant_id`).")
            .RequestBody<CreateTenantRequest>()
            .RequestExample("""{"tenant_id":"acme","name":"ACME Payments Ltd"}""")
            .Produces<Tenant>(201).ResponseExample(201, TenantExample)
            .ProblemExample(400, "validation", "The request is not valid", "'name' is required: at most 200 characters saying whose data this is", "name")
            .ProblemExample(409, "tenant-exists", "The tenant exists", "tenant 'acme' exists already", "tenant_id");
        api.MapGet("/", ListAsync).WithName("ListTenants").RequireScope(ApiScopes.Admin)
            .WithSummary("List tenants").WithDescription("Every tenant.").Produces<TenantListResponse>();
        // The Location a created tenant answers with.
        api.MapGet("/{tenantId}", GetAsync).WithName("GetTenant").RequireScope(ApiScopes.Admin)
            .WithSummary("Get a tenant").WithDescription("One tenant (the `Location` of a created one).")
            .Produces<Tenant>().ResponseExample(200, TenantExample).ProblemExample(404, "not-found", "Tenant not found", "there is no tenant 'acme'");
    }

    private const string TenantExample = """{"tenant_id":"acme","name":"ACME Payments Ltd","created_at":"2026-11-24T14:29:51.648818+00:00"}""";

    /// <summary>The checks a new tenant passes, shared with ./run.sh tenants create.</summary>
    public static (string Field, string Detail)? Check(string? tenantId, string? name) =>
        tenantId is null ? ("tenant_id", "'tenant_id' is required, e.g. \"acme\"")
        : !TenantStore.IdPattern().IsMatch(tenantId) ? ("tenant_id", $"'{tenantId}' is not a tenant id: {TenantStore.IdRule}")
        : string.IsNullOrWhiteSpace(name) || name.Length > 200 ? ("name", "'name' is required: at most 200 characters saying whose data this is")
        : null;

    public static async Task<IResult> CreateAsync(HttpContext http, TenantStore tenants, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        var (tenantId, p1) = JsonBody.OptionalString(body, "tenant_id", "");
        var (name, p2) = JsonBody.OptionalString(body, "name", "");
        if ((JsonBody.RefuseUnknown(body, "", "tenant_id", "name") ?? p1 ?? p2) is { } problem)
        {
            return problem;
        }

        if (Check(tenantId, name) is { } refused)
        {
            return Problem.Validation(refused.Field, refused.Detail);
        }

        var tenant = await tenants.CreateAsync(tenantId!, name!, cancellationToken);
        return tenant is null
            ? Problem.Of(StatusCodes.Status409Conflict, "tenant-exists", "The tenant exists", $"tenant '{tenantId}' exists already", "tenant_id")
            : TypedResults.Created($"{http.Request.PathBase}/api/v1/admin/tenants/{Uri.EscapeDataString(tenant.TenantId)}", tenant);
    }

    public static async Task<IResult> GetAsync(string tenantId, TenantStore tenants, CancellationToken cancellationToken) =>
        await tenants.GetAsync(tenantId, cancellationToken) is { } tenant
            ? TypedResults.Ok(tenant)
            : Problem.NotFound("Tenant", $"there is no tenant '{tenantId}'");

    public static async Task<IResult> ListAsync(TenantStore tenants, CancellationToken cancellationToken) =>
        TypedResults.Ok(new TenantListResponse(await tenants.ListAsync(cancellationToken)));
}
