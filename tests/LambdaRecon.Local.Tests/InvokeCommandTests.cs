using System.Text.Json;
using LambdaRecon.Lambda;
using LambdaRecon.Local.Events;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Local.Tests;

/// <summary>`invoke` and `generate-event` as `sam local invoke` and `sam local generate-event` behave.</summary>
[Collection(SharedQueueDefinition.Name)]
public class InvokeCommandTests
{
    private readonly string _p = "ic" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task A_generated_http_event_piped_to_invoke_prints_the_response_alone_on_stdout_and_a_report_on_stderr()
    {
        var generated = await LocalProcess.RunAsync(["generate-event", "apigateway-http", "--path", "/api/v1/health"]);
        var invoked = await LocalProcess.RunAsync(["invoke", "ApiFunction", "--event", "-"], generated.Stdout);

        Assert.Equal(0, generated.ExitCode);
        Assert.Equal(0, invoked.ExitCode);
        using var response = JsonDocument.Parse(invoked.Stdout);
        Assert.Equal(200, response.RootElement.GetProperty("statusCode").GetInt32());
        Assert.Contains("\"status\":\"ok\"", response.RootElement.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Matches(@"REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 1024 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms", invoked.Stderr);
    }

    [Fact]
    public async Task A_function_that_throws_prints_lambdas_error_document_and_exits_1()
    {
        var invoked = await LocalProcess.RunAsync(["invoke", "ReconcileFunction", "--event", "-"], "this is not json");

        Assert.Equal(1, invoked.ExitCode);
        using var error = JsonDocument.Parse(invoked.Stdout);
        Assert.Equal("JsonException", error.RootElement.GetProperty("errorType").GetString());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("errorMessage").GetString()));
        Assert.True(error.RootElement.GetProperty("stackTrace").GetArrayLength() > 0);
        Assert.Contains("REPORT RequestId:", invoked.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generated_sqs_transfer_invoked_on_the_worker_is_posted()
    {
        var api = await ApiFunctionClient.CreateAsync();
        await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(_p + "-to");

        var generated = await LocalProcess.RunAsync(
            ["generate-event", "sqs", "--source", _p + "-from", "--destination", _p + "-to", "--amount", "2.50", "--currency", "USD"]);
        var invoked = await LocalProcess.RunAsync(["invoke", "LedgerWorkerFunction", "--event", "-"], generated.Stdout);
        var balance = await api.SendAsync("GET", $"/api/v1/accounts/{_p}-to/balance");

        Assert.Equal(0, invoked.ExitCode);
        using var response = JsonDocument.Parse(invoked.Stdout);
        Assert.Equal(0, response.RootElement.GetProperty("batchItemFailures").GetArrayLength());
        Assert.Equal(250, balance.Json.GetProperty("balance_minor").GetInt64());
    }

    [Fact]
    public async Task A_handler_that_runs_past_its_timeout_gets_lambdas_timeout_error()
    {
        var function = Function("LambdaRecon.Local.Tests::LambdaRecon.Local.Tests.SlowFunction::HandleAsync", timeout: 1);

        var invocation = await new FunctionInvoker(function).InvokeAsync("{}"u8.ToArray());

        Assert.True(invocation.Failed);
        using var error = JsonDocument.Parse(invocation.Payload);
        Assert.Equal("Sandbox.Timedout", error.RootElement.GetProperty("errorType").GetString());
        Assert.EndsWith("Task timed out after 1.00 seconds", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Env_vars_files_override_the_template_for_declared_variables_only_the_functions_own_over_parameters()
    {
        var (declared, other, undeclared) = ("LR_" + _p + "_DECLARED", "LR_" + _p + "_OTHER", "LR_" + _p + "_UNDECLARED");
        var function = Function("unused", timeout: 3) with
        {
            LogicalId = "Fn",
            Environment = new Dictionary<string, string> { [declared] = "x", [other] = "x" },
            LocalEnvironment = new Dictionary<string, string> { [declared] = "template", [other] = "template" },
        };
        var file = Path.GetTempFileName();
        File.WriteAllText(file, $$$"""{"Parameters":{"{{{declared}}}":"parameters","{{{undeclared}}}":"x"},"Fn":{"{{{declared}}}":"function"}}""");

        FunctionEnvironment.Apply(function, file);

        Assert.Equal("function", Environment.GetEnvironmentVariable(declared));
        Assert.Equal("template", Environment.GetEnvironmentVariable(other));
        Assert.Null(Environment.GetEnvironmentVariable(undeclared));
    }

    [Fact]
    public void Generated_events_read_back_through_the_functions_own_contracts()
    {
        var http = JsonSerializer.Deserialize(
            SampleEvents.ApiGatewayHttp("post", "/api/v1/transactions?x=1", "{}", [new("Idempotency-Key", "a"), new("Idempotency-Key", "b")]),
            LambdaJsonContext.Default.ApiGatewayHttpRequest)!;
        var cloudFormation = JsonSerializer.Deserialize(
            SampleEvents.CloudFormation("Update", "https://example.com/response"), LambdaJsonContext.Default.CustomResourceRequest)!;
        var schedule = JsonSerializer.Deserialize(SampleEvents.Schedule(), LambdaJsonContext.Default.ScheduledEvent)!;
        var sqs = JsonSerializer.Deserialize(
            SampleEvents.Sqs(SampleEvents.NewTransfer("a", "b", "0.01", "EUR"), group: null), LambdaJsonContext.Default.SqsEvent)!;

        Assert.Equal(("POST", "/api/v1/transactions", "x=1"), (http.RequestContext.Http.Method, http.RawPath, http.RawQueryString));
        Assert.Equal("a,b", http.Headers!["idempotency-key"]);
        Assert.Empty(cloudFormation.Problems());
        Assert.Equal("Scheduled Event", schedule.DetailType);
        Assert.Equal("a", sqs.Records[0].MessageGroupId);
        Assert.Contains("\"amount_minor\":1", sqs.Records[0].Body, StringComparison.Ordinal);
    }

    private static SamFunction Function(string handler, int timeout) => new(
        "Test", handler, new Dictionary<string, string>(), null, [], [], timeout, 128, new Dictionary<string, string>());
}

/// <summary>A handler slower than any timeout a test gives it.</summary>
public static class SlowFunction
{
    public static async Task<Stream> HandleAsync(Stream input)
    {
        await Task.Delay(TimeSpan.FromSeconds(30));
        return input;
    }
}
