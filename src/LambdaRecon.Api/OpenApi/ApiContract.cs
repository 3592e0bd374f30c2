using System.ComponentModel;
using System.Globalization;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Infrastructure.Auth;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace LambdaRecon.Api.OpenApi;

/// <summary>
/// The API's OpenAPI document, generated from the endpoints and their metadata, served at /openapi/v1.json; and
/// the Scalar reference page over it at /scalar/v1, served only when LAMBDARECON_API_REFERENCE is true.
/// docs/openapi.json is a copy of the document: <c>./run.sh openapi > docs/openapi.json</c> writes it again.
/// </summary>
public static class ApiContract
{
    public const string DocumentName = "v1";

    /// <summary>The API's version: the /api/v1 routes, as published in docs/openapi.json.</summary>
    public const string Version = "1.0.0";

    /// <summary>true serves the reference page; off unless set (./run.sh sets it, template.yaml's ApiReference parameter passes it).</summary>
    public const string ReferenceSetting = "LAMBDARECON_API_REFERENCE";

    /// <summary>The one security scheme: an API key as a bearer token.</summary>
    public const string BearerScheme = "bearer";

    /// <summary>The server named by a document built without a request (the committed copy): the local run.</summary>
    public const string LocalServer = "http://127.0.0.1:3000";

    public static void AddApiContract(this IServiceCollection services)
    {
        // The servers of a served document come from the request it answers (scheme, host, API Gateway stage).
        services.AddHttpContextAccessor();
        services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer<DocumentContract>();
            options.AddOperationTransformer<OperationContract>();
            // A property of any JSON (an amount as number or string, metadata) has an empty schema, which the generator
            // gives no description of its own: the property's [Description] is what tells a reader what it holds.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (schema is OpenApiSchema { Description: null } described
                    && context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(DescriptionAttribute), inherit: true)
                        .FirstOrDefault() is DescriptionAttribute attribute)
                {
                    described.Description = attribute.Description;
                }

                return Task.CompletedTask;
            });
        });
    }

    public static void MapApiContract(this WebApplication app)
    {
        // The document is served whatever the setting: it is the contract clients and code generators read, it
        // holds no data and says nothing the committed docs/openapi.json does not, and it costs nothing until asked.
        app.MapOpenApi();
        if (ReferenceEnabled(app.Configuration))
        {
            app.MapScalarApiReference(options => options
                .WithTitle("LambdaRecon API reference")
                .AddPreferredSecuritySchemes(BearerScheme)
                .AddHttpAuthentication(BearerScheme, bearer => bearer.Token = "")
                .EnablePersistentAuthentication()
                .WithDefaultHttpClient(ScalarTarget.Shell, ScalarClient.Curl));
        }
    }

    public static bool ReferenceEnabled(IConfiguration configuration) =>
        string.Equals(configuration[ReferenceSetting], "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The document of the app <see cref="ApiHost.Build"/> makes, as OpenAPI 3.1 JSON, without a request and without a
    /// service: ./run.sh openapi writes it, a test compares it with docs/openapi.json. The app is started on a server
    /// that listens nowhere, since its endpoints reach the document's generator only when its pipeline is built.
    /// </summary>
    public static async Task<string> GenerateAsync(CancellationToken cancellationToken)
    {
        await using var app = ApiHost.Build([], builder => builder.Services.AddSingleton<IServer, NoServer>(), checkSettings: false);
        await app.StartAsync(cancellationToken);
        try
        {
            return await DocumentJsonAsync(app.Services, cancellationToken);
        }
        finally
        {
            await app.StopAsync(cancellationToken);
        }
    }

    private static async Task<string> DocumentJsonAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var provider = services.GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName);
        var document = await provider.GetOpenApiDocumentAsync(cancellationToken);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        document.SerializeAsV31(new OpenApiJsonWriter(text));
        return text.ToString().ReplaceLineEndings("\n") + "\n";
    }

    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }

    /// <summary>The scopes a key may hold, as the bearer scheme's description lists them.</summary>
    internal static string ScopeList() => string.Join(", ", ApiScopes.All.Select(s => $"`{s}`"));
}
