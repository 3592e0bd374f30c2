using System.Text;
using System.Text.Json;
using LambdaRecon.Api.Admin;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Health;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Migrations;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.LedgerWorker.Local;
using LambdaRecon.Local.Template;

namespace LambdaRecon.Local;

public static class Commands
{
    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.FirstOrDefault() ?? "start";
        var rest = args.Skip(1).ToArray();
        if (command is not ("start" or "start-api"))
        {
            // A command's stdout is its answer, for a script to read; its logs go to stderr.
            Environment.SetEnvironmentVariable("LAMBDARECON_LOG_TO_STDERR", "true");
        }

        try
        {
            return command switch
            {
                "start" => await StartAsync(withFunctions: true),
                "start-api" => await StartAsync(withFunctions: false),
                "invoke" => await InvokeAsync(rest),
                "import-statement" => await ImportStatementAsync(rest),
                "dlq-redrive" => await RedriveAsync(),
                "migrate" => await MigrateAsync(),
                "keys" => await KeysAsync(rest),
                _ => Usage($"unknown command '{command}'"),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or InvalidOperationException or InvalidDataException
                                   or MigrationException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 2;
        }
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"""
            {problem}
            usage: start | start-api | invoke <Function> --event <file.json>
                   | import-statement --account <id> --format csv|camt053 [--mapping generic|stripe] --file <path>
                   | dlq-redrive | migrate
                   | keys create --client <id> --scopes <scope,...> [--description <text>] | keys list | keys revoke <key_id>
            scopes: {string.Join(", ", ApiScopes.All)}
            """);
        return 2;
    }

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static async Task<int> StartAsync(bool withFunctions)
    {
        var port = Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } p ? p : "3000";
        // /ready reports the worker only where its poller runs: here, with `start`.
        var heartbeat = withFunctions ? new WorkerHeartbeat(TimeProvider.System) : null;
        var app = ApiHost.Build([], builder =>
        {
            if (heartbeat is not null)
            {
                builder.Services.AddSingleton(heartbeat);
            }
        });
        app.Urls.Add($"http://127.0.0.1:{port}");

        // The key in LAMBDARECON_API_KEY, or a new one printed here, gets every scope for local use.
        var given = Environment.GetEnvironmentVariable("LAMBDARECON_API_KEY");
        var key = string.IsNullOrEmpty(given) ? ApiKeyStore.NewKey() : given;
        await app.Services.GetRequiredService<ApiKeyStore>().RegisterAsync(key, "local", ApiScopes.All, CancellationToken.None);
        if (key != given)
        {
            await Console.Error.WriteLineAsync($"API key for this run (all scopes): {key}   (set LAMBDARECON_API_KEY to choose your own)");
        }

        if (withFunctions)
        {
            // What AWS would wire from template.yaml: the queue's event source mapping and the schedule rule.
            var template = SamTemplate.Load(SamTemplate.DefaultPath());
            var stopping = app.Lifetime.ApplicationStopping;
            var resources = app.Services.GetRequiredService<EngineResources>();
            var worker = template.Function("LedgerWorkerFunction");
            var poller = new SqsPoller(resources.Sqs, resources.Settings.QueueUrl, new FunctionInvoker(worker).HandleAsync,
                app.Services.GetRequiredService<ILogger<SqsPoller>>())
            {
                BatchSize = worker.SqsBatchSize ?? 10,
                Heartbeat = heartbeat,
            };
            var reconciler = new FunctionInvoker(template.Function("ReconcileFunction"));
            var reconcile = reconciler.Function.Schedule("Schedule");
            var sweep = reconciler.Function.Schedule("Sweep");
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                _ = poller.RunAsync(stopping);
                _ = LocalSchedule.RunAsync(reconciler, SamTemplate.RatePeriod(reconcile.Expression), stopping);
                // The sweep at start (what a previous run left ACCEPTED), then every 30 s: faster than EventBridge's
                // one-minute minimum, for a local queue that is lost with every restart of the emulator.
                _ = LocalSchedule.RunAsync(reconciler, SweepPeriod(), stopping, input: sweep.Input, runAtStart: true);
            });
        }

        await app.RunAsync();
        return 0;
    }

    // LAMBDARECON_SWEEP_SECONDS, 30 by default.
    private static TimeSpan SweepPeriod() =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("LAMBDARECON_SWEEP_SECONDS"), out var seconds) && seconds > 0 ? seconds : 30);

    private static async Task<int> InvokeAsync(string[] args)
    {
        var name = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        var eventFile = Option(args, "--event");
        if (name is null || eventFile is null)
        {
            return Usage("invoke needs a function name and --event <file.json>");
        }

        var invoker = new FunctionInvoker(SamTemplate.Load(SamTemplate.DefaultPath()).Function(name));
        await using var input = File.OpenRead(eventFile);
        await using var output = await invoker.HandleAsync(input);
        using var reader = new StreamReader(output, Encoding.UTF8);
        Console.WriteLine(await reader.ReadToEndAsync());
        return 0;
    }

    private static async Task<int> RedriveAsync()
    {
        await using var services = EngineServices.BuildForFunction(EngineParts.Queues);
        var result = await services.GetRequiredService<DeadLetterRedrive>().RedriveAsync(CancellationToken.None);
        Console.WriteLine($"{result.Moved} message(s) moved from the DLQ back to the queue{(result.ByMoveTask ? " (StartMessageMoveTask)" : "")}");
        return 0;
    }

    private static async Task<int> ImportStatementAsync(string[] args)
    {
        var (account, format, file) = (Option(args, "--account"), Option(args, "--format"), Option(args, "--file"));
        if (account is null || format is null || file is null)
        {
            return Usage("import-statement needs --account, --format and --file");
        }

        var mapping = Option(args, "--mapping");
        var content = await File.ReadAllBytesAsync(file);
        if (!StatementFile.TryParse(content, format, mapping, out var lines, out var error))
        {
            await Console.Error.WriteLineAsync($"refused whole, nothing imported: {error}");
            return 1;
        }

        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        var import = await services.GetRequiredService<StatementStore>().ImportAsync(
            account, format.ToLowerInvariant() + (mapping is null ? "" : ":" + mapping), content, lines, "local-cli", CancellationToken.None);
        Console.WriteLine(import.AlreadyImported
            ? $"statement {import.StatementId}: already imported, nothing changed"
            : $"statement {import.StatementId}: {import.Imported} of {import.Lines} lines imported");
        return 0;
    }

    /// <summary>Applies the migrations to DATABASE_URL's database; a second run applies nothing.</summary>
    private static async Task<int> MigrateAsync()
    {
        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        var report = await services.GetRequiredService<SchemaMigrator>().MigrateAsync(CancellationToken.None);
        Console.WriteLine(report.Applied.Count == 0
            ? $"schema at version {report.Version}: nothing to apply"
            : $"schema at version {report.Version}: applied {string.Join(", ", report.Applied.Select(m => $"{m.Version} {m.Name}"))}");
        return 0;
    }

    /// <summary>API keys in DATABASE_URL's database, as the admin endpoints manage them; JSON on stdout.</summary>
    private static async Task<int> KeysAsync(string[] args)
    {
        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        var keys = services.GetRequiredService<ApiKeyStore>();
        var by = "cli:" + Environment.UserName;
        switch (args.FirstOrDefault())
        {
            case "create":
                var (client, scopeList) = (Option(args, "--client"), Option(args, "--scopes"));
                if (client is null || scopeList is null)
                {
                    return Usage("keys create needs --client <id> and --scopes <scope,...>");
                }

                var scopes = scopeList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (!KeysApi.ClientIdPattern().IsMatch(client))
                {
                    return Usage($"'{client}' is not a client id: 1 to 64 characters of A-Z a-z 0-9 . _ : -");
                }

                if (KeysApi.CheckScopes(scopes) is { } problem)
                {
                    return Usage(problem);
                }

                var (key, info) = await keys.CreateAsync(client, scopes, Option(args, "--description"), by, CancellationToken.None);
                Console.WriteLine(JsonSerializer.Serialize(
                    new CreatedKeyResponse(info.KeyId, key, info.ClientId, info.Scopes, info.Description, info.CreatedAt, info.CreatedBy), CliJson));
                await Console.Error.WriteLineAsync("The key is shown this once: store it now. Use it as 'Authorization: Bearer <key>'.");
                return 0;
            case "list":
                Console.WriteLine(JsonSerializer.Serialize(new KeyListResponse(await keys.ListAsync(CancellationToken.None)), CliJson));
                return 0;
            case "revoke" when args.Length == 2:
                if (await keys.RevokeAsync(args[1], by, CancellationToken.None) is not { } revoked)
                {
                    await Console.Error.WriteLineAsync($"error: there is no API key '{args[1]}'");
                    return 1;
                }

                Console.WriteLine(JsonSerializer.Serialize(revoked, CliJson));
                await Console.Error.WriteLineAsync($"Revoked. A running API refuses it within {ApiKeyStore.CacheFor.TotalSeconds:0} s.");
                return 0;
            default:
                return Usage("keys needs create, list or revoke <key_id>");
        }
    }

    private static readonly JsonSerializerOptions CliJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
