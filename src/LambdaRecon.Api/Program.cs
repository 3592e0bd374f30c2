using LambdaRecon.Api;
using LambdaRecon.Api.Hosting;
using LambdaRecon.Lambda.Runtime;

// On a custom runtime (provided.al2023) this executable is the function's bootstrap: Lambda sets the Runtime
// API's address, and the loop serves its events with the same handler the managed runtime calls.
if (Environment.GetEnvironmentVariable(RuntimeApiLoop.RuntimeApiVariable) is { Length: > 0 } runtimeApi)
{
    return await RuntimeApiLoop.RunAsync(runtimeApi, Function.StartForRuntimeLoopAsync);
}

await ApiHost.Build(args).RunAsync();
return 0;

/// <summary>The entry point, named so that tests can host the app with WebApplicationFactory.</summary>
public partial class Program;
