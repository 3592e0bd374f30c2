using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Npgsql;

namespace LambdaRecon.Benchmarks.ColdStart;

/// <summary>
/// Cold start of each function as Lambda's managed runtime sees it: a fresh process loads the handler's
/// assembly from the function's publish directory, creates the handler (init), answers one event (the first
/// invocation), then 50 more (steady state). The parent spawns that child 5 times per function and reports
/// medians, for a plain (JIT) publish and a ReadyToRun one side by side, their runs alternating.
///   ./bench.sh cold-start --publish /tmp/pub      (expects /tmp/pub/{jit,r2r}/{Api,LedgerWorker,Reconciler})
/// With --runtime-api, the API function on a custom runtime instead (ColdStartBenchmark.RuntimeApi.cs).
/// </summary>
internal static partial class ColdStartBenchmark
{
    private const int Runs = 5;
    private const int Steady = 50;

    private static readonly (string Name, string Dir, string Handler)[] Functions =
    [
        ("ApiFunction", "Api", "LambdaRecon.Api::LambdaRecon.Api.Function::HandleAsync"),
        ("LedgerWorkerFunction", "LedgerWorker", "LambdaRecon.LedgerWorker::LambdaRecon.LedgerWorker.Function::HandleAsync"),
        ("ReconcileFunction", "Reconciler", "LambdaRecon.Reconciler::LambdaRecon.Reconciler.Function::HandleAsync"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.FirstOrDefault() == "--child")
        {
            return await RunChildAsync(args[1..]);
        }

        var at = Array.IndexOf(args, "--publish");
        var publish = at >= 0 ? args[at + 1] : "/tmp/lambdarecon-publish";
        if (args.Contains("--runtime-api"))
        {
            return await RunRuntimeApiAsync(publish);
        }

        var events = Directory.CreateTempSubdirectory("cold-start-").FullName;
        var root = RepositoryRoot();
        File.Copy(Path.Combine(root, "tests/LambdaRecon.Local.Tests/Events/http-api-v2-health.json"), Path.Combine(events, "ApiFunction.json"));
        File.Copy(Path.Combine(root, "tests/LambdaRecon.Local.Tests/Events/scheduled-event.json"), Path.Combine(events, "ReconcileFunction.json"));

        Console.WriteLine($"| publish | function | process start→main ms | init ms | first invoke ms | init + first ms | steady p50 ms | first/steady |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        string[] modes = ["jit", "r2r"];
        foreach (var (name, dir, handler) in Functions)
        {
            // The publishes take turns, run by run: on a shared machine a burst of load then hits both alike.
            var samples = modes.ToDictionary(mode => mode, _ => new List<double[]>());
            for (var run = 0; run < Runs; run++)
            {
                foreach (var mode in modes)
                {
                    // Every run of the worker gets transfers it has not seen: a replay would only report them final.
                    var transfers = name == "LedgerWorkerFunction" ? await WriteSqsEventAsync(Path.Combine(events, name + ".json")) : [];
                    samples[mode].Add(await SpawnChildAsync(Path.Combine(publish, mode, dir), name, handler, Path.Combine(events, name + ".json")));
                    await AssertPostedAsync(transfers);
                }
            }

            foreach (var mode in modes)
            {
                double Median(Func<double[], double> of) => samples[mode].Select(of).Order().ElementAt(Runs / 2);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {mode} | {name} | {Median(s => s[0]):F0} | {Median(s => s[1]):F0} | {Median(s => s[2]):F0} | {Median(s => s[1] + s[2]):F0} | {Median(s => s[3]):F2} | {Median(s => s[2]) / Median(s => s[3]):F0}x |"));
            }
        }

        return 0;
    }

    /// <summary>The child: prints "startToMain init first steadyP50" in milliseconds, or fails on the first wrong answer.</summary>
    private static async Task<int> RunChildAsync(string[] args)
    {
        var sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        var clock = Stopwatch.StartNew();
        var (functionDir, function, handler, eventFile) = (args[0], args[1], args[2], args[3]);
        var parts = handler.Split("::");
        var context = new FunctionLoadContext(Path.Combine(functionDir, parts[0] + ".dll"));
        var type = context.LoadFromAssemblyName(new AssemblyName(parts[0])).GetType(parts[1], throwOnError: true)!;
        var instance = Activator.CreateInstance(type);
        var method = type.GetMethod(parts[2], [typeof(Stream)])!;
        var init = clock.Elapsed.TotalMilliseconds;

        var payload = await File.ReadAllBytesAsync(eventFile);
        clock.Restart();
        var answer = await InvokeAsync(method, instance, payload);
        var first = clock.Elapsed.TotalMilliseconds;
        Verify(function, answer);

        var steady = new double[Steady];
        for (var i = 0; i < Steady; i++)
        {
            clock.Restart();
            answer = await InvokeAsync(method, instance, payload);
            steady[i] = clock.Elapsed.TotalMilliseconds;
            Verify(function, answer);
        }

        Array.Sort(steady);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sinceStart:F1} {init:F1} {first:F1} {steady[Steady / 2]:F3}"));
        // The functions keep pools and hosts alive as Lambda would; the child's work is done.
        Environment.Exit(0);
        return 0;
    }

