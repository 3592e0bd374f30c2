using System.Globalization;
using System.Text;
using System.Text.Json;
using LambdaRecon.Api.Admin;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Health;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Migrations;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Tenants;
using LambdaRecon.Infrastructure.Transactions;
using LambdaRecon.LedgerWorker.Local;
using LambdaRecon.Local.Events;
using LambdaRecon.Local.Template;

namespace LambdaRecon.Local;

public static class Commands
{
    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.FirstOrDefault() ?? "start";
        var rest = args.Skip(1).ToArray();
        // A command's stdout is its answer, for a script to read; its logs go to stderr. invoke sends the
        // function's whole stdout there itself, so that its lines keep the "info" Lambda gives stdout.
        if (command is not ("start" or "start-api" or "invoke"))
        {
            Environment.SetEnvironmentVariable("LAMBDARECON_LOG_TO_STDERR", "true");
        }

        try
        {
            return command switch
            {
                "start" => await StartAsync(rest, withFunctions: true),
                "start-api" => await StartAsync(rest, withFunctions: false),
                "invoke" => await InvokeAsync(rest),
                "generate-event" => await GenerateEventAsync(rest),
                "import-statement" => await ImportStatementAsync(rest),
                "dlq-redrive" => await RedriveAsync(),
                "migrate" => await MigrateAsync(),
                "keys" => await KeysAsync(rest),
                "tenants" => await TenantsAsync(rest),
                "webhooks" => await WebhookReplay.RunAsync(rest),
                "openapi" => await OpenApiAsync(),
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
            usage: start [--kestrel] | start-api [--kestrel]
                   | invoke <Function> [--event <file.json>|-] [--env-vars <env.json>]
                   | generate-event apigateway-http|sqs|schedule|cloudformation [options: see README]
                   | generate-event stripe <type> [--amount <minor units>] [--currency usd] [--metadata key=value]... [--charge <ch_…>] [--account <acct_…>] [--balance-transaction <txn_…>] [--secret <whsec_…>] [--url <url>]
                   | import-statement --file <path> [--account <id>] [--format auto|csv|camt053|mt940|mt942|bai2] [--mapping <name> | --mapping-file <mapping.json>] [--tenant <id>]
                   | dlq-redrive | migrate
                   | keys create --client <id> --scopes <scope,...> [--tenant <id>] [--description <text>] | keys list | keys revoke <key_id>
                   | tenants create --tenant <id> --name <text> | tenants list
                   | webhooks replay --since <ISO time> [--until <ISO time>] [--provider stripe] [--tenant <id>]
                   | openapi   (the OpenAPI document on stdout: ./run.sh openapi > docs/openapi.json)
            scopes: {string.Join(", ", ApiScopes.All)}
            """);
        return 2;
    }

    /// <summary>The API's OpenAPI document as the app generates it, on stdout: docs/openapi.json is this output.</summary>
    private static async Task<int> OpenApiAsync()
    {
        await Console.Out.WriteAsync(await ApiContract.GenerateAsync(CancellationToken.None));
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    /// <summary>
    /// The API on http://127.0.0.1:$PORT through ApiFunction's entry point, as `sam local start-api` serves
    /// it; --kestrel serves the app on Kestrel directly (no event, no bridge), for profiling.
    /// </summary>
    private static async Task<int> StartAsync(string[] args, bool withFunctions)
    {
        var port = Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } p ? p : "3000";
        // /ready reports the worker only where its poller runs: here, with `start`. ApiFunction's app, built by
        // the function itself, finds it through the process (WorkerHeartbeat.InProcess), as it shares this one.
        var heartbeat = withFunctions ? new WorkerHeartbeat(TimeProvider.System) : null;
        WorkerHeartbeat.InProcess = heartbeat;
        var template = SamTemplate.Load(SamTemplate.DefaultPath());
        WebApplication app;
        if (args.Contains("--kestrel"))
        {
            app = ApiHost.Build([]);
        }
        else
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddLambdaReconLogging(builder.Configuration);
            builder.Services.AddLambdaRecon();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                // The app's own limits answer past-limit requests as problem+json, as they would behind API Gateway.
                RequestLimits.Configure(kestrel);
                kestrel.Limits.MaxRequestBodySize = ApiGatewayFront.MaxRequestBodySize;
            });
            app = builder.Build();
            ApiGatewayFront.Map(app, new FunctionInvoker(template.Function("ApiFunction")));
        }

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
            var stopping = app.Lifetime.ApplicationStopping;
            var resources = app.Services.GetRequiredService<EngineResources>();
            var worker = template.Function("LedgerWorkerFunction");
            var poller = new SqsPoller(resources.Sqs, resources.Settings.QueueUrl, new FunctionInvoker(worker).HandleAsync,
                app.Services.GetRequiredService<ILogger<SqsPoller>>())
            {
                BatchSize = worker.SqsBatchSize ?? 10,
                Concurrency = worker.SqsMaximumConcurrency ?? SqsPoller.DefaultConcurrency,
                ReportBatchItemFailures = worker.SqsResponseTypes.Contains("ReportBatchItemFailures"),
                Heartbeat = heartbeat,
            };
            // WebhookFunction's event source mapping, on the webhook events' queue, as the worker's on the transactions'.
            var webhooks = template.Function("WebhookFunction");
            var webhookPoller = new SqsPoller(resources.Sqs, resources.Settings.WebhookQueueUrl, new FunctionInvoker(webhooks).HandleAsync,
                app.Services.GetRequiredService<ILogger<SqsPoller>>())
            {
                BatchSize = webhooks.SqsBatchSize ?? 10,
                Concurrency = webhooks.SqsMaximumConcurrency ?? SqsPoller.DefaultConcurrency,
                ReportBatchItemFailures = webhooks.SqsResponseTypes.Contains("ReportBatchItemFailures"),
            };
            var reconciler = new FunctionInvoker(template.Function("ReconcileFunction"));
            var reconcile = reconciler.Function.Schedule("Schedule");
            var sweep = reconciler.Function.Schedule("Sweep");
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                _ = poller.RunAsync(stopping);
                _ = webhookPoller.RunAsync(stopping);
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

    /// <summary>
    /// One invocation, as `sam local invoke`: the event from a file, from stdin (-) or {} without --event; the
    /// function's environment from template.yaml and --env-vars; its answer alone on stdout, everything the
    /// function writes on stderr; exit 1 with Lambda's error document when it throws or times out.
    /// </summary>
    private static async Task<int> InvokeAsync(string[] args)
    {
        var name = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : null;
        if (name is null)
        {
            return Usage("invoke needs a function name: " + string.Join(", ", SamTemplate.Load(SamTemplate.DefaultPath()).Functions().Select(f => f.LogicalId)));
        }

        var function = SamTemplate.Load(SamTemplate.DefaultPath()).Function(name);
        var input = Option(args, "--event") switch
        {
            null => "{}"u8.ToArray(),
            "-" => await ReadStdinAsync(),
            var file => await File.ReadAllBytesAsync(file),
        };
        FunctionEnvironment.Apply(function, Option(args, "--env-vars"));

        // The function's own writes to stdout (a Console.WriteLine anywhere) go to stderr, as Lambda sends
        // them to the log and not into the response.
        var stdout = Console.Out;
        Console.SetOut(Console.Error);
        var invocation = await new FunctionInvoker(function).InvokeAsync(input);
        await using var answer = Console.OpenStandardOutput();
        await answer.WriteAsync(invocation.Payload);
        await answer.WriteAsync("\n"u8.ToArray());
        Console.SetOut(stdout);
        return invocation.Failed ? 1 : 0;
    }

    private static async Task<byte[]> ReadStdinAsync()
    {
        using var buffer = new MemoryStream();
        await using var stdin = Console.OpenStandardInput();
        await stdin.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>An event for `invoke`, shaped as AWS sends it, on stdout.</summary>
    private static async Task<int> GenerateEventAsync(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "apigateway-http":
                var headers = new List<KeyValuePair<string, string>>();
                for (var i = 0; i < args.Length - 1; i++)
                {
                    if (args[i] == "--header")
                    {
                        var (headerName, value) = args[i + 1].Split(':', 2) is [var n, var v] ? (n.Trim(), v.Trim()) : throw new FormatException($"--header '{args[i + 1]}' is not 'Name: value'");
                        headers.Add(new(headerName, value));
                    }
                }

                if (Option(args, "--key") is { } apiKey)
                {
                    headers.Add(new("Authorization", "Bearer " + apiKey));
                }

                if (Option(args, "--idempotency-key") is { } idempotencyKey)
                {
                    headers.Add(new("Idempotency-Key", idempotencyKey));
                }

                var body = Option(args, "--body-file") is { } bodyFile ? await File.ReadAllTextAsync(bodyFile) : Option(args, "--body");
                Console.WriteLine(SampleEvents.ApiGatewayHttp(
                    Option(args, "--method") ?? (body is null ? "GET" : "POST"), Option(args, "--path") ?? "/api/v1/health", body, headers));
                return 0;
            case "sqs":
                TransactionMessage message;
                if (Option(args, "--transaction-id") is { } id)
                {
                    await using var services = EngineServices.BuildForFunction(EngineParts.Database);
                    var view = await services.GetRequiredService<TransactionReader>().GetAsync(Option(args, "--tenant") ?? TenantStore.Default, Guid.Parse(id), CancellationToken.None)
                        ?? throw new ArgumentException($"there is no transaction {id} in DATABASE_URL's database");
                    message = TransactionMessage.From(view.Record);
                }
                else if ((Option(args, "--source"), Option(args, "--destination"), Option(args, "--amount")) is ({ } source, { } destination, { } amount))
                {
                    message = SampleEvents.NewTransfer(source, destination, amount, Option(args, "--currency") ?? "USD");
                }
                else
                {
                    return Usage("generate-event sqs needs --transaction-id <id>, or --source <account> --destination <account> --amount <major units> [--currency USD]");
                }

                Console.WriteLine(SampleEvents.Sqs(message, Option(args, "--group")));
                return 0;
            case "schedule":
                Console.WriteLine(SampleEvents.Schedule());
                return 0;
            case "cloudformation":
                Console.WriteLine(SampleEvents.CloudFormation(
                    Option(args, "--request-type") ?? "Create",
                    Option(args, "--response-url") ?? "http://127.0.0.1:8555/cloudformation-response"));
                return 0;
            case "stripe":
                return GenerateStripeEvent(args);
            default:
                return Usage("generate-event needs apigateway-http, sqs, schedule, cloudformation or stripe");
        }
    }

    /// <summary>A signed Stripe event as a curl command; the secret is --secret or STRIPE_WEBHOOK_SECRET's first.</summary>
    private static int GenerateStripeEvent(string[] args)
    {
        if (args.Length < 2 || !StripeEvents.Types.Contains(args[1]))
        {
            return Usage($"generate-event stripe needs a type: {string.Join(", ", StripeEvents.Types)}");
        }

        var amount = Option(args, "--amount") ?? "2000";
        if (!long.TryParse(amount, NumberStyles.None, CultureInfo.InvariantCulture, out var minor) || minor <= 0)
        {
            return Usage($"--amount '{amount}' is not a whole number of minor units (2000 is 20.00 USD)");
        }

        var metadata = new Dictionary<string, string>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--metadata")
            {
                var (key, value) = args[i + 1].Split('=', 2) is [var k, var v] && k.Length > 0 ? (k, v) : throw new FormatException($"--metadata '{args[i + 1]}' is not key=value");
                metadata[key] = value;
            }
        }

        var secret = Option(args, "--secret") ?? Environment.GetEnvironmentVariable("STRIPE_WEBHOOK_SECRET");
        if (string.IsNullOrWhiteSpace(secret))
        {
            return Usage("generate-event stripe signs with --secret, or with STRIPE_WEBHOOK_SECRET when that is set");
        }

        var now = DateTimeOffset.UtcNow;
        var body = StripeEvents.Json(StripeEvents.Event(args[1], minor, (Option(args, "--currency") ?? "usd").ToLowerInvariant(), metadata, now,
            Option(args, "--charge"), Option(args, "--account"), Option(args, "--balance-transaction")));
        var url = Option(args, "--url") ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("PORT") ?? "3000"}/api/v1/webhooks/stripe";
        Console.WriteLine(StripeEvents.Curl(url, body, secret, now));
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
        var file = Option(args, "--file");
        if (file is null)
        {
            return Usage("import-statement needs --file (and --account for a file that does not name its account, such as a CSV export)");
        }

        return await ImportStatementCommand.RunAsync(
            Option(args, "--tenant") ?? TenantStore.Default, Option(args, "--account"), Option(args, "--format") ?? "auto", Option(args, "--mapping"), file,
            Option(args, "--mapping-file"));
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
