using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LambdaRecon.Api.Accounts;

// The bodies the accounts endpoints read, as the OpenAPI document describes them; the handlers read each field
// by field (JsonBody), to name the field at fault.

public sealed record CreateAccountRequest(
    [property: JsonRequired, Description("1–64 characters of A-Z a-z 0-9 . _ : - (not dots alone); ids starting with 'suspense:' are reserved.")] string AccountId,
    [property: JsonRequired, Description("ISO 4217 code.")] string Currency,
    [property: Description("How far below zero the balance may go, a non-negative major-unit string; \"0\" (never below zero) when left out; null for no limit.")]
    string? OverdraftLimit = null,
    [property: Description("customer (the default), funding, settlement, fee or suspense.")] string? Kind = null,
    [property: Description("Any JSON object, kept with the account.")] JsonElement? Metadata = null,
    [property: Description("Bank identifiers statements are routed to this account by.")] IReadOnlyList<ExternalIdView>? ExternalIds = null);

public sealed record SetExternalIdsRequest(
    [property: JsonRequired, Description("The account's whole list: it replaces the one before (an empty list removes all).")] IReadOnlyList<ExternalIdView> ExternalIds);
