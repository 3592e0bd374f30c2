using LambdaRecon.Api.Hosting;

ApiHost.Build(args).Run();

/// <summary>The entry point, named so that tests can host the app with WebApplicationFactory.</summary>
public partial class Program;
