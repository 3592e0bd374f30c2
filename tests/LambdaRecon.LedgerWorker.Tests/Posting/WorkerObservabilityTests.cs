using System.Text.Json;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Posting;
using Microsoft.Extensions.Logging;
using static LambdaRecon.LedgerWorker.Tests.WorkerFixture;

namespace LambdaRecon.LedgerWorker.Tests.Posting;

/// <summary>What an operator sees of one batch: a line per message naming its request, and one EMF document.</summary>
public sealed class WorkerObservabilityTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private readonly string _p = Prefix();

    [Fact]
    public async Task A_batch_of_two_posted_one_refused_by_the_rules_and_one_malformed_writes_those_counts_and_each_latency_in_one_EMF_document()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 10_000);
        var bob = await worker.OpenAsync(_p + "-bob");
        var posted1 = Transfer(alice, bob, 1_000);
        var posted2 = Transfer(alice, bob, 2_000);
        var refused = Transfer(bob, alice, 1_000_000);
        await AcceptedSecondsAgoAsync(5, posted1, posted2, refused);
        var output = new StringWriter();
        var handler = new SqsBatchHandler(worker.Store, new EmbeddedMetrics("LedgerWorkerFunction", "test", () => output), worker.Logs.CreateLogger<SqsBatchHandler>());

        var failed = await FailedIdsAsync(handler, Record(posted1), Record(posted2), Record(refused), Record("not json", _p + "-other"));

        Assert.Single(failed);
        var document = JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        var directive = Assert.Single(document.GetProperty("_aws").GetProperty("CloudWatchMetrics").EnumerateArray());
        Assert.Equal("LambdaRecon", directive.GetProperty("Namespace").GetString());
        Assert.Equal("[[\"FunctionName\",\"Environment\"]]", directive.GetProperty("Dimensions").GetRawText());
        Assert.Equal(("LedgerWorkerFunction", "test"), (document.GetProperty("FunctionName").GetString(), document.GetProperty("Environment").GetString()));
        // Every metric the directive names has its value at the root, as EMF requires, and no other.
        var named = directive.GetProperty("Metrics").EnumerateArray().ToDictionary(m => m.GetProperty("Name").GetString()!, m => m.GetProperty("Unit").GetString());
        Assert.Equal(
            ["AcceptedToPostedLatency", "AlreadyFinal", "BatchSize", "Failed", "Failed.insufficient_funds", "Posted", "TechnicalFailures"],
            named.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Milliseconds", named["AcceptedToPostedLatency"]);
        Assert.Equal(
            (4, 2, 1, 1, 0, 1),
            (Count("BatchSize"), Count("Posted"), Count("Failed"), Count("Failed.insufficient_funds"), Count("AlreadyFinal"), Count("TechnicalFailures")));
        // Accepted five seconds before the batch: each decided transaction's latency is that, not the batch's own time.
        var latencies = document.GetProperty("AcceptedToPostedLatency").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(3, latencies.Length);
        Assert.All(latencies, ms => Assert.InRange(ms, 5_000, 60_000));

        int Count(string name) => document.GetProperty(name).GetInt32();
    }

    [Fact]
    public async Task Each_message_outcome_is_an_Information_line_with_the_transaction_the_group_and_the_request_that_published_it()
    {
        var alice = await worker.FundedAsync(_p + "-alice", 10_000);
        var bob = await worker.OpenAsync(_p + "-bob");
        var posted = Transfer(alice, bob, 1_000);
        var refused = Transfer(bob, alice, 1_000_000);
        var postedRecord = WithRequestId(Record(posted), "req-posted");
        var refusedRecord = WithRequestId(Record(refused), "req-refused");

        Assert.Empty(await worker.FailedIdsAsync(postedRecord, refusedRecord));

        var postedLine = Assert.Single(worker.Logs.About(postedRecord.MessageId));
        Assert.Equal((LogLevel.Information, "Posted"), (postedLine.Level, postedLine.EventName));
        Assert.Equal(posted.Id, postedLine.Fields["TransactionId"]);
        Assert.Equal(alice, postedLine.Fields["MessageGroupId"]);
        Assert.Equal("req-posted", postedLine.Fields["RequestId"]);
        Assert.IsType<double>(postedLine.Fields["LatencyMs"]);
        var refusedLine = Assert.Single(worker.Logs.About(refusedRecord.MessageId));
        Assert.Equal((LogLevel.Information, "FailedByRules"), (refusedLine.Level, refusedLine.EventName));
        Assert.Equal(FailureCodes.InsufficientFunds, refusedLine.Fields["FailureCode"]);
        Assert.Equal("req-refused", refusedLine.Fields["RequestId"]);
    }

    // What the API does before it publishes: the transaction recorded ACCEPTED, here some seconds ago.
    private async Task AcceptedSecondsAgoAsync(int seconds, params TransactionRecord[] transactions)
    {
        foreach (var t in transactions)
        {
            await worker.Database.ExecuteAsync(
                $"""
                INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id, accepted_at)
                VALUES ('{t.Id}', '{LedgerStore.TypeText(t.Type)}', {t.Amount}, '{t.Currency}', '{t.SourceAccountId}', '{t.DestinationAccountId}',
                        now() - interval '{seconds} seconds')
                """);
        }
    }

    private static SqsMessage WithRequestId(SqsMessage message, string requestId) => message with
    {
        MessageAttributes = new Dictionary<string, SqsMessageAttributeValue>
        {
            [TransactionPublisher.RequestIdAttribute] = new() { DataType = "String", StringValue = requestId },
        },
    };
}
