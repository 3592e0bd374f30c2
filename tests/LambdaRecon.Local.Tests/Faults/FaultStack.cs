using System.Diagnostics;
using System.Globalization;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests.Faults;

/// <summary>
/// A stack of the fault suite's own, so that stopping a service touches no other test: PostgreSQL, Redis and the
/// SQS emulator started by scripts/services.sh's own functions (profile "faults", state under .local/faults/),
/// each on ./test.sh's port plus 100; the local runner as two processes, `start-api` taking the load and `start`
/// running the worker's poller and the schedules, so the worker can be killed while the API serves.
/// </summary>
internal sealed class FaultStack : IAsyncDisposable
{
    /// <summary>The suite's queue hides a received message 20 s (180 s deployed): what a killed worker's batch waits out.</summary>
    public const int VisibilityTimeoutSeconds = 20;

    private readonly Dictionary<string, string> _environment;
    private readonly string _stateDir = Path.Combine(TestEnvironment.RepositoryRoot, ".local", "faults");

    private FaultStack(int pgPort, int redisPort, int sqsPort, string database)
    {
        (PgPort, RedisPort, SqsPort) = (pgPort, redisPort, sqsPort);
        DatabaseUrl = $"Host=127.0.0.1;Port={pgPort};Username=lambdarecon;Database={database};Timeout=3";
        var sqs = $"http://127.0.0.1:{sqsPort}";
        _environment = new()
        {
            ["PROFILE"] = "faults",
            ["PG_PORT"] = pgPort.ToString(CultureInfo.InvariantCulture),
            ["REDIS_PORT"] = redisPort.ToString(CultureInfo.InvariantCulture),
            ["SQS_PORT"] = sqsPort.ToString(CultureInfo.InvariantCulture),
            // PostgreSQL's own durability (fsync, synchronous_commit), unlike ./test.sh's: the suite crashes the
            // server, and a commit the worker was told of must survive it, as it does in production.
            ["PG_EXTRA_OPTIONS"] = "",
            ["SQS_QUEUES_FILE"] = Path.Combine(_stateDir, "queues.json"),
            ["DATABASE_URL"] = DatabaseUrl,
            ["REDIS_URL"] = $"redis://127.0.0.1:{redisPort}",
            ["AWS_ENDPOINT_URL_SQS"] = sqs,
            ["AWS_ENDPOINT_URL_SSM"] = sqs,
            ["QUEUE_URL"] = $"{sqs}/000000000000/transactions.fifo",
            ["DLQ_URL"] = $"{sqs}/000000000000/transactions-dlq.fifo",
            ["WEBHOOK_QUEUE_URL"] = $"{sqs}/000000000000/webhook-events.fifo",
            // Faster than the defaults (30 s, 60 s), so that a lost queue drains within the suite's time.
            ["LAMBDARECON_SWEEP_SECONDS"] = "5",
            ["LAMBDARECON_SWEEP_STUCK_SECONDS"] = "10",
            ["LAMBDARECON_API_KEY"] = ApiKey,
        };
        DataSource = NpgsqlDataSource.Create(DatabaseUrl);
    }

    public int PgPort { get; }

    public int RedisPort { get; }

    public int SqsPort { get; }

    public string DatabaseUrl { get; }

    public NpgsqlDataSource DataSource { get; }

    public string ApiKey { get; } = "lrk_faults_" + Guid.NewGuid().ToString("N");

    public Uri Api { get; private set; } = null!;

    public Uri WorkerApi { get; private set; } = null!;

    public Process ApiProcess { get; private set; } = null!;

    public Process WorkerProcess { get; private set; } = null!;

