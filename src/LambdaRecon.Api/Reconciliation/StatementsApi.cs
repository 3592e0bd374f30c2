using LambdaRecon.Api.Accounts;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.Problems;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Reconciliation;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LambdaRecon.Api.Reconciliation;

/// <summary>A balance as a statement states it: signed (credit positive), in major units and minor units, on its date.</summary>
public sealed record BalanceView(string Amount, long AmountMinor, DateOnly Date);

public sealed record IdentifierView(string Scheme, string Id);

/// <summary>One statement of an import: where it went, what it held, how many lines were new to its account.</summary>
public sealed record ImportedStatementView(
    Guid StatementId, string AccountId, string? Reference, int SourceLine, IdentifierView? Identifier, string? Currency, bool IsInterim,
    int Lines, int Imported, BalanceView? Opening, BalanceView? Closing);

/// <summary>
/// The answer to an import. The top-level fields are the first statement's and the file's totals (as
/// before files could hold several statements); <see cref="Statements"/> lists every statement.
/// </summary>
public sealed record StatementImportResponse(
    Guid StatementId, string AccountId, string Format, int Lines, int RecordsImported, bool AlreadyImported, Guid ImportId,
    IReadOnlyList<ImportedStatementView> Statements);

public sealed record StatementLineView(
    string LineId, int SourceLine, string Amount, long AmountMinor, string Currency, DateOnly BookingDate, DateOnly ValueDate, string? Reference,
    string? EndToEndId, string? Counterparty, string? Description, string? Fee, long? FeeMinor, string? Net, long? NetMinor, bool IsReversal, string? EntryRef,
    int BatchCount, string? PayoutId, string? Category);

/// <summary>
/// A stored statement. <see cref="Lines"/> is how many lines the file gave it, <see cref="Records"/> how many of
/// those were new to the account (its own). GET /statements/{id} adds one page of those records in file
/// order (<see cref="Entries"/>) and, while more follow, <see cref="NextCursor"/>; the list leaves both out.
/// </summary>
public sealed record StatementView(
    Guid StatementId, Guid ImportId, string AccountId, string Format, int Position, int SourceLine, string? Reference, string? Number,
    IdentifierView? Identifier, string? Currency, bool IsInterim, BalanceView? Opening, BalanceView? Closing, int Lines, long Records,
    string FileSha256, string ImportedBy, DateTimeOffset ImportedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<StatementLineView>? Entries = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextCursor = null);

public sealed record StatementListResponse(IReadOnlyList<StatementView> Statements, string? NextCursor);

/// <summary>Reading imported statements, and the answers imports give. Another tenant's statement is answered as a missing one.</summary>
public static class StatementsApi
{
    /// <summary>A statement, its balances and its lines in file order, <c>limit</c> (1–500, default 100) at a time; follow <c>next_cursor</c>.</summary>
    public static async Task<IResult> GetStatementAsync(
        Guid statementId, int? limit, string? cursor, HttpContext http, StatementStore statements, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > StatementStore.MaxPageSize)
        {
            return Problem.Validation("limit", $"'limit' must be between 1 and {StatementStore.MaxPageSize}");
        }

        if (await statements.GetAsync(http.Client().TenantId, statementId, cancellationToken) is not { } statement)
        {
            return Problem.NotFound("Statement", $"statement {statementId} does not exist");
        }

