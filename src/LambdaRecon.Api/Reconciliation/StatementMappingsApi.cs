using System.Text.Json;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Reconciliation;

namespace LambdaRecon.Api.Reconciliation;

/// <param name="BuiltIn">A mapping shipped with LambdaRecon (no stored definition, no creator).</param>
public sealed record StatementMappingResponse(string Name, bool BuiltIn, JsonElement? Definition, string? CreatedBy, DateTimeOffset? CreatedAt);

public sealed record StatementMappingListResponse(IReadOnlyList<string> BuiltIn, IReadOnlyList<StatementMappingResponse> Mappings);

/// <summary>
/// The key's tenant's CSV mappings, used by statement imports as <c>mapping=&lt;name&gt;</c>. Another
/// tenant's mapping is answered exactly as a missing one; the names of built-in mappings are refused.
/// </summary>
public static class StatementMappingsApi
{
    public static void MapStatementMappingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/statement-mappings").WithTags("Reconciliation");
        api.MapPost("/", CreateAsync).WithName("CreateStatementMapping").RequireScope(ApiScopes.ReconciliationRun)
            .WithSummary("Store a CSV mapping")
            .WithDescription("A named mapping of a bank's CSV columns, which statement imports name as `mapping=<name>`.")
            .RequestBody<CreateStatementMappingRequest>()
            .Produces<StatementMappingResponse>(201)
            .ProblemExample(409, "mapping-exists", "The mapping exists", "this tenant has a mapping named 'my-bank' already", "name");
        api.MapGet("/", ListAsync).WithName("ListStatementMappings").RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("List CSV mappings").WithDescription("The built-in mappings and the tenant's own.")
            .Produces<StatementMappingListResponse>();
        api.MapGet("/{name}", GetAsync).WithName("GetStatementMapping").RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("Get a CSV mapping").WithDescription("A built-in mapping (by name only) or one of the tenant's, with its definition.")
            .Produces<StatementMappingResponse>().ProblemExample(404, "not-found", "Statement mapping not found", "statement mapping 'my-bank' does not exist");
    }

    /// <summary>Stores a mapping. Body: <c>{"name": "my-bank", "definition": {…}}</c> (see <see cref="CsvMappingDefinition"/>).</summary>
    public static async Task<IResult> CreateAsync(HttpContext http, StatementMappingStore mappings, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        if (JsonBody.RefuseUnknown(body, "", "name", "definition") is { } unknown)
        {
            return unknown;
        }

        if (!body.TryGetProperty("name", out var nameValue) || nameValue.ValueKind != JsonValueKind.String)
        {
            return Problem.Validation("name", "'name' is required: the name imports give as mapping=<name>");
        }

        var name = nameValue.GetString()!;
        if (CsvMappingDefinition.NameFault(name) is { } badName)
        {
            return Problem.Validation("name", badName);
        }

        if (!body.TryGetProperty("definition", out var definition))
        {
            return Problem.Validation("definition", "'definition' is required: which columns hold what, and how values are written");
        }

        if (!CsvMappingDefinition.TryRead(name, definition, out _, out var fault))
        {
            return Problem.Validation(JsonBody.Field("definition", fault!.Field), fault.Reason);
        }

        var stored = await mappings.CreateAsync(http.Client().TenantId, name, definition, http.Client().ClientId, cancellationToken);
        return stored is null
            ? Problem.Of(StatusCodes.Status409Conflict, "mapping-exists", "The mapping exists", $"this tenant has a mapping named '{name}' already", "name")
            : TypedResults.Created($"{http.Request.PathBase}/api/v1/statement-mappings/{name}", Response(stored));
    }

    public static async Task<IResult> ListAsync(HttpContext http, StatementMappingStore mappings, CancellationToken cancellationToken) =>
        TypedResults.Ok(new StatementMappingListResponse(
            CsvMapping.BuiltInNames, [.. (await mappings.ListAsync(http.Client().TenantId, cancellationToken)).Select(Response)]));

    public static async Task<IResult> GetAsync(string name, HttpContext http, StatementMappingStore mappings, CancellationToken cancellationToken)
    {
        if (CsvMapping.Named(name) is { } builtIn)
        {
            return TypedResults.Ok(new StatementMappingResponse(builtIn.Name, BuiltIn: true, null, null, null));
        }

        return await mappings.GetAsync(http.Client().TenantId, name, cancellationToken) is { } stored
            ? TypedResults.Ok(Response(stored))
            : Problem.NotFound("Statement mapping", $"statement mapping '{name}' does not exist");
    }

    private static StatementMappingResponse Response(StoredMapping stored) =>
        new(stored.Name, BuiltIn: false, stored.Definition, stored.CreatedBy, stored.CreatedAt);
}
