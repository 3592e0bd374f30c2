using LambdaRecon.Api.Hosting;
using LambdaRecon.Infrastructure.Auth;

// The local stand-in for `sam local`: for now it serves the API on Kestrel.
var port = Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } p ? p : "3000";
var app = ApiHost.Build(args);
app.Urls.Add($"http://127.0.0.1:{port}");

// The key in LAMBDARECON_API_KEY, or a new one printed here, gets every scope for local use.
var key = Environment.GetEnvironmentVariable("LAMBDARECON_API_KEY") is { Length: > 0 } given ? given : ApiKeyStore.NewKey();
await app.Services.GetRequiredService<ApiKeyStore>().RegisterAsync(key, "local", ApiScopes.All, CancellationToken.None);
if (key != Environment.GetEnvironmentVariable("LAMBDARECON_API_KEY"))
{
    await Console.Error.WriteLineAsync($"API key for this run (all scopes): {key}   (set LAMBDARECON_API_KEY to choose your own)");
}

await app.RunAsync();
