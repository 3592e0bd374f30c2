using System.ComponentModel;
using System.Text.Json.Serialization;

namespace LambdaRecon.Api.Admin;

// The bodies the admin endpoints read, as the OpenAPI document describes them; the handlers read each field by
// field (JsonBody), to name the field at fault.

public sealed record CreateKeyRequest(
    [property: JsonRequired, Description("Who holds the key: 1–64 characters of A-Z a-z 0-9 . _ : -. Idempotency keys are scoped to it.")] string ClientId,
    [property: JsonRequired, Description("At least one of transactions:write, ledger:read, reconciliation:run, admin; none twice.")] IReadOnlyList<string> Scopes,
    [property: Description("The tenant the key works in; the admin key's own when left out. An unknown tenant is a 422.")] string? TenantId = null,
    [property: Description("What the key is for.")] string? Description = null);

public sealed record CreateTenantRequest(
    [property: JsonRequired, Description("1 to 32 characters of A-Z a-z 0-9 . _ : -.")] string TenantId,
    [property: JsonRequired, Description("Whose data this is: at most 200 characters.")] string Name);
