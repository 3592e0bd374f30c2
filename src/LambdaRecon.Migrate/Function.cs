using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Migrations;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.CloudFormation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Migrate;

/// <summary>
/// MigrateFunction's handler (LambdaRecon.Migrate::LambdaRecon.Migrate.Function::HandleAsync), run by
/// CloudFormation as the DatabaseMigration custom resource: on Create and Update it applies the migrations
/// built into this package and registers the bootstrap admin key; on Delete it touches nothing. Whatever
/// happens it answers CloudFormation through the ResponseURL (a stack otherwise waits an hour): SUCCESS,
/// or FAILED with the reason, which rolls the deploy back. It returns the answer it sent.
/// </summary>
[SuppressMessage("Naming", "CA1716", Justification = "template.yaml's Handler names this class, as AWS's own samples name theirs.")]
public sealed partial class Function
{
    public const string PhysicalId = "lambdarecon-database-schema";

    /// <summary>Only PostgreSQL (and Parameter Store, for its secret and the admin key's) is needed.</summary>
    public const EngineParts Requires = EngineParts.Database;

    // Built once per execution environment.
    private static readonly Lazy<ServiceProvider> Services = new(() => EngineServices.BuildForFunction(Requires), LazyThreadSafetyMode.PublicationOnly);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static readonly ILogger Logger = LoggerFactory.Create(logging => logging.AddLambdaReconLogging(
        new ConfigurationBuilder().AddEnvironmentVariables().Build())).CreateLogger<Function>();

    [SuppressMessage("Performance", "CA1822", Justification = "Lambda calls the handler on an instance it creates.")]
    public async Task<Stream> HandleAsync(Stream input)
    {
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer);
        CustomResourceRequest request;
        try
        {
            request = JsonSerializer.Deserialize(buffer.ToArray(), LambdaJsonContext.Default.CustomResourceRequest)
                ?? throw new JsonException("the event is JSON null");
        }
        catch (JsonException e)
        {
            // No ResponseURL can be read, so no answer can be sent: Lambda reports this error instead.
            throw new InvalidDataException($"not a CloudFormation custom resource event: {e.Message}", e);
        }

        var problems = request.Problems();
        if (problems.Any(p => p.StartsWith("ResponseURL", StringComparison.Ordinal)))
        {
            throw new InvalidDataException("a custom resource event that cannot be answered: " + string.Join("; ", problems));
        }

