using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Accounts;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>Why an import was refused; the API maps each kind to its status, the CLI prints the detail and exits 1.</summary>
public enum ImportRefusalKind
{
    /// <summary>An unknown format name (400, field format).</summary>
    Invalid,

    /// <summary>The file cannot be read as its format (400).</summary>
    Malformed,

    /// <summary>account_id names no account of the tenant (404).</summary>
    UnknownAccount,

    /// <summary>A statement cannot be given an account: its identifier is no account's, or it has none and no account was named (422).</summary>
    Unrouted,

    /// <summary>A statement's identifier is another account's than the one named (422).</summary>
    OtherAccount,

    /// <summary>A statement or line is in another currency than its account (400).</summary>
    Currency,
}

/// <param name="Field">The request field at fault (account_id, format, mapping, file).</param>
/// <param name="Line">The line of the file at fault, when one is.</param>
public sealed record ImportRefusal(ImportRefusalKind Kind, string Detail, string Field, int? Line = null, string? Element = null);

/// <summary>A parsed file: its statements and the format it was read as, or why it was refused.</summary>
public sealed record ParsedFile(IReadOnlyList<BankStatement> Statements, string Format, ImportRefusal? Refusal);

/// <summary>
/// Imports a statement file as the API and `./run.sh import-statement` both do: parse, route each
/// statement to its account, check currencies, store all statements or none.
/// <para>
/// Routing: without an account, each statement goes to the account of the tenant holding its
/// identifier (an OTHER id is also looked up as a BBAN and the reverse, see <see cref="ExternalId.Candidates"/>);
/// a statement whose identifier no account holds, or that has none (a CSV export), is refused. With an
/// account, a statement whose identifier another account holds is refused; one whose identifier no
/// account holds goes to the named account unless that account has identifiers of the statement's
/// scheme (then the file is for some other account of the same kind, and is refused).
/// </para>
/// </summary>
public sealed class StatementImporter(AccountStore accounts, ExternalIdStore externalIds, StatementStore store)
{
    /// <summary>The format stored with the statements: "mt940", or "csv:stripe" with its mapping.</summary>
    public static string FormatLabel(string format, CsvMapping? mapping) => format + (mapping is null ? "" : ":" + mapping.Name);

    /// <param name="mapping">The CSV mapping, resolved by the caller (built-in or stored); null for the generic one.</param>
    public static ParsedFile Parse(byte[] content, string? format, CsvMapping? mapping, CancellationToken cancellationToken = default)
    {
        format = (format ?? "auto").ToLowerInvariant();
        if (!StatementFile.Formats.Contains(format))
        {
            return new ParsedFile([], format, new ImportRefusal(ImportRefusalKind.Invalid,
                $"unknown format '{format}': use {string.Join(", ", StatementFile.Formats)}", "format"));
        }

        if (!StatementFile.TryParse(content, format, mapping, out var statements, out var detected, out var error, cancellationToken))
        {
            return new ParsedFile([], detected,
                new ImportRefusal(ImportRefusalKind.Malformed, detected == "auto" ? error!.ToString() : $"{error} (read as {detected})", "file", error!.Line,
                    error.Element));
        }

        return new ParsedFile(statements, detected, null);
    }

