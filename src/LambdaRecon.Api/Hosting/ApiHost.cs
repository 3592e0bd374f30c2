using System.Text.Json;
using LambdaRecon.Api.Health;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Configuration;

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
        builder.Services.AddSingleton(sp =>
            new EngineResources(EngineSettings.From(name => sp.GetRequiredService<IConfiguration>()[name])));
    }

    public static void MapApplication(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthApi();
    }
}
