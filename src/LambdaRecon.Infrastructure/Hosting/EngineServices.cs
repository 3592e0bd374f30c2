using LambdaRecon.Infrastructure.Health;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Migrations;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Tenants;
using LambdaRecon.Infrastructure.Tracing;
using LambdaRecon.Infrastructure.Transactions;
using LambdaRecon.Infrastructure.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Trace;

namespace LambdaRecon.Infrastructure.Hosting;

/// <summary>
/// The one composition root: every service of every function and of the local runner is registered
/// here, each a singleton built on first use, so a function pays only for what it resolves (the worker
/// never builds a Redis client, and an SQS client only for a failed batch) and each costly object exists once per execution environment.
/// </summary>
public static class EngineServices
{
    /// <summary>Registers the engine's services; the settings come from the registered IConfiguration.</summary>
    public static IServiceCollection AddLambdaRecon(this IServiceCollection services)
    {
        services.AddSingleton(sp => EngineSettings.From(name => sp.GetRequiredService<IConfiguration>()[name]));
        services.AddSingleton(sp => new EngineResources(sp.GetRequiredService<EngineSettings>()));
        services.AddSingleton(sp => sp.GetRequiredService<EngineResources>().DataSource);
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<LedgerReader>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<TransactionIntake>();
        services.AddSingleton<TransactionReader>();
        services.AddSingleton<TransactionAcceptance>();
        services.AddSingleton<QueueStatsReader>();
        services.AddSingleton<StatementStore>();
        services.AddSingleton<StatementMappingStore>();
        services.AddSingleton<ExternalIdStore>();
        services.AddSingleton<StatementImporter>();
        services.AddSingleton(sp => new ReconciliationService(sp.GetRequiredService<NpgsqlDataSource>())
        {
            WebhookWindow = WebhookEventProcessor.Window(name => sp.GetRequiredService<IConfiguration>()[name]),
        });
        services.AddSingleton<ReconciliationReader>();
        services.AddSingleton<BreakResolution>();
        services.AddSingleton<SuggestionStore>();
        services.AddSingleton<ScheduledReconciliation>();
        services.AddSingleton<WebhookEventStore>();
        services.AddSingleton<WebhookEventProcessor>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new WebhookProviders(sp.GetRequiredService<IConfiguration>(), () => sp.GetRequiredService<EngineResources>().Ssm));
        if (WorkerHeartbeat.InProcess is { } heartbeat)
        {
            services.AddSingleton(heartbeat);
        }

        // Transactions still ACCEPTED, and webhook events with no outcome, after a minute are swept, unless LAMBDARECON_SWEEP_STUCK_SECONDS says otherwise.
        static TimeSpan StuckAfter(IServiceProvider sp) =>
            TimeSpan.FromSeconds(int.TryParse(sp.GetRequiredService<IConfiguration>()["LAMBDARECON_SWEEP_STUCK_SECONDS"], out var s) && s > 0 ? s : 60);
        services.AddSingleton(sp => new PipelineSweep(
            sp.GetRequiredService<EngineResources>(), sp.GetRequiredService<TransactionPublisher>(), sp.GetRequiredService<ILogger<PipelineSweep>>())
        {
            StuckAfter = StuckAfter(sp),
        });
        services.AddSingleton(sp => new WebhookSweep(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<WebhookEventProcessor>(), sp.GetRequiredService<ILogger<WebhookSweep>>())
        {
            StuckAfter = StuckAfter(sp),
        });
        services.AddSingleton(sp =>
        {
            var resources = sp.GetRequiredService<EngineResources>();
            return new WebhookEventPublisher(resources.Sqs, resources.Settings.WebhookQueueUrl);
        });
        services.AddSingleton(sp =>
        {
            var resources = sp.GetRequiredService<EngineResources>();
            return new TransactionPublisher(resources.Sqs, resources.Settings.QueueUrl);
        });
        services.AddSingleton(sp =>
        {
            var resources = sp.GetRequiredService<EngineResources>();
            return new DeadLetterRedrive(resources.Sqs, resources.Settings.DlqUrl, resources.Settings.QueueUrl);
        });
        services.AddSingleton(sp =>
        {
            // Replays are served from Redis for 24 h unless LAMBDARECON_IDEMPOTENCY_TTL_HOURS says otherwise.
            var hours = int.TryParse(sp.GetRequiredService<IConfiguration>()["LAMBDARECON_IDEMPOTENCY_TTL_HOURS"], out var h) && h > 0 ? h : 24;
            return new IdempotencyCache(sp.GetRequiredService<EngineResources>(), TimeSpan.FromHours(hours));
        });
        return services;
    }

    /// <summary>
    /// One flat JSON object per line on stdout (<see cref="JsonLineLoggerProvider"/>): what Lambda hands to
    /// CloudWatch Logs, where each field can be queried. The level is Lambda's (advanced logging controls
    /// set AWS_LAMBDA_LOG_LEVEL).
    /// </summary>
    public static ILoggingBuilder AddLambdaReconLogging(this ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LevelFrom(configuration["AWS_LAMBDA_LOG_LEVEL"]));
        // The API writes its own line per request (method, route, status, duration, ids); the framework's
        // per-request Information lines would say less and cost as much.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        // Off altogether: its scope would put the raw path (ids, keys) on every line; the API's own scope
        // puts the request id there instead.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Logs are stderr for the local runner's commands, whose stdout is their answer; Lambda reads both.
        var toStandardError = string.Equals(configuration["LAMBDARECON_LOG_TO_STDERR"], "true", StringComparison.OrdinalIgnoreCase);
        logging.AddProvider(new JsonLineLoggerProvider(toStandardError ? () => Console.Error : () => Console.Out));
        return logging;
    }

    /// <summary>
    /// Traces for every function: the process's OpenTelemetry provider, exporting OTLP when
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set (console with OTEL_TRACES_EXPORTER=console) and absent otherwise, so
    /// that spans cost nothing. Each Lambda handler ends with <see cref="EngineTracing.Flush"/>.
    /// </summary>
    public static void StartTracing(IConfiguration configuration, Action<TracerProviderBuilder>? configure = null) =>
        EngineTracing.Start(configuration, configure);

    /// <summary>
    /// The services of a function that is not a web app (worker, reconciler, migrator, local commands):
    /// the environment as configuration, the logging above, the engine; fails naming every missing
    /// variable of <paramref name="required"/>, and only of those.
    /// </summary>
    public static ServiceProvider BuildForFunction(EngineParts required)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        StartTracing(configuration);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => logging.AddLambdaReconLogging(configuration));
        services.AddLambdaRecon();
        var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<EngineSettings>().Require(required);
            return provider;
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    private static LogLevel LevelFrom(string? level) => level?.Trim().ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "FATAL" => LogLevel.Critical,
        _ => LogLevel.Information,
    };
}
