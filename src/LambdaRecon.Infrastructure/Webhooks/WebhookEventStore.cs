using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace LambdaRecon.Infrastructure.Webhooks;

/// <summary>A verified delivery, as it is stored: the tenant is the one whose secret signed it.</summary>
public sealed record WebhookDelivery(string TenantId, string Provider, string EventId, string EventType, DateTimeOffset? SignedAt, byte[] Body);

public enum WebhookIntake
{
    /// <summary>A new event.</summary>
    Stored,

    /// <summary>The same event id with the same bytes: nothing changed.</summary>
    Duplicate,

    /// <summary>The same event id with other bytes: kept as a conflict of the stored event, never applied.</summary>
    Conflict,
}

public sealed record WebhookReceipt(Guid Id, WebhookIntake Intake);

/// <summary>A delivery that reused a stored event's id with other bytes.</summary>
public sealed record WebhookConflict(Guid Id, DateTimeOffset? SignedAt, DateTimeOffset ReceivedAt, string BodySha256, int BodyBytes);

/// <summary>A stored event and its status: the last outcome processing appended, or 'received' before any.</summary>
public sealed record StoredWebhookEvent(
    Guid Id, string Provider, string EventId, string EventType, DateTimeOffset? SignedAt, DateTimeOffset ReceivedAt, string BodySha256, int BodyBytes,
    string Status, string? Outcome, DateTimeOffset? OutcomeAt, long Conflicts);

/// <summary>Filters of GET /webhooks/events; null is any.</summary>
public sealed record WebhookEventFilter(string? Provider, string? Type, string? Status, DateTimeOffset? Since, DateTimeOffset? Until, Guid? Before);

