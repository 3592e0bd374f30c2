using System.Net;
using System.Net.Sockets;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Tenants;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Local;
using LambdaRecon.LedgerWorker.Posting;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.LedgerWorker.Tests;

/// <summary>
/// One database per test class, the engine's resources on it, the worker's handler, and a twin handler
/// whose PostgreSQL is a closed port. Each test names its accounts with a prefix of its own.
/// </summary>
public sealed class WorkerFixture : IAsyncLifetime
{
    private NpgsqlDataSource _unreachable = null!;

    public TestDatabase Database { get; private set; } = null!;

    public EngineResources Resources { get; private set; } = null!;

    public RecordingLoggerProvider Logs { get; } = new();

    /// <summary>The handlers' metrics go nowhere; <c>WorkerMetricsTests</c> reads its own.</summary>
    public static EmbeddedMetrics NoMetrics { get; } = new("LedgerWorkerFunction", "test", () => TextWriter.Null);

    public LedgerStore Store { get; private set; } = null!;

    public SqsBatchHandler Handler { get; private set; } = null!;

    /// <summary>The same handler with PostgreSQL unreachable: nothing listens on its port.</summary>
    public SqsBatchHandler UnreachableHandler { get; private set; } = null!;

    public string Funding { get; } = "funding-" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        Resources = new EngineResources(TestEnvironment.Settings(Database.ConnectionString));
        Store = new LedgerStore(Resources.DataSource);
        Handler = new SqsBatchHandler(Store, NoMetrics, Logs.CreateLogger<SqsBatchHandler>());
        _unreachable = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Port = ClosedPort(), Timeout = 2 }.ConnectionString);
        UnreachableHandler = new SqsBatchHandler(new LedgerStore(_unreachable), NoMetrics, Logs.CreateLogger<SqsBatchHandler>());
        await OpenAsync(Funding, overdraftLimit: null, kind: AccountKinds.Funding);
    }

    public async Task DisposeAsync()
    {
        await _unreachable.DisposeAsync();
        await Resources.DisposeAsync();
        await Database.DisposeAsync();
    }

    public static string Prefix() => "t" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The worker's Lambda entry, on this fixture's database: JSON in, JSON out.</summary>
    public Task<Stream> FunctionAsync(Stream input) => Handler.HandleAsync(input, CancellationToken.None);

    public Task<TestQueues> QueuesAsync(int maxReceiveCount = 5) => TestQueues.CreateAsync(Resources.Sqs, maxReceiveCount);

    /// <summary>A poller that hides a received message for one second only, so redeliveries come quickly.</summary>
    public SqsPoller Poller(TestQueues queues, Func<Stream, Task<Stream>> function) =>
        new(Resources.Sqs, queues.QueueUrl, function, Logs.CreateLogger<SqsPoller>()) { VisibilityTimeout = 1, WaitTimeSeconds = 2 };

    public async Task<int> MessagesLeftAsync(string queueUrl)
    {
        var attributes = await Resources.Sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        return attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
    }

    /// <summary>Polls until every message of the queue is deleted or in the DLQ.</summary>
    public async Task DrainAsync(SqsPoller poller, TestQueues queues, int withinSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(withinSeconds);
        while (await MessagesLeftAsync(queues.QueueUrl) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the queue did not drain within {withinSeconds} s");
            await poller.PollOnceAsync(CancellationToken.None);
        }
    }

    public async Task<string> OpenAsync(string id, long? overdraftLimit = 0, string kind = AccountKinds.Customer)
    {
        var (result, _, _) = await new AccountStore(Resources.DataSource).CreateAsync(TenantStore.Default, id, "USD", kind, overdraftLimit, null, "test", CancellationToken.None);
        Assert.Equal(AccountCreation.Created, result);
        return id;
    }

    /// <summary>Opens a customer account that may not go below zero, holding <paramref name="amount"/> minor units.</summary>
    public async Task<string> FundedAsync(string id, long amount)
    {
        await OpenAsync(id);
        if (amount > 0)
        {
            var outcome = (await Store.PostBatchAsync([Transfer(Funding, id, amount)], CancellationToken.None)).Single();
            Assert.Equal(TransactionStatus.Posted, outcome.Status);
        }

        return id;
    }

    public static TransactionRecord Transfer(string from, string to, long amount) =>
        new(Guid.NewGuid(), TransactionType.Transfer, amount, "USD", from, to);

    public async Task<long> BalanceAsync(string account) =>
        (await new LedgerReader(Resources.DataSource).GetBalanceAsync(TenantStore.Default, account, null, CancellationToken.None))!.Minor;

    /// <summary>ACCEPTED, POSTED or FAILED; null when the transaction was never recorded.</summary>
    public async Task<string?> StatusAsync(Guid transactionId)
    {
        await using var command = Resources.DataSource.CreateCommand("SELECT status FROM transactions WHERE id = @id");
        command.Parameters.AddWithValue("id", transactionId);
        return (string?)await command.ExecuteScalarAsync();
    }

    public async Task<long> EntryCountAsync(Guid transactionId)
    {
        await using var command = Resources.DataSource.CreateCommand("SELECT count(*) FROM ledger_entries WHERE transaction_id = @id");
        command.Parameters.AddWithValue("id", transactionId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<IReadOnlyList<string>> FailedIdsAsync(SqsBatchHandler handler, params SqsMessage[] records) =>
        (await handler.HandleAsync(new SqsEvent { Records = records }, CancellationToken.None)).BatchItemFailures.Select(f => f.ItemIdentifier).ToList();

    public Task<IReadOnlyList<string>> FailedIdsAsync(params SqsMessage[] records) => FailedIdsAsync(Handler, records);

    /// <summary>A record as the event source mapping hands it over, for a message published by TransactionPublisher.</summary>
    public static SqsMessage Record(TransactionRecord transaction) =>
        Record(TransactionMessage.From(transaction).ToJson(), transaction.SourceAccountId, transaction.Id.ToString("N"));

    public static SqsMessage Record(string body, string group, string? deduplicationId = null) => new()
    {
        MessageId = Guid.NewGuid().ToString(),
        ReceiptHandle = "AQEB" + Guid.NewGuid().ToString("N"),
        Body = body,
        Attributes = new Dictionary<string, string>
        {
            ["ApproximateReceiveCount"] = "1",
            ["MessageGroupId"] = group,
            ["MessageDeduplicationId"] = deduplicationId ?? Guid.NewGuid().ToString("N"),
            ["SequenceNumber"] = "18898731522873556992",
        },
        EventSource = "aws:sqs",
        EventSourceArn = "arn:aws:sqs:us-east-1:000000000000:transactions.fifo",
        AwsRegion = "us-east-1",
    };

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
