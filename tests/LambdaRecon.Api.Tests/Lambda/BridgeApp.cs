using System.Text;
using LambdaRecon.Api.Lambda;
using LambdaRecon.Lambda.ApiGateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Api.Tests.Lambda;

/// <summary>
/// A tiny app served by <see cref="ApiGatewayServer"/>: its endpoints report what reached them, or answer
/// in the ways the server must translate. It needs no PostgreSQL, Redis or SQS.
/// </summary>
public sealed class BridgeApp : IAsyncLifetime
{
    private WebApplication? _app;
    private ApiGatewayServer? _server;

    /// <summary>Completed by the OnCompleted callback that /completed registers.</summary>
    public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Task<ApiGatewayHttpResponse> SendAsync(ApiGatewayHttpRequest request) => _server!.ProcessAsync(request);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IServer, ApiGatewayServer>();
        _app = builder.Build();
        MapEndpoints(_app);
        await _app.StartAsync();
        _server = (ApiGatewayServer)_app.Services.GetRequiredService<IServer>();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private void MapEndpoints(WebApplication app)
    {
        app.MapMethods("/echo", ["GET", "POST"], (Delegate)EchoAsync);
        app.MapPost("/payments", (Payment payment) => TypedResults.Ok(payment));
        app.MapGet("/headers", (HttpContext http) =>
        {
            http.Response.Headers.Append("Vary", "Accept");
            http.Response.Headers.Append("Vary", "Origin");
            http.Response.Cookies.Append("session", "abc", new CookieOptions { Path = "/" });
            http.Response.Cookies.Append(
                "theme", "dark", new CookieOptions { Path = "/", Expires = new DateTimeOffset(2026, 10, 21, 7, 28, 0, TimeSpan.Zero) });
            http.Response.OnStarting(() =>
            {
                http.Response.Headers["X-Set-On-Starting"] = "yes";
                return Task.CompletedTask;
            });
            return TypedResults.Text("done", "text/plain; charset=utf-8");
        });
        app.MapGet("/text", () => TypedResults.Text("héllo wörld", "text/plain; charset=utf-8"));
        app.MapGet("/problem", () => TypedResults.Problem(statusCode: 422, title: "no"));
        app.MapGet("/binary", () => TypedResults.Bytes(new byte[] { 0x00, 0x01, 0x02, 0xFF }, "application/octet-stream"));
        app.MapGet("/latin1", () => TypedResults.Bytes(new byte[] { 0x68, 0xE9 }, "text/plain; charset=iso-8859-1"));
        app.MapGet("/no-content", () => TypedResults.NoContent());
        app.MapGet("/throws", string () => throw new InvalidOperationException("boom"));
        app.MapGet("/throws-after-start", async (HttpContext http) =>
        {
            await http.Response.WriteAsync("partial");
            throw new InvalidOperationException("boom after the response started");
        });
        app.MapGet("/completed", (HttpContext http) =>
        {
            http.Response.OnCompleted(() => throw new InvalidOperationException("a failing callback"));
            http.Response.OnCompleted(() =>
            {
                Completed.TrySetResult();
                return Task.CompletedTask;
            });
            return TypedResults.Ok();
        });
    }

    private static async Task<Echo> EchoAsync(HttpContext http)
    {
        var request = http.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        return new Echo(
            request.Method,
            request.Scheme,
            request.Protocol,
            request.PathBase.Value ?? "",
            request.Path.Value ?? "",
            request.QueryString.Value ?? "",
            request.Query["parameter1"].ToArray()!,
            request.Host.Value,
            request.ContentType,
            request.ContentLength,
            request.Cookies.ToDictionary(c => c.Key, c => c.Value),
            http.TraceIdentifier,
            http.Connection.RemoteIpAddress?.ToString(),
            Convert.ToHexString(body.ToArray()));
    }
}

/// <summary>What reached the app, as /echo reports it.</summary>
public sealed record Echo(
    string Method,
    string Scheme,
    string Protocol,
    string PathBase,
    string Path,
    string QueryString,
    string[] Parameter1,
    string? Host,
    string? ContentType,
    long? ContentLength,
    Dictionary<string, string> Cookies,
    string TraceIdentifier,
    string? RemoteIp,
    string BodyHex)
{
    public static string Hex(string text) => Convert.ToHexString(Encoding.UTF8.GetBytes(text));
}

public sealed record Payment(string TransactionId, string Amount, string Currency);
