using System.Net;
using System.Text;

namespace LambdaRecon.Api.Tests.Auth;

/// <summary>The seed's "demo-token" is a development convenience: it must open nothing unless LAMBDARECON_ALLOW_DEMO_TOKEN=true.</summary>
public sealed class DemoTokenTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "demo" + Guid.NewGuid().ToString("N")[..8];

    [Theory]
    [InlineData("false")]
    [InlineData("")]
    [InlineData("yes")]
    public async Task Without_the_setting_true_the_demo_token_is_401_and_writes_nothing(string setting)
    {
        var from = await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        var to = await api.OpenAccountAsync(_p + "-to");
        await using var factory = api.CreateFactory(("LAMBDARECON_ALLOW_DEMO_TOKEN", setting));
        using var demo = api.Client("demo-token", factory);

        using var read = await demo.GetAsync($"/api/v1/accounts/{from}");
        using var write = await demo.PostAsync("/api/v1/transactions", new StringContent(
            $$"""{"transaction":{"source_account_id":"{{from}}","destination_account_id":"{{to}}","amount":"1.00"},"idempotencyKey":"{{_p}}-k"}""",
            Encoding.UTF8, "application/json"));

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (read.StatusCode, write.StatusCode));
        Assert.Equal("application/problem+json", write.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", write.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM transactions WHERE source_account_id = '{from}'"));
    }

    [Fact]
    public async Task With_the_setting_true_the_demo_token_works()
    {
        var account = await api.OpenAccountAsync(_p + "-open");
        await using var factory = api.CreateFactory(("LAMBDARECON_ALLOW_DEMO_TOKEN", "true"));
        using var demo = api.Client("demo-token", factory);

        using var read = await demo.GetAsync($"/api/v1/accounts/{account}");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }
}
