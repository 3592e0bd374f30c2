using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using static LambdaRecon.LedgerWorker.Tests.WorkerFixture;

namespace LambdaRecon.LedgerWorker.Tests;

/// <summary>
/// Order under failure: each group's transfers draw on one account that may not go below zero, so which
/// of them post depends on the order they are applied in. Whatever fails on the way, the ledger must end
/// as if each group had been posted alone, in the order it was published.
/// </summary>
public sealed class FifoDeliveryTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task A_thousand_transfers_over_ten_groups_delivered_as_sqs_fifo_does_through_injected_failures_end_as_a_serial_replay_of_each_group()
    {
        var scenario = await Scenario.CreateAsync(worker, groups: 10, transfersPerGroup: 100);
        var queue = new FifoQueueModel(scenario.Transfers.Select(t => Record(t)), new Random(11));
        var injector = new FailureInjector(worker, new Random(7));

        for (var deliveries = 0; queue.NextBatch() is { } batch; deliveries++)
        {
            Assert.True(deliveries < 5_000, "the queue did not drain");
            await using var input = LambdaPayload.Write(batch, LambdaJsonContext.Default.SqsEvent);
            var failed = await injector.FailedIdsAsync(input);
            queue.Settle(batch, failed);
        }

        await scenario.AssertSerialReplayAsync();
        injector.AssertDeliveriesAsExpected();
    }

    [Fact]
    public async Task Through_the_emulator_and_the_local_poller_transfers_with_failures_injected_also_end_as_a_serial_replay_of_each_group()
    {
        // Smaller: the emulator hands out about one message per 10 ms, and each failure waits out a visibility timeout.
        var scenario = await Scenario.CreateAsync(worker, groups: 4, transfersPerGroup: 15);
        var queues = await worker.QueuesAsync(maxReceiveCount: 1_000);
        var publisher = new TransactionPublisher(worker.Resources.Sqs, queues.QueueUrl);
        await Task.WhenAll(scenario.Groups.Select(async group =>
        {
            foreach (var transfer in group)
            {
                await publisher.PublishAsync(TransactionMessage.From(transfer), "test", CancellationToken.None);
            }
        }));
        var injector = new FailureInjector(worker, new Random(5));

        await worker.DrainAsync(worker.Poller(queues, injector.InvokeAsync), queues, withinSeconds: 60);

        await scenario.AssertSerialReplayAsync();
        injector.AssertDeliveriesAsExpected();
    }

    private sealed class Scenario
    {
        private const long Funds = 30_000;

        private Scenario(WorkerFixture worker, TransactionRecord[][] groups, Dictionary<string, AccountState> expectedAccounts)
        {
            Worker = worker;
            Groups = groups;
            ExpectedAccounts = expectedAccounts;
            // The posting rules applied to each group alone, in order: what the ledger must hold at the end.
            Expected = groups.SelectMany(g => PostingRules.ApplyBatch(g, expectedAccounts, new Dictionary<Guid, RefundTarget>()))
                .ToDictionary(d => d.TransactionId);
        }

        public WorkerFixture Worker { get; }

        public TransactionRecord[][] Groups { get; }

        /// <summary>The groups interleaved at random, each in its own order: the order of a queue they were published to side by side.</summary>
        public IReadOnlyList<TransactionRecord> Transfers
        {
            get
            {
                var random = new Random(3);
                var next = new int[Groups.Length];
                var all = new List<TransactionRecord>();
                while (all.Count < Groups.Sum(g => g.Length))
                {
                    var g = random.Next(Groups.Length);
                    if (next[g] < Groups[g].Length)
                    {
                        all.Add(Groups[g][next[g]++]);
                    }
                }

                return all;
            }
        }

        private Dictionary<string, AccountState> ExpectedAccounts { get; }

        private Dictionary<Guid, PostingDecision> Expected { get; }

        public static async Task<Scenario> CreateAsync(WorkerFixture worker, int groups, int transfersPerGroup)
        {
            var p = Prefix();
            var data = new Random(20261124);
            var sources = new List<string>();
            for (var g = 0; g < groups; g++)
            {
                sources.Add(await worker.FundedAsync($"{p}-s{g}", Funds));
            }

            var sinks = new[] { await worker.OpenAsync(p + "-d0"), await worker.OpenAsync(p + "-d1"), await worker.OpenAsync(p + "-d2") };
            // About 500 minor units each against 30,000 in the account: with 100 per group roughly the last
            // third is refused, in a pattern that depends on the order (a small one may fit where a big one did not).
            var transfers = sources.Select(s => Enumerable.Range(0, transfersPerGroup)
                .Select(_ => Transfer(s, sinks[data.Next(sinks.Length)], transfersPerGroup >= 100 ? data.Next(1, 1_000) : data.Next(1, 4_000)))
                .ToArray()).ToArray();
            var accounts = sources.Select(s => new AccountState(s, "USD", AccountKinds.Customer, 0, true, Funds, 1))
                .Concat(sinks.Select(d => new AccountState(d, "USD", AccountKinds.Customer, 0, true, 0, 0)))
                .ToDictionary(a => a.Id);
            return new Scenario(worker, transfers, accounts);
        }

        public async Task AssertSerialReplayAsync()
        {
            var all = Groups.SelectMany(g => g).ToArray();
            Assert.Contains(all, t => !Expected[t.Id].Posted);
            var statuses = await Task.WhenAll(all.Select(t => Worker.StatusAsync(t.Id)));
            Assert.Equal(all.Select(t => Expected[t.Id].Posted ? "POSTED" : "FAILED"), statuses.AsEnumerable());
            foreach (var account in ExpectedAccounts.Values)
            {
                Assert.Equal((account.Id, account.Balance), (account.Id, await Worker.BalanceAsync(account.Id)));
            }

            // Each source's entries after its funding, in sequence: the group's posted transfers, in the group's order.
            foreach (var group in Groups)
            {
                var posted = await Worker.Database.ScalarAsync<Guid[]>(
                    $"""
                    SELECT coalesce(array_agg(transaction_id ORDER BY sequence), '{"{}"}')
                      FROM ledger_entries WHERE account_id = '{group[0].SourceAccountId}' AND sequence > 1
                    """);
                Assert.Equal(group.Where(t => Expected[t.Id].Posted).Select(t => t.Id), posted);
            }
        }
    }

    /// <summary>
    /// Hands a batch to the worker, or fails it on purpose: the invocation crashes, PostgreSQL is
    /// unreachable, or one record's body is garbled for this delivery only (it and the later messages of
    /// its group must fail, the rest post). Deliveries come one at a time, so nothing here needs a lock.
    /// </summary>
    private sealed class FailureInjector(WorkerFixture worker, Random random)
    {
        private readonly Dictionary<string, int> _happened = new() { ["crash"] = 0, ["unreachable"] = 0, ["garbled"] = 0, ["fine"] = 0 };

        /// <summary>For each garbled delivery: the ids that had to fail (the victim and the later messages of its group), and those reported.</summary>
        private readonly List<(string[] Expected, string[] Reported)> _garbledAnswers = [];

        private int _calls;

        public async Task<Stream> InvokeAsync(Stream input)
        {
            // The first three invocations are one of each failure, so every kind happens however few
            // batches the timing of a run produces; after that, one in ten of each at random.
            var call = _calls++;
            switch (call < 3 ? call : random.Next(10))
            {
                case 0:
                    _happened["crash"]++;
                    throw new InvalidOperationException("injected: the invocation crashed");
                case 1:
                    _happened["unreachable"]++;
                    return await worker.UnreachableHandler.HandleAsync(input, CancellationToken.None);
                case 2:
                    _happened["garbled"]++;
                    var sqsEvent = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent);
                    var victim = sqsEvent.Records[random.Next(sqsEvent.Records.Count)];
                    var garbled = sqsEvent.Records.Select(r => r == victim ? r with { Body = "{\"transaction_id\":" } : r).ToArray();
                    var response = await worker.Handler.HandleAsync(new SqsEvent { Records = garbled }, CancellationToken.None);
                    var laterOfItsGroup = sqsEvent.Records.SkipWhile(r => r != victim).Where(r => r.MessageGroupId == victim.MessageGroupId);
                    // Recorded, not asserted: an exception thrown here would be the invocation's failure, which the
                    // poller turns into a redelivery of the whole batch, and the test would never see it.
                    _garbledAnswers.Add((
                        [.. laterOfItsGroup.Select(r => r.MessageId)],
                        [.. response.BatchItemFailures.Select(f => f.ItemIdentifier)]));
                    return LambdaPayload.Write(response, LambdaJsonContext.Default.SqsBatchResponse);
                default:
                    _happened["fine"]++;
                    return await worker.FunctionAsync(input);
            }
        }

        /// <summary>What Lambda makes of the invocation: a crash fails the whole batch.</summary>
        public async Task<IReadOnlyList<string>> FailedIdsAsync(Stream input)
        {
            var copy = new MemoryStream();
            await input.CopyToAsync(copy);
            copy.Position = 0;
            try
            {
                await using var output = await InvokeAsync(copy);
                var response = await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.SqsBatchResponse);
                return response.BatchItemFailures.Select(f => f.ItemIdentifier).ToList();
            }
            catch (InvalidOperationException)
            {
                copy.Position = 0;
                var sqsEvent = await LambdaPayload.ReadAsync(copy, LambdaJsonContext.Default.SqsEvent);
                return sqsEvent.Records.Select(r => r.MessageId).ToList();
            }
        }

        /// <summary>Every kind of delivery happened, and every garbled one was answered with exactly the ids that had to fail.</summary>
        public void AssertDeliveriesAsExpected()
        {
            Assert.All(_happened, kind => Assert.True(kind.Value > 0, $"no delivery was {kind.Key}"));
            Assert.Equal(_happened["garbled"], _garbledAnswers.Count);
            Assert.All(_garbledAnswers, answer => Assert.Equal(answer.Expected, answer.Reported));
        }
    }
}
