using LambdaRecon.Api.Problems;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Tenants;

namespace LambdaRecon.Api.Auth;

/// <summary>
/// Bearer API keys: 401 for a missing or unknown key, 403 for a key without the scope an endpoint
/// needs. The seed's "demo-token" works only when LAMBDARECON_ALLOW_DEMO_TOKEN=true (development), as a
/// client of the default tenant.
/// </summary>
public static class ApiAuth
{
    public const string DemoToken = "demo-token";

    private const string ClientItem = "lambdarecon.client";

    private static readonly ApiClient DemoClient = new("demo", TenantStore.Default, ApiScopes.All.ToHashSet(StringComparer.Ordinal));

    /// <summary>Requires a key holding any one of <paramref name="scopes"/> (admin holds them all).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] scopes)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var client = await AuthenticateAsync(http);
            if (client is null)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return Problem.Of(StatusCodes.Status401Unauthorized, "unauthorized", "Authentication required",
                    "send an API key as 'Authorization: Bearer <key>'");
            }

            if (!scopes.Any(client.Has))
            {
                return Problem.Of(StatusCodes.Status403Forbidden, "forbidden", "Missing scope",
                    $"this key lacks the scope this endpoint needs: {string.Join(" or ", scopes)}");
            }

            http.Items[ClientItem] = client;
            return await next(context);
        });
        return builder.WithMetadata(new RequiredScopes(scopes));
    }

    public static ApiClient Client(this HttpContext http) =>
        http.ClientOrNull() ?? throw new InvalidOperationException("the endpoint has no RequireScope");

    /// <summary>The authenticated client, or null before authentication, on a refused key and on open endpoints.</summary>
    public static ApiClient? ClientOrNull(this HttpContext http) => http.Items[ClientItem] as ApiClient;

    private static async Task<ApiClient?> AuthenticateAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return null;
        }

        var key = header[7..].Trim();
        var configuration = http.RequestServices.GetRequiredService<IConfiguration>();
        if (key == DemoToken)
        {
            return string.Equals(configuration["LAMBDARECON_ALLOW_DEMO_TOKEN"], "true", StringComparison.OrdinalIgnoreCase) ? DemoClient : null;
        }

        return await http.RequestServices.GetRequiredService<ApiKeyStore>().AuthenticateAsync(key, http.RequestAborted);
    }

    /// <summary>The scopes an endpoint needs, for the OpenAPI document and for readers of the code.</summary>
    public sealed record RequiredScopes(string[] Scopes);
}