    /// <summary>The answer, read whole: reading it is part of the invocation, as it is for Lambda's runtime.</summary>
    private static async Task<byte[]> InvokeAsync(MethodInfo method, object? instance, byte[] payload)
    {
        await using var input = new MemoryStream(payload);
        await using var output = await (Task<Stream>)method.Invoke(instance, [input])!;
        using var answer = new MemoryStream();
        await output.CopyToAsync(answer);
        return answer.ToArray();
    }

    /// <summary>
    /// A fast wrong answer is no cold start worth reporting: the health check must answer 200, the worker report no
    /// failed message (the parent then checks the ledger), the reconciler a run id. Checked outside the timings.
    /// </summary>
    private static void Verify(string function, byte[] answer)
    {
        using var json = System.Text.Json.JsonDocument.Parse(answer);
        var root = json.RootElement;
        var right = function switch
        {
            "ApiFunction" => root.GetProperty("statusCode").GetInt32() == 200,
            "LedgerWorkerFunction" => root.GetProperty("batchItemFailures").GetArrayLength() == 0,
            "ReconcileFunction" => root.TryGetProperty("run_id", out var run) && run.TryGetGuid(out var id) && id != Guid.Empty,
            _ => throw new ArgumentException($"unknown function {function}", nameof(function)),
        };
        if (!right)
        {
            throw new InvalidOperationException($"{function} answered wrongly: {Encoding.UTF8.GetString(answer)}");
        }
    }

    private static async Task<double[]> SpawnChildAsync(string functionDir, string function, string handler, string eventFile)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(ColdStartBenchmark).Assembly.Location, "cold-start", "--child", functionDir, function, handler, eventFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The functions log JSON to stdout as they would to CloudWatch; the numbers are the last line.
        start.Environment["AWS_LAMBDA_LOG_LEVEL"] = "ERROR";
        start.Environment["Logging__LogLevel__Default"] = "Error";
        using var child = Process.Start(start)!;
        var stdout = await child.StandardOutput.ReadToEndAsync();
        var stderr = await child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        return child.ExitCode == 0
            ? last.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()
            : throw new InvalidOperationException($"cold-start --child {handler} exited {child.ExitCode}: {stderr}{stdout}");
    }

    /// <summary>The worker's answer said no message failed; the ledger must say every transfer posted.</summary>
    private static async Task AssertPostedAsync(Guid[] transfers)
    {
        if (transfers.Length == 0)
        {
            return;
        }

        await using var dataSource = NpgsqlDataSource.Create(Environment.GetEnvironmentVariable("DATABASE_URL")!);
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM transactions WHERE id = ANY(@ids) AND status = 'POSTED'");
        count.Parameters.AddWithValue("ids", transfers);
        var posted = (long)(await count.ExecuteScalarAsync())!;
        if (posted != transfers.Length)
        {
            throw new InvalidOperationException($"LedgerWorkerFunction posted {posted} of the {transfers.Length} transfers it was given");
        }
    }

    /// <summary>Ten valid transfers, each between two accounts of its own, as the event source mapping would batch them.</summary>
    private static async Task<Guid[]> WriteSqsEventAsync(string path)
    {
        await using var dataSource = NpgsqlDataSource.Create(Environment.GetEnvironmentVariable("DATABASE_URL")!);
        var records = new List<string>();
        var ids = new Guid[10];
        for (var i = 0; i < ids.Length; i++)
        {
            var p = "cs" + Guid.NewGuid().ToString("N")[..12];
            await using (var open = dataSource.CreateCommand(
                "INSERT INTO accounts (id, currency, overdraft_limit) VALUES (@a, 'USD', NULL), (@b, 'USD', 0)"))
            {
                open.Parameters.AddWithValue("a", p + "-a");
                open.Parameters.AddWithValue("b", p + "-b");
                await open.ExecuteNonQueryAsync();
            }

            var id = ids[i] = Guid.NewGuid();
            var body = $$"""{"transaction_id":"{{id}}","type":"transfer","amount_minor":1000,"currency":"USD","source_account_id":"{{p}}-a","destination_account_id":"{{p}}-b","refund_of":null,"description":null}""";
            records.Add($$"""
                {"messageId":"{{Guid.NewGuid()}}","receiptHandle":"AQEB{{id:N}}","body":{{System.Text.Json.JsonSerializer.Serialize(body)}},
                 "attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1763996531530","SequenceNumber":"{{18849496460467696128m + i}}","MessageGroupId":"{{p}}-a","MessageDeduplicationId":"{{id:N}}"},
                 "messageAttributes":{},"md5OfBody":"","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:transactions.fifo","awsRegion":"us-east-1"}
                """);
        }

        await File.WriteAllTextAsync(path, "{\"Records\":[" + string.Join(',', records) + "]}", Encoding.UTF8);
        return ids;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LambdaRecon.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LambdaRecon.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The function's own publish directory first (its ReadyToRun images), as Lambda loads only the function's package.</summary>
    private sealed class FunctionLoadContext(string mainAssembly) : AssemblyLoadContext(isCollectible: false)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName) =>
            _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
