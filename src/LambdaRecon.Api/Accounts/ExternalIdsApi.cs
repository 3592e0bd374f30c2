using System.Text.Json;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.Problems;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LambdaRecon.Api.Accounts;

/// <summary>An identifier a bank or provider names the account by: IBAN, BBAN, OTHER or STRIPE.</summary>
public sealed record ExternalIdView(string Scheme, string Id);

/// <summary>
/// An account's external ids, which route imported statements to it: given at creation
/// (<c>external_ids</c>), replaced whole by PUT /accounts/{id}/external-ids, shown by GET /accounts/{id}.
/// </summary>
public static partial class AccountsApi
{
    /// <summary>Body: {"external_ids": [{"scheme": "IBAN", "id": "…"}, …]}, the account's whole list (an empty one removes all).</summary>
    public static async Task<IResult> SetExternalIdsAsync(
        string accountId, HttpContext http, AccountStore accounts, ExternalIdStore externalIds, LedgerReader ledger, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        if (JsonBody.RefuseUnknown(body, "", "external_ids") is { } unknown)
        {
            return unknown;
        }

        if (!body.TryGetProperty("external_ids", out var element))
        {
            return Problem.Validation("external_ids", "'external_ids' is required: the account's whole list, e.g. [{\"scheme\": \"IBAN\", \"id\": \"DE89 3704 0044 0532 0130 00\"}]");
        }

        var (ids, problem) = ReadExternalIds(element);
        if (problem is not null)
        {
            return problem;
        }

        var client = http.Client();
        var account = await accounts.GetAsync(client.TenantId, accountId, cancellationToken);
        if (account is null)
        {
            return UnknownAccount(accountId);
        }

        if (await externalIds.ReplaceAsync(client.TenantId, accountId, ids!, client.ClientId, cancellationToken) is { } taken)
        {
            return ExternalIdTaken(taken);
        }

        return TypedResults.Ok(await ResponseAsync(client.TenantId, account, ledger, externalIds, cancellationToken));
    }

    /// <summary>An array of {scheme, id}, each normalised (an IBAN without spaces, upper case, its check digits verified).</summary>
    private static (IReadOnlyList<ExternalId>? Ids, ProblemHttpResult? Problem) ReadExternalIds(JsonElement element)
    {
        const string Shape = "'external_ids' must be an array of {\"scheme\": \"IBAN\" | \"BBAN\" | \"OTHER\" | \"STRIPE\", \"id\": \"…\"}";
        if (element.ValueKind != JsonValueKind.Array)
        {
            return (null, Problem.Validation("external_ids", Shape));
        }

        var ids = new List<ExternalId>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var field = $"external_ids[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, Problem.Validation(field, Shape));
            }

            var (scheme, p1) = JsonBody.OptionalString(item, "scheme", field);
            var (id, p2) = JsonBody.OptionalString(item, "id", field);
            if ((JsonBody.RefuseUnknown(item, field, "scheme", "id") ?? p1 ?? p2) is { } problem)
            {
                return (null, problem);
            }

            if (!ExternalId.TryNormalise(scheme, id, out var normalised, out var error))
            {
                return (null, Problem.Validation(field, $"{field}: {error}"));
            }

            ids.Add(normalised);
        }

        return (ids.Distinct().ToArray(), null);
    }

    /// <summary>The holder is named: identifiers are per tenant, so it is always an account the caller may see.</summary>
    private static ProblemHttpResult ExternalIdTaken(ExternalIdTaken taken) =>
        Problem.Of(StatusCodes.Status409Conflict, "external-id-taken", "The external id belongs to another account",
            $"{taken.Id} is an external id of account '{taken.HolderAccountId}': remove it there first (PUT /api/v1/accounts/{taken.HolderAccountId}/external-ids)",
            "external_ids", new Dictionary<string, object?> { ["holder_account_id"] = taken.HolderAccountId });
}
