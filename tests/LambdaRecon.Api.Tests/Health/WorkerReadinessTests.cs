using System.Net;
using System.Text.Json;
using LambdaRecon.Infrastructure.Health;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LambdaRecon.Api.Tests.Health;

/// <summary>/ready where a queue poller runs in the process (the local runner's `start`): a worker that makes no progress is a 503 naming it.</summary>
public class WorkerReadinessTests
{
    private readonly FakeTimeProvider _time = new();

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(WorkerHeartbeat? heartbeat)
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web.ConfigureServices(services =>
        {
            if (heartbeat is not null)
            {
                services.AddSingleton(heartbeat);
            }
        }));
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/api/v1/ready", UriKind.Relative));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static string? Worker(JsonElement body) =>
        body.GetProperty("dependencies").TryGetProperty("worker", out var worker) ? worker.GetProperty("status").GetString() : null;

    [Fact]
    public async Task Without_a_poller_in_the_process_there_is_no_worker_to_report()
    {
        var (status, body) = await ReadyAsync(null);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(Worker(body));
    }

    [Fact]
    public async Task A_poller_that_receives_and_gets_its_messages_done_is_up()
    {
        var heartbeat = new WorkerHeartbeat(_time);
        heartbeat.Started();
        heartbeat.Polled(received: 10, done: 3, waiting: 7);
        _time.Advance(WorkerHeartbeat.StallAfter - TimeSpan.FromSeconds(1));
        heartbeat.Polled(received: 7, done: 7, waiting: 0);
        _time.Advance(WorkerHeartbeat.StallAfter - TimeSpan.FromSeconds(1));
        heartbeat.Polled(received: 0, done: 0, waiting: 0);
        _time.Advance(WorkerHeartbeat.StallAfter - TimeSpan.FromSeconds(1));

        var (status, body) = await ReadyAsync(heartbeat);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("up", Worker(body));
    }

    [Fact]
    public async Task Messages_received_and_none_done_for_a_minute_make_the_worker_down_even_between_empty_receives()
    {
        var heartbeat = new WorkerHeartbeat(_time);
        heartbeat.Started();
        heartbeat.Polled(received: 4, done: 0, waiting: 4);
        // The failed messages are hidden until they come again: receives in between find nothing.
        for (var i = 0; i < 7; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            heartbeat.Polled(received: 0, done: 0, waiting: 4);
        }

        heartbeat.Failed(new InvalidOperationException("the database is down"));

        var (status, body) = await ReadyAsync(heartbeat);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(["worker"], body.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("4 message(s) received and waiting, none done for 70 s; last error: InvalidOperationException: the database is down",
            body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_poller_whose_receives_keep_failing_is_down()
    {
        var heartbeat = new WorkerHeartbeat(_time);
        heartbeat.Started();
        heartbeat.Failed(new HttpRequestException("Connection refused"));
        _time.Advance(WorkerHeartbeat.StallAfter + TimeSpan.FromSeconds(5));

        var (status, body) = await ReadyAsync(heartbeat);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("worker is down: no receive from the queue has succeeded for 65 s", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_poller_loop_that_ended_is_down()
    {
        var heartbeat = new WorkerHeartbeat(_time);
        heartbeat.Started();
        heartbeat.Stopped("ended by NullReferenceException: boom");

        var (status, body) = await ReadyAsync(heartbeat);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("the queue poller is not running (ended by NullReferenceException: boom)", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
