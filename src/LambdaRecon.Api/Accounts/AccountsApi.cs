using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LambdaRecon.Api.Accounts;

public sealed record AccountResponse(
    string AccountId, string Currency, string Kind, string? OverdraftLimit, long? OverdraftLimitMinor, string Status, string Balance, long BalanceMinor,
    JsonElement Metadata, DateTimeOffset CreatedAt, IReadOnlyList<ExternalIdView> ExternalIds);

public sealed record BalanceResponse(string AccountId, string Currency, string Balance, long BalanceMinor, DateTimeOffset AsOf);

public sealed record LedgerEntryResponse(
    long EntryId, Guid TransactionId, string Type, string Amount, long AmountMinor, string BalanceAfter, long BalanceAfterMinor,
    long Sequence, DateTimeOffset PostedAt, string? Description);

public sealed record LedgerPageResponse(string AccountId, string Currency, IReadOnlyList<LedgerEntryResponse> Entries, string? NextCursor);

public sealed record AuditTrailResponse(string AccountId, IReadOnlyList<AuditEvent> Events);

/// <summary>
/// Accounts of the key's tenant. Another tenant's account is answered exactly as a missing one (404);
/// only creating an id another tenant holds tells that the id is taken (409, as for any taken id).
/// </summary>
public static partial class AccountsApi
{
    public static void MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/accounts").WithTags("Accounts");
        api.MapPost("/", CreateAsync).WithName("CreateAccount").RequireScope(ApiScopes.TransactionsWrite)
            .WithSummary("Open an account")
            .WithDescription("Opens a ledger account in one currency, in the key's tenant (201, its `Location`). The same body again is a safe retry (200, the account as it is); other settings for a taken id are a 409.")
            .RequestBody<CreateAccountRequest>()
            .RequestExample("""{"account_id":"account-123","currency":"USD","kind":"funding","overdraft_limit":null}""")
            .Produces<AccountResponse>(201).Produces<AccountResponse>(200)
            .ResponseExample(201, AccountExample).ResponseExample(200, AccountExample)
            .ProblemExample(400, "validation", "The request is not valid", "'currency' is required, e.g. \"USD\"", "currency")
            .ProblemExample(409, "account-exists", "The account exists with other settings",
                "the account id 'account-123' is taken by an account with other settings: choose another id", "account_id");
        api.MapGet("/{accountId}", GetAsync).WithName("GetAccount").RequireScope(ApiScopes.LedgerRead, ApiScopes.TransactionsWrite)
            .WithSummary("Get an account")
            .WithDescription("The account with its settings, balance and external ids.")
            .Produces<AccountResponse>().ResponseExample(200, AccountExample).ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapPut("/{accountId}/external-ids", SetExternalIdsAsync).WithName("SetAccountExternalIds").RequireScope(ApiScopes.TransactionsWrite)
            .WithSummary("Replace an account's external ids")
            .WithDescription("Replaces the account's whole list of bank identifiers (IBAN, BBAN, OTHER, STRIPE), which imported statements are routed by. A bad IBAN is a 400; an id another account of the tenant holds, a 409 naming it.")
            .RequestBody<SetExternalIdsRequest>()
            .RequestExample("""{"external_ids":[{"scheme":"IBAN","id":"DE89370400440532013000"}]}""")
            .Produces<AccountResponse>().ResponseExample(200, AccountExample)
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist")
            .ProblemExample(409, "external-id-taken", "The external id belongs to another account",
                "DE89370400440532013000 is an external id of account 'account-456': remove it there first (PUT /api/v1/accounts/account-456/external-ids)", "external_ids");
        api.MapGet("/{accountId}/balance", GetBalanceAsync).WithName("GetBalance").RequireScope(ApiScopes.LedgerRead, ApiScopes.TransactionsWrite)
            .WithSummary("Get an account's balance")
            .WithDescription("The balance now, or at the instant `at` (ISO 8601): the sum of the account's entries posted until then.")
            .Produces<BalanceResponse>()
            .ResponseExample(200, """{"account_id":"account-456","currency":"USD","balance":"70.00","balance_minor":7000,"as_of":"2026-11-24T14:59:57.956956+00:00"}""")
            .ProblemExample(400, "validation", "The request is not valid", "'yesterday' is not an ISO 8601 instant such as 2026-11-24T12:00:00Z", "at")
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapGet("/{accountId}/ledger", GetLedgerAsync).WithName("GetLedger").RequireScope(ApiScopes.LedgerRead)
            .WithSummary("List an account's ledger entries")
            .WithDescription("The account's entries, newest first, `limit` (1–500, default 50) at a time; follow `next_cursor` until it is null.")
            .Produces<LedgerPageResponse>()
            .ResponseExample(200, """{"account_id":"account-456","currency":"USD","entries":[{"entry_id":2,"transaction_id":"904e0dc9-fc98-49ad-a65b-4fc56f8e5298","type":"transfer","amount":"100.00","amount_minor":10000,"balance_after":"100.00","balance_after_minor":10000,"sequence":1,"posted_at":"2026-11-24T14:59:53.872393+00:00","description":null}],"next_cursor":null}""")
            .ProblemExample(400, "validation", "The request is not valid", "'limit' must be between 1 and 500", "limit")
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
        api.MapGet("/{accountId}/audit-trail", GetAuditTrailAsync).WithName("GetAuditTrail").RequireScope(ApiScopes.LedgerRead)
            .WithSummary("Get an account's audit trail")
            .WithDescription("Account events and every transaction's acceptance, publication and outcome, with who caused them, newest first, at most `limit` (1–500, default 100).")
            .Produces<AuditTrailResponse>()
            .ProblemExample(400, "validation", "The request is not valid", "'limit' must be between 1 and 500", "limit")
            .ProblemExample(404, "not-found", "Account not found", "account 'account-789' does not exist");
    }

    private const string AccountExample = """
        {"account_id":"account-123","currency":"USD","kind":"funding","overdraft_limit":null,"overdraft_limit_minor":null,"status":"open","balance":"0.00","balance_minor":0,"metadata":{},"created_at":"2026-11-24T14:29:51.648818+00:00","external_ids":[]}
        """;

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex AccountIdPattern();

    /// <summary>
    /// An id that is also a URL path segment as written: "." and ".." are not (clients and proxies resolve
    /// them away, so /accounts/../balance never reaches the account), hence ids of dots alone are refused.
    /// </summary>
    public static ProblemHttpResult? CheckAccountId(string? id, string field) =>
        id is null
            ? Problem.Validation(field, $"'{field}' is required")
            : !AccountIdPattern().IsMatch(id) ? Problem.Validation(field, $"'{Shorten(id)}' is not an account id: 1 to 64 characters of A-Z a-z 0-9 . _ : -")
            : id.All(c => c == '.') ? Problem.Validation(field, $"'{id}' is not an account id: an id of dots alone cannot be part of a URL path")
            : null;

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <summary>Opens an account; the same body again is a safe retry (200), another body for the id a conflict (409).</summary>
    public static async Task<IResult> CreateAsync(
        HttpContext http, AccountStore accounts, LedgerReader ledger, ExternalIdStore externalIds, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        if (JsonBody.RefuseUnknown(body, "", "account_id", "currency", "overdraft_limit", "kind", "metadata", "external_ids") is { } unknown)
        {
            return unknown;
        }

        var (id, p1) = JsonBody.OptionalString(body, "account_id", "");
        var (currencyCode, p2) = JsonBody.OptionalString(body, "currency", "");
        var (kind, p3) = JsonBody.OptionalString(body, "kind", "");
        var (metadata, p4) = JsonBody.OptionalObject(body, "metadata", "");
        var (requestedIds, p5) = body.TryGetProperty("external_ids", out var externalIdsElement) ? ReadExternalIds(externalIdsElement) : (null, null);
        if ((p1 ?? p2 ?? p3 ?? p4 ?? p5 ?? CheckAccountId(id, "account_id")) is { } problem)
        {
            return problem;
        }

        if (id!.StartsWith(TenantStore.ReservedAccountPrefix, StringComparison.Ordinal))
        {
            return Problem.Validation("account_id",
                $"ids starting with '{TenantStore.ReservedAccountPrefix}' are reserved for the suspense accounts that reconciliation adjustments open");
        }

        if (!Currency.TryGet(currencyCode, out var currency))
        {
            return Problem.Validation("currency", currencyCode is null ? "'currency' is required, e.g. \"USD\"" : $"'{currencyCode}' is not an ISO 4217 currency code");
        }

        kind ??= AccountKinds.Customer;
        if (!AccountKinds.All.Contains(kind))
        {
            return Problem.Validation("kind", $"'{kind}' is not an account kind: {string.Join(", ", AccountKinds.All)}");
        }

        // "0" (the default) never below zero; null no limit (funding, settlement and fee accounts); else a major-unit string.
        long? limit = 0;
        if (body.TryGetProperty("overdraft_limit", out var limitElement))
        {
            if (limitElement.ValueKind == JsonValueKind.Null)
            {
                limit = null;
            }
            else if (limitElement.ValueKind != JsonValueKind.String || !Money.TryParse(limitElement.GetString(), currency, out var money, out _) || money.Minor < 0)
            {
                return Problem.Validation("overdraft_limit", $"'overdraft_limit' must be null or a non-negative amount in {currency.Code} as a string, e.g. \"100.00\"");
            }
            else
            {
                limit = money.Minor;
            }
        }

        var client = http.Client();
        var (result, account, taken) = await accounts.CreateAsync(
            client.TenantId, id, currency.Code, kind, limit, metadata, client.ClientId, cancellationToken, requestedIds);
        if (taken is not null)
        {
            return ExternalIdTaken(taken);
        }

        if (result == AccountCreation.Conflict || account is null)
        {
            // One answer whoever holds the id, so that it tells another tenant nothing but that the id is taken.
            return Problem.Of(StatusCodes.Status409Conflict, "account-exists", "The account exists with other settings",
                $"the account id '{id}' is taken by an account with other settings: choose another id", "account_id");
        }

        var response = await ResponseAsync(client.TenantId, account, ledger, externalIds, cancellationToken);
        return result == AccountCreation.Created
            ? TypedResults.Created($"{http.Request.PathBase}/api/v1/accounts/{Uri.EscapeDataString(account.Id)}", response)
            : TypedResults.Ok(response);
    }

    public static async Task<IResult> GetAsync(
        string accountId, HttpContext http, AccountStore accounts, LedgerReader ledger, ExternalIdStore externalIds, CancellationToken cancellationToken)
    {
        var tenant = http.Client().TenantId;
        var account = await accounts.GetAsync(tenant, accountId, cancellationToken);
        return account is null ? UnknownAccount(accountId) : TypedResults.Ok(await ResponseAsync(tenant, account, ledger, externalIds, cancellationToken));
    }

    /// <summary>The balance now, or at <paramref name="at"/> (an ISO 8601 instant).</summary>
    public static async Task<IResult> GetBalanceAsync(string accountId, string? at, HttpContext http, LedgerReader ledger, CancellationToken cancellationToken)
    {
        DateTimeOffset? instant = null;
        if (at is not null)
        {
            if (!DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return Problem.Validation("at", $"'{at}' is not an ISO 8601 instant such as 2026-11-24T12:00:00Z");
            }

            instant = parsed;
        }

        var balance = await ledger.GetBalanceAsync(http.Client().TenantId, accountId, instant, cancellationToken);
        if (balance is null)
        {
            return UnknownAccount(accountId);
        }

        var money = new Money(balance.Minor, Currency.Of(balance.Currency));
        return TypedResults.Ok(new BalanceResponse(accountId, balance.Currency, money.ToDecimalString(), balance.Minor, balance.AsOf));
    }

    /// <summary>Entries newest first, <c>limit</c> (1–500, default 50) at a time; follow <c>next_cursor</c>.</summary>
    public static async Task<IResult> GetLedgerAsync(
        string accountId, int? limit, string? cursor, HttpContext http, AccountStore accounts, LedgerReader ledger, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > LedgerReader.MaxPageSize)
        {
            return Problem.Validation("limit", $"'limit' must be between 1 and {LedgerReader.MaxPageSize}");
        }

        var tenant = http.Client().TenantId;
        var account = await accounts.GetAsync(tenant, accountId, cancellationToken);
        if (account is null)
        {
            return UnknownAccount(accountId);
        }

        LedgerPage page;
        try
        {
            page = await ledger.GetEntriesAsync(tenant, accountId, limit ?? 50, cursor, cancellationToken);
        }
        catch (FormatException)
        {
            return Problem.Validation("cursor", "the cursor is not one this API returned: start again without it");
        }

        var currency = Currency.Of(account.Currency);
        string Text(long minor) => new Money(minor, currency).ToDecimalString();
        return TypedResults.Ok(new LedgerPageResponse(
            accountId, account.Currency,
            page.Entries.Select(e => new LedgerEntryResponse(e.Id, e.TransactionId, e.Type, Text(e.Amount), e.Amount, Text(e.BalanceAfter), e.BalanceAfter,
                e.Sequence, e.PostedAt, e.Description)).ToArray(),
            page.NextCursor));
    }

    public static async Task<IResult> GetAuditTrailAsync(
        string accountId, int? limit, HttpContext http, AccountStore accounts, LedgerReader ledger, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > LedgerReader.MaxPageSize)
        {
            return Problem.Validation("limit", $"'limit' must be between 1 and {LedgerReader.MaxPageSize}");
        }

        var tenant = http.Client().TenantId;
        if (await accounts.GetAsync(tenant, accountId, cancellationToken) is not { } account)
        {
            return UnknownAccount(accountId);
        }

        var events = await ledger.GetAuditTrailAsync(tenant, accountId, limit ?? 100, cancellationToken);
        return TypedResults.Ok(new AuditTrailResponse(accountId, [.. events.Select(e => e with { Detail = MoneyFields.WithDecimals(e.Detail, account.Currency) })]));
    }

    /// <summary>The answer for a missing account and for another tenant's: the same, so existence does not leak.</summary>
    public static ProblemHttpResult UnknownAccount(string accountId) => Problem.NotFound("Account", $"account '{accountId}' does not exist");

    private static async Task<AccountResponse> ResponseAsync(
        string tenantId, Account account, LedgerReader ledger, ExternalIdStore externalIds, CancellationToken cancellationToken)
    {
        var ids = await externalIds.GetAsync(account.Id, cancellationToken);
        var currency = Currency.Of(account.Currency);
        var balance = (await ledger.GetBalanceAsync(tenantId, account.Id, null, cancellationToken))?.Minor ?? 0;
        return new AccountResponse(
            account.Id, account.Currency, account.Kind,
            account.OverdraftLimit is { } limit ? new Money(limit, currency).ToDecimalString() : null, account.OverdraftLimit,
            account.Status, new Money(balance, currency).ToDecimalString(), balance, account.Metadata, account.CreatedAt,
            [.. ids.Select(i => new ExternalIdView(i.Scheme, i.Id))]);
    }
}
