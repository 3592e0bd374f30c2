using System.Text.Json;
using LambdaRecon.Api.Accounts;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Reconciliation;

namespace LambdaRecon.Api.Reconciliation;

public sealed record ReconcileResponse(Guid? RunId, string AccountId, bool DryRun, int Matched, int UnmatchedInternal, int UnmatchedExternal,
    int AmountMismatches, int Differences, object Details, int Suggestions = 0);


/// <summary>
/// Statements and reconciliation of the key's tenant: another tenant's account, run or break is answered
/// exactly as a missing one, and runs without an account are shown to admin keys only.
/// </summary>
public static class ReconciliationApi
{
    public static void MapReconciliationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Reconciliation");
        api.MapPost("/statements", ImportStatementAsync).WithName("ImportStatement").RequireScope(ApiScopes.ReconciliationRun)
            .WithSummary("Import a statement file")
            .WithDescription("""
                The statement file as the body, whatever its Content-Type (or the first file of a multipart/form-data form), at
                most 4 MiB: camt.052/053/054, MT940/942, BAI2 or CSV (with `mapping`), detected when `format` is auto. Each
                statement of the file goes to the account holding its identifier (or `account_id`), all or none: 201 with the
                statement's `Location`; the same file again, 200 `already_imported`; a malformed file, 400 naming the line or
                element; a statement no account holds, 422.
                """)
            .RequestBody<string>("text/plain", "text/csv", "application/xml", "application/octet-stream")
            .Produces<StatementImportResponse>(201).Produces<StatementImportResponse>(200)
            .ProblemExample(400, "malformed-statement", "The statement was refused whole", "line 4: the amount '12,34.5' is not a decimal", "file")
            .ProblemExample(413, "body-too-large", "The body is too large", "the body may hold at most 4,194,304 bytes")
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist")
            .ProblemExample(422, "statement-account-unknown", "No account holds the statement's account",
                "no account of this tenant holds the external id DE89370400440532013000: set it with PUT /api/v1/accounts/{id}/external-ids", "file");
        // The Location an imported statement answers with.
        api.MapGet("/statements/{statementId:guid}", StatementsApi.GetStatementAsync).WithName("GetStatement")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("Get a statement and its lines")
            .WithDescription("The statement (account, reference, identifier, balances, format) and its lines in file order as `entries`, `limit` (1–500, default 100) at a time; follow `next_cursor`.")
            .Produces<StatementView>()
            .ProblemExample(400, "validation", "The request is not valid", "'limit' must be between 1 and 500", "limit")
            .ProblemExample(404, "not-found", "Statement not found", "statement 5b0c2a9e-8d7f-4e6a-9b1c-2d3e4f5a6b7c does not exist");
        api.MapGet("/statements", StatementsApi.ListStatementsAsync).WithName("ListStatements")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("List statements")
            .WithDescription("The tenant's statements (of `account_id`, when given), newest first, `limit` at a time; follow `next_cursor`.")
            .Produces<StatementListResponse>()
            .ProblemExample(400, "validation", "The request is not valid", "'limit' must be between 1 and 500", "limit")
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapPost("/accounts/{accountId}/reconcile", ReconcileAsync).WithName("Reconcile").RequireScope(ApiScopes.ReconciliationRun)
            .WithSummary("Reconcile an account now")
            .WithDescription("Reconciles the account's ledger against itself and against its statement lines not yet matched, and answers the run's counts and details. A run not finished within `LAMBDARECON_RECONCILE_WAIT_SECONDS` (default 2) is answered 202 with its run id and `Location`, and goes on: GET the run to follow it (`pending`, `in_progress` with counts, `completed`, `failed` with the reason). The body is optional: none runs with the account's match settings.")
            .OptionalRequestBody<ReconcileRequest>().RequestExample("""{"date_window_days":3,"dry_run":true}""")
            .Produces<ReconcileResponse>()
            .Produces<ReconcileAcceptedResponse>(202)
            .ResponseExample(202, """{"run_id":"7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5","account_id":"account-123","state":"pending","location":"/api/v1/reconciliations/7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5"}""")
            .ProblemExample(400, "validation", "The request is not valid",
                "'date_window_days' is not valid: from/to must be ISO 8601 instants, statement_ids an array of uuids, date_window_days 0–31, fee_tolerance_minor ≥ 0, fee_tolerance_bp 0–10000, auto_match_threshold and ambiguity_margin 0–100, dry_run a boolean",
                "date_window_days")
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapGet("/accounts/{accountId}/reconciliation-history", HistoryAsync).WithName("ReconciliationHistory")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("List an account's reconciliation runs")
            .WithDescription("The account's runs, newest first, at most `limit` (1–500, default 50).")
            .Produces<RunHistoryResponse>().ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapGet("/accounts/{accountId}/reconciliation-difference", DifferenceAsync).WithName("ReconciliationDifference")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("Get an account's ledger-integrity differences")
            .WithDescription("The differences the latest run for the account found between the ledger's balances and its entries.")
            .Produces<DifferencesResponse>().ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapGet("/reconciliations/{runId:guid}", RunAsync).WithName("GetReconciliation").RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("Get a reconciliation run and its breaks")
            .WithDescription("The run and its breaks, `limit` (1–500, default 100) at a time; follow `next_cursor`. Runs without an account are shown to admin keys only.")
            .Produces<RunResponse>()
            .ProblemExample(400, "validation", "The request is not valid", "limit is 1–500; cursor is the next_cursor of the previous page", "limit")
            .ProblemExample(404, "not-found", "Reconciliation run not found", "run 7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5 does not exist");
        api.MapGet("/reconciliations/{runId:guid}/breaks", BreaksExport.BreaksAsync).WithName("ListBreaks")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("List a run's breaks, as JSON pages or one CSV file")
            .WithDescription("JSON pages by default (`limit`, `cursor`); with `Accept: text/csv` or `?format=csv`, every break of the run streamed as RFC 4180 CSV with a header row. Text cells starting with = + - @, tab or CR are prefixed with ' (CSV injection).")
            .Produces<BreakPageResponse>().AlsoText(200, "text/csv")
            .ProblemExample(400, "validation", "The request is not valid", "format is json or csv", "format")
            .ProblemExample(404, "not-found", "Reconciliation run not found", "run 7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5 does not exist");
        api.MapGet("/reconciliations/{runId:guid}/report", RunReport.ReportAsync).WithName("GetReconciliationReport")
            .RequireScope(ApiScopes.ReconciliationRun, ApiScopes.LedgerRead)
            .WithSummary("A run's review as one self-contained HTML page")
            .WithDescription("Totals matched by rule, unmatched on each side, amount mismatches, an ageing chart of open breaks and the breaks table with filters; no external script or font, under a strict Content-Security-Policy.")
            .Produces<string>(200, "text/html")
            .ProblemExample(404, "not-found", "Reconciliation run not found", "run 7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5 does not exist");
        api.MapPost("/reconciliations/breaks/{breakId:guid}/resolve", ResolveAsync).WithName("ResolveBreak").RequireScope(ApiScopes.ReconciliationRun)
            .WithSummary("Resolve a break")
            .WithDescription("`adjust` posts an adjustment against the tenant's suspense account in the break's currency (idempotent); `explain` closes the break with the note. Both land in the audit trail.")
            .RequestBody<ResolveBreakRequest>()
            .RequestExample("""{"action":"explain","note":"bank fee booked by hand on 2026-11-24"}""")
            .Produces<ResolvedBreakResponse>()
            .ProblemExample(400, "validation", "The request is not valid", "action must be adjust (post an adjustment) or explain (close with a note)", "action")
            .ProblemExample(404, "not-found", "Break not found", "break 2c4e6a8b-0d1f-4a3c-9e5b-7d9f1a3c5e7b does not exist")
            .ProblemExample(422, "adjustment-failed", "The adjustment could not post", "insufficient-funds: the adjustment would take the account below its overdraft limit");
    }

    /// <summary>
    /// Imports a statement file, the body itself or the first file of a multipart form: every statement of
    /// it routed to its account (see <see cref="StatementImporter"/>), all or nothing.
    /// </summary>
    public static async Task<IResult> ImportStatementAsync(
        HttpContext http, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "account_id")] string? accountId, string? format, string? mapping,
        StatementImporter importer, StatementMappingStore mappings, CancellationToken cancellationToken)
    {
        var client = http.Client();
        var (csvMapping, unknownMapping) = mapping is null ? (null, null) : await mappings.ResolveAsync(client.TenantId, mapping, cancellationToken);
        if (unknownMapping is not null)
        {
            return Problem.Validation("mapping", unknownMapping);
        }

        var (content, unreadable) = await StatementBody.ReadAsync(http.Request, cancellationToken);
        if (unreadable is not null)
        {
            return unreadable;
        }

        var parsed = StatementImporter.Parse(content, format, csvMapping, cancellationToken);
        var (import, refusal) = parsed.Refusal is null
            ? await importer.ImportAsync(client.TenantId, accountId, parsed, StatementImporter.FormatLabel(parsed.Format, csvMapping), content,
                client.ClientId, cancellationToken)
            : (null, parsed.Refusal);
        if (refusal is not null)
        {
            return StatementsApi.Refused(refusal);
        }

        var response = StatementsApi.ImportResponse(import!, parsed.Format);
        return import!.AlreadyImported
            ? TypedResults.Ok(response)
            : TypedResults.Created($"{http.Request.PathBase}/api/v1/statements/{response.StatementId}", response);
    }

    /// <summary>
    /// Reconciles one account now: its ledger against itself and against its statement lines not yet
    /// matched. Body (all optional): from, to (instants), statement_ids, date_window_days, fee_tolerance_minor,
    /// fee_tolerance_bp, auto_match_threshold, ambiguity_margin (else the account's match settings, else 40 and 10), dry_run.
    /// A run that finishes within <see cref="ReconcileWait"/> is answered 200 with its result (as is every dry run); one that
    /// does not is answered 202 with its run id and Location, and goes on: GET /reconciliations/{runId} shows its state.
    /// </summary>
    public static async Task<IResult> ReconcileAsync(
        string accountId, HttpContext http, AccountStore accounts, ReconciliationService service, SuggestionStore suggestions,
        IConfiguration configuration, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        if (await accounts.GetAsync(http.Client().TenantId, accountId, cancellationToken) is not { } account)
        {
            return AccountsApi.UnknownAccount(accountId);
        }

        JsonElement body = default;
        // The body is optional: none at all (no Content-Length, or 0) runs with the defaults; anything else is read as JSON.
        var request = http.Request;
        if (request.ContentLength is > 0 || (request.ContentLength is null && (request.Headers.TransferEncoding.Count > 0 || request.ContentType is not null)))
        {
            var (read, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
            if (malformed is not null)
            {
                return malformed;
            }

            body = read;
            if (JsonBody.RefuseUnknown(body, "", "from", "to", "statement_ids", "date_window_days", "fee_tolerance_minor", "fee_tolerance_bp", "auto_match_threshold", "ambiguity_margin", "dry_run") is { } unknown)
            {
                return unknown;
            }
        }

        DateTimeOffset? from = null, to = null;
        Guid[]? statementIds = null;
        var options = await suggestions.OptionsAsync(accountId, new MatchOptions(), cancellationToken);
        var dryRun = false;
        var field = "";
        try
        {
            // Each field read names itself first, so that a refusal names the field at fault.
            JsonElement? Read(string name) =>
                body.ValueKind == JsonValueKind.Object && body.TryGetProperty(field = name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

            from = Read("from")?.GetDateTimeOffset();
            to = Read("to")?.GetDateTimeOffset();
            statementIds = Read("statement_ids") is { } ids
                ? ids.ValueKind == JsonValueKind.Array ? ids.EnumerateArray().Select(e => e.GetGuid()).ToArray() : throw new FormatException()
                : null;
            dryRun = Read("dry_run")?.GetBoolean() ?? false;
            if (Read("date_window_days") is { } window)
            {
                options = options with { DateWindowDays = window.GetInt32() is >= 0 and <= 31 and var days ? days : throw new FormatException() };
            }

            // A payout may be short of its charges by fees: a fixed amount in minor units plus basis points of the charges.
            var feeMinor = Read("fee_tolerance_minor")?.GetInt64() is not { } minor ? 0 : minor >= 0 ? minor : throw new FormatException();
            var feeBp = Read("fee_tolerance_bp")?.GetInt32() is not { } bp ? 0 : bp is >= 0 and <= 10_000 ? bp : throw new FormatException();
            options = options with { FeeTolerance = new FeeTolerance(feeMinor, feeBp) };
            if (Read("auto_match_threshold") is { } threshold)
            {
                options = options with { AutoMatchThreshold = threshold.GetInt32() is >= 0 and <= 100 and var t ? t : throw new FormatException() };
            }

            if (Read("ambiguity_margin") is { } margin)
            {
                options = options with { AmbiguityMargin = margin.GetInt32() is >= 0 and <= 100 and var m ? m : throw new FormatException() };
            }
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            return Problem.Validation(field, $"'{field}' is not valid: from/to must be ISO 8601 instants, statement_ids an array of uuids, date_window_days 0–31, fee_tolerance_minor ≥ 0, fee_tolerance_bp 0–10000, auto_match_threshold and ambiguity_margin 0–100, dry_run a boolean");
        }

        var client = http.Client();
        if (dryRun)
        {
            var preview = await service.ReconcileAccountAsync(accountId, from, to, statementIds, options, dryRun: true, "on_demand", client.ClientId, cancellationToken);
            return TypedResults.Ok(ReconcileResult.Of(accountId, true, preview, account.Currency));
        }

        // The run belongs to the process, not to this request: it goes on after a 202, until it ends or the host stops.
        var (runId, work) = await service.StartAsync(accountId, from, to, statementIds, options, client.ClientId, lifetime.ApplicationStopping);
        if (await Task.WhenAny(work, Task.Delay(ReconcileWait(configuration), cancellationToken)) == work)
        {
            return TypedResults.Ok(ReconcileResult.Of(accountId, false, await work, account.Currency));
        }

        // A failure from here on is the run's to record (state failed, its reason, its span), as for a scheduled run.
        var location = $"{http.Request.PathBase}/api/v1/reconciliations/{runId}";
        http.Response.Headers.RetryAfter = "1";
        return TypedResults.Accepted(location, new ReconcileAcceptedResponse(runId, accountId, RunStates.Pending, location));
    }

    /// <summary>
    /// How long POST /reconcile waits for its run before answering 202: LAMBDARECON_RECONCILE_WAIT_SECONDS (a number ≥ 0), default 2.
    /// </summary>
    public static TimeSpan ReconcileWait(IConfiguration configuration) =>
        double.TryParse(configuration["LAMBDARECON_RECONCILE_WAIT_SECONDS"], System.Globalization.NumberStyles.Float, // not money: seconds
            System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && double.IsFinite(seconds) // not money: seconds
            ? TimeSpan.FromSeconds(Math.Min(seconds, 900))
            : TimeSpan.FromSeconds(2);

    public static async Task<IResult> HistoryAsync(
        string accountId, int? limit, HttpContext http, AccountStore accounts, ReconciliationReader reader, CancellationToken cancellationToken)
    {
        var tenant = http.Client().TenantId;
        if (await accounts.GetAsync(tenant, accountId, cancellationToken) is null)
        {
            return AccountsApi.UnknownAccount(accountId);
        }

        return TypedResults.Ok(new RunHistoryResponse(accountId, await reader.HistoryAsync(tenant, accountId, Math.Clamp(limit ?? 50, 1, 500), cancellationToken)));
    }

    public static async Task<IResult> DifferenceAsync(
        string accountId, HttpContext http, AccountStore accounts, ReconciliationReader reader, CancellationToken cancellationToken)
    {
        var client = http.Client();
        if (await accounts.GetAsync(client.TenantId, accountId, cancellationToken) is null)
        {
            return AccountsApi.UnknownAccount(accountId);
        }

        var (runId, differences) = await reader.LatestDifferencesAsync(client.TenantId, client.IsAdmin, accountId, cancellationToken);
        return TypedResults.Ok(new DifferencesResponse(accountId, runId, [.. differences.Select(DifferenceResponse.From)]));
    }

    /// <summary>A run and its breaks, <c>limit</c> (1–500, default 100) at a time; follow <c>next_cursor</c>.</summary>
    public static async Task<IResult> RunAsync(
        Guid runId, int? limit, string? cursor, HttpContext http, ReconciliationReader reader, CancellationToken cancellationToken)
    {
        var client = http.Client();
        var run = await reader.RunAsync(client.TenantId, client.IsAdmin, runId, cancellationToken);
        if (run is null)
        {
            return Problem.NotFound("Reconciliation run", $"run {runId} does not exist");
        }

        if (limit is < 1 or > 500 || (cursor is not null && !Guid.TryParse(cursor, out _)))
        {
            return Problem.Validation(limit is < 1 or > 500 ? "limit" : "cursor", "limit is 1–500; cursor is the next_cursor of the previous page");
        }

        var size = limit ?? 100;
        var breaks = await reader.BreaksAsync(client.TenantId, runId, cursor is null ? null : Guid.Parse(cursor), size, cancellationToken);
        return TypedResults.Ok(new RunResponse(run, [.. breaks.Select(BreakResponse.From)], breaks.Count == size ? breaks[^1].BreakId.ToString() : null));
    }

    /// <summary>Body: {"action": "adjust" | "explain", "note": "…"}. Adjusting posts against the suspense account.</summary>
    public static async Task<IResult> ResolveAsync(Guid breakId, HttpContext http, BreakResolution resolution, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        var (action, p1) = JsonBody.OptionalString(body, "action", "");
        var (note, p2) = JsonBody.OptionalString(body, "note", "");
        if ((JsonBody.RefuseUnknown(body, "", "action", "note") ?? p1 ?? p2) is { } problem)
        {
            return problem;
        }

        if (action is not ("adjust" or "explain"))
        {
            return Problem.Validation("action", "action must be adjust (post an adjustment) or explain (close with a note)");
        }

        if (string.IsNullOrWhiteSpace(note))
        {
            return Problem.Validation("note", "a note saying why is required");
        }

        var client = http.Client();
        var result = await resolution.ResolveAsync(client.TenantId, breakId, action == "adjust", note, client.ClientId, cancellationToken);
        if (result is null)
        {
            return Problem.NotFound("Break", $"break {breakId} does not exist");
        }

        return result.FailureCode is null
            ? TypedResults.Ok(new ResolvedBreakResponse(breakId, result.Status, result.AdjustmentTransactionId))
            : Problem.Unprocessable("adjustment-failed", "The adjustment could not post", $"{result.FailureCode}: {result.FailureReason}");
    }
}