/// <summary>
/// The append-only record of webhook deliveries (migration 13): an event is stored once per tenant,
/// provider and event id; a redelivery of the same bytes is recognised, and other bytes under the same id
/// are a conflict stored beside it.
/// </summary>
public sealed class WebhookEventStore(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 500;

    public static readonly string[] Statuses = ["received", "processed", "held", "ignored", "failed", "no-clearing-account", "orphaned"];

    public async Task<WebhookReceipt> StoreAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var sha = SHA256.HashData(delivery.Body);
        await using (var insert = dataSource.CreateCommand(
            """
            INSERT INTO webhook_events (id, tenant_id, provider, event_id, event_type, signed_at, body, body_sha256)
            VALUES (@id, @tenant, @provider, @event_id, @type, @signed_at, @body, @sha)
            ON CONFLICT (tenant_id, provider, event_id) DO NOTHING
            RETURNING id
            """))
        {
            insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("tenant", delivery.TenantId);
            insert.Parameters.AddWithValue("provider", delivery.Provider);
            insert.Parameters.AddWithValue("event_id", delivery.EventId);
            insert.Parameters.AddWithValue("type", delivery.EventType);
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("signed_at", delivery.SignedAt) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
            insert.Parameters.AddWithValue("body", delivery.Body);
            insert.Parameters.AddWithValue("sha", sha);
            if (await insert.ExecuteScalarAsync(cancellationToken) is Guid id)
            {
                return new WebhookReceipt(id, WebhookIntake.Stored);
            }
        }

        // The id is stored: the same bytes are a redelivery, other bytes a conflict, kept once per distinct body.
        await using var existing = dataSource.CreateCommand(
            """
            WITH stored AS (
                SELECT id, body_sha256 = @sha AS same FROM webhook_events WHERE tenant_id = @tenant AND provider = @provider AND event_id = @event_id
            ), conflict AS (
                INSERT INTO webhook_event_conflicts (id, event_id, signed_at, body, body_sha256)
                SELECT @conflict_id, id, @signed_at, @body, @sha FROM stored WHERE NOT same
                ON CONFLICT (event_id, body_sha256) DO NOTHING
            )
            SELECT id, same FROM stored
            """);
        existing.Parameters.AddWithValue("tenant", delivery.TenantId);
        existing.Parameters.AddWithValue("provider", delivery.Provider);
        existing.Parameters.AddWithValue("event_id", delivery.EventId);
        existing.Parameters.AddWithValue("conflict_id", Guid.CreateVersion7());
        existing.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("signed_at", delivery.SignedAt) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        existing.Parameters.AddWithValue("body", delivery.Body);
        existing.Parameters.AddWithValue("sha", sha);
        await using var reader = await existing.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new WebhookReceipt(reader.GetGuid(0), reader.GetBoolean(1) ? WebhookIntake.Duplicate : WebhookIntake.Conflict)
            : throw new InvalidOperationException("a webhook event insert conflicted, yet no stored event holds its id");
    }

    private const string EventColumns =
        """
        e.id, e.provider, e.event_id, e.event_type, e.signed_at, e.received_at, e.body_sha256, length(e.body),
        coalesce(o.status, 'received'), o.detail::text, o.at, (SELECT count(*) FROM webhook_event_conflicts c WHERE c.event_id = e.id)
        """;

    private const string EventsWithStatus =
        """
        FROM webhook_events e
        LEFT JOIN LATERAL (SELECT status, detail, at FROM webhook_event_outcomes WHERE event_id = e.id ORDER BY id DESC LIMIT 1) o ON true
        """;

    /// <summary>
    /// The tenant's events matching <paramref name="filter"/>, newest first, at most <paramref name="limit"/>, and the cursor
    /// of the next page: null when none follows (one row past the page is read to know).
    /// </summary>
    public async Task<(IReadOnlyList<StoredWebhookEvent> Events, Guid? NextCursor)> ListAsync(
        string tenantId, WebhookEventFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {EventColumns} {EventsWithStatus}
            WHERE e.tenant_id = @tenant
              AND (@provider::text IS NULL OR e.provider = @provider)
              AND (@type::text IS NULL OR e.event_type = @type)
              AND (@status::text IS NULL OR coalesce(o.status, 'received') = @status)
              AND (@since::timestamptz IS NULL OR e.received_at >= @since)
              AND (@until::timestamptz IS NULL OR e.received_at < @until)
              AND (@before::uuid IS NULL OR e.id < @before)
            ORDER BY e.id DESC
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.Add(new NpgsqlParameter<string?>("provider", filter.Provider) { NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?>("type", filter.Type) { NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?>("status", filter.Status) { NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("since", filter.Since) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("until", filter.Until) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<Guid?>("before", filter.Before) { NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue("limit", limit + 1);
        var events = new List<StoredWebhookEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(Read(reader));
        }

        return events.Count > limit ? (events[..limit], events[limit - 1].Id) : (events, null);
    }

    /// <summary>One of the tenant's events with its raw body and its conflicts; null for another tenant's, as for a missing one.</summary>
    public async Task<(StoredWebhookEvent Event, byte[] Body, IReadOnlyList<WebhookConflict> Conflicts)?> GetAsync(
        string tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT {EventColumns}, e.body {EventsWithStatus} WHERE e.tenant_id = @tenant AND e.id = @id")
        {
            Parameters = { new NpgsqlParameter("tenant", tenantId), new NpgsqlParameter("id", id) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            SELECT c.id, c.signed_at, c.received_at, c.body_sha256, length(c.body)
              FROM webhook_event_conflicts c JOIN webhook_events e ON e.id = c.event_id
             WHERE e.tenant_id = @tenant AND c.event_id = @id
             ORDER BY c.id
            """)
        {
            Parameters = { new NpgsqlParameter("tenant", tenantId), new NpgsqlParameter("id", id) },
        });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var stored = Read(reader);
        var body = reader.GetFieldValue<byte[]>(12);
        await reader.NextResultAsync(cancellationToken);
        var conflicts = new List<WebhookConflict>();
        while (await reader.ReadAsync(cancellationToken))
        {
            conflicts.Add(new WebhookConflict(
                reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(3)), reader.GetInt32(4)));
        }

        return (stored, body, conflicts);
    }

    private static StoredWebhookEvent Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5),
        Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(6)), reader.GetInt32(7), reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10), reader.GetInt64(11));
}
