using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace LambdaRecon.Local.Tests.Faults;

/// <summary>One answered POST /transactions: when it was answered, how long the answering attempt took, its status.</summary>
internal sealed record Attempt(DateTimeOffset At, double Milliseconds, int Status);

/// <summary>
/// A bounded load: a fixed number of clients, each POSTing one transfer at a time (about three a second each)
/// as a careful client does: a 503, a 409, a 5xx or no answer is retried with the same idempotency key and
/// body (after Retry-After, at most 2 s), until a 202, or the replay's 200, acknowledges it.
/// </summary>
internal sealed class TransferLoad(Uri api, string apiKey, int clients)
{
    // About three transfers a second per client, 25 in all: about half what the local worker posts on a busy
    // machine (the emulator hands out about one message per 10 ms), so that a backlog left by a fault drains.
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(300);

    private readonly string _prefix = "f" + Guid.NewGuid().ToString("N")[..8];
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _acknowledged = new();
    private readonly ConcurrentBag<Attempt> _attempts = [];
    private int _sent;
    private int _unanswered;

    /// <summary>Acknowledged transactions (202, or the 200 of a replay) and when.</summary>
    public IReadOnlyDictionary<Guid, DateTimeOffset> Acknowledged => _acknowledged;

    public IReadOnlyCollection<Attempt> Attempts => _attempts;

    /// <summary>Requests given up when the load stopped without an answer: not acknowledged, so nothing is owed.</summary>
    public int Unanswered => _unanswered;

    public int Sent => _sent;

    private string[] Sources => Enumerable.Range(0, 12).Select(i => $"{_prefix}-src{i}").ToArray();

    private string[] Destinations => Enumerable.Range(0, 4).Select(i => $"{_prefix}-dst{i}").ToArray();

    public HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>Twelve sources, of which four may not go below zero (so some transfers end FAILED), and four destinations.</summary>
    public async Task OpenAccountsAsync()
    {
        using var client = Client();
        foreach (var (id, i) in Sources.Concat(Destinations).Select((id, i) => (id, i)))
        {
            var unlimited = i < 8;
            using var response = await client.PostAsJsonAsync("accounts", new Dictionary<string, object?>
            {
                ["account_id"] = id, ["currency"] = "USD", ["kind"] = unlimited ? "funding" : "customer", ["overdraft_limit"] = unlimited ? null : "0",
            });
            response.EnsureSuccessStatusCode();
        }
    }

    /// <param name="giveUp">After the load is stopped, how long a request may still retry before it is given up.</param>
    public Task RunAsync(TimeSpan giveUp, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, giveUp, stop))));

    private async Task ClientAsync(int number, TimeSpan giveUp, CancellationToken stop)
    {
        using var client = Client();
        var random = new Random(number);
        var sources = Sources;
        var destinations = Destinations;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            Interlocked.Increment(ref _sent);
            var minor = random.Next(1, 50_000);
            var body = new
            {
                transaction = new
                {
                    source_account_id = sources[random.Next(sources.Length)],
                    destination_account_id = destinations[random.Next(destinations.Length)],
                    amount = $"{minor / 100}.{minor % 100:00}",
                },
                idempotencyKey = $"{_prefix}-c{number}-{n}",
            };
            await SubmitAsync(client, body, giveUp, stop);
            try
            {
                await Task.Delay(Pace, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SubmitAsync(HttpClient client, object body, TimeSpan giveUp, CancellationToken stop)
    {
        var stoppedAt = (DateTimeOffset?)null;
        while (true)
        {
            if (stop.IsCancellationRequested && (stoppedAt ??= DateTimeOffset.UtcNow) + giveUp < DateTimeOffset.UtcNow)
            {
                Interlocked.Increment(ref _unanswered);
                return;
            }

            var watch = Stopwatch.StartNew();
            var retryAfter = TimeSpan.FromMilliseconds(250);
            try
            {
                // Not cancelled by the stop: a request under way gets its answer, or it would be neither acknowledged nor refused.
                using var response = await client.PostAsJsonAsync("transactions", body, CancellationToken.None);
                _attempts.Add(new Attempt(DateTimeOffset.UtcNow, watch.Elapsed.TotalMilliseconds, (int)response.StatusCode));
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                {
                    var answer = await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None);
                    _acknowledged.TryAdd(answer.GetProperty("transactionId").GetGuid(), DateTimeOffset.UtcNow);
                    return;
                }

                if ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.Conflict)
                {
                    throw new InvalidOperationException($"a valid transfer was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                }

                if (response.Headers.RetryAfter?.Delta is { } delta)
                {
                    retryAfter = delta < TimeSpan.FromSeconds(2) ? delta : TimeSpan.FromSeconds(2);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // No answer (the API process is down, or slow): the same request again.
                _attempts.Add(new Attempt(DateTimeOffset.UtcNow, watch.Elapsed.TotalMilliseconds, 0));
            }

            await Task.Delay(retryAfter, CancellationToken.None);
        }
    }
}
