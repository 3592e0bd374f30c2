using System.Text;
using System.Text.Json;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>
/// `invoke LedgerWorkerFunction --event …`: an SQS FIFO event file, as the event source mapping would hand it
/// over, through the template's handler string, against DATABASE_URL's ledger.
/// </summary>
public class LedgerWorkerInvokeTests
{
    private const string MalformedMessageId = "2e1424d4-f796-459a-8184-9c92662be6da";

    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    [Fact]
    public async Task A_batch_with_a_valid_transfer_and_a_malformed_record_posts_the_transfer_and_reports_only_the_malformed_one_failed()
    {
        var p = "lw" + Guid.NewGuid().ToString("N")[..10];
        var transactionId = Guid.NewGuid();
        var api = await ApiFunctionClient.CreateAsync();
        Assert.Equal(201, (await api.OpenAccountAsync(p + "-from", overdraftLimit: null)).StatusCode);
        Assert.Equal(201, (await api.OpenAccountAsync(p + "-to")).StatusCode);
        // The fixture names its accounts and transaction by placeholder: the ledger is shared by every test of
        // the process, so each run fills in ids of its own.
        var sqsEvent = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Events", "sqs-fifo-transfer-and-malformed.json")))
            .Replace("__TRANSACTION_ID__", transactionId.ToString(), StringComparison.Ordinal)
            .Replace("__SOURCE__", p + "-from", StringComparison.Ordinal)
            .Replace("__DESTINATION__", p + "-to", StringComparison.Ordinal)
            .Replace("__MALFORMED_GROUP__", p + "-junk", StringComparison.Ordinal);

        var invoker = new FunctionInvoker(Template.Function("LedgerWorkerFunction"));
        await using var input = new MemoryStream(Encoding.UTF8.GetBytes(sqsEvent));
        await using var output = await invoker.HandleAsync(input);
        var response = (await JsonDocument.ParseAsync(output)).RootElement;

        Assert.Equal(
            [MalformedMessageId],
            response.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()));
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        await using var status = dataSource.CreateCommand("SELECT status::text FROM transactions WHERE id = @id");
        status.Parameters.AddWithValue("id", transactionId);
        Assert.Equal("POSTED", await status.ExecuteScalarAsync());
        await using var entries = dataSource.CreateCommand("SELECT account_id, amount FROM ledger_entries WHERE transaction_id = @id ORDER BY amount");
        entries.Parameters.AddWithValue("id", transactionId);
        await using var reader = await entries.ExecuteReaderAsync();
        var posted = new List<(string, long)>();
        while (await reader.ReadAsync())
        {
            posted.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        Assert.Equal([(p + "-from", -4250L), (p + "-to", 4250L)], posted);
    }
}
