using System.Text.Json;
using System.Text.Json.Serialization;
using LambdaRecon.Api.Accounts;
using LambdaRecon.Api.Admin;
using LambdaRecon.Api.Health;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Api.Problems;
using LambdaRecon.Api.Reconciliation;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Api.Webhooks;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Webhooks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Trace;

namespace LambdaRecon.Api.Hosting;

/// <summary>
/// Builds the one API app that Kestrel (local runner), the tests and the Lambda entry point all serve.
/// </summary>
public static class ApiHost
{
    /// <param name="checkSettings">false only to write the OpenAPI document (./run.sh openapi), which touches no service.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, bool checkSettings = true)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddApplicationServices();
        configure?.Invoke(builder);
        var app = builder.Build();

        // Fail at start, naming every missing variable, rather than on the first request that needs it.
        if (checkSettings)
        {
            app.Services.GetRequiredService<EngineSettings>().Require(Function.Requires);
            // And naming what is wrong with LAMBDARECON_WEBHOOK_PROVIDERS.
            app.Services.GetRequiredService<WebhookProviders>();
        }

        app.MapApplication();
        return app;
    }

    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Logging.AddLambdaReconLogging(builder.Configuration);
        // Each request is the root span of its trace (route template, status), the accept path's spans under it.
        EngineServices.StartTracing(builder.Configuration, tracing => tracing.AddAspNetCoreInstrumentation());
        builder.Services.AddLambdaRecon();
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = RequestLog.Customize);
        builder.Services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemWriter>();
        builder.Services.AddSingleton(sp => EmbeddedMetrics.ForFunction("ApiFunction", sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddExceptionHandler<DatabaseUnavailable>();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // Numbers are written as numbers, and no endpoint binds a body through these options (each reads its own
            // JSON strictly), so the web default that also reads "12" as 12 only made the document say
            // ["integer","string"] with a pattern.
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddApiContract();
        builder.Services.Configure<KestrelServerOptions>(RequestLimits.Configure);
    }

    public static void MapApplication(this WebApplication app)
    {
        app.UseRequestLog();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLimits();
        app.MapApiContract();
        app.MapHealthApi();
        app.MapTransactionsApi();
        app.MapAccountsApi();
        app.MapReconciliationApi();
        app.MapSuggestionsApi();
        app.MapStatementMappingsApi();
        app.MapKeysApi();
        app.MapTenantsApi();
        app.MapWebhooksApi();
    }
}
