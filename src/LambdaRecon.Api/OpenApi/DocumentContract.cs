using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LambdaRecon.Api.OpenApi;

/// <summary>
/// The document's own parts: info, the servers (from the request it answers, the API Gateway stage included),
/// the bearer scheme, the tags with their descriptions and the problem+json schema every refusal uses.
/// </summary>
internal sealed class DocumentContract(IHttpContextAccessor accessor) : IOpenApiDocumentTransformer
{
    public const string ProblemSchema = "Problem";

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Transactions", "Transfers and refunds: accepted with an idempotency key (202), queued, posted to the ledger by the worker; poll their status."),
        ("Accounts", "Ledger accounts: open them, read their balance, ledger entries and audit trail, set the bank identifiers statements are routed by."),
        ("Reconciliation", "Bank and PSP statements imported and matched against the ledger: runs, breaks, suggestions, match settings, CSV mappings."),
        ("Webhooks", "Signed events pushed by payment providers (Stripe, or any configured HMAC scheme): stored, acknowledged at once, read back."),
        ("Admin", "API keys and tenants, for operators holding the `admin` scope."),
        ("Monitoring", "Liveness, readiness, queue and cache figures, and the dead-letter redrive."),
    ];

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "LambdaRecon",
            Version = ApiContract.Version,
            Summary = "Payment transactions with durable idempotency, a balanced debit-and-credit ledger, and statement reconciliation.",
            Description = """
                LambdaRecon accepts payment transactions with durable idempotency, posts them from an SQS FIFO queue into a
                ledger of balanced debit and credit entries in PostgreSQL, and reconciles the ledger with imported bank and PSP statements.

                **Money** is written two ways in every answer: a decimal string in major units (`"12.34"`) and the exact
                integer of minor units (`amount_minor: 1234`). Requests take amounts in major units, as a JSON number or
                string; more fraction digits than the currency allows is a 400, never a rounding.

                **Authentication**: every endpoint but health and readiness needs an API key, sent as
                `Authorization: Bearer <key>`. A key holds scopes; each operation names the scopes that let it through
                (any one of them; `admin` holds all). No key or an unknown one is 401, a key without the scope 403.

                **Errors** are RFC 9457 `application/problem+json` with a stable `type`, a `detail` a person can act on,
                `field` naming the field at fault where one is, and `trace_id`, the request's id (also the `X-Request-Id`
                header of every answer). Bad input changes nothing and never yields a 5xx.
                """,
            Contact = new OpenApiContact { Name = "LambdaRecon maintainers", Url = new Uri("https://lambdarecon.dev") },
            // No licence has been granted for this code yet: the document says so rather than invent one.
            License = new OpenApiLicense { Name = "Proprietary: all rights reserved", Identifier = "LicenseRef-Proprietary" },
        };

        document.Servers = [Server(accessor.HttpContext?.Request)];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiContract.BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = $"An API key: `./run.sh` prints one with every scope, `POST /api/v1/admin/keys` or `./run.sh keys create` makes more. "
                + $"Scopes: {ApiContract.ScopeList()}; an operation's security requirement lists the scopes it accepts.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        // ProducesProblem's schema: every refusal is described with Problem instead (OperationContract), which has field and trace_id.
        document.Components.Schemas.Remove("ProblemDetails");
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        return Task.CompletedTask;
    }

    /// <summary>Where the request came in, with its path base (the API Gateway stage, "/prod"); the local run without one.</summary>
    private static OpenApiServer Server(HttpRequest? request) => request is null
        ? new OpenApiServer { Url = ApiContract.LocalServer, Description = "The local run (./run.sh); the document a deployed API serves names its own address." }
        : new OpenApiServer { Url = $"{request.Scheme}://{request.Host}{request.PathBase}", Description = "The server that answered this document." };

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem: every refusal of this API.",
        Required = new HashSet<string> { "type", "title", "status", "detail", "trace_id" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = Text("A stable URI per kind of refusal, under https://lambdarecon.dev/problems/.", "uri"),
            ["title"] = Text("A short summary of the kind of refusal."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
            ["detail"] = Text("What was wrong with this request, and what to do about it."),
            ["field"] = Text("The field (body path such as transaction.amount, query parameter or header) at fault, where one is."),
            ["trace_id"] = Text("The request's id: the X-Request-Id header, and the request_id of its log lines."),
        },
        // Some problems carry more (the readiness probe's dependencies); a client ignores what it does not know.
        AdditionalPropertiesAllowed = true,
        Examples =
        [
            new JsonObject
            {
                ["type"] = "https://lambdarecon.dev/problems/validation",
                ["title"] = "The request is not valid",
                ["status"] = 400,
                ["detail"] = "the amount must be positive, got '0'",
                ["field"] = "transaction.amount",
                ["trace_id"] = "0HNHB6C4QJ8L2:00000001",
            },
        ],
    };

    private static OpenApiSchema Text(string description, string? format = null) =>
        new() { Type = JsonSchemaType.String, Format = format, Description = description };
}
