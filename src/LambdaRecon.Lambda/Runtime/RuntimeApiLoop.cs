using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LambdaRecon.Lambda.Runtime;

/// <summary>
/// The whole of a custom runtime (provided.al2023): the loop a function's own executable runs against Lambda's
/// Runtime API (version 2018-06-01), in place of the managed runtime that loads a class-library handler.
/// Start the function; on failure report it to /init/error and stop. Otherwise, forever: take the next event,
/// hand its payload to the handler, post what it returns as the invocation's response, or the exception as
/// its error. One invocation at a time, as an execution environment receives them.
/// </summary>
public static class RuntimeApiLoop
{
    /// <summary>The variable Lambda sets in a custom runtime's environment: host and port of the Runtime API.</summary>
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";

    /// <summary>Where the managed runtime puts the invocation's X-Ray trace header; the AWS SDKs and our tracing read it there.</summary>
    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled, or returns 1 after reporting a failed start.
    /// The deadline Lambda sends with each event is not passed on: the handlers take no context, and Lambda
    /// itself stops an invocation that runs past it.
    /// </summary>
    public static async Task<int> RunAsync(
        string runtimeApi, Func<Task<Func<Stream, Task<Stream>>>> start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        // Lambda's own endpoint, plain HTTP on the environment's loopback; an invocation waits on /next as long as
        // the environment stays frozen, so no client timeout applies.
        using var http = new HttpClient { BaseAddress = new Uri($"http://{runtimeApi}/2018-06-01/runtime/"), Timeout = Timeout.InfiniteTimeSpan };

        Func<Stream, Task<Stream>> handler;
        try
        {
            handler = await start();
        }
        catch (Exception exception)
        {
            // Lambda then fails the pending invocation with this error and discards the environment.
            await PostErrorAsync(http, "init/error", exception, cancellationToken);
            return 1;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            using var next = await http.GetAsync("invocation/next", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            next.EnsureSuccessStatusCode();
            var requestId = Header(next, "Lambda-Runtime-Aws-Request-Id")
                ?? throw new InvalidOperationException("The Runtime API sent an event without Lambda-Runtime-Aws-Request-Id.");
            // Each event carries its own trace header, or none (tracing off): a previous event's must not linger.
            Environment.SetEnvironmentVariable(TraceIdVariable, Header(next, "Lambda-Runtime-Trace-Id"));

            var invocation = "invocation/" + Uri.EscapeDataString(requestId);
            Stream output;
            try
            {
                await using var payload = await next.Content.ReadAsStreamAsync(cancellationToken);
                output = await handler(payload);
            }
            catch (Exception exception)
            {
                await PostErrorAsync(http, invocation + "/error", exception, cancellationToken);
                continue;
            }

            await using (output)
            {
                using var content = new StreamContent(output);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var posted = await http.PostAsync(invocation + "/response", content, cancellationToken);
                posted.EnsureSuccessStatusCode();
            }
        }

        return 0;
    }

    // Lambda's error document: errorType and errorMessage, the type also in a header, as the managed runtime reports
    // them. Written by hand, as the loop serializes nothing else.
    private static async Task PostErrorAsync(HttpClient http, string path, Exception exception, CancellationToken cancellationToken)
    {
        var errorType = exception.GetType().Name;
        using var body = new MemoryStream();
        await using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("errorType", errorType);
            json.WriteString("errorMessage", exception.Message);
            json.WriteEndObject();
        }

        using var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = Encoding.UTF8.WebName };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Lambda-Runtime-Function-Error-Type", errorType);
        using var posted = await http.SendAsync(request, cancellationToken);
        posted.EnsureSuccessStatusCode();
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
