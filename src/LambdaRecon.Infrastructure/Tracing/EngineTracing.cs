using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LambdaRecon.Infrastructure.Tracing;

/// <summary>
/// The engine's spans and the one OpenTelemetry tracer provider of a process. Exporting is off unless
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (or OTEL_TRACES_EXPORTER=console): then no listener exists, every
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and tracing costs nothing.
/// </summary>
/// <remarks>
/// One provider per process, not per service provider: the local runner hosts the API, the worker and the
/// reconciler in one process, and a provider each would export every span three times.
/// </remarks>
public static class EngineTracing
{
    public const string SourceName = "LambdaRecon";

    /// <summary>Every span the engine makes itself: accept path, worker batches and messages, reconciliation runs.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    private static readonly Lock Gate = new();
    private static bool _started;
    private static TracerProvider? _provider;

    /// <summary>How long the end of an invocation may wait for its spans to leave.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The engine's sources and resource on any tracer provider: the exporting one below, a test's in-memory one.</summary>
    public static TracerProviderBuilder AddLambdaReconTracing(this TracerProviderBuilder builder, string serviceName)
    {
        // X-Ray reads the first 8 hex digits of a trace id as its start time (epoch seconds) and drops traces
        // that are not recent, so trace ids are made that way: the AWSTraceHeader we pass on stays valid.
        Activity.TraceIdGenerator = XRayCompatibleTraceId;
        return builder
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(serviceName))
            .AddSource(SourceName)
            .AddNpgsql();
    }

    /// <summary>
    /// Starts the process's provider the first time a function (or the API) is built, when the environment
    /// asks for an exporter; later calls do nothing. <paramref name="configure"/> adds what only that host has
    /// (ASP.NET Core's request spans). It is disposed, so flushed, when the process exits.
    /// </summary>
    public static void Start(IConfiguration configuration, Action<TracerProviderBuilder>? configure = null)
    {
        lock (Gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            var exporter = configuration["OTEL_TRACES_EXPORTER"]?.Trim().ToLowerInvariant()
                ?? (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ? "none" : "otlp");
            if (exporter is not ("otlp" or "console"))
            {
                return;
            }

            // Under Lambda each function is its own service; the local runner's one process is "lambdarecon".
            var serviceName = configuration["OTEL_SERVICE_NAME"] ?? configuration["AWS_LAMBDA_FUNCTION_NAME"] ?? "lambdarecon";
            var builder = Sdk.CreateTracerProviderBuilder().AddLambdaReconTracing(serviceName);
            configure?.Invoke(builder);
            // The OTLP exporter reads OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL and _HEADERS itself; it batches spans,
            // which is why each Lambda invocation ends with Flush().
            _ = exporter == "console" ? builder.AddConsoleExporter() : builder.AddOtlpExporter();
            var provider = builder.Build();
            _provider = provider;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => provider.Dispose();
        }
    }

    /// <summary>
    /// Sends the spans still buffered. Lambda may freeze the environment as soon as the handler returns,
    /// with the exporter's batch unsent, so every handler calls this last. Nothing to do when not exporting.
    /// </summary>
    public static void Flush() => _provider?.ForceFlush((int)FlushTimeout.TotalMilliseconds);

    /// <summary>Marks a span failed with the exception's type and message.</summary>
    public static void Failed(this Activity? activity, Exception exception) =>
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name + ": " + exception.Message);

    private static ActivityTraceId XRayCompatibleTraceId()
    {
        Span<byte> id = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(id, (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        RandomNumberGenerator.Fill(id[4..]);
        return ActivityTraceId.CreateFromBytes(id);
    }
}
