using System.Text.Json.Nodes;

namespace LambdaRecon.Api.OpenApi;

/// <summary>
/// What an endpoint tells the OpenAPI document beyond the framework's own metadata: examples, the idempotency
/// key it reads, the problems it can answer. <see cref="OperationContract"/> turns these into the document.
/// </summary>
public static class ContractMetadata
{
    /// <summary>An example of the request body, as JSON: Scalar's "Test Request" starts from it.</summary>
    public static RouteHandlerBuilder RequestExample(this RouteHandlerBuilder builder, string json) =>
        builder.WithMetadata(new RequestExampleMetadata(JsonNode.Parse(json)!));

    /// <summary>An example of the answer with <paramref name="status"/>, as JSON.</summary>
    public static RouteHandlerBuilder ResponseExample(this RouteHandlerBuilder builder, int status, string json) =>
        builder.WithMetadata(new ResponseExampleMetadata(status, JsonNode.Parse(json)!));

    /// <summary>
    /// The endpoint takes an idempotency key (the Idempotency-Key header or the body's idempotencyKey) and answers
    /// a repeat with the first answer (200, Idempotent-Replayed, Original-Status), a key still in flight with 409
    /// and Retry-After, a key reused for another body with 422.
    /// </summary>
    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder builder) => builder.WithMetadata(new IdempotentMetadata());

    /// <summary>A problem the endpoint answers with <paramref name="status"/>, as the example of that answer.</summary>
    public static RouteHandlerBuilder ProblemExample(
        this RouteHandlerBuilder builder, int status, string type, string title, string detail, string? field = null) =>
        builder.ProducesProblem(status).WithMetadata(new ProblemExampleMetadata(status, type, title, detail, field));

    /// <summary>
    /// The body the handler reads itself, of schema <typeparamref name="T"/>, in <paramref name="contentTypes"/>
    /// (JSON when none is named). Not the framework's Accepts: its metadata makes routing refuse any other media type
    /// with a bare 415 before the handler, whose own refusal (problem+json naming what to send) must stay the answer.
    /// </summary>
    public static RouteHandlerBuilder RequestBody<T>(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.WithMetadata(new RequestBodyMetadata(typeof(T), contentTypes.Length == 0 ? ["application/json"] : contentTypes, Optional: false));

    /// <summary>A JSON body of schema <typeparamref name="T"/> that may be left out: the operation then runs with defaults.</summary>
    public static RouteHandlerBuilder OptionalRequestBody<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new RequestBodyMetadata(typeof(T), ["application/json"], Optional: true));

    /// <summary>
    /// The answer with <paramref name="status"/> may also be text in <paramref name="contentType"/> (a CSV export): the
    /// framework's Produces keeps one content per status, so a second one would replace the JSON schema.
    /// </summary>
    public static RouteHandlerBuilder AlsoText(this RouteHandlerBuilder builder, int status, string contentType) =>
        builder.WithMetadata(new TextResponseMetadata(status, contentType));

    public sealed record TextResponseMetadata(int Status, string ContentType);

    public sealed record RequestBodyMetadata(Type Type, string[] ContentTypes, bool Optional);

    public sealed record RequestExampleMetadata(JsonNode Example);

    public sealed record ResponseExampleMetadata(int Status, JsonNode Example);

    public sealed record IdempotentMetadata;

    public sealed record ProblemExampleMetadata(int Status, string Type, string Title, string Detail, string? Field);
}
