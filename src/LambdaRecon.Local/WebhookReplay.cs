using System.Globalization;
using System.Text.Json;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LambdaRecon.Local;

/// <summary>
/// `webhooks replay --since &lt;time&gt; [--until &lt;time&gt;] [--provider stripe] [--tenant &lt;id&gt;]`: processes again the
/// events of DATABASE_URL's database received in [since, until), oldest first, even those already processed or
/// ignored (forced: a newer version may read what an older one ignored). Records are keyed by Stripe's balance
/// transactions, so a replay adds none that is there; it appends one outcome per event it applies (docs/webhooks.md).
/// One JSON line per event on stdout; a summary on stderr.
/// </summary>
public static class WebhookReplay
{
    private const int Page = 500;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.FirstOrDefault() != "replay")
        {
            throw new ArgumentException("webhooks needs replay --since <ISO time> [--until <ISO time>] [--provider stripe] [--tenant <id>]");
        }

        var options = new Dictionary<string, string>();
        for (var i = 1; i < args.Length; i += 2)
        {
            options[args[i] is "--since" or "--until" or "--provider" or "--tenant" && i + 1 < args.Length
                ? args[i] : throw new ArgumentException($"webhooks replay: '{args[i]}' is not an option with a value")] = args[i + 1];
        }

        var since = Time(options.GetValueOrDefault("--since") ?? throw new ArgumentException("webhooks replay needs --since <ISO time>"));
        var until = options.TryGetValue("--until", out var u) ? Time(u) : (DateTimeOffset?)null;
        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var processor = services.GetRequiredService<WebhookEventProcessor>();
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        Guid? after = null;
        while (true)
        {
            var page = new List<(Guid Id, string EventId, string Type)>();
            await using (var command = dataSource.CreateCommand(
                """
                SELECT id, event_id, event_type FROM webhook_events
                 WHERE received_at >= @since AND (@until::timestamptz IS NULL OR received_at < @until)
                   AND (@provider::text IS NULL OR provider = @provider) AND (@tenant::text IS NULL OR tenant_id = @tenant)
                   AND (@after::uuid IS NULL OR id > @after)
                 ORDER BY id LIMIT @page
                """))
            {
                command.Parameters.AddWithValue("since", since);
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("until", until) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
                command.Parameters.Add(new NpgsqlParameter<string?>("provider", options.GetValueOrDefault("--provider")) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<string?>("tenant", options.GetValueOrDefault("--tenant")) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<Guid?>("after", after) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
                command.Parameters.AddWithValue("page", Page);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    page.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
                }
            }

            // A page's events are one batch: each clearing account they record to is reconciled once per page.
            var batch = new WebhookEventProcessor.Batch();
            foreach (var (id, eventId, type) in page)
            {
                var outcome = await processor.ProcessAsync(id, batch, CancellationToken.None, force: true);
                counts[outcome.Status] = counts.GetValueOrDefault(outcome.Status) + 1;
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["id"] = id, ["event_id"] = eventId, ["type"] = type, ["status"] = outcome.Status, ["records_added"] = outcome.Imported,
                }));
            }

            await processor.ReconcileAsync(batch, CancellationToken.None);
            if (page.Count < Page)
            {
                break;
            }

            after = page[^1].Id;
        }

        await Console.Error.WriteLineAsync(
            $"replayed {counts.Values.Sum()} events" + string.Concat(counts.Select(c => $", {c.Key} {c.Value}")));
        return 0;
    }

    private static DateTimeOffset Time(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new FormatException($"'{text}' is not an ISO 8601 time (2025-01-31T00:00:00Z)");
}
