using System.Text.Json;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>`invoke`: one entry point on an event file, through the handler string, as Lambda would call it.</summary>
public class InvokeTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    private static async Task<JsonElement> InvokeAsync(string function, string eventFile) =>
        await InvokeAsync(function, File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Events", eventFile)));

    private static async Task<JsonElement> InvokeAsync(string function, Stream input)
    {
        var invoker = new FunctionInvoker(Template.Function(function));
        await using (input)
        {
            await using var output = await invoker.HandleAsync(input);
            return (await JsonDocument.ParseAsync(output)).RootElement.Clone();
        }
    }

    [Fact]
    public async Task The_api_function_answers_an_http_api_event()
    {
        TestEnvironment.Require("DATABASE_URL");

        var response = await InvokeAsync("ApiFunction", "http-api-v2-health.json");

        Assert.Equal(200, response.GetProperty("statusCode").GetInt32());
        Assert.Contains("\"ok\"", response.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Two accounts with postings since the last schedule, one of them with an imported statement: the scheduled
    /// run reconciles each, with exactly the matches the statement allows, stores a run per account, and the next
    /// schedule, with nothing new, leaves both alone.
    /// </summary>
    [Fact]
    public async Task The_reconcile_function_reconciles_every_account_with_activity_since_the_last_schedule_against_its_statement()
    {
        var p = "sched" + Guid.NewGuid().ToString("N")[..10];
        var (payer, bank) = (p + "-payer", p + "-bank");
        var api = await ApiFunctionClient.CreateAsync();
        Assert.Equal(201, (await api.OpenAccountAsync(payer, overdraftLimit: null)).StatusCode);
        Assert.Equal(201, (await api.OpenAccountAsync(bank)).StatusCode);
        TransactionRecord Payment(long minor) => new(Guid.NewGuid(), TransactionType.Transfer, minor, "USD", payer, bank);
        var (invoice, unreferenced, unbooked) = (Payment(4_250), Payment(1_000), Payment(700));
        var worker = await InvokeAsync("LedgerWorkerFunction", SqsEventOf(invoice, unreferenced, unbooked));
        Assert.Empty(worker.GetProperty("batchItemFailures").EnumerateArray());
        // The bank's statement: the invoice by its end-to-end id, the other payment by amount and date, a deposit nobody booked.
        var statement = Path.GetTempFileName();
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(statement,
            $"Date,Amount,Currency,End To End Id,Description\n{today},42.50,USD,{invoice.Id},invoice\n{today},10.00,USD,,transfer\n{today},99.00,USD,,unknown deposit\n");
        Assert.Equal(0, await Commands.RunAsync(["import-statement", "--account", bank, "--format", "csv", "--file", statement]));

        var summary = await InvokeAsync("ReconcileFunction", "scheduled-event.json");
        var again = await InvokeAsync("ReconcileFunction", "scheduled-event.json");

        Assert.NotEqual(Guid.Empty, summary.GetProperty("run_id").GetGuid());
        var runs = summary.GetProperty("accounts").EnumerateArray()
            .Where(a => a.GetProperty("account_id").GetString()!.StartsWith(p, StringComparison.Ordinal))
            .ToDictionary(a => a.GetProperty("account_id").GetString()!);
        Assert.Equal([bank, payer], runs.Keys.Order(StringComparer.Ordinal));
        static (int, int, int, int, int) Counts(JsonElement run) => (
            run.GetProperty("matched").GetInt32(), run.GetProperty("unmatched_internal").GetInt32(), run.GetProperty("unmatched_external").GetInt32(),
            run.GetProperty("amount_mismatches").GetInt32(), run.GetProperty("differences").GetInt32());
        Assert.Equal((2, 1, 1, 0, 0), Counts(runs[bank]));
        Assert.Equal((0, 3, 0, 0, 0), Counts(runs[payer]));
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        await using (var stored = dataSource.CreateCommand(
            """
            SELECT m.rule || ':' || coalesce(m.transaction_id::text, m.line_id)
              FROM reconciliation_matches m JOIN reconciliation_runs r ON r.id = m.run_id
             WHERE r.id = @run AND r.kind = 'scheduled' AND r.account_id = @bank AND r.triggered_by = 'schedule:cdc73f9d-aea9-11e3-9d5a-835b769c0d9c'
             ORDER BY 1
            """))
        {
            stored.Parameters.AddWithValue("run", runs[bank].GetProperty("run_id").GetGuid());
            stored.Parameters.AddWithValue("bank", bank);
            await using var reader = await stored.ExecuteReaderAsync();
            var matches = new List<string>();
            while (await reader.ReadAsync())
            {
                matches.Add(reader.GetString(0));
            }

            Assert.Equal(4, matches.Count);
            Assert.Contains($"EndToEndId:{invoice.Id}", matches);
            Assert.Contains($"AmountAndDate:{unreferenced.Id}", matches);
        }

        Assert.DoesNotContain(again.GetProperty("accounts").EnumerateArray(), a => a.GetProperty("account_id").GetString()!.StartsWith(p, StringComparison.Ordinal));
    }

    /// <summary>An SQS FIFO event as the event source mapping hands the worker these transactions, published by TransactionPublisher.</summary>
    private static Stream SqsEventOf(params TransactionRecord[] transactions) =>
        LambdaPayload.Write(
            new SqsEvent
            {
                Records = [.. transactions.Select(t => new SqsMessage
                {
                    MessageId = Guid.NewGuid().ToString(),
                    ReceiptHandle = "AQEB" + Guid.NewGuid().ToString("N"),
                    Body = TransactionMessage.From(t).ToJson(),
                    Attributes = new Dictionary<string, string>
                    {
                        ["ApproximateReceiveCount"] = "1",
                        ["MessageGroupId"] = t.SourceAccountId,
                        ["MessageDeduplicationId"] = t.Id.ToString("N"),
                    },
                    EventSource = "aws:sqs",
                    EventSourceArn = "arn:aws:sqs:us-east-1:123456789012:transactions.fifo",
                    AwsRegion = "us-east-1",
                })],
            },
            LambdaJsonContext.Default.SqsEvent);
}
