namespace LambdaRecon.Local.Tests;

/// <summary>
/// ApiFunction's entry point on HTTP API v2 events for each main route, through template.yaml's handler
/// string: what API Gateway would send it in AWS, and what API Gateway would get back.
/// </summary>
[Collection(SharedQueueDefinition.Name)]
public class ApiFunctionEventTests
{
    private readonly string _p = "lt" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Opening_two_accounts_answers_201_with_each_account()
    {
        var api = await ApiFunctionClient.CreateAsync();

        var from = await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        var to = await api.OpenAccountAsync(_p + "-to");

        Assert.Equal(201, from.StatusCode);
        Assert.Equal(201, to.StatusCode);
        Assert.StartsWith("application/json", from.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(_p + "-to", to.Json.GetProperty("account_id").GetString());
    }

    [Fact]
    public async Task A_transaction_is_accepted_then_replayed_then_refused_for_another_amount_and_reads_back_by_key_and_balance()
    {
        var api = await ApiFunctionClient.CreateAsync();
        await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(_p + "-to");
        var key = _p + "-k";

        var accepted = await api.SendAsync("POST", "/api/v1/transactions", ApiFunctionClient.Transfer(_p + "-from", _p + "-to", "12.50", key));
        var replayed = await api.SendAsync("POST", "/api/v1/transactions", ApiFunctionClient.Transfer(_p + "-from", _p + "-to", "12.50", key));
        var refused = await api.SendAsync("POST", "/api/v1/transactions", ApiFunctionClient.Transfer(_p + "-from", _p + "-to", "13.00", key));
        var status = await api.SendAsync("GET", $"/api/v1/transactions/status/{key}");
        var balance = await api.SendAsync("GET", $"/api/v1/accounts/{_p}-to/balance");

        Assert.Equal(202, accepted.StatusCode);
        Assert.Equal("ACCEPTED", accepted.Json.GetProperty("status").GetString());
        Assert.Equal($"/api/v1/transactions/status/{key}", accepted.Json.GetProperty("pollUrl").GetString());

        Assert.Equal(200, replayed.StatusCode);
        Assert.Equal("true", replayed.Header("Idempotent-Replayed"));
        Assert.Equal(accepted.Body, replayed.Body);

        Assert.Equal(422, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Header("Content-Type"));
        Assert.Equal(422, refused.Json.GetProperty("status").GetInt32());
        Assert.Equal("idempotencyKey", refused.Json.GetProperty("field").GetString());

        Assert.Equal(200, status.StatusCode);
        Assert.Equal(accepted.Json.GetProperty("transactionId").GetGuid(), status.Json.GetProperty("transaction_id").GetGuid());
        // No worker polls the queue inside this test (its collection runs alone), so nothing has posted it yet.
        Assert.Equal("ACCEPTED", status.Json.GetProperty("status").GetString());

        Assert.Equal(200, balance.StatusCode);
        Assert.Equal("0.00", balance.Json.GetProperty("balance").GetString());
        Assert.Equal(0, balance.Json.GetProperty("balance_minor").GetInt64());
    }

    [Fact]
    public async Task A_request_without_a_bearer_key_is_refused_with_401_problem_json()
    {
        var api = await ApiFunctionClient.CreateAsync();
        var @event = api.Event("GET", $"/api/v1/accounts/{_p}-to/balance");
        @event["headers"]!.AsObject().Remove("authorization");

        var response = await api.InvokeAsync(@event);

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("application/problem+json", response.Header("Content-Type"));
    }

    [Fact]
    public async Task On_a_named_stage_the_poll_url_and_location_keep_the_stage_and_answer()
    {
        var api = await ApiFunctionClient.CreateAsync();
        var open = api.Event("POST", "/prod/api/v1/accounts", $$"""{"account_id":"{{_p}}-from","currency":"USD","overdraft_limit":null}""");
        open["requestContext"]!["stage"] = "prod";
        await api.OpenAccountAsync(_p + "-to");

        var created = await api.InvokeAsync(open);
        var accept = api.Event("POST", "/prod/api/v1/transactions", ApiFunctionClient.Transfer(_p + "-from", _p + "-to", "1.00", _p + "-k"));
        accept["requestContext"]!["stage"] = "prod";
        var accepted = await api.InvokeAsync(accept);
        var pollUrl = accepted.Json.GetProperty("pollUrl").GetString()!;
        var poll = api.Event("GET", pollUrl);
        poll["requestContext"]!["stage"] = "prod";
        var status = await api.InvokeAsync(poll);

        Assert.Equal(201, created.StatusCode);
        Assert.Equal($"/prod/api/v1/accounts/{_p}-from", created.Header("Location"));
        Assert.Equal(202, accepted.StatusCode);
        Assert.Equal($"/prod/api/v1/transactions/status/{_p}-k", pollUrl);
        Assert.Equal(200, status.StatusCode);
        Assert.Equal(accepted.Json.GetProperty("transactionId").GetGuid(), status.Json.GetProperty("transaction_id").GetGuid());
    }

    [Theory]
    [InlineData("order/42")]
    [InlineData("50%off")]
    [InlineData("a%2Fb")]
    [InlineData("sp ace?#")]
    public async Task Any_printable_key_gets_a_poll_url_that_answers_for_that_key(string suffix)
    {
        var api = await ApiFunctionClient.CreateAsync();
        await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(_p + "-to");
        var key = _p + suffix;

        var accepted = await api.SendAsync("POST", "/api/v1/transactions",
            ApiFunctionClient.Transfer(_p + "-from", _p + "-to", "1.00", key));
        var status = await api.SendAsync("GET", accepted.Json.GetProperty("pollUrl").GetString()!);

        Assert.Equal(202, accepted.StatusCode);
        Assert.Equal(200, status.StatusCode);
        Assert.Equal(key, status.Json.GetProperty("idempotency_key").GetString());
        Assert.Equal(accepted.Json.GetProperty("transactionId").GetGuid(), status.Json.GetProperty("transaction_id").GetGuid());
    }

    [Fact]
    public async Task Two_idempotency_key_headers_joined_by_api_gateway_are_refused_and_nothing_is_accepted()
    {
        var api = await ApiFunctionClient.CreateAsync();
        await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(_p + "-to");
        var body = $$$"""{"transaction":{"source_account_id":"{{{_p}}}-from","destination_account_id":"{{{_p}}}-to","amount":"1.00"}}""";
        var request = api.Event("POST", "/api/v1/transactions", body);
        request["headers"]!["idempotency-key"] = $"{_p}-a,{_p}-b";

        var refused = await api.InvokeAsync(request);
        var first = await api.SendAsync("GET", $"/api/v1/transactions/status/{_p}-a");
        var joined = await api.SendAsync("GET", $"/api/v1/transactions/status/{_p}-a,{_p}-b");

        Assert.Equal(400, refused.StatusCode);
        Assert.Equal("Idempotency-Key", refused.Json.GetProperty("field").GetString());
        Assert.Equal(404, first.StatusCode);
        Assert.Equal(404, joined.StatusCode);
    }
}
