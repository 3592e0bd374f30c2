using System.Text.Json;
using System.Text.Json.Serialization;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Webhooks;

namespace LambdaRecon.Api.Webhooks;

/// <summary>The answer to a stored delivery: <see cref="Status"/> is stored, duplicate (nothing changed) or conflict (kept aside, never applied).</summary>
public sealed record WebhookAck(Guid Id, string Provider, string EventId, string EventType, string Status);

public sealed record WebhookConflictView(Guid Id, DateTimeOffset? SignedAt, DateTimeOffset ReceivedAt, string BodySha256, int BodyBytes);

public sealed record WebhookEventView(
    Guid Id, string Provider, string EventId, string EventType, DateTimeOffset? SignedAt, DateTimeOffset ReceivedAt, string BodySha256, int BodyBytes,
    string Status, JsonElement? Outcome, DateTimeOffset? OutcomeAt, long Conflicts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Payload = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<WebhookConflictView>? ConflictList = null);

public sealed record WebhookEventListResponse(IReadOnlyList<WebhookEventView> Events, string? NextCursor);

/// <summary>
/// Payment provider webhooks: POST /api/v1/webhooks/{provider} takes a signed delivery with no API key
/// (its signature is its authentication, its secret names its tenant), stores it as received and
/// acknowledges it; GET /api/v1/webhooks/events reads what was stored. docs/webhooks.md.
/// </summary>
public static partial class WebhooksApi
{
    /// <summary>The largest delivery taken; Stripe's events are a few kilobytes.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks");
        group.MapPost("/{provider}", ReceiveAsync).WithName("ReceiveWebhook")
            .WithSummary("Receive a payment provider's signed event")
            .WithDescription("No API key: the provider's signature over the exact body (Stripe: the `Stripe-Signature` header; others as configured in `LAMBDARECON_WEBHOOK_PROVIDERS`) authenticates it, and the secret that verifies it names the tenant. The event is stored and acknowledged at once; a redelivery answers `duplicate`, the same id with another body `conflict` (stored, never applied). See docs/webhooks.md.")
            .Produces<WebhookAck>()
            .ResponseExample(200, """{"id":"0193f0b2-7c1e-7a4e-9d2b-5c6e7f8a9b0c","provider":"stripe","event_id":"evt_1QbC2dE3fG4hI5jK","event_type":"charge.succeeded","status":"stored"}""")
            .ProblemExample(400, "webhook-signature", "The webhook signature is not valid", "no v1 signature matches a configured secret")
            .ProblemExample(404, "not-found", "Webhook provider not found", "no webhook provider 'acme' is configured")
            .ProblemExample(413, "body-too-large", "The body is too large", "the body may hold at most 262,144 bytes");
        group.MapGet("/events", ListAsync).WithName("ListWebhookEvents").RequireScope(ApiScopes.LedgerRead)
            .WithSummary("List received webhook events")
            .WithDescription("Newest first, `limit` at a time; filter by `provider`, `type`, `status`, `since` and `until`; follow `next_cursor`.")
            .Produces<WebhookEventListResponse>()
            .ProblemExample(400, "validation", "The request is not valid", "'limit' must be between 1 and 500", "limit");
        group.MapGet("/events/{id:guid}", GetAsync).WithName("GetWebhookEvent").RequireScope(ApiScopes.LedgerRead)
            .WithSummary("Get a received webhook event")
            .WithDescription("The event as stored, with its JSON body, its processing outcome and any conflicting deliveries of the same id.")
            .Produces<WebhookEventView>()
            .ProblemExample(404, "not-found", "Webhook event not found", "webhook event 0193f0b2-7c1e-7a4e-9d2b-5c6e7f8a9b0c does not exist");
        return app;
    }

    /// <summary>
    /// Verifies the signature over the exact bytes received before anything reads them, then stores the
    /// event and answers 200 at once; an unknown event type is stored and acknowledged like any other.
    /// </summary>
    public static async Task<IResult> ReceiveAsync(
        string provider, HttpContext http, WebhookProviders providers, WebhookEventStore events, WebhookEventPublisher publisher, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (providers.Find(provider) is not { } definition)
        {
            return Problem.NotFound("Webhook provider",
                $"no webhook provider '{(provider.Length <= 32 ? provider : provider[..32] + "…")}' is configured (docs/webhooks.md)");
        }

        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, MaxBodyBytes, ": a webhook event", cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        string? Header(string name) => http.Request.Headers.TryGetValue(name, out var values) ? values.ToString() : null;
        var secrets = await providers.SecretsAsync(definition, cancellationToken);
        var check = WebhookSignature.Verify(definition, Header, body, secrets, clock.GetUtcNow());
        // The secret may have been rotated since it was read: verify again with a newer one, if there is one (read at most once a minute).
        if (!check.Verified && await providers.NewerSecretsAsync(definition, cancellationToken) is { } newer)
        {
            check = WebhookSignature.Verify(definition, Header, body, newer, clock.GetUtcNow());
        }

        if (!check.Verified)
        {
            return Problem.Of(StatusCodes.Status400BadRequest, "webhook-signature", "The webhook signature is not valid", check.Refusal!,
                definition.SignatureHeader);
        }

        string? eventId;
        string? eventType;
        try
        {
            using var document = JsonDocument.Parse(body);
            eventId = WebhookProvider.TextAt(document.RootElement, definition.EventIdPointer);
            eventType = WebhookProvider.TextAt(document.RootElement, definition.EventTypePointer);
        }
        catch (JsonException e)
        {
            // Where, never what: the body is payment data.
            return Problem.MalformedJson($"the event is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})");
        }

        if (eventId is not { Length: > 0 and <= 255 } || eventType is not { Length: > 0 and <= 255 })
        {
            var missing = eventId is not { Length: > 0 and <= 255 } ? ("event id", definition.EventIdPointer) : ("event type", definition.EventTypePointer);
            return Problem.Validation(missing.Item2, $"the event has no {missing.Item1} (a string of 1 to 255 characters) at {missing.Item2}");
        }

        var receipt = await events.StoreAsync(
            new WebhookDelivery(check.Secret!.TenantId, definition.Name, eventId, eventType, check.SignedAt, body), cancellationToken);
        var status = receipt.Intake.ToString().ToLowerInvariant();
        var logger = loggers.CreateLogger("LambdaRecon.Api.Webhooks");
        if (receipt.Intake == WebhookIntake.Conflict)
        {
            Log.Conflict(logger, definition.Name, eventId, receipt.Id);
        }
        else
        {
            Log.Received(logger, definition.Name, eventId, eventType, status, receipt.Id);
            // Processing is WebhookFunction's, through the queue: the answer waits for one insert and one send. A redelivery
            // is sent too (its deduplication id is the stored event's, and the processor leaves a finished event alone), so one
            // whose processing failed or never ran is processed now. The event is durable: a failed send changes nothing in the
            // answer, and the reconciler's sweep processes what has no outcome after a minute (docs/webhooks.md).
            try
            {
                await publisher.PublishAsync(receipt.Id, check.Secret.TenantId, definition.Name, cancellationToken);
            }
            catch (QueueUnavailableException e)
            {
                Log.SendFailed(logger, definition.Name, eventId, receipt.Id, e);
            }
        }

        return TypedResults.Ok(new WebhookAck(receipt.Id, definition.Name, eventId, eventType, status));
    }

    /// <summary>The tenant's events, newest first; filters provider, type, status, since, until (received time); <c>limit</c> 1–500 (100).</summary>
    public static async Task<IResult> ListAsync(
        string? provider, string? type, string? status, DateTimeOffset? since, DateTimeOffset? until, int? limit, string? cursor, HttpContext http,
        WebhookEventStore events, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > WebhookEventStore.MaxPageSize)
        {
            return Problem.Validation("limit", $"'limit' must be between 1 and {WebhookEventStore.MaxPageSize}");
        }

        Guid? before = null;
        if (cursor is not null)
        {
            if (!Guid.TryParse(cursor, out var parsed))
            {
                return Problem.Validation("cursor", "the cursor is the next_cursor of the previous page");
            }

            before = parsed;
        }

        if (status is not null && !WebhookEventStore.Statuses.Contains(status))
        {
            return Problem.Validation("status", $"'status' is one of {string.Join(", ", WebhookEventStore.Statuses)}");
        }

        var (page, next) = await events.ListAsync(
            http.Client().TenantId, new WebhookEventFilter(provider, type, status, since, until, before), limit ?? 100, cancellationToken);
        return TypedResults.Ok(new WebhookEventListResponse([.. page.Select(e => View(e))], next?.ToString()));
    }

    /// <summary>One event: what was received (payload), its status and last outcome, and any conflicting deliveries.</summary>
    public static async Task<IResult> GetAsync(Guid id, HttpContext http, WebhookEventStore events, CancellationToken cancellationToken)
    {
        if (await events.GetAsync(http.Client().TenantId, id, cancellationToken) is not { } found)
        {
            return Problem.NotFound("Webhook event", $"webhook event {id} does not exist");
        }

        using var payload = JsonDocument.Parse(found.Body);
        return TypedResults.Ok(View(found.Event, payload.RootElement.Clone(),
            [.. found.Conflicts.Select(c => new WebhookConflictView(c.Id, c.SignedAt, c.ReceivedAt, c.BodySha256, c.BodyBytes))]));
    }

    private static WebhookEventView View(StoredWebhookEvent e, JsonElement? payload = null, IReadOnlyList<WebhookConflictView>? conflicts = null)
    {
        JsonElement? outcome = null;
        if (e.Outcome is { } text)
        {
            using var document = JsonDocument.Parse(text);
            outcome = document.RootElement.Clone();
        }

        return new WebhookEventView(e.Id, e.Provider, e.EventId, e.EventType, e.SignedAt, e.ReceivedAt, e.BodySha256, e.BodyBytes, e.Status, outcome,
            e.OutcomeAt, e.Conflicts, payload, conflicts);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {Provider} {EventId} ({EventType}): {Intake} as {WebhookEventId}")]
        public static partial void Received(ILogger logger, string provider, string eventId, string eventType, string intake, Guid webhookEventId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Provider} {EventId} was delivered again with other bytes: kept as a conflict of {WebhookEventId}, not applied")]
        public static partial void Conflict(ILogger logger, string provider, string eventId, Guid webhookEventId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Provider} {EventId} was stored as {WebhookEventId} and acknowledged, but not queued: the sweep processes it")]
        public static partial void SendFailed(ILogger logger, string provider, string eventId, Guid webhookEventId, Exception exception);
    }
}