        var response = problems.Count > 0 ? Answer(request, CustomResourceResponse.Failed, "malformed custom resource event: " + string.Join("; ", problems))
            : request.RequestType == "Delete" ? Answer(request, CustomResourceResponse.Success, "nothing deleted: the schema and its data stay")
            : OtherVersion(request) is { } other ? Answer(request, CustomResourceResponse.Success,
                $"an Update for MigrateFunction version {other}, answered by another version: nothing migrated (a rollback in progress)")
            : await MigrateAsync(request);
        await SendAsync(request.ResponseUrl!, response);
        return LambdaPayload.Write(response, LambdaJsonContext.Default.CustomResourceResponse);
    }

    private static async Task<CustomResourceResponse> MigrateAsync(CustomResourceRequest request)
    {
        var deadline = Deadline();
        try
        {
            using var timeout = new CancellationTokenSource(deadline);
            var services = Services.Value;
            var report = await services.GetRequiredService<SchemaMigrator>().MigrateAsync(timeout.Token);
            var adminKey = "not configured";
            if (Environment.GetEnvironmentVariable("ADMIN_API_KEY_SECRET_ID") is { Length: > 0 } secretId)
            {
                var created = await AdminKeyBootstrap.RunAsync(
                    services.GetRequiredService<EngineResources>().Ssm, services.GetRequiredService<ApiKeyStore>(), secretId, timeout.Token);
                adminKey = created ? "registered" : "already known";
            }

            var applied = report.Applied.Count == 0 ? "none" : string.Join(",", report.Applied.Select(m => m.Version));
            LogMigrated(Logger, request.RequestType!, report.Version, applied, adminKey);
            return Answer(request, CustomResourceResponse.Success, $"schema at version {report.Version}; applied: {applied}; admin key: {adminKey}",
                new Dictionary<string, string>
                {
                    ["Version"] = report.Version.ToString(CultureInfo.InvariantCulture),
                    ["Applied"] = applied,
                });
        }
        catch (OperationCanceledException)
        {
            return Failed(request, $"the migrations did not finish within {deadline.TotalSeconds:0} s (MIGRATE_DEADLINE_SECONDS): the running one was rolled back");
        }
        catch (Exception e)
        {
            // Anything at all: a stack left waiting for an answer is worse than any error message.
            LogFailed(Logger, e, request.RequestType ?? "?");
            return Failed(request, e.Message);
        }
    }

    /// <summary>
    /// The version an Update names (FunctionVersion, a version ARN) when it is not this one: during a rollback
    /// CloudFormation may call the new code with the old version's properties, and migrating then would retry
    /// the migration that failed and leave the stack in UPDATE_ROLLBACK_FAILED.
    /// </summary>
    private static string? OtherVersion(CustomResourceRequest request)
    {
        var own = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_VERSION");
        if (request.RequestType != "Update" || own is null or "$LATEST"
            || request.ResourceProperties is not { ValueKind: JsonValueKind.Object } properties
            || !properties.TryGetProperty("FunctionVersion", out var named) || named.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var version = named.GetString()!.Split(':')[^1];
        return version == own ? null : version;
    }

    private static CustomResourceResponse Failed(CustomResourceRequest request, string reason)
    {
        var where = Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_STREAM_NAME") is { Length: > 0 } stream ? $" (log stream {stream})" : "";
        return Answer(request, CustomResourceResponse.Failed, reason + where);
    }

    private static CustomResourceResponse Answer(
        CustomResourceRequest request, string status, string reason, IReadOnlyDictionary<string, string>? data = null) => new()
        {
            Status = status,
            // The whole answer must stay under 4 KB.
            Reason = reason.Length > 1000 ? reason[..1000] + "…" : reason,
            PhysicalResourceId = request.PhysicalResourceId is { Length: > 0 } id ? id : PhysicalId,
            StackId = request.StackId ?? "",
            RequestId = request.RequestId ?? "",
            LogicalResourceId = request.LogicalResourceId ?? "",
            Data = data,
        };

    // MigrateFunction's Timeout is 300 s; stopping at 240 s leaves time to roll back and to answer.
    private static TimeSpan Deadline() =>
        int.TryParse(Environment.GetEnvironmentVariable("MIGRATE_DEADLINE_SECONDS"), out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(240);

    private static async Task SendAsync(string url, CustomResourceResponse response)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(response, LambdaJsonContext.Default.CustomResourceResponse);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // No Content-Type: the pre-signed S3 URL was signed without one, and S3 refuses a request that adds it.
                using var content = new ByteArrayContent(body);
                using var answer = await Http.PutAsync(new Uri(url), content);
                if (answer.IsSuccessStatusCode)
                {
                    return;
                }

                LogSendFailed(Logger, attempt, ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                LogSendFailed(Logger, attempt, e.Message);
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"CloudFormation's ResponseURL did not take the {response.Status} answer after 3 attempts");
            }

            await Task.Delay(TimeSpan.FromSeconds(attempt));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestType}: schema at version {Version}, applied {Applied}, admin key {AdminKey}")]
    private static partial void LogMigrated(ILogger logger, string requestType, int version, string applied, string adminKey);

    [LoggerMessage(Level = LogLevel.Error, Message = "{RequestType} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string requestType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answering CloudFormation failed (attempt {Attempt}): {Error}")]
    private static partial void LogSendFailed(ILogger logger, int attempt, string error);
}
