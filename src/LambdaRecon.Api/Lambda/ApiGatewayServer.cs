using System.Text.Json;
using LambdaRecon.Api.Problems;
using LambdaRecon.Lambda.ApiGateway;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace LambdaRecon.Api.Lambda;

/// <summary>
/// Takes Kestrel's place on Lambda. It opens no socket: each API Gateway event becomes one request through
/// the app's whole pipeline (routing, problem+json, the request's logging scope), and the response the
/// app wrote becomes the invocation's answer.
/// </summary>
internal sealed partial class ApiGatewayServer(ILogger<ApiGatewayServer> logger) : IServer
{
    // Captured when the host starts the server: the host's application type is only known to StartAsync.
    private Func<ApiGatewayHttpRequest, Task<ApiGatewayHttpResponse>>? _process;

    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        _process = request => ProcessAsync(application, request);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _process = null;
        return Task.CompletedTask;
    }

    public void Dispose() => _process = null;

    public Task<ApiGatewayHttpResponse> ProcessAsync(ApiGatewayHttpRequest request) =>
        (_process ?? throw new InvalidOperationException("The host has not started the API Gateway server."))(request);

    // The order Kestrel follows for each request: run the app, start the response if the app did not
    // (OnStarting callbacks), complete the body, run OnCompleted callbacks, dispose the context.
    private async Task<ApiGatewayHttpResponse> ProcessAsync<TContext>(
        IHttpApplication<TContext> application, ApiGatewayHttpRequest request)
        where TContext : notnull
    {
        if (ApiGatewayRequestFeatures.Create(request) is not { } features)
        {
            return InvalidPath(request);
        }

        var response = new BufferedResponse();
        features.Set<IHttpResponseFeature>(response);
        features.Set<IHttpResponseBodyFeature>(response);

        var context = application.CreateContext(features);
        Exception? failure = null;
        try
        {
            await application.ProcessRequestAsync(context);
            await response.CompleteAsync();
        }
        catch (Exception exception)
        {
            // Past the app's own exception handler: what Kestrel does too, a bare 500 whether or not the
            // response had started, since half a response is no answer.
            failure = exception;
            LogUnhandledException(logger, exception, request.RequestContext.RequestId);
        }

        var answer = failure is null ? response.ToApiGatewayResponse() : new ApiGatewayHttpResponse { StatusCode = 500 };
        await response.RunOnCompletedAsync(logger);
        application.DisposeContext(context, failure);
        return answer;
    }

    // Kestrel refuses such a request before the app sees it; the app's problem+json shape, written here.
    private static ApiGatewayHttpResponse InvalidPath(ApiGatewayHttpRequest request) => new()
    {
        StatusCode = 400,
        Headers = new Dictionary<string, string> { ["Content-Type"] = "application/problem+json" },
        Body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = Problem.TypeBase + "invalid-request",
            ["title"] = "The request is not valid HTTP",
            ["status"] = 400,
            ["detail"] = "the request path contains an encoded NUL (%00), which no resource path may hold",
            ["trace_id"] = request.RequestContext.RequestId,
        }),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "The app let an exception through for API Gateway request {RequestId}")]
    private static partial void LogUnhandledException(ILogger logger, Exception exception, string requestId);
}
