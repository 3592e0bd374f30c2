using LambdaRecon.Api.Accounts;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Reconciliation;

namespace LambdaRecon.Api.Reconciliation;

/// <summary>
/// Suggestions of a run (matches the matcher would not make on its own) and the account settings that
/// decide what is only suggested. Another tenant's run, suggestion or account is answered as a missing one.
/// </summary>
public static class SuggestionsApi
{
    public static void MapSuggestionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Reconciliation");
        api.MapGet("/reconciliations/{runId:guid}/suggestions", ListAsync).WithName("ListSuggestions")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("List a run's suggestions")
            .WithDescription("Matches the matcher would not make on its own, in order, `limit` (1–500, default 100) at a time; follow `next_cursor`. Each has candidates (transaction ids, line ids, rule, confidence, fee); the first is the proposal.")
            .Produces<SuggestionPageResponse>()
            .ProblemExample(400, "validation", "The request is not valid", "limit is 1–500; cursor is the next_cursor of the previous page", "limit")
            .ProblemExample(404, "not-found", "Reconciliation run not found", "run 7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5 does not exist");
        api.MapPost("/reconciliations/suggestions/{suggestionId:guid}/accept", AcceptAsync).WithName("AcceptSuggestion").RequireScope(ApiScopes.ReconciliationRun)
            .WithSummary("Accept a suggestion")
            .WithDescription("Matches the chosen candidate (the proposal when `candidate` is left out). 409 when the suggestion is no longer pending or an item was matched since.")
            .RequestBody<AcceptSuggestionRequest>().RequestExample("""{"candidate":0,"note":"same payout, fee as agreed"}""")
            .Produces<DecidedSuggestionResponse>().ResponseExample(200, """{"suggestion_id":"4a6c8e0f-2b3d-4f5a-8c7e-9b1d3f5a7c9e","status":"accepted"}""")
            .ProblemExample(404, "not-found", "Suggestion not found", "suggestion 4a6c8e0f-2b3d-4f5a-8c7e-9b1d3f5a7c9e does not exist")
            .ProblemExample(409, "suggestion-decided", "The suggestion is no longer pending", "the suggestion is rejected; nothing was written");
        api.MapPost("/reconciliations/suggestions/{suggestionId:guid}/reject", RejectAsync).WithName("RejectSuggestion").RequireScope(ApiScopes.ReconciliationRun)
            .WithSummary("Reject a suggestion")
            .WithDescription("The proposal's items become open breaks of the run; no later run proposes any of its candidates again.")
            .RequestBody<RejectSuggestionRequest>().RequestExample("""{"note":"different customers"}""")
            .Produces<DecidedSuggestionResponse>().ResponseExample(200, """{"suggestion_id":"4a6c8e0f-2b3d-4f5a-8c7e-9b1d3f5a7c9e","status":"rejected"}""")
            .ProblemExample(404, "not-found", "Suggestion not found", "suggestion 4a6c8e0f-2b3d-4f5a-8c7e-9b1d3f5a7c9e does not exist")
            .ProblemExample(409, "suggestion-decided", "The suggestion is no longer pending", "the suggestion is accepted; nothing was written");
        api.MapGet("/accounts/{accountId}/match-settings", GetSettingsAsync).WithName("GetMatchSettings")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("Get an account's match settings")
            .WithDescription("The thresholds used when a reconcile request names neither (defaults 40 and 10).")
            .Produces<MatchSettingsResponse>().ResponseExample(200, MatchSettingsExample)
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapPut("/accounts/{accountId}/match-settings", PutSettingsAsync).WithName("PutMatchSettings").RequireScope(ApiScopes.ReconciliationRun)
            .WithSummary("Set an account's match settings")
            .WithDescription("Both fields required, whole numbers from 0 to 100.")
            .RequestBody<MatchSettingsRequest>().RequestExample("""{"auto_match_threshold":60,"ambiguity_margin":15}""")
            .Produces<MatchSettingsResponse>().ResponseExample(200, MatchSettingsExample)
            .ProblemExample(400, "validation", "The request is not valid", "auto_match_threshold is required, a whole number from 0 to 100", "auto_match_threshold")
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
    }

    private const string MatchSettingsExample = """{"account_id":"account-456","auto_match_threshold":60,"ambiguity_margin":15}""";

    /// <summary>The run's suggestions in order, <c>limit</c> (1–500, default 100) at a time; follow <c>next_cursor</c>.</summary>
    public static async Task<IResult> ListAsync(
        Guid runId, int? limit, string? cursor, HttpContext http, ReconciliationReader reader, SuggestionStore store, AccountStore accounts,
        CancellationToken cancellationToken)
    {
        var client = http.Client();
        if (await reader.RunAsync(client.TenantId, withUnowned: false, runId, cancellationToken) is not { AccountId: { } accountId })
        {
            return Problem.NotFound("Reconciliation run", $"run {runId} does not exist");
        }

        if (limit is < 1 or > 500 || (cursor is not null && !(int.TryParse(cursor, out var c) && c >= 0)))
        {
            return Problem.Validation(limit is < 1 or > 500 ? "limit" : "cursor", "limit is 1–500; cursor is the next_cursor of the previous page");
        }

        var size = limit ?? 100;
        var page = await store.ListAsync(client.TenantId, runId, cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture), size, cancellationToken);
        // A candidate's fee is stored in minor units; the currency is its account's.
        IReadOnlyList<SuggestionView> suggestions = await accounts.GetAsync(client.TenantId, accountId, cancellationToken) is { } account
            ? [.. page.Select(p => p with { Candidates = MoneyFields.WithDecimals(p.Candidates, account.Currency) })]
            : page;
        return TypedResults.Ok(new SuggestionPageResponse(
            runId, suggestions, page.Count == size ? page[^1].SuggestionNo.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    /// <summary>Body: {"candidate": 0, "note": "…"}: candidate (default 0, the proposal) is the index in candidates; a note is required.</summary>
    public static async Task<IResult> AcceptAsync(Guid suggestionId, HttpContext http, SuggestionStore store, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        var (note, p1) = JsonBody.OptionalString(body, "note", "");
        if ((JsonBody.RefuseUnknown(body, "", "candidate", "note") ?? p1) is { } problem)
        {
            return problem;
        }

        var candidate = 0;
        if (body.TryGetProperty("candidate", out var value) && value.ValueKind != System.Text.Json.JsonValueKind.Null
            && !(value.ValueKind == System.Text.Json.JsonValueKind.Number && value.TryGetInt32(out candidate) && candidate >= 0))
        {
            return Problem.Validation("candidate", "candidate is the index (0 or more) of the candidate to accept; 0, the proposal, when absent");
        }

        if (string.IsNullOrWhiteSpace(note))
        {
            return Problem.Validation("note", "a note saying why is required");
        }

        var client = http.Client();
        return Decided(suggestionId, await store.AcceptAsync(client.TenantId, suggestionId, candidate, note, client.ClientId, cancellationToken));
    }

    /// <summary>Body: {"note": "…"}. The proposal's items become open breaks of the run; no later run proposes any of its candidates again.</summary>
    public static async Task<IResult> RejectAsync(Guid suggestionId, HttpContext http, SuggestionStore store, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        var (note, p1) = JsonBody.OptionalString(body, "note", "");
        if ((JsonBody.RefuseUnknown(body, "", "note") ?? p1) is { } problem)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(note))
        {
            return Problem.Validation("note", "a note saying why is required");
        }

        var client = http.Client();
        return Decided(suggestionId, await store.RejectAsync(client.TenantId, suggestionId, note, client.ClientId, cancellationToken));
    }

    public static async Task<IResult> GetSettingsAsync(string accountId, HttpContext http, AccountStore accounts, SuggestionStore store, CancellationToken cancellationToken)
    {
        if (await accounts.GetAsync(http.Client().TenantId, accountId, cancellationToken) is null)
        {
            return AccountsApi.UnknownAccount(accountId);
        }

        var defaults = new Core.Reconciliation.MatchOptions();
        var settings = await store.SettingsAsync(accountId, cancellationToken) ?? new MatchSettings(defaults.AutoMatchThreshold, defaults.AmbiguityMargin);
        return TypedResults.Ok(new MatchSettingsResponse(accountId, settings.AutoMatchThreshold, settings.AmbiguityMargin));
    }

    /// <summary>Body: {"auto_match_threshold": 0–100, "ambiguity_margin": 0–100}, both required.</summary>
    public static async Task<IResult> PutSettingsAsync(string accountId, HttpContext http, AccountStore accounts, SuggestionStore store, CancellationToken cancellationToken)
    {
        var client = http.Client();
        if (await accounts.GetAsync(client.TenantId, accountId, cancellationToken) is null)
        {
            return AccountsApi.UnknownAccount(accountId);
        }

        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        if (JsonBody.RefuseUnknown(body, "", "auto_match_threshold", "ambiguity_margin") is { } unknown)
        {
            return unknown;
        }

        var values = new int[2];
        string[] names = ["auto_match_threshold", "ambiguity_margin"];
        for (var i = 0; i < names.Length; i++)
        {
            if (!(body.TryGetProperty(names[i], out var value) && value.ValueKind == System.Text.Json.JsonValueKind.Number
                  && value.TryGetInt32(out values[i]) && values[i] is >= 0 and <= 100))
            {
                return Problem.Validation(names[i], $"{names[i]} is required, a whole number from 0 to 100");
            }
        }

        await store.SetSettingsAsync(accountId, new MatchSettings(values[0], values[1]), client.ClientId, cancellationToken);
        return TypedResults.Ok(new MatchSettingsResponse(accountId, values[0], values[1]));
    }

    private static IResult Decided(Guid suggestionId, SuggestionDecision? decision) => decision switch
    {
        null => Problem.NotFound("Suggestion", $"suggestion {suggestionId} does not exist"),
        { Problem: null } => TypedResults.Ok(new DecidedSuggestionResponse(suggestionId, decision.Status)),
        { Problem: "no-such-candidate" } => Problem.Validation("candidate", "the suggestion has no candidate of that index"),
        { Problem: "already-matched" } => Problem.Of(StatusCodes.Status409Conflict, "already-matched", "An item is matched already",
            "an item of that candidate was matched since the suggestion was made; nothing was written"),
        _ => Problem.Of(StatusCodes.Status409Conflict, "suggestion-decided", "The suggestion is no longer pending",
            decision.Status == "superseded"
                ? "the suggestion is superseded: a later run of the account suggests afresh (decide on that run's suggestions); nothing was written"
                : $"the suggestion is {decision.Status}; nothing was written"),
    };
}
