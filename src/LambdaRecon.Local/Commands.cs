using System.Text;
using System.Text.Json;
using LambdaRecon.Api.Admin;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Migrations;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Tenants;
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
                "tenants" => await TenantsAsync(rest),
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
                   | keys create --client <id> --scopes <scope,...> [--tenant <id>] [--description <text>] | keys list | keys revoke <key_id>
                   | tenants create --tenant <id> --name <text> | tenants list
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
        var app = ApiHost.Build([]);
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
            };
            var schedule = template.Function("ReconcileFunction");
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                _ = poller.RunAsync(stopping);
                _ = LocalSchedule.RunAsync(new FunctionInvoker(schedule), SamTemplate.RatePeriod(schedule.Schedule!), stopping);
            });
        }

        await app.RunAsync();
        return 0;
    }

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

        return await ImportStatementCommand.RunAsync(account, format, Option(args, "--mapping"), file);
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

                var tenant = Option(args, "--tenant") ?? TenantStore.Default;
                if (await keys.CreateAsync(tenant, client, scopes, Option(args, "--description"), by, CancellationToken.None) is not { } created)
                {
                    await Console.Error.WriteLineAsync($"error: tenant '{tenant}' does not exist: create it with ./run.sh tenants create");
                    return 1;
                }

                Console.WriteLine(JsonSerializer.Serialize(KeysApi.Created(created.Key, created.Info), CliJson));
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

    /// <summary>Tenants in DATABASE_URL's database, as the admin endpoints manage them; JSON on stdout.</summary>
    private static async Task<int> TenantsAsync(string[] args)
    {
        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        var tenants = services.GetRequiredService<TenantStore>();
        switch (args.FirstOrDefault())
        {
            case "create":
                var (id, name) = (Option(args, "--tenant"), Option(args, "--name"));
                if (TenantsApi.Check(id, name) is { } refused)
                {
                    return Usage($"tenants create --tenant <id> --name <text>: {refused.Detail}");
                }

                if (await tenants.CreateAsync(id!, name!, CancellationToken.None) is not { } tenant)
                {
                    await Console.Error.WriteLineAsync($"error: tenant '{id}' exists already");
                    return 1;
                }

                Console.WriteLine(JsonSerializer.Serialize(tenant, CliJson));
                await Console.Error.WriteLineAsync($"Now a key for it: ./run.sh keys create --tenant {id} --client <id> --scopes <scope,...>");
                return 0;
            case "list":
                Console.WriteLine(JsonSerializer.Serialize(new TenantListResponse(await tenants.ListAsync(CancellationToken.None)), CliJson));
                return 0;
            default:
                return Usage("tenants needs create or list");
        }
    }

    private static readonly JsonSerializerOptions CliJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
