using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>What the scheduled run tells an operator: its lines with the run id, and its EMF document.</summary>
public sealed class ScheduledReportTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "sr" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_run_over_a_known_ledger_writes_its_counts_in_one_EMF_document_and_a_line_per_account_with_something_unmatched()
    {
        // This fixture's database holds only what the test makes: a payer, a bank account paid once, a statement
        // for the bank with that payment (matched by reference) and a deposit nobody booked, and a transfer
        // recorded ten minutes ago that never reached the queue.
        var payer = await api.OpenAccountAsync(_p + "-payer", overdraftLimit: null);
        var bank = await api.OpenAccountAsync(_p + "-bank");
        await api.DrainQueueAsync();
        using var client = api.Client();
        using (var paid = await client.PostAsync("/api/v1/transactions", Json(
            $$"""{"transaction":{"source_account_id":"{{payer}}","destination_account_id":"{{bank}}","amount":"10.00"},"idempotencyKey":"{{_p}}-inv"}""")))
        {
            Assert.Equal(HttpStatusCode.Accepted, paid.StatusCode);
        }

        await api.PostQueuedAsync();
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using (var imported = await client.PostAsync($"/api/v1/statements?account_id={bank}&format=csv",
            new StringContent($"Date,Amount,Currency,Reference\n{today},10.00,USD,{_p}-inv\n{today},99.00,USD,unknown deposit\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        }

        await api.Database.ExecuteAsync(
            $"""
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id, accepted_at)
            VALUES ('{Guid.NewGuid()}', 'transfer', 500, 'USD', '{payer}', '{bank}', now() - interval '10 minutes')
            """);
        var logs = new StringWriter();
        var output = new StringWriter();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(new JsonLineLoggerProvider(() => logs)));

        var summary = await api.Factory.Services.GetRequiredService<ScheduledReconciliation>().RunAsync("test", CancellationToken.None);
        ScheduledReconciliation.Report(summary, "event-1", factory.CreateLogger("Reconcile"), new EmbeddedMetrics("ReconcileFunction", "test", () => output));

        var document = JsonDocument.Parse(output.ToString()).RootElement;
        var names = Assert.Single(document.GetProperty("_aws").GetProperty("CloudWatchMetrics").EnumerateArray())
            .GetProperty("Metrics").EnumerateArray().Select(m => m.GetProperty("Name").GetString()!).ToArray();
        var values = names.ToDictionary(n => n, n => document.GetProperty(n).GetInt64());
        // The payer's payment has no statement line (its own account has no statement); the bank's is matched;
        // the deposit is unmatched; each unmatched item is an open break; the stuck transfer went out again.
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["ReconciliationDifferences"] = 0, ["UnmatchedInternal"] = 1, ["UnmatchedExternal"] = 1, ["AmountMismatches"] = 0,
                ["OpenBreaks"] = 2, ["StuckRepublished"] = 1, ["DlqDepth"] = 0, ["AccountsReconciled"] = 2,
            },
            values);
        Assert.Equal(summary.RunId.ToString(), document.GetProperty("run_id").GetString());

        var lines = logs.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.All(lines, l => Assert.Equal(summary.RunId.ToString(), l.GetProperty("run_id").GetString()));
        Assert.Equal(("Finished", 1L), (lines[0].GetProperty("event").GetString(), lines[0].GetProperty("republished").GetInt64()));
        Assert.Equal(
            [(bank, 0, 1), (payer, 1, 0)],
            lines.Skip(1).Select(l => (l.GetProperty("account_id").GetString(), l.GetProperty("unmatched_internal").GetInt32(), l.GetProperty("unmatched_external").GetInt32())));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
