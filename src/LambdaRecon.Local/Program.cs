using LambdaRecon.Api.Hosting;

// The local stand-in for `sam local`: for now it serves the API on Kestrel.
var port = Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } p ? p : "3000";
var app = ApiHost.Build(args);
app.Urls.Add($"http://127.0.0.1:{port}");
await app.RunAsync();
