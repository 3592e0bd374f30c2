using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaRecon.Core.Webhooks;

namespace LambdaRecon.Local.Tests.Webhooks;

/// <summary>`generate-event stripe &lt;type&gt;` prints a curl command whose body Stripe's scheme verifies with the secret given.</summary>
public partial class StripeEventCommandTests
{
    [GeneratedRegex("-H 'Stripe-Signature: (?<signature>[^']+)' --data-binary '(?<body>.*)'$")]
    private static partial Regex CurlParts();

    [Fact]
    public async Task The_printed_request_is_signed_with_the_secret_and_carries_the_amount_currency_and_metadata_given()
    {
        var run = await LocalProcess.RunAsync(
            ["generate-event", "stripe", "charge.succeeded", "--amount", "1234", "--currency", "EUR", "--metadata", "transaction_id=tx-1", "--metadata",
             "note=it's", "--secret", "whsec_local", "--url", "http://127.0.0.1:3999/api/v1/webhooks/stripe"]);

        Assert.Equal(0, run.ExitCode);
        var match = CurlParts().Match(run.Stdout.Trim());
        Assert.True(match.Success, run.Stdout);
        Assert.StartsWith("curl -sS -X POST 'http://127.0.0.1:3999/api/v1/webhooks/stripe'", run.Stdout, StringComparison.Ordinal);
        var body = match.Groups["body"].Value.Replace("'\\''", "'", StringComparison.Ordinal);
        var check = WebhookSignature.Verify(WebhookProvider.Stripe, _ => match.Groups["signature"].Value, Encoding.UTF8.GetBytes(body),
            [new WebhookSecret("default", Encoding.UTF8.GetBytes("whsec_local"))], DateTimeOffset.UtcNow);
        Assert.True(check.Verified, check.Refusal);
        using var document = JsonDocument.Parse(body);
        var charge = document.RootElement.GetProperty("data").GetProperty("object");
        Assert.Equal("charge.succeeded", document.RootElement.GetProperty("type").GetString());
        Assert.Equal(1234, charge.GetProperty("amount").GetInt64());
        Assert.Equal("eur", charge.GetProperty("currency").GetString());
        Assert.Equal("tx-1", charge.GetProperty("metadata").GetProperty("transaction_id").GetString());
        Assert.Equal("it's", charge.GetProperty("metadata").GetProperty("note").GetString());
    }

    [Theory]
    [InlineData("charge.succeeded", "charge", "succeeded")]
    [InlineData("charge.refunded", "charge", "succeeded")]
    [InlineData("refund.created", "refund", "succeeded")]
    [InlineData("charge.dispute.created", "dispute", "needs_response")]
    [InlineData("charge.dispute.funds_withdrawn", "dispute", "needs_response")]
    [InlineData("charge.dispute.closed", "dispute", "won")]
    [InlineData("payout.paid", "payout", "paid")]
    [InlineData("payout.failed", "payout", "failed")]
    public void Each_type_carries_the_object_Stripe_documents_for_it(string type, string objectKind, string status)
    {
        var node = StripeEvents.Event(type, 500, "usd", new Dictionary<string, string>(), DateTimeOffset.UtcNow);
        using var document = JsonDocument.Parse(StripeEvents.Json(node));
        var data = document.RootElement.GetProperty("data").GetProperty("object");
        Assert.StartsWith("evt_", document.RootElement.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(objectKind, data.GetProperty("object").GetString());
        Assert.Equal(status, data.GetProperty("status").GetString());
        Assert.Equal(500, data.GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task An_unknown_type_is_refused_naming_the_known_ones()
    {
        var run = await LocalProcess.RunAsync(["generate-event", "stripe", "customer.created", "--secret", "whsec_local"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("payout.failed", run.Stderr, StringComparison.Ordinal);
    }
}
