using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LambdaRecon.Benchmarks.ColdStart;

/// <summary>
/// The API function as a custom runtime starts it: the parent plays Lambda's Runtime API on 127.0.0.1, spawns the
/// function's executable with AWS_LAMBDA_RUNTIME_API pointing there, and times from the spawn to the first
/// GET /next (init, process start included), then each event from its hand-over to the posted response; 50 warm
/// events follow. The Native AOT bootstrap and the ReadyToRun build run the same loop (Program.cs), the latter
/// under `dotnet`; 5 fresh processes each, alternating, medians.
///   ./bench.sh cold-start --runtime-api --publish /tmp/pub   (expects /tmp/pub/aot/Api/bootstrap and /tmp/pub/r2r/Api)
/// </summary>
internal static partial class ColdStartBenchmark
{
    private const string RuntimePath = "/2018-06-01/runtime/";

    private static async Task<int> RunRuntimeApiAsync(string publish)
    {
        var payload = await File.ReadAllBytesAsync(Path.Combine(RepositoryRoot(), "tests/LambdaRecon.Local.Tests/Events/http-api-v2-health.json"));
        (string Mode, string File, string[] Args)[] builds =
        [
            ("r2r", "dotnet", [Path.Combine(publish, "r2r/Api/LambdaRecon.Api.dll")]),
            ("aot", Path.Combine(publish, "aot/Api/bootstrap"), []),
        ];
        var samples = builds.ToDictionary(b => b.Mode, _ => new List<double[]>());
        for (var run = 0; run < Runs; run++)
        {
            foreach (var (mode, file, args) in builds)
            {
                samples[mode].Add(await ServeRuntimeApiAsync(file, args, payload));
            }
        }

        Console.WriteLine("| build | function | spawn→first /next ms (init) | first invoke ms | init + first ms | steady p50 ms |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var (mode, _, _) in builds)
        {
            double Median(Func<double[], double> of) => samples[mode].Select(of).Order().ElementAt(Runs / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode} | ApiFunction | {Median(s => s[0]):F0} | {Median(s => s[1]):F0} | {Median(s => s[0] + s[1]):F0} | {Median(s => s[2]):F2} |"));
        }

        return 0;
    }

    /// <summary>One fresh process served 1 + 50 events: returns init, first invoke and the warm median in milliseconds.</summary>
    private static async Task<double[]> ServeRuntimeApiAsync(string file, string[] args, byte[] payload)
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();

        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = $"127.0.0.1:{port}";
        start.Environment["AWS_LAMBDA_LOG_LEVEL"] = "ERROR";
        start.Environment["Logging__LogLevel__Default"] = "Error";
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var child = Process.Start(start)!;
        child.OutputDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        child.ErrorDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        var exited = child.WaitForExitAsync();
        try
        {
            var times = new double[1 + Steady];
            double init = 0;
            for (var i = 0; i < times.Length; i++)
            {
                var next = await NextRequestAsync(listener, exited, output);
                if (i == 0)
                {
                    init = clock.Elapsed.TotalMilliseconds;
                }

                Expect(next, "GET", "invocation/next", output);
                var requestId = $"bench-{i}";
                var handedOver = clock.Elapsed.TotalMilliseconds;
                next.Response.Headers["Lambda-Runtime-Aws-Request-Id"] = requestId;
                next.Response.Headers["Lambda-Runtime-Deadline-Ms"] = DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                next.Response.Headers["Lambda-Runtime-Trace-Id"] = $"Root=1-00000000-{i:x24};Parent=0000000000000001;Sampled=0";
                next.Response.ContentType = "application/json";
                await next.Response.OutputStream.WriteAsync(payload);
                next.Response.Close();

                var posted = await NextRequestAsync(listener, exited, output);
                using var body = new MemoryStream();
                await posted.Request.InputStream.CopyToAsync(body);
                times[i] = clock.Elapsed.TotalMilliseconds - handedOver;
                Expect(posted, "POST", $"invocation/{requestId}/response", output, body);
                posted.Response.StatusCode = 202;
                posted.Response.Close();
                try
                {
                    Verify("ApiFunction", body.ToArray());
                }
                catch (InvalidOperationException wrong)
                {
                    throw new InvalidOperationException($"{file}: {wrong.Message}\n{output}", wrong);
                }
            }

            var warm = times[1..];
            Array.Sort(warm);
            return [init, times[0], warm[Steady / 2]];
        }
        finally
        {
            // Lambda never ends a custom runtime's loop; it freezes or discards the environment.
            child.Kill(entireProcessTree: true);
            await exited;
        }
    }

    private static async Task<HttpListenerContext> NextRequestAsync(HttpListener listener, Task exited, StringBuilder output)
    {
        var request = listener.GetContextAsync();
        if (await Task.WhenAny(request, exited, Task.Delay(TimeSpan.FromSeconds(60))) != request)
        {
            throw new InvalidOperationException($"the function exited or stalled before calling the Runtime API: {output}");
        }

        return await request;
    }

    private static void Expect(HttpListenerContext context, string method, string path, StringBuilder output, MemoryStream? body = null)
    {
        var actual = context.Request.Url!.AbsolutePath;
        if (context.Request.HttpMethod != method || actual != RuntimePath + path)
        {
            var sent = body is null ? "" : Encoding.UTF8.GetString(body.ToArray());
            throw new InvalidOperationException($"expected {method} {RuntimePath}{path}, got {context.Request.HttpMethod} {actual} {sent}\n{output}");
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