    /// <summary>./test.sh's ports plus 100: 55572, 56519, 59464 beside the helpers' 55472, 56419, 59364.</summary>
    public static async Task<FaultStack> StartAsync()
    {
        var pg = new NpgsqlConnectionStringBuilder(TestEnvironment.Require("DATABASE_URL")).Port + 100;
        var redis = new Uri(TestEnvironment.Require("REDIS_URL")).Port + 100;
        var sqs = new Uri(TestEnvironment.Require("AWS_ENDPOINT_URL_SQS")).Port + 100;
        var stack = new FaultStack(pg, redis, sqs, "faults_" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(stack._stateDir);
        // The runner's logs of this run only (appended to across the worker's restart).
        foreach (var log in new[] { "migrate.log", "api.log", "worker.log" })
        {
            File.Delete(Path.Combine(stack._stateDir, log));
        }

        var queues = await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepositoryRoot, "tools/sqs-emulator/queues.json"));
        await File.WriteAllTextAsync(stack._environment["SQS_QUEUES_FILE"],
            queues.Replace("\"VisibilityTimeout\": 180", $"\"VisibilityTimeout\": {VisibilityTimeoutSeconds}", StringComparison.Ordinal));
        await stack.ServicesAsync("start_postgres; start_redis; start_sqs; psql_admin -d postgres -c \"CREATE DATABASE $FAULTS_DB\"",
            ("FAULTS_DB", new NpgsqlConnectionStringBuilder(stack.DatabaseUrl).Database!));
        await stack.RunLocalAsync("migrate");
        stack.Api = new Uri($"http://127.0.0.1:{FreePort()}/api/v1/");
        stack.WorkerApi = new Uri($"http://127.0.0.1:{FreePort()}/api/v1/");
        stack.ApiProcess = await stack.StartLocalAsync("start-api", stack.Api, "api");
        stack.WorkerProcess = await stack.StartLocalAsync("start", stack.WorkerApi, "worker");
        return stack;
    }

    public Task StopRedisAsync() => ServicesAsync("kill_pidfile \"$STATE_DIR/redis.pid\"");

    public Task StartRedisAsync() => ServicesAsync("start_redis");

    public Task StopSqsAsync() => ServicesAsync("kill_pidfile \"$STATE_DIR/sqs.pid\"");

    public Task StartSqsAsync() => ServicesAsync("start_sqs");

    // An immediate stop is a crash as far as clients see: connections cut, the next start recovers from the WAL.
    public Task StopPostgresAsync() => ServicesAsync("as_pg \"$(pg_bin_dir)/pg_ctl\" -D \"$(pg_dir)/data\" stop -m immediate >/dev/null");

    public Task StartPostgresAsync() => ServicesAsync("start_postgres");

    /// <summary>SIGKILL: no shutdown, no batch finished, nothing deleted; what Lambda's timeout or an out-of-memory kill does.</summary>
    public void KillWorker() => WorkerProcess.Kill(entireProcessTree: true);

    public async Task RestartWorkerAsync() => WorkerProcess = await StartLocalAsync("start", WorkerApi, "worker");

    // The runner as ./run.sh builds it (bin/<configuration>/net10.0 of src/LambdaRecon.Local), in this build's configuration.
    private static string LocalDll() => Path.Combine(
        TestEnvironment.RepositoryRoot, "src/LambdaRecon.Local/bin", new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name,
        "net10.0/LambdaRecon.Local.dll");

    private ProcessStartInfo Local(string command, string log)
    {
        // exec: the process is dotnet itself, so a kill reaches it and not a shell in between.
        var start = new ProcessStartInfo("bash", ["-c", "exec dotnet \"$0\" \"$1\" >>\"$2\" 2>&1", LocalDll(), command, log])
        {
            WorkingDirectory = TestEnvironment.RepositoryRoot,
        };
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private async Task RunLocalAsync(string command)
    {
        using var process = Process.Start(Local(command, Path.Combine(_stateDir, command + ".log")))!;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"LambdaRecon.Local {command} failed: see {_stateDir}/{command}.log");
    }

    private async Task<Process> StartLocalAsync(string command, Uri api, string name)
    {
        var start = Local(command, Path.Combine(_stateDir, name + ".log"));
        start.Environment["PORT"] = api.Port.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(start)!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"LambdaRecon.Local {command} exited: see {_stateDir}/{name}.log");
            try
            {
                using var health = await http.GetAsync(new Uri(api, "health"));
                if (health.IsSuccessStatusCode)
                {
                    return process;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too busy starting to answer within the probe's 2 s (a loaded machine).
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"LambdaRecon.Local {command} did not answer on {api} within 60 s: see {_stateDir}/{name}.log");
    }

    private async Task ServicesAsync(string commands, params (string Name, string Value)[] extra)
    {
        var start = new ProcessStartInfo("bash", ["-c", $"set -e; source scripts/services.sh; mkdir -p \"$STATE_DIR\"; {commands}"])
        {
            WorkingDirectory = TestEnvironment.RepositoryRoot,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var (name, value) in _environment.Concat(extra.Select(e => KeyValuePair.Create(e.Name, e.Value))))
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"services.sh ({commands}) failed: {await stderr}");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { ApiProcess, WorkerProcess }.Where(p => p is not null))
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        await DataSource.DisposeAsync();
        await ServicesAsync(
            "kill_pidfile \"$STATE_DIR/sqs.pid\"; kill_pidfile \"$STATE_DIR/redis.pid\"; " +
            "psql_admin -d postgres -c \"DROP DATABASE IF EXISTS $FAULTS_DB WITH (FORCE)\" || true; " +
            "as_pg \"$(pg_bin_dir)/pg_ctl\" -D \"$(pg_dir)/data\" stop -m fast >/dev/null 2>&1 || true",
            ("FAULTS_DB", new NpgsqlConnectionStringBuilder(DatabaseUrl).Database!));
    }
}
