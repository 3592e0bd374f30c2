using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using LambdaRecon.Api.Accounts;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Transactions;

namespace LambdaRecon.Api.Transactions;

public static class TransactionsApi
{
    public static void MapTransactionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/transactions").WithTags("Transactions");
        api.MapPost("/", CreateAsync).WithName("CreateTransaction").RequireScope(ApiScopes.TransactionsWrite)
            .WithSummary("Submit a transfer")
            .WithDescription("""
                Records the transfer and queues it for the ledger worker, then answers 202 with a `pollUrl`; the worker posts it
                (POSTED) or refuses it (FAILED, with the reason) moments later. Both accounts must exist in the key's tenant, be
                open and hold the transaction's currency. Send the same key and body again to get the first answer again (200,
                `Idempotent-Replayed: true`): a retry after a timeout never moves money twice.
                """)
            .RequestBody<CreateTransactionRequest>().Idempotent()
            .RequestExample("""{"transaction":{"source_account_id":"account-123","destination_account_id":"account-456","amount":100.00},"idempotencyKey":"unique-key-12345"}""")
            .Produces<AcceptedResponse>(StatusCodes.Status202Accepted).Produces<AcceptedResponse>(StatusCodes.Status200OK)
            .ResponseExample(202, AcceptedExample).ResponseExample(200, AcceptedExample)
            .ProblemExample(422, "idempotency-key-reused", "Idempotency key reused with another request",
                "the idempotency key 'unique-key-12345' was used for a different request: use a new key for a new request", "idempotencyKey")
            .ProblemExample(503, "queue-unavailable", "The queue is unavailable",
                "the transaction is recorded but the queue cannot be reached: retry with the same idempotency key");
        api.MapGet("/status/{idempotencyKey}", GetStatusAsync).WithName("GetTransactionStatus")
            .RequireScope(ApiScopes.TransactionsWrite, ApiScopes.LedgerRead)
            .WithSummary("Get a transaction by its idempotency key")
            .WithDescription("The `pollUrl` of an accepted transfer: ACCEPTED, then POSTED (with its ledger entries) or FAILED (with `failure.code` and `failure.reason`). Keys are the client's own: another client's key is not found.")
            .Produces<TransactionResponse>().ResponseExample(200, TransactionExample)
            .ProblemExample(404, "not-found", "Transaction not found", "no transaction was submitted with idempotency key 'unique-key-12345' by this client");
        // The same answer for keys that are not plain path segments ("a/b"): the pollUrl names this form for them.
        api.MapGet("/status", GetStatusByQueryAsync).WithName("GetTransactionStatusByQuery")
            .RequireScope(ApiScopes.TransactionsWrite, ApiScopes.LedgerRead)
            .WithSummary("Get a transaction by an idempotency key given as a query parameter")
            .WithDescription("The same as GET /transactions/status/{idempotencyKey}, for keys that are not a plain path segment (\"a/b\"): their `pollUrl` names this form.")
            .Produces<TransactionResponse>().ResponseExample(200, TransactionExample)
            .ProblemExample(400, "validation", "The request is not valid", "the query parameter idempotency_key is required", "idempotency_key")
            .ProblemExample(404, "not-found", "Transaction not found", "no transaction was submitted with idempotency key 'a/b' by this client");
        api.MapGet("/{id:guid}", GetAsync).WithName("GetTransaction").RequireScope(ApiScopes.TransactionsWrite, ApiScopes.LedgerRead)
            .WithSummary("Get a transaction")
            .WithDescription("The transaction with its status, amounts, timestamps and, once posted, its ledger entries.")
            .Produces<TransactionResponse>().ResponseExample(200, TransactionExample)
            .ProblemExample(404, "not-found", "Transaction not found", "transaction 904e0dc9-fc98-49ad-a65b-4fc56f8e5298 does not exist");
        api.MapPost("/{id:guid}/refund", RefundAsync).WithName("RefundTransaction").RequireScope(ApiScopes.TransactionsWrite)
            .WithSummary("Refund a transaction")
            .WithDescription("Refunds all or part of a POSTED transaction, from its destination back to its source, through the same queue (202). Without `amount` the rest is refunded; the ledger caps the refunds at the original.")
            .RequestBody<RefundRequest>().Idempotent()
            .RequestExample("""{"amount":"30.00","reason":"customer returned one item"}""")
            .Produces<AcceptedResponse>(StatusCodes.Status202Accepted).Produces<AcceptedResponse>(StatusCodes.Status200OK)
            .ResponseExample(202, RefundAcceptedExample).ResponseExample(200, RefundAcceptedExample)
            .ProblemExample(404, "not-found", "Transaction not found", "transaction 904e0dc9-fc98-49ad-a65b-4fc56f8e5298 does not exist")
            .ProblemExample(422, "refund-exceeds-original", "Nothing left to refund", "transaction 904e0dc9-fc98-49ad-a65b-4fc56f8e5298 is refunded in full already")
            .ProblemExample(503, "queue-unavailable", "The queue is unavailable",
                "the transaction is recorded but the queue cannot be reached: retry with the same idempotency key");
    }

    private const string AcceptedExample = """
        {"status":"ACCEPTED","idempotencyKey":"unique-key-12345","transactionId":"904e0dc9-fc98-49ad-a65b-4fc56f8e5298","messageId":"4145be09-35ed-4073-a79a-4e03c384babe","pollUrl":"/api/v1/transactions/status/unique-key-12345"}
        """;

    private const string RefundAcceptedExample = """
        {"status":"ACCEPTED","idempotencyKey":"refund-1","transactionId":"d05d0c7e-45aa-4732-add7-13eae6b97b39","messageId":"4fbd99f9-8673-4355-b2fa-50f49228cf79","pollUrl":"/api/v1/transactions/status/refund-1"}
        """;

    private const string TransactionExample = """
        {"transaction_id":"904e0dc9-fc98-49ad-a65b-4fc56f8e5298","idempotency_key":"unique-key-12345","type":"transfer","status":"POSTED","amount":"100.00","amount_minor":10000,"currency":"USD","source_account_id":"account-123","destination_account_id":"account-456","refund_of":null,"description":null,"metadata":{},"failure":null,"message_id":"4145be09-35ed-4073-a79a-4e03c384babe","refunded_amount":"0.00","refunded_amount_minor":0,"accepted_at":"2026-11-24T14:59:53.674498+00:00","published_at":"2026-11-24T14:59:53.712694+00:00","posted_at":"2026-11-24T14:59:53.858456+00:00","failed_at":null,"entries":[{"entry_id":1,"account_id":"account-123","amount":"-100.00","amount_minor":-10000,"balance_after":"-100.00","balance_after_minor":-10000,"sequence":1,"posted_at":"2026-11-24T14:59:53.872393+00:00"},{"entry_id":2,"account_id":"account-456","amount":"100.00","amount_minor":10000,"balance_after":"100.00","balance_after_minor":10000,"sequence":1,"posted_at":"2026-11-24T14:59:53.872393+00:00"}]}
        """;

    /// <summary>Submits a transfer: 202 with a poll URL once it is recorded and queued.</summary>
    public static async Task<IResult> CreateAsync(HttpContext http, TransactionAcceptance acceptance, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        if (JsonBody.RefuseUnknown(body, "", "transaction", "idempotencyKey") is { } unknown)
        {
            return unknown;
        }

        if (!body.TryGetProperty("transaction", out var transaction) || transaction.ValueKind != JsonValueKind.Object)
        {
            return Problem.Validation("transaction", "'transaction' is required and must be an object");
        }

        if (JsonBody.RefuseUnknown(transaction, "transaction",
                "source_account_id", "destination_account_id", "amount", "currency", "description", "metadata") is { } unknownField)
        {
            return unknownField;
        }

        var (source, p1) = JsonBody.OptionalString(transaction, "source_account_id", "transaction");
        var (destination, p2) = JsonBody.OptionalString(transaction, "destination_account_id", "transaction");
        var (amountText, p3) = JsonBody.OptionalAmount(transaction, "amount", "transaction");
        var (currencyCode, p4) = JsonBody.OptionalString(transaction, "currency", "transaction");
        var (description, p5) = JsonBody.OptionalString(transaction, "description", "transaction");
        var (metadata, p6) = JsonBody.OptionalObject(transaction, "metadata", "transaction");
        var (bodyKey, p7) = JsonBody.OptionalString(body, "idempotencyKey", "");
        if ((p1 ?? p2 ?? p3 ?? p4 ?? p5 ?? p6 ?? p7) is { } typeProblem)
        {
            return typeProblem;
        }

        if (AccountsApi.CheckAccountId(source, "transaction.source_account_id") is { } badSource)
        {
            return badSource;
        }

        if (AccountsApi.CheckAccountId(destination, "transaction.destination_account_id") is { } badDestination)
        {
            return badDestination;
        }

        if (source == destination)
        {
            return Problem.Validation("transaction.destination_account_id", "the source and destination accounts must differ");
        }

        if (amountText is null)
        {
            return Problem.Validation("transaction.amount", "'transaction.amount' is required, in major units, e.g. 100.00 or \"100.00\"");
        }

        Currency? currency = null;
        if (currencyCode is not null)
        {
            if (!Currency.TryGet(currencyCode, out var known))
            {
                return Problem.Validation("transaction.currency", $"'{currencyCode}' is not an ISO 4217 currency code such as USD");
            }

            currency = known;
            if (ParseAmount(amountText, known, "transaction.amount") is { Problem: { } amountProblem })
            {
                return amountProblem;
            }
        }
        else if (ParseAmount(amountText, Currency.Of("USD"), "transaction.amount", shapeOnly: true) is { Problem: { } shapeProblem })
        {
            return shapeProblem;
        }

        if (description is { Length: > 500 })
        {
            return Problem.Validation("transaction.description", "the description may hold at most 500 characters");
        }

        var (key, keyProblem) = AcceptHttp.ResolveKey(http.Request, bodyKey);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var client = http.Client();
        var metadataJson = AcceptHttp.Canonical(metadata);
        var request = AcceptHttp.Request(http, client, key!, "transfer", source, destination, NormalizeAmount(amountText), currency?.Code, description, metadataJson);
        var (repeat, found) = await acceptance.LookupTransferAsync(request, [source!, destination!], cancellationToken);
        if (repeat is not null)
        {
            return AcceptHttp.ToHttp(repeat, http, key!);
        }

        // New key: the accounts must exist in the client's tenant (another tenant's is unknown here, with the
        // same answer), be open and share the transaction's currency. Nothing is recorded or published before.
        var from = found.GetValueOrDefault(source!);
        var to = found.GetValueOrDefault(destination!);
        foreach (var (account, id, field) in new[] { (from, source!, "transaction.source_account_id"), (to, destination!, "transaction.destination_account_id") })
        {
            if (account is null)
            {
                return Problem.Unprocessable("unknown-account", "Unknown account", $"account '{id}' does not exist: create it with POST /api/v1/accounts", field);
            }

            if (account.Status != "open")
            {
                return Problem.Unprocessable("account-closed", "Account closed", $"account '{id}' is closed", field);
            }
        }

        var resolved = currency ?? Currency.Of(from!.Currency);
        foreach (var (account, field) in new[] { (from!, "transaction.source_account_id"), (to!, "transaction.destination_account_id") })
        {
            if (account.Currency != resolved.Code)
            {
                return Problem.Unprocessable("currency-mismatch", "Currency mismatch",
                    $"account '{account.Id}' holds {account.Currency}, the transaction is in {resolved.Code}", field);
            }
        }

        var (amount, amountError) = ParseAmount(amountText, resolved, "transaction.amount");
        if (amountError is not null)
        {
            return amountError;
        }

        var record = new TransactionRecord(TransactionRecord.NewId(), TransactionType.Transfer, amount, resolved.Code, source!, destination!, null, description);
        return AcceptHttp.ToHttp(await acceptance.AcceptNewAsync(request, record, metadataJson, cancellationToken), http, key!);
    }

    /// <summary>Refunds all or part of a transaction, back the way it came; the ledger's refund cap decides.</summary>
    public static async Task<IResult> RefundAsync(
        Guid id, HttpContext http, TransactionAcceptance acceptance, CancellationToken cancellationToken)
    {
        var (body, malformed) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (malformed is not null)
        {
            return malformed;
        }

        if (JsonBody.RefuseUnknown(body, "", "amount", "reason", "idempotencyKey") is { } unknown)
        {
            return unknown;
        }

        var (amountText, p1) = JsonBody.OptionalAmount(body, "amount", "");
        var (reason, p2) = JsonBody.OptionalString(body, "reason", "");
        var (bodyKey, p3) = JsonBody.OptionalString(body, "idempotencyKey", "");
        if ((p1 ?? p2 ?? p3) is { } typeProblem)
        {
            return typeProblem;
        }

        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 500)
        {
            return Problem.Validation("reason", "'reason' is required: say why the money goes back (at most 500 characters)");
        }

        var (key, keyProblem) = AcceptHttp.ResolveKey(http.Request, bodyKey);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var client = http.Client();
        var request = AcceptHttp.Request(http, client, key!, "refund", id.ToString(), amountText is null ? null : NormalizeAmount(amountText), reason);
        // Another tenant's transaction is as unknown as a missing one.
        var (repeat, original) = await acceptance.LookupRefundAsync(request, id, cancellationToken);
        if (repeat is not null)
        {
            return AcceptHttp.ToHttp(repeat, http, key!);
        }

        if (original is null)
        {
            return Problem.NotFound("Transaction", $"transaction {id} does not exist");
        }

        if (original.Status == TransactionStatus.Failed)
        {
            return Problem.Unprocessable("refund-of-failed-transaction", "Nothing to refund", $"transaction {id} FAILED ({original.FailureCode}): no money moved");
        }

        if (original.Status != TransactionStatus.Posted)
        {
            return Problem.Of(StatusCodes.Status409Conflict, "transaction-not-posted", "Transaction not posted yet",
                $"transaction {id} is {original.Status.ToString().ToUpperInvariant()}: refund it once it is POSTED");
        }

        var currency = Currency.Of(original.Record.Currency);
        long amount;
        if (amountText is null)
        {
            amount = original.Record.Amount - original.RefundedMinor;
            if (amount <= 0)
            {
                return Problem.Unprocessable("refund-exceeds-original", "Nothing left to refund", $"transaction {id} is refunded in full already");
            }
        }
        else
        {
            var (parsed, amountProblem) = ParseAmount(amountText, currency, "amount");
            if (amountProblem is not null)
            {
                return amountProblem;
            }

            amount = parsed;
        }

        var refund = new TransactionRecord(
            TransactionRecord.NewId(), TransactionType.Refund, amount, currency.Code,
            original.Record.DestinationAccountId, original.Record.SourceAccountId, id, reason);
        return AcceptHttp.ToHttp(await acceptance.AcceptNewAsync(request, refund, AcceptHttp.Canonical(null), cancellationToken), http, key!);
    }

    /// <summary>Where a submitted transaction stands, by the idempotency key the client chose.</summary>
    public static async Task<IResult> GetStatusAsync(string idempotencyKey, HttpContext http, TransactionReader reader, CancellationToken cancellationToken)
    {
        var client = http.Client();
        http.NoteIdempotencyKey(idempotencyKey);
        var view = await reader.GetByKeyAsync(client.TenantId, client.ClientId, idempotencyKey, cancellationToken);
        if (view is not null)
        {
            http.NoteTransaction(view.Record.Id);
        }

        return view is null
            ? Problem.NotFound("Transaction", $"no transaction was submitted with idempotency key '{idempotencyKey}' by this client")
            : TypedResults.Ok(TransactionResponse.From(view));
    }

    public static Task<IResult> GetStatusByQueryAsync(
        [FromQuery(Name = "idempotency_key")] string? idempotencyKey, HttpContext http, TransactionReader reader, CancellationToken cancellationToken) =>
        string.IsNullOrEmpty(idempotencyKey)
            ? Task.FromResult<IResult>(Problem.Validation("idempotency_key", "the query parameter idempotency_key is required"))
            : GetStatusAsync(idempotencyKey, http, reader, cancellationToken);

    public static async Task<IResult> GetAsync(Guid id, HttpContext http, TransactionReader reader, CancellationToken cancellationToken)
    {
        http.NoteTransaction(id);
        var view = await reader.GetAsync(http.Client().TenantId, id, cancellationToken);
        return view is null ? Problem.NotFound("Transaction", $"transaction {id} does not exist") : TypedResults.Ok(TransactionResponse.From(view));
    }

    /// <summary>
    /// Exact parsing into minor units; <paramref name="shapeOnly"/> checks the text before the currency is
    /// known (a decimal with at most 4 fraction digits, the most any currency has): how large an amount
    /// may be depends on the currency, so that is left to the check with the account's currency.
    /// </summary>
    public static (long Minor, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Problem) ParseAmount(
        string text, Currency currency, string field, bool shapeOnly = false)
    {
        // Nothing this long is an amount (long.MaxValue has 19 digits), and the detail need not echo it.
        if (text.Length > 40)
        {
            return (0, Problem.Validation(field, $"the amount holds {text.Length} characters: that is not an amount such as \"100.00\""));
        }

        var probe = shapeOnly ? Currency.Of("CLF") : currency; // CLF has 4 fraction digits, the most of any currency
        if (!Money.TryParse(text, probe, out var money, out var error))
        {
            if (shapeOnly && error!.Contains("too large", StringComparison.Ordinal))
            {
                return (0, null);
            }

            return (0, Problem.Validation(field, shapeOnly && error!.Contains("fraction digits", StringComparison.Ordinal)
                ? $"'{text}' has more fraction digits than any currency allows" : error!));
        }

        return money.IsPositive
            ? (money.Minor, null)
            : (0, Problem.Validation(field, $"the amount must be positive, got '{text}'"));
    }

    /// <summary>"100.50", "100.5" and "0100.500" are one amount, so one request.</summary>
    private static string NormalizeAmount(string text)
    {
        var point = text.IndexOf('.', StringComparison.Ordinal);
        var whole = (point < 0 ? text : text[..point]).TrimStart('0');
        var fraction = point < 0 ? "" : text[(point + 1)..].TrimEnd('0');
        return (whole.Length == 0 ? "0" : whole) + (fraction.Length == 0 ? "" : "." + fraction);
    }
}
