using System.Text.Json;
using LambdaRecon.Api.Accounts;
using LambdaRecon.Api.Health;
using LambdaRecon.Api.Reconciliation;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Transactions;
using Scalar.AspNetCore;

namespace LambdaRecon.Api.Hosting;

/// <summary>
/// Builds the one API app that Kestrel (local runner), the tests and the Lambda entry point all serve.
/// </summary>
public static class ApiHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddApplicationServices();
        configure?.Invoke(builder);
        var app = builder.Build();

        // Fail at start, naming the missing variable, rather than on the first request.
        _ = app.Services.GetRequiredService<EngineResources>();

        app.MapApplication();
        return app;
    }

    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // The framework's per-request Information lines would cost more than the requests they describe.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddJsonConsole(options =>
        {
            // One JSON object per line with the request id from the hosting scope: what CloudWatch parses.
            options.IncludeScopes = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        });

        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(sp =>
            new EngineResources(EngineSettings.From(name => sp.GetRequiredService<IConfiguration>()[name])));
        builder.Services.AddSingleton(sp => sp.GetRequiredService<EngineResources>().DataSource);
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<LedgerReader>();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<TransactionIntake>();
        builder.Services.AddSingleton<TransactionReader>();
        builder.Services.AddSingleton<AcceptServices>();
        builder.Services.AddSingleton<StatementStore>();
        builder.Services.AddSingleton<ReconciliationService>();
        builder.Services.AddSingleton<ReconciliationReader>();
        builder.Services.AddSingleton<BreakResolution>();
        builder.Services.AddSingleton(sp =>
        {
            var resources = sp.GetRequiredService<EngineResources>();
            return new TransactionPublisher(resources.Sqs, resources.Settings.QueueUrl);
        });
        builder.Services.AddSingleton(sp =>
        {
            // Replays are served from Redis for 24 h unless LAMBDARECON_IDEMPOTENCY_TTL_HOURS says otherwise.
            var hours = int.TryParse(sp.GetRequiredService<IConfiguration>()["LAMBDARECON_IDEMPOTENCY_TTL_HOURS"], out var h) && h > 0 ? h : 24;
            return new IdempotencyCache(sp.GetRequiredService<EngineResources>(), TimeSpan.FromHours(hours));
        });
    }

    public static void MapApplication(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapHealthApi();
        app.MapTransactionsApi();
        app.MapAccountsApi();
        app.MapReconciliationApi();
    }
}
