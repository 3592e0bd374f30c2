using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.SQS.Model;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Webhooks;
using LambdaRecon.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests;

/// <summary>
/// The API over a database and queues of this fixture's own, with API keys whose client ids are
/// unique, so no test sees another's accounts, messages or idempotency keys (even in the shared Redis).
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private readonly List<WebApplicationFactory<Program>> _factories = [];

    public TestDatabase Database { get; private set; } = null!;

    public TestQueues Queues { get; private set; } = null!;

    public EngineResources Resources { get; private set; } = null!;

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    /// <summary>
    /// The API tests' Redis database: they flush it, and test assemblies run in parallel, so it must
    /// not be the one other tests use.
    /// </summary>
    public const int RedisDatabase = 1;

    private static string RedisUrl() => TestEnvironment.Require("REDIS_URL").TrimEnd('/');

    /// <summary>A key with every scope.</summary>
    public string AdminKey { get; } = "k-admin-" + Guid.NewGuid().ToString("N");

    /// <summary>A key that may only read the ledger.</summary>
    public string ReaderKey { get; } = "k-reader-" + Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await using (var bootstrap = new EngineResources(TestEnvironment.Settings(Database.ConnectionString)))
        {
            Queues = await TestQueues.CreateAsync(bootstrap.Sqs);
        }

        Resources = new EngineResources(
            TestEnvironment.Settings(Database.ConnectionString, Queues) with { RedisConfiguration = RedisUrl()["redis://".Length..] + $",defaultDatabase={RedisDatabase}" });
        Factory = CreateFactory();
        var keys = Factory.Services.GetRequiredService<ApiKeyStore>();
        await keys.RegisterAsync(AdminKey, "admin-" + Guid.NewGuid().ToString("N"), ApiScopes.All, CancellationToken.None);
        await keys.RegisterAsync(ReaderKey, "reader-" + Guid.NewGuid().ToString("N"), [ApiScopes.LedgerRead], CancellationToken.None);
    }

    /// <summary>The API on this fixture's database and queues, with settings overridden (e.g. SQS at a closed port).</summary>
    public WebApplicationFactory<Program> CreateFactory(params (string Name, string Value)[] overrides)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("DATABASE_URL", Database.ConnectionString);
            web.UseSetting("QUEUE_URL", Queues.QueueUrl);
            web.UseSetting("DLQ_URL", Queues.DlqUrl);
            web.UseSetting("WEBHOOK_QUEUE_URL", Queues.WebhookQueueUrl);
            web.UseSetting("LAMBDARECON_ALLOW_DEMO_TOKEN", "true");
            web.UseSetting("REDIS_URL", $"{RedisUrl()}/{RedisDatabase}");
            // A reconcile answers with its result however slow the machine is; RunJobTests set 0 to see the 202.
            web.UseSetting("LAMBDARECON_RECONCILE_WAIT_SECONDS", "600");
            foreach (var (name, value) in overrides)
            {
                web.UseSetting(name, value);
            }
        });
        _factories.Add(factory);
        return factory;
    }

    public HttpClient Client(string? key = null, WebApplicationFactory<Program>? factory = null)
    {
        var client = (factory ?? Factory).CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key ?? AdminKey);
        return client;
    }

    public async Task<string> OpenAccountAsync(string id, string currency = "USD", string? overdraftLimit = "0")
    {
        using var client = Client();
        using var response = await client.PostAsJsonAsync("/api/v1/accounts", new Dictionary<string, object?>
        {
            ["account_id"] = id,
            ["currency"] = currency,
            ["overdraft_limit"] = overdraftLimit,
        });
        response.EnsureSuccessStatusCode();
        return id;
    }

    public Task<long> CountAsync(string sql) => Database.ScalarAsync<long>(sql);

    /// <summary>Every message now on the fixture's transactions queue (received, then deleted).</summary>
    public Task<List<Message>> DrainQueueAsync() => DrainAsync(Queues.QueueUrl);

    /// <summary>The webhook events' queue's messages, received in order and deleted.</summary>
    public Task<List<Message>> DrainWebhookQueueAsync() => DrainAsync(Queues.WebhookQueueUrl);

    private async Task<List<Message>> DrainAsync(string queueUrl)
    {
        var all = new List<Message>();
        while (true)
        {
            var received = (await Resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = 10,
                WaitTimeSeconds = 0,
                VisibilityTimeout = 30,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["MessageGroupId", "MessageDeduplicationId"],
            })).Messages ?? [];
            if (received.Count == 0)
            {
                return all;
            }

            foreach (var message in received)
            {
                await Resources.Sqs.DeleteMessageAsync(queueUrl, message.ReceiptHandle);
            }

            all.AddRange(received);
        }
    }

    /// <summary>What the ledger worker does, for tests of the API alone: post what is on the queue.</summary>
    public async Task PostQueuedAsync()
    {
        var messages = await DrainQueueAsync();
        var records = messages.Select(m => TransactionMessage.TryParse(m.Body)!.ToRecord()).ToArray();
        await new LedgerStore(Database.DataSource).PostBatchAsync(records, CancellationToken.None);
    }

    /// <summary>What WebhookFunction does, for tests of the API alone: process each event the webhook queue names, in order.</summary>
    /// <returns>The stored events' ids the messages named.</returns>
    public async Task<List<Guid>> ProcessQueuedWebhooksAsync()
    {
        var processor = Factory.Services.GetRequiredService<WebhookEventProcessor>();
        var ids = new List<Guid>();
        var batch = new WebhookEventProcessor.Batch();
        foreach (var message in await DrainWebhookQueueAsync())
        {
            var id = WebhookEventMessage.TryParse(message.Body)?.WebhookEventId
                ?? throw new InvalidOperationException($"not a webhook event message: {message.Body}");
            await processor.ProcessAsync(id, batch, CancellationToken.None);
            ids.Add(id);
        }

        await processor.ReconcileAsync(batch, CancellationToken.None);
        return ids;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public async Task DisposeAsync()
    {
        foreach (var factory in _factories)
        {
            await factory.DisposeAsync();
        }

        await Resources.DisposeAsync();
        await Database.DisposeAsync();
    }
}
