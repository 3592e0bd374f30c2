using System.Diagnostics;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace LambdaRecon.Infrastructure.Tests.Reconciliation;

/// <summary>The sweep after a lost queue: thousands of stuck transactions sent again in one run, ten per call, in each group's order.</summary>
public sealed class PipelineSweepBatchTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Stuck = 2_345;
    private const int Groups = 7;

    private TestDatabase _database = null!;
    private EngineResources _resources = null!;
    private TestQueues _queues = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _resources = new EngineResources(TestEnvironment.Settings(_database.ConnectionString));
        _queues = await TestQueues.CreateAsync(_resources.Sqs);
        // Accepted ten minutes ago, one second apart, and never posted: what a purged queue or a restarted
        // emulator leaves; plus one accepted just now, which is not stuck yet, and one already decided.
        await _database.ExecuteAsync(
            $"""
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id, accepted_at)
            SELECT gen_random_uuid(), 'transfer', n, 'USD', 'src-' || (n % {Groups}), 'dst', now() - interval '1 hour' + n * interval '1 second'
              FROM generate_series(1, {Stuck}) AS n;
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id)
            VALUES (gen_random_uuid(), 'transfer', 1, 'USD', 'src-0', 'dst');
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id, status, failed_at, failure_code, accepted_at)
            VALUES (gen_random_uuid(), 'transfer', 1, 'USD', 'src-0', 'dst', 'FAILED', now(), 'insufficient_funds', now() - interval '2 hours');
            """);
    }

    public async Task DisposeAsync()
    {
        await _resources.DisposeAsync();
        await _database.DisposeAsync();
    }

    private PipelineSweep Sweep() =>
        new(_resources, new TransactionPublisher(_resources.Sqs, _queues.QueueUrl), NullLogger<PipelineSweep>.Instance);

    [Fact]
    public async Task One_run_republishes_every_stuck_transaction_in_batches_and_a_second_run_adds_no_message()
    {
        var watch = Stopwatch.StartNew();
        var first = await Sweep().RepublishStuckAsync(CancellationToken.None);
        var seconds = watch.Elapsed.TotalSeconds;
        var second = await Sweep().RepublishStuckAsync(CancellationToken.None);
        var onQueue = (await _resources.Sqs.GetQueueAttributesAsync(_queues.QueueUrl, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages;
        output.WriteLine($"republished {first.Count} stuck transactions in {seconds:0.0} s ({first.Count / seconds * 60:0} per minute)");

        Assert.Equal(Stuck, first.Count);
        Assert.Equal(Stuck, first.Distinct().Count());
        Assert.Equal(Stuck, await _database.ScalarAsync<long>("SELECT count(*) FROM transactions WHERE published_at IS NOT NULL AND message_id IS NOT NULL"));
        // The second run sends them all again, and SQS drops each as a repeat of its deduplication id.
        Assert.Equal(Stuck, second.Count);
        Assert.Equal(Stuck, onQueue);
    }

    [Fact]
    public async Task Each_group_comes_off_the_queue_in_the_order_its_transactions_were_accepted()
    {
        await Sweep().RepublishStuckAsync(CancellationToken.None);
        var amountsByGroup = new Dictionary<string, List<long>>();
        for (var seen = 0; seen < 200;)
        {
            var messages = (await _resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = _queues.QueueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 600,
            })).Messages ?? [];
            Assert.NotEmpty(messages);
            foreach (var message in messages)
            {
                var transaction = TransactionMessage.TryParse(message.Body)!;
                (amountsByGroup.TryGetValue(transaction.SourceAccountId, out var list) ? list : amountsByGroup[transaction.SourceAccountId] = []).Add(transaction.AmountMinor);
                seen++;
            }

            // Deleted as a consumer does: a FIFO group gives nothing more while a message of it is in flight.
            await _resources.Sqs.DeleteMessageBatchAsync(_queues.QueueUrl,
                messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList());
        }

        // Amount n was accepted n seconds after the first: within a group the amounts must rise.
        Assert.All(amountsByGroup.Values, amounts => Assert.Equal(amounts.Order(), amounts));
    }
}