    /// <summary>Gives each statement its account, or the refusal of the whole file.</summary>
    public async Task<(IReadOnlyList<RoutedStatement> Routed, ImportRefusal? Refusal)> RouteAsync(
        string tenantId, string? accountId, IReadOnlyList<BankStatement> statements, CancellationToken cancellationToken)
    {
        Account? named = null;
        if (accountId is not null && (named = await accounts.GetAsync(tenantId, accountId, cancellationToken)) is null)
        {
            return ([], new ImportRefusal(ImportRefusalKind.UnknownAccount, $"account '{accountId}' does not exist", "account_id"));
        }

        var candidates = statements.Select(s => s.Account is null ? [] : ExternalId.Candidates(s.Account)).ToArray();
        var holders = await externalIds.HoldersAsync(tenantId, candidates.SelectMany(c => c), cancellationToken);
        var namedIds = named is null ? [] : await externalIds.GetAsync(named.Id, cancellationToken);
        var routed = new List<RoutedStatement>(statements.Count);
        for (var i = 0; i < statements.Count; i++)
        {
            var statement = statements[i];
            var holder = candidates[i].Select(c => holders.GetValueOrDefault(c)).FirstOrDefault(h => h is not null);
            var target = (holder, named) switch
            {
                (null, null) => null,
                (null, { } account) when namedIds.Any(n => candidates[i].Any(c => c.Scheme == n.Scheme)) => null,
                ({ } held, { } account) when held != account.Id => null,
                ({ } held, _) => held,
                (null, { } account) => account.Id,
            };
            if (target is null)
            {
                return ([], Unroutable(statement, candidates[i], holder, named, namedIds));
            }

            routed.Add(new RoutedStatement(i, statement, target));
        }

        var targets = await accounts.GetManyAsync(tenantId, [.. routed.Select(r => r.AccountId).Distinct()], cancellationToken);
        foreach (var r in routed)
        {
            var currency = targets[r.AccountId].Currency;
            if (r.Statement.Currency is { } own && own.Code != currency)
            {
                return ([], new ImportRefusal(ImportRefusalKind.Currency,
                    $"{Name(r.Statement)} is in {own.Code}, account '{r.AccountId}' holds {currency}", "file", r.Statement.SourceLine));
            }

            if (r.Statement.Lines.FirstOrDefault(l => l.Amount.Currency.Code != currency) is { } foreign)
            {
                return ([], new ImportRefusal(ImportRefusalKind.Currency,
                    $"line {foreign.SourceLine} of {Name(r.Statement)} is in {foreign.Amount.Currency.Code}, account '{r.AccountId}' holds {currency}",
                    "file", foreign.SourceLine));
            }
        }

        return (routed, null);
    }

    /// <summary>Routes and stores parsed statements; the refusal when they cannot be routed, and nothing stored.</summary>
    public async Task<(StatementImport? Import, ImportRefusal? Refusal)> ImportAsync(
        string tenantId, string? accountId, ParsedFile parsed, string formatLabel, byte[] content, string importedBy,
        CancellationToken cancellationToken, IProgress<int>? progress = null)
    {
        var (routed, refusal) = await RouteAsync(tenantId, accountId, parsed.Statements, cancellationToken);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        return (await store.ImportAsync(formatLabel, content, routed, importedBy, cancellationToken, progress), null);
    }

    /// <summary>"statement 'STMT-1' (line 12)", or "the statement at line 1" when it has no reference.</summary>
    public static string Name(BankStatement statement) => statement.Reference is { } reference
        ? $"statement '{reference}' (line {statement.SourceLine})"
        : $"the statement at line {statement.SourceLine}";

    private static ImportRefusal Unroutable(
        BankStatement statement, IReadOnlyList<ExternalId> candidates, string? holder, Account? named, IReadOnlyList<ExternalId> namedIds)
    {
        var name = Name(statement);
        if (statement.Account is null)
        {
            return new ImportRefusal(ImportRefusalKind.Unrouted,
                $"{name} does not say which account it is for (a CSV export, a camt file without Acct): name the account with account_id (--account in the CLI)",
                "account_id", statement.SourceLine);
        }

        var own = candidates.Count > 0 ? candidates[0] : new ExternalId(statement.Account.Scheme, statement.Account.Id);
        var identifier = own.ToString();
        if (named is null)
        {
            return new ImportRefusal(ImportRefusalKind.Unrouted,
                $"{name} is for {identifier}, which no account holds: register it on its account "
                + $"(PUT /api/v1/accounts/{{account_id}}/external-ids with [{{\"scheme\": \"{own.Scheme}\", \"id\": \"{own.Id}\"}}]), "
                + "or name the account with account_id",
                "file", statement.SourceLine);
        }

        return holder is not null
            ? new ImportRefusal(ImportRefusalKind.OtherAccount,
                $"{name} is for {identifier}, which account '{holder}' holds, not '{named.Id}': import it without account_id to route it, or fix the account's external ids",
                "account_id", statement.SourceLine)
            : new ImportRefusal(ImportRefusalKind.OtherAccount,
                $"{name} is for {identifier}, but account '{named.Id}' is {string.Join(", ", namedIds)}: register {identifier} on the account it belongs to",
                "account_id", statement.SourceLine);
    }
}
