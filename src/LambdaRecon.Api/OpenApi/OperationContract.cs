using System.Globalization;
using System.Text.Json.Nodes;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Api.Problems;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using static LambdaRecon.Api.OpenApi.ContractMetadata;

namespace LambdaRecon.Api.OpenApi;

/// <summary>
/// What every operation shares, written once from the endpoint's metadata: its scopes as a security requirement
/// (and the 401, 403 and 503 the key check can answer), the idempotency key and its answers, the body's refusals
/// (400, 413, 415), every refusal as problem+json with an example, the headers every answer or some carry, and
/// the examples the endpoint gives.
/// </summary>
internal sealed class OperationContract : IOpenApiOperationTransformer
{
    private const string ProblemJson = "application/problem+json";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document!;
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var responses = operation.Responses ??= new OpenApiResponses();
        var idempotent = metadata.OfType<IdempotentMetadata>().Any();
        var scoped = false;

        if (metadata.OfType<ApiAuth.RequiredScopes>().LastOrDefault() is { } scopes)
        {
            scoped = true;
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiContract.BearerScheme, document)] = [.. scopes.Scopes] }];
            var needs = $"Needs an API key with the scope {string.Join(" or ", scopes.Scopes.Select(s => $"`{s}`"))}.";
            operation.Description = operation.Description is { Length: > 0 } described ? $"{described}\n\n{needs}" : needs;
            // The key is checked against the database: one that cannot be reached is a 503 on every such endpoint.
            Ensure(responses, 401, 403, 503);
        }
        else
        {
            operation.Security = [];
        }

        if (metadata.OfType<RequestBodyMetadata>().LastOrDefault() is { } declared)
        {
            IOpenApiSchema schema = await context.GetOrCreateSchemaAsync(declared.Type, null, cancellationToken);
            if (schema is OpenApiSchema { Type: JsonSchemaType.Object })
            {
                // A named body schema, as the framework's own request bodies have: readers and code generators see its name.
                document.AddComponent(declared.Type.Name, schema);
                schema = new OpenApiSchemaReference(declared.Type.Name, document);
            }

            var body = new OpenApiRequestBody
            {
                Required = !declared.Optional,
                Content = declared.ContentTypes.ToDictionary(type => type, _ => new OpenApiMediaType { Schema = schema }),
            };
            operation.RequestBody = body;
            Ensure(responses, 400, 413);
            if (body.Content?.ContainsKey("application/json") == true)
            {
                // JsonBody refuses any other media type; the statement import reads whatever it is sent.
                Ensure(responses, 415);
            }

            if (metadata.OfType<RequestExampleMetadata>().LastOrDefault() is { } example && body.Content is { } content)
            {
                foreach (var media in content.Values)
                {
                    media.Example = example.Example.DeepClone();
                }
            }
        }

        if (idempotent)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Description = "The request's idempotency key, 1–255 printable ASCII characters; or the body's `idempotencyKey` (the same if both). "
                    + "The same key with the same body answers the first answer again; with another body, 422; while the first is still handled, 409.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255, Pattern = "^[ -~]{1,255}$" },
                Example = "unique-key-12345",
            });
            Ensure(responses, 200, 409, 422, 503);
        }

        foreach (var (code, response) in responses)
        {
            var status = int.Parse(code, CultureInfo.InvariantCulture);
            if (response is not OpenApiResponse written)
            {
                continue;
            }

            written.Headers ??= new Dictionary<string, IOpenApiHeader>();
            written.Headers[RequestLog.RequestIdHeader] = Header("The request's id: the `trace_id` of a problem and the `request_id` of its log lines.");
            if (status >= 400)
            {
                Refusal(written, status, metadata, idempotent, scoped, document);
            }
            else if (status == 201)
            {
                written.Description = "Created.";
                written.Headers["Location"] = Header("The URL of what was created (with the API Gateway stage, when there is one).");
            }
            else if (status == 200 && idempotent)
            {
                written.Description = "A repeat: the first answer again, with its body, for a request with this key and this body.";
                written.Headers["Idempotent-Replayed"] = Header("`true`: this is the first answer, replayed.");
                written.Headers["Original-Status"] = Header("The first answer's status code (202).");
            }
            else if (status == 202 && idempotent)
            {
                written.Description = "Accepted: recorded and queued; poll `pollUrl` for the outcome.";
            }
            else if (status == 202)
            {
                written.Description = "Accepted: the work goes on; follow `Location` for its state.";
                written.Headers["Location"] = Header("Where the work's state is read (with the API Gateway stage, when there is one).");
                written.Headers["Retry-After"] = Header("Seconds to wait before reading it.");
            }

            foreach (var text in metadata.OfType<TextResponseMetadata>().Where(t => t.Status == status))
            {
                written.Content ??= new Dictionary<string, OpenApiMediaType>();
                written.Content[text.ContentType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }

            if (metadata.OfType<ResponseExampleMetadata>().LastOrDefault(e => e.Status == status) is { } example && written.Content is { } content)
            {
                // A JSON example: not for a text alternative (AlsoText) of the same answer.
                foreach (var media in content.Where(c => c.Key.Contains("json", StringComparison.Ordinal)).Select(c => c.Value))
                {
                    media.Example = example.Example.DeepClone();
                }
            }
        }

    }

    private static void Ensure(OpenApiResponses responses, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            responses.TryAdd(status.ToString(CultureInfo.InvariantCulture), new OpenApiResponse());
        }
    }

    private static void Refusal(OpenApiResponse response, int status, IList<object> metadata, bool idempotent, bool scoped, OpenApiDocument document)
    {
        var given = metadata.OfType<ProblemExampleMetadata>().LastOrDefault(p => p.Status == status);
        var (type, title, detail, field) = given is not null ? (given.Type, given.Title, given.Detail, given.Field) : Generic(status, idempotent);
        response.Description = Description(status, idempotent);
        var example = new JsonObject
        {
            ["type"] = Problem.TypeBase + type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (field is not null)
        {
            example["field"] = field;
        }

        example["trace_id"] = "0HNHB6C4QJ8L2:00000001";
        response.Content = new Dictionary<string, OpenApiMediaType>
        {
            [ProblemJson] = new() { Schema = new OpenApiSchemaReference(DocumentContract.ProblemSchema, document), Example = example },
        };
        if (status == 401)
        {
            response.Headers!["WWW-Authenticate"] = Header("`Bearer`.");
        }

        // A database that cannot be reached (every endpoint with a key: DatabaseUnavailable) and the accept path's
        // refusals say when to retry; the readiness probe's 503 is an answer, not a refusal to retry.
        if ((status == 503 && (scoped || idempotent)) || (status == 409 && idempotent))
        {
            response.Headers!["Retry-After"] = Header("Seconds to wait before the same request again.", JsonSchemaType.Integer);
        }
    }

    private static string Description(int status, bool idempotent) => status switch
    {
        400 => "The request is not valid: `field` names what is wrong. Nothing was changed.",
        401 => "No API key, or one that is unknown or revoked.",
        403 => "The key lacks every scope this operation accepts.",
        404 => "Not found, or it belongs to another tenant.",
        409 when idempotent => "The first request with this idempotency key is still being handled: retry after `Retry-After` seconds to get its answer.",
        409 => "A conflict with what exists: the detail says which.",
        413 => "The body is larger than this operation takes.",
        415 => "The body's Content-Type (or charset) is not one this operation reads.",
        422 when idempotent => "The idempotency key was used for another request, or the request cannot be carried out as asked (the `type` says which).",
        422 => "Well formed, but it cannot be carried out as asked: the `type` says why.",
        503 when idempotent => "The database or the queue cannot be reached: nothing was changed that is not safe to retry; retry with the same key after `Retry-After` seconds.",
        503 => "A dependency (the database) cannot be reached: retry after `Retry-After` seconds.",
        _ => "Refused.",
    };

    private static (string Type, string Title, string Detail, string? Field) Generic(int status, bool idempotent) => status switch
    {
        400 => ("validation", "The request is not valid", "'transaction.amount' is required, in major units, e.g. 100.00 or \"100.00\"", "transaction.amount"),
        401 => ("unauthorized", "Authentication required", "send an API key as 'Authorization: Bearer <key>'", null),
        403 => ("forbidden", "Missing scope", "this key lacks the scope this endpoint needs: ledger:read", null),
        404 => ("not-found", "Account not found", "account 'account-789' does not exist", null),
        409 when idempotent => ("request-in-progress", "The first request with this key is still being handled",
            "a request with idempotency key 'unique-key-12345' is in progress: retry after a moment to get its answer", "idempotencyKey"),
        409 => ("conflict", "Conflict", "it exists already with other settings", null),
        413 => ("body-too-large", "The body is too large", "the body may hold at most 65,536 bytes", null),
        415 => ("unsupported-media-type", "Unsupported media type", "the request has no Content-Type: send application/json", null),
        422 when idempotent => ("idempotency-key-reused", "Idempotency key reused with another request",
            "the idempotency key 'unique-key-12345' was used for a different request: use a new key for a new request", "idempotencyKey"),
        422 => ("unprocessable", "Unprocessable", "the request cannot be carried out as asked", null),
        503 => ("service-unavailable", "The database is unavailable",
            "the ledger database cannot be reached right now; nothing was changed that is not safe to retry: retry in 5 s", null),
        _ => ("bad-request", "The request could not be read", "the request could not be read", null),
    };

    private static OpenApiHeader Header(string description, JsonSchemaType type = JsonSchemaType.String) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };
}