        try
        {
            var (lines, next) = await statements.LinesAsync(statementId, limit ?? 100, cursor, cancellationToken);
            return TypedResults.Ok(View(statement) with { Entries = [.. lines.Select(LineView)], NextCursor = next });
        }
        catch (FormatException)
        {
            return Problem.Validation("cursor", "the cursor is not one this API returned: start again without it");
        }
    }

    /// <summary>The tenant's statements, of one account with <c>account_id</c>, newest first, <c>limit</c> (1–500, default 100) at a time.</summary>
    public static async Task<IResult> ListStatementsAsync(
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "account_id")] string? accountId, int? limit, string? cursor, HttpContext http,
        AccountStore accounts, StatementStore statements, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > StatementStore.MaxPageSize || (cursor is not null && !Guid.TryParse(cursor, out _)))
        {
            return Problem.Validation(limit is < 1 or > StatementStore.MaxPageSize ? "limit" : "cursor",
                $"limit is 1–{StatementStore.MaxPageSize}; cursor is the next_cursor of the previous page");
        }

        var tenant = http.Client().TenantId;
        if (accountId is not null && await accounts.GetAsync(tenant, accountId, cancellationToken) is null)
        {
            return AccountsApi.UnknownAccount(accountId);
        }

        var size = limit ?? 100;
        var page = await statements.ListAsync(tenant, accountId, cursor is null ? null : Guid.Parse(cursor), size, cancellationToken);
        return TypedResults.Ok(new StatementListResponse([.. page.Select(View)], page.Count == size ? page[^1].StatementId.ToString() : null));
    }

    /// <summary>The answer to a refused import: 400 for the request or the file, 404 for an unknown account, 422 when a statement cannot be routed.</summary>
    public static ProblemHttpResult Refused(ImportRefusal refusal) => refusal.Kind switch
    {
        ImportRefusalKind.Invalid => Problem.Validation(refusal.Field, refusal.Detail),
        ImportRefusalKind.UnknownAccount => Problem.NotFound("Account", refusal.Detail),
        ImportRefusalKind.Unrouted => Problem.Of(StatusCodes.Status422UnprocessableEntity, "statement-account-unknown",
            "A statement's account is not known", refusal.Detail, refusal.Field, Where(refusal)),
        ImportRefusalKind.OtherAccount => Problem.Of(StatusCodes.Status422UnprocessableEntity, "statement-account-mismatch",
            "A statement is for another account", refusal.Detail, refusal.Field, Where(refusal)),
        _ => Problem.Of(StatusCodes.Status400BadRequest, "malformed-statement", "The statement was refused whole", refusal.Detail,
            refusal.Element ?? (refusal.Line is null or 0 ? "file" : $"line {refusal.Line}"), Where(refusal)),
    };

    private static Dictionary<string, object?> Where(ImportRefusal refusal) => new() { ["line"] = refusal.Line ?? 0, ["element"] = refusal.Element };

    public static StatementImportResponse ImportResponse(StatementImport import, string format)
    {
        var first = import.Statements[0];
        return new StatementImportResponse(first.StatementId, first.AccountId, format, import.Lines, import.Imported, import.AlreadyImported,
            import.ImportId,
            [.. import.Statements.Select(s =>
            {
                var statement = s.Routed.Statement;
                return new ImportedStatementView(s.StatementId, s.AccountId, statement.Reference, statement.SourceLine,
                    statement.Account is { } account ? new IdentifierView(account.Scheme, account.Id) : null, statement.Currency?.Code,
                    statement.IsInterim, s.Lines, s.Imported, Balance(statement.Opening), Balance(statement.Closing));
            })]);
    }

    private static BalanceView? Balance(StatementBalance? balance) =>
        balance is { } b ? new BalanceView(b.Amount.ToDecimalString(), b.Amount.Minor, b.Date) : null;

    private static BalanceView? Balance(long? minor, DateOnly? date, string? currency) =>
        minor is { } m && date is { } d && currency is not null ? new BalanceView(new Money(m, Currency.Of(currency)).ToDecimalString(), m, d) : null;

    private static StatementView View(StoredStatement s) => new(
        s.StatementId, s.ImportId, s.AccountId, s.Format, s.Position, s.SourceLine, s.Reference, s.Number,
        s.AccountScheme is not null && s.AccountIdentifier is not null ? new IdentifierView(s.AccountScheme, s.AccountIdentifier) : null,
        s.Currency, s.IsInterim, Balance(s.OpeningBalanceMinor, s.OpeningDate, s.Currency), Balance(s.ClosingBalanceMinor, s.ClosingDate, s.Currency),
        s.Lines, s.Records, s.FileSha256, s.ImportedBy, s.ImportedAt);

    private static StatementLineView LineView(StoredLine l) => new(
        l.LineId, l.SourceLine, new Money(l.AmountMinor, Currency.Of(l.Currency)).ToDecimalString(), l.AmountMinor, l.Currency, l.BookingDate,
        l.ValueDate, l.Reference, l.EndToEndId, l.Counterparty, l.Description,
        l.FeeMinor is { } fee ? MoneyFields.Text(fee, l.Currency) : null, l.FeeMinor, l.NetMinor is { } net ? MoneyFields.Text(net, l.Currency) : null, l.NetMinor, l.IsReversal, l.EntryRef, l.BatchCount,
        l.PayoutId, l.Category);
}
