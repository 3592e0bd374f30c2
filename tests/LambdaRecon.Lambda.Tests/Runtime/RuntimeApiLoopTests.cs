using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LambdaRecon.Lambda.Runtime;

namespace LambdaRecon.Lambda.Tests.Runtime;

/// <summary>The custom runtime's loop against a fake Runtime API on 127.0.0.1 that records what the loop sends.</summary>
public sealed class RuntimeApiLoopTests
{
    [Fact]
    public async Task Each_event_is_answered_on_its_own_request_id_with_its_trace_header_in_the_environment()
    {
        using var api = new FakeRuntimeApi();
        var seen = new List<(string Payload, string? Trace)>();
        var loop = api.RunLoopAsync(() => Task.FromResult<Func<Stream, Task<Stream>>>(async input =>
        {
            var text = await new StreamReader(input).ReadToEndAsync();
            seen.Add((text, Environment.GetEnvironmentVariable(RuntimeApiLoop.TraceIdVariable)));
            return new MemoryStream(Encoding.UTF8.GetBytes("{\"echo\":" + text + "}"));
        }));

        var first = await api.InvokeAsync("req-1", "{\"n\":1}", trace: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
        var second = await api.InvokeAsync("req/2", "{\"n\":2}", trace: null);
        await api.StopAsync(loop);

        Assert.Equal(("POST", "/2018-06-01/runtime/invocation/req-1/response", "{\"echo\":{\"n\":1}}"), (first.Method, first.Path, first.Body));
        // A request id is a path segment: escaped, never a second segment.
        Assert.Equal("/2018-06-01/runtime/invocation/req%2F2/response", second.RawPath);
        Assert.Equal([("{\"n\":1}", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"), ("{\"n\":2}", null)], seen);
    }

    [Fact]
    public async Task A_handler_that_throws_reports_the_invocation_error_and_the_loop_takes_the_next_event()
    {
        using var api = new FakeRuntimeApi();
        var calls = 0;
        var loop = api.RunLoopAsync(() => Task.FromResult<Func<Stream, Task<Stream>>>(_ =>
            ++calls == 1 ? throw new InvalidDataException("bad event") : Task.FromResult<Stream>(new MemoryStream("{}"u8.ToArray()))));

        var failed = await api.InvokeAsync("req-1", "{}", trace: null);
        var answered = await api.InvokeAsync("req-2", "{}", trace: null);
        await api.StopAsync(loop);

        Assert.Equal("/2018-06-01/runtime/invocation/req-1/error", failed.Path);
        Assert.Equal("InvalidDataException", failed.ErrorTypeHeader);
        using var error = JsonDocument.Parse(failed.Body);
        Assert.Equal("InvalidDataException", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal("bad event", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal(("/2018-06-01/runtime/invocation/req-2/response", "{}"), (answered.Path, answered.Body));
    }

    [Fact]
    public async Task A_start_that_fails_is_reported_to_init_error_before_any_event_is_taken()
    {
        using var api = new FakeRuntimeApi();
        var loop = api.RunLoopAsync(() => throw new InvalidOperationException("DATABASE_URL is not set"));

        var reported = await api.ReceiveAsync();
        reported.Respond(202);

        Assert.Equal(1, await loop);
        Assert.Equal(("POST", "/2018-06-01/runtime/init/error"), (reported.Method, reported.Path));
        Assert.Equal("InvalidOperationException", reported.ErrorTypeHeader);
        using var error = JsonDocument.Parse(reported.Body);
        Assert.Equal("DATABASE_URL is not set", error.RootElement.GetProperty("errorMessage").GetString());
    }

    /// <summary>Lambda's side of the Runtime API: hands out events on GET /next and records what comes back.</summary>
    private sealed class FakeRuntimeApi : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly string _address;

        public FakeRuntimeApi()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            _address = $"127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
            probe.Stop();
            _listener.Prefixes.Add($"http://{_address}/");
            _listener.Start();
        }

        public Task<int> RunLoopAsync(Func<Task<Func<Stream, Task<Stream>>>> start) =>
            Task.Run(() => RuntimeApiLoop.RunAsync(_address, start, _stop.Token));

        /// <summary>Answers the loop's next GET /next with this event, then returns what the loop posted for it.</summary>
        public async Task<Received> InvokeAsync(string requestId, string payload, string? trace)
        {
            var next = await ReceiveAsync();
            Assert.Equal(("GET", "/2018-06-01/runtime/invocation/next"), (next.Method, next.Path));
            var response = next.Context.Response;
            response.Headers["Lambda-Runtime-Aws-Request-Id"] = requestId;
            response.Headers["Lambda-Runtime-Deadline-Ms"] = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (trace is not null)
            {
                response.Headers["Lambda-Runtime-Trace-Id"] = trace;
            }

            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(payload));
            response.Close();

            var posted = await ReceiveAsync();
            posted.Respond(202);
            return posted;
        }

        /// <summary>Lambda never ends the loop; the test does, once the loop waits on its next GET /next.</summary>
        public async Task StopAsync(Task<int> loop)
        {
            var waiting = await ReceiveAsync();
            Assert.Equal(("GET", "/2018-06-01/runtime/invocation/next"), (waiting.Method, waiting.Path));
            await _stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
            waiting.Respond(410);
        }

        public async Task<Received> ReceiveAsync()
        {
            var context = await _listener.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
            return new Received(context, context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.RawUrl!,
                context.Request.Headers["Lambda-Runtime-Function-Error-Type"], body);
        }

        public void Dispose()
        {
            _listener.Close();
            _stop.Dispose();
        }
    }

    private sealed record Received(HttpListenerContext Context, string Method, string Path, string RawPath, string? ErrorTypeHeader, string Body)
    {
        public void Respond(int status)
        {
            Context.Response.StatusCode = status;
            Context.Response.Close();
        }
    }
}
