using System.Diagnostics.CodeAnalysis;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Api.Lambda;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Tracing;
using LambdaRecon.Lambda;
using Microsoft.AspNetCore.Hosting.Server;

namespace LambdaRecon.Api;

/// <summary>
/// ApiFunction's handler (LambdaRecon.Api::LambdaRecon.Api.Function::HandleAsync): an API Gateway HTTP API
/// event in, its response out, served by the same app that the local runner serves on Kestrel.
/// </summary>
[SuppressMessage("Naming", "CA1716", Justification = "template.yaml's Handler names this class, as AWS's own samples name theirs.")]
public sealed class Function
{
    // One app per execution environment, reused by every invocation while Lambda keeps the environment
    // warm. Environment variables cannot change under a running environment, so a start that failed
    // fails every later invocation with the same error instead of being retried.
    private static readonly Lazy<Task<ApiGatewayServer>> Server = new(StartAsync);

    /// <summary>The settings the API validates at start: it uses PostgreSQL, the queues and the Redis cache.</summary>
    public const EngineParts Requires = EngineParts.Database | EngineParts.Queues | EngineParts.Redis | EngineParts.WebhookQueue;

    private static int _starts;

    /// <summary>
    /// Lambda creates the handler's instance during its init phase, which runs before any request waits
    /// and at full CPU: starting the app from here takes most of the cold start off the first request.
    /// </summary>
    public Function() => _ = Server.Value;

    /// <summary>How many times this process has built and started the app.</summary>
    internal static int Starts => Volatile.Read(ref _starts);

    public async Task<Stream> HandleAsync(Stream input)
    {
        try
        {
            var request = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.ApiGatewayHttpRequest);
            var server = await Server.Value;
            var response = await server.ProcessAsync(request);
            return LambdaPayload.Write(response, LambdaJsonContext.Default.ApiGatewayHttpResponse);
        }
        finally
        {
            // Lambda may freeze the environment once the handler returns: the request's spans leave first.
            EngineTracing.Flush();
        }
    }

    /// <summary>The custom runtime's start: the app is up (or its failure thrown for /init/error) before the first event.</summary>
    internal static async Task<Func<Stream, Task<Stream>>> StartForRuntimeLoopAsync()
    {
        var function = new Function();
        await Server.Value;
        return function.HandleAsync;
    }

    private static async Task<ApiGatewayServer> StartAsync()
    {
        Interlocked.Increment(ref _starts);
        var app = ApiHost.Build([], builder => builder.Services.AddSingleton<IServer, ApiGatewayServer>());
        await app.StartAsync();
        return (ApiGatewayServer)app.Services.GetRequiredService<IServer>();
    }
}
