using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LambdaRecon.Api.Tests.Health;

/// <summary>
/// A dependency that accepts connections and never answers (a hung server, a black-holed proxy) is worse than
/// one that is down: nothing refuses, so only a deadline ends the wait. /ready must still answer in time.
/// </summary>
public class ReadyTimeoutTests
{
    /// <summary>Accepts every connection and keeps it open without reading or writing a byte.</summary>
    private sealed class SilentListener : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _held = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;

        public SilentListener()
        {
            _listener.Start();
            _accepting = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var socket = await _listener.AcceptSocketAsync(_stop.Token);
                        lock (_held)
                        {
                            _held.Add(socket);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // Disposed.
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _accepting;
            _listener.Stop();
            lock (_held)
            {
                _held.ForEach(s => s.Dispose());
            }

            _stop.Dispose();
        }
    }

    // Npgsql's own connection Timeout is set far past the probe's 2 s, so only the probe's deadline can end the wait.
    [Theory]
    [InlineData("redis", "REDIS_URL", "redis://127.0.0.1:{0}")]
    [InlineData("sqs", "AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:{0}")]
    [InlineData("postgres", "DATABASE_URL", "Host=127.0.0.1;Port={0};Username=lambdarecon;Database=lambdarecon;Timeout=60")]
    public async Task A_dependency_that_never_answers_makes_ready_answer_503_naming_it_within_the_probe_timeout(string dependency, string variable, string format)
    {
        await using var silent = new SilentListener();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
            web.UseSetting(variable, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, silent.Port)));
        using var client = factory.CreateClient();
        // The probe's deadline is 2 s; a /ready that waits on the silent server instead ends in this timeout and fails the test.
        client.Timeout = TimeSpan.FromSeconds(15);

        using var response = await client.GetAsync(new Uri("/api/v1/ready", UriKind.Relative));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal([dependency], body.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(dependency, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var report = body.GetProperty("dependencies").GetProperty(dependency);
        Assert.Equal("down", report.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(report.GetProperty("error").GetString()));
    }
}
