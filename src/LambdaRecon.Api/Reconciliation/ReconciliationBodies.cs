using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using LambdaRecon.Infrastructure.Reconciliation;

namespace LambdaRecon.Api.Reconciliation;

// The JSON bodies the reconciliation endpoints read, as the OpenAPI document describes them (the handlers read
// each field by field, with JsonBody, to name the field at fault), and the small answers they write.

[Description("Every field optional: no body at all runs with the defaults.")]
public sealed record ReconcileRequest(
    [property: Description("Ledger transactions and statement lines from this instant (ISO 8601).")] DateTimeOffset? From = null,
    [property: Description("… up to this instant.")] DateTimeOffset? To = null,
    [property: Description("Only lines of these statements.")] IReadOnlyList<Guid>? StatementIds = null,
    [property: Description("How many days a line's date may be from its transaction's: 0–31.")] int? DateWindowDays = null,
    [property: Description("A payout may be short of its charges by fees: a fixed allowance in minor units, ≥ 0.")] long? FeeToleranceMinor = null,
    [property: Description("… plus basis points of the charges: 0–10000.")] int? FeeToleranceBp = null,
    [property: Description("0–100: the confidence from which a match is made without review; else the account's match settings (default 40).")] int? AutoMatchThreshold = null,
    [property: Description("0–100: how far ahead the best candidate must be; else the account's match settings (default 10).")] int? AmbiguityMargin = null,
    [property: Description("true reports what would match and writes nothing.")] bool? DryRun = null);

public sealed record ResolveBreakRequest(
    [property: JsonRequired, Description("adjust (post an adjustment against the tenant's suspense account) or explain (close with the note).")] string Action,
    [property: JsonRequired, Description("Why: kept in the audit trail.")] string Note);

public sealed record AcceptSuggestionRequest(
    [property: JsonRequired, Description("Why: kept with the decision.")] string Note,
    [property: Description("The index of the candidate to accept; 0, the proposal, when left out.")] int? Candidate = null);

public sealed record RejectSuggestionRequest(
    [property: JsonRequired, Description("Why: kept with the decision.")] string Note);

public sealed record MatchSettingsRequest(
    [property: JsonRequired, Description("0–100: the confidence from which a match is made without review.")] int AutoMatchThreshold,
    [property: JsonRequired, Description("0–100: how far ahead of the next the best candidate must be.")] int AmbiguityMargin);

public sealed record CreateStatementMappingRequest(
    [property: JsonRequired, Description("The name imports give as mapping=<name>.")] string Name,
    [property: JsonRequired, Description("Which columns hold what, and how values are written: see the README's Statement import.")] JsonElement Definition);

public sealed record RunHistoryResponse(string AccountId, IReadOnlyList<RunView> Runs);

public sealed record DifferencesResponse(string AccountId, Guid? RunId, IReadOnlyList<DifferenceResponse> Differences);

/// <summary>A run still going after the reconcile's wait: where to follow it.</summary>
public sealed record ReconcileAcceptedResponse(Guid RunId, string AccountId, string State, string Location);

public sealed record ResolvedBreakResponse(Guid BreakId, string Status, Guid? AdjustmentTransactionId);

public sealed record SuggestionPageResponse(Guid RunId, IReadOnlyList<SuggestionView> Suggestions, string? NextCursor);

public sealed record MatchSettingsResponse(string AccountId, int AutoMatchThreshold, int AmbiguityMargin);

public sealed record DecidedSuggestionResponse(Guid SuggestionId, string Status);
