using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Webhooks;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests.Webhooks;

/// <summary>
/// WebhookFunction through its template.yaml handler, on an SQS event as Lambda sends it, and the local runner's
/// `start`, whose poller hands the webhook events' queue to it as the event source mapping would.
/// </summary>
[Collection(SharedQueueDefinition.Name)]
public class WebhookFunctionTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    private static async Task<Guid> StoreAsync(NpgsqlDataSource dataSource, string type)
    {
        var eventId = "evt_" + Guid.NewGuid().ToString("N")[..16];
        var body = Encoding.UTF8.GetBytes($$$"""{"id":"{{{eventId}}}","object":"event","type":"{{{type}}}","created":1764633600,"data":{"object":{"id":"cus_1"} } }""");
        return (await new WebhookEventStore(dataSource).StoreAsync(
            new WebhookDelivery("default", "stripe", eventId, type, null, body), CancellationToken.None)).Id;
    }

    private static Task<long> OutcomesAsync(NpgsqlDataSource dataSource, Guid id) =>
        Count(dataSource, $"SELECT count(*) FROM webhook_event_outcomes WHERE event_id = '{id}'");

    private static async Task<long> Count(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Each_message_is_processed_what_is_not_ours_is_dropped_and_a_failure_holds_back_the_rest_of_its_group()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        var stored = await StoreAsync(dataSource, "customer.created");
        var afterFailure = await StoreAsync(dataSource, "customer.created");
        var unknown = Guid.CreateVersion7();
        var sqsEvent = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Events", "sqs-fifo-webhook-events.json")))
            .Replace("__STORED_N__", stored.ToString("N"), StringComparison.Ordinal).Replace("__STORED__", stored.ToString(), StringComparison.Ordinal)
            .Replace("__UNKNOWN_N__", unknown.ToString("N"), StringComparison.Ordinal).Replace("__UNKNOWN__", unknown.ToString(), StringComparison.Ordinal)
            .Replace("__AFTER_FAILURE_N__", afterFailure.ToString("N"), StringComparison.Ordinal)
            .Replace("__AFTER_FAILURE__", afterFailure.ToString(), StringComparison.Ordinal)
            .Replace("__OTHER_GROUP__", "other" + Guid.NewGuid().ToString("N")[..8] + ":stripe", StringComparison.Ordinal);

        var function = new FunctionInvoker(Template.Function("WebhookFunction"));
        await using var output = await function.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(sqsEvent)));
        var failures = (await JsonDocument.ParseAsync(output)).RootElement.GetProperty("batchItemFailures").EnumerateArray()
            .Select(f => f.GetProperty("itemIdentifier").GetString()).ToList();

        // The id no stored event holds cannot be processed (it comes again, then goes to the DLQ); the message behind it in its
        // group is not processed out of order; the malformed one is dropped, not retried forever.
        Assert.Equal(["9e4a6c83-0f5d-4b1c-b3e7-8a0c2d4f6e03", "b1c3e5a7-2d4f-4a6b-8c0e-1f3a5c7e9b04"], failures);
        Assert.Equal(1L, await Count(dataSource, $"SELECT count(*) FROM webhook_event_outcomes WHERE event_id = '{stored}' AND status = 'ignored'"));
        Assert.Equal(0L, await OutcomesAsync(dataSource, afterFailure));
    }

    [Fact]
    public async Task Under_start_a_signed_charge_is_acknowledged_then_processed_through_the_webhook_queue()
    {
        const string secret = "whsec_start_" + "e2e0123456789";
        var port = FreePort();
        var key = "lrk_webhooks_" + Guid.NewGuid().ToString("N");
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestEnvironment.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        start.ArgumentList.Add(Path.Combine(TestEnvironment.RepositoryRoot, "src", "LambdaRecon.Local", "bin", configuration, "net10.0", "LambdaRecon.Local.dll"));
        start.ArgumentList.Add("start");
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["LAMBDARECON_API_KEY"] = key;
        start.Environment["STRIPE_WEBHOOK_SECRET"] = secret;
        using var process = Process.Start(start)!;
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/v1/"), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            await WaitAsync(async () => (await http.GetAsync("health")).IsSuccessStatusCode, process, log);

            var clearing = "stripe-clearing-" + suffix;
            (await http.PostAsJsonAsync("accounts", new Dictionary<string, object?> { ["account_id"] = clearing, ["currency"] = "USD" })).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"accounts/{clearing}/external-ids",
                new { external_ids = new[] { new { scheme = "STRIPE", id = "acct_" + suffix } } })).EnsureSuccessStatusCode();
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var eventId = "evt_start" + suffix;
            var body = Encoding.UTF8.GetBytes($$$"""
                {"id":"{{{eventId}}}","object":"event","type":"charge.succeeded","created":{{{now}}},"account":"acct_{{{suffix}}}",
                 "data":{"object":{"id":"ch_{{{suffix}}}","object":"charge","amount":2000,"currency":"usd","created":{{{now}}},"metadata":{} } } }
                """);
            using var request = new HttpRequestMessage(HttpMethod.Post, "webhooks/stripe") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("Stripe-Signature",
                WebhookSignature.Sign(WebhookProvider.Stripe, Encoding.UTF8.GetBytes(secret), now.ToString(CultureInfo.InvariantCulture), body));
            using var ack = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            var id = JsonDocument.Parse(await ack.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

            JsonElement stored = default;
            await WaitAsync(async () =>
            {
                stored = JsonDocument.Parse(await http.GetStringAsync($"webhooks/events/{id}")).RootElement.Clone();
                return stored.GetProperty("status").GetString() != "received";
            }, process, log);

            Assert.Equal("processed", stored.GetProperty("status").GetString());
            Assert.Equal(clearing, stored.GetProperty("outcome").GetProperty("account_id").GetString());
            // WebhookFunction did it, through the queue, not the sweep (which waits a minute for an event's message). Its log
            // line follows the outcome's insert, and the runner's output is read asynchronously: wait for it too.
            await WaitAsync(() =>
            {
                lock (log)
                {
                    return Task.FromResult(log.ToString().Contains($"Webhook event {id} processed: processed", StringComparison.Ordinal));
                }
            }, process, log);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    // Polls what the runner answers, for up to 60 s: the poller receives within its long poll.
    private static async Task WaitAsync(Func<Task<bool>> done, Process process, StringBuilder log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "LambdaRecon.Local start exited: " + log);
            try
            {
                if (await done())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        lock (log)
        {
            throw new TimeoutException("LambdaRecon.Local start did not get there within 60 s: " + log);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
