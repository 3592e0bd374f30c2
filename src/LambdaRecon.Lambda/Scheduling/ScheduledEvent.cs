using System.Text.Json;
using System.Text.Json.Serialization;

namespace LambdaRecon.Lambda.Scheduling;

/// <summary>The event an EventBridge schedule rule sends; its <see cref="Time"/> is the instant the rule fired.</summary>
public sealed record ScheduledEvent
{
    // Stands in for a missing detail, which a schedule rule would have sent as the empty object.
    private static readonly JsonElement EmptyDetail = JsonElement.Parse("{}");

    public string? Version { get; init; }

    public required string Id { get; init; }

    [JsonPropertyName("detail-type")]
    public required string DetailType { get; init; }

    public required string Source { get; init; }

    public string? Account { get; init; }

    public required DateTimeOffset Time { get; init; }

    public string? Region { get; init; }

    /// <summary>The ARN of the rule that fired.</summary>
    // Coerced in init: the source generator sets an init-only property the JSON lacks to default, past any initializer.
    public IReadOnlyList<string> Resources { get; init => field = value ?? []; } = [];

    public JsonElement Detail { get; init => field = value.ValueKind == JsonValueKind.Undefined ? EmptyDetail : value; } = EmptyDetail;
}
