using System.Text.Json;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Local.Tests;

/// <summary>`invoke`: one entry point on an event file, through the handler string, as Lambda would call it.</summary>
public class InvokeTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));

    private static async Task<JsonElement> InvokeAsync(string function, string eventFile)
    {
        var invoker = new FunctionInvoker(Template.Function(function));
        await using var input = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Events", eventFile));
        await using var output = await invoker.HandleAsync(input);
        return (await JsonDocument.ParseAsync(output)).RootElement.Clone();
    }

    [Fact]
    public async Task The_api_function_answers_an_http_api_event()
    {
        TestEnvironment.Require("DATABASE_URL");

        var response = await InvokeAsync("ApiFunction", "http-api-v2-health.json");

        Assert.Equal(200, response.GetProperty("statusCode").GetInt32());
        Assert.Contains("\"ok\"", response.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reconcile_function_runs_on_the_aws_sample_scheduled_event()
    {
        TestEnvironment.Require("DATABASE_URL");

        var summary = await InvokeAsync("ReconcileFunction", "scheduled-event.json");

        Assert.NotEqual(Guid.Empty, summary.GetProperty("run_id").GetGuid());
        Assert.True(summary.GetProperty("status_counts").TryGetProperty("POSTED", out _));
    }
}
