using System.Text;
using LambdaRecon.Core.Webhooks;

namespace LambdaRecon.Core.Tests.Webhooks;

/// <summary>
/// The expected signatures were computed outside this code, with openssl:
/// <c>printf '%s' '1700000000.{body}' | openssl dgst -sha256 -hmac whsec_test_secret</c>, and for the
/// Adyen-like provider <c>openssl dgst -sha256 -mac HMAC -macopt hexkey:… -binary | base64</c>.
/// </summary>
public class WebhookSignatureTests
{
    private const string Body = """{"id":"evt_1","type":"charge.succeeded"}""";
    private const string Expected = "c0475716eb2200f1fe97fcf35a3c05d1fd4f8ba9a07a596730c8d18bb87c0672";
    private static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(1700000000);
    private static readonly WebhookSecret Secret = new("default", Encoding.UTF8.GetBytes("whsec_test_secret"));
    private static readonly WebhookSecret Other = new("acme", Encoding.UTF8.GetBytes("whsec_other"));

    private static SignatureCheck Stripe(string? header, string body = Body, DateTimeOffset? now = null, params WebhookSecret[] secrets) =>
        WebhookSignature.Verify(WebhookProvider.Stripe, name => name == "Stripe-Signature" ? header : null, Encoding.UTF8.GetBytes(body),
            secrets.Length == 0 ? [Secret] : secrets, now ?? SignedAt.AddSeconds(10));

    [Fact]
    public void A_Stripe_signature_computed_independently_verifies_and_gives_its_time_and_tenant()
    {
        var check = Stripe($"t=1700000000,v1={Expected}");

        Assert.True(check.Verified, check.Refusal);
        Assert.Equal(SignedAt, check.SignedAt);
        Assert.Equal("default", check.Secret!.TenantId);
    }

    [Fact]
    public void Sign_writes_the_header_Stripe_would_send()
    {
        Assert.Equal($"t=1700000000,v1={Expected}", WebhookSignature.Sign(WebhookProvider.Stripe, Secret.Key, "1700000000", Encoding.UTF8.GetBytes(Body)));
    }

    [Fact]
    public void Any_of_several_v1_signatures_may_match_and_a_v0_is_ignored()
    {
        Assert.True(Stripe($"t=1700000000,v1={new string('0', 64)},v0=abc,v1={Expected}").Verified);
        Assert.False(Stripe($"t=1700000000,v0={Expected}").Verified);
    }

    [Fact]
    public void During_a_rotation_either_secret_verifies_and_the_one_that_did_names_the_tenant()
    {
        var check = Stripe($"t=1700000000,v1={Expected}", secrets: [Other, Secret]);
        Assert.True(check.Verified);
        Assert.Same(Secret, check.Secret);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void A_timestamp_more_than_the_tolerance_from_now_either_way_is_refused_as_a_replay(int offsetSeconds)
    {
        var check = Stripe($"t=1700000000,v1={Expected}", now: SignedAt.AddSeconds(-offsetSeconds));
        Assert.False(check.Verified);
        Assert.Contains("300 s", check.Refusal, StringComparison.Ordinal);
        Assert.True(Stripe($"t=1700000000,v1={Expected}", now: SignedAt.AddSeconds(offsetSeconds > 0 ? 300 : -300)).Verified);
    }

    [Fact]
    public void A_body_changed_on_the_way_even_only_by_whitespace_is_refused_without_echoing_it()
    {
        var check = Stripe($"t=1700000000,v1={Expected}", body: """{"id": "evt_1", "type": "charge.succeeded"}""");
        Assert.False(check.Verified);
        Assert.DoesNotContain("evt_1", check.Refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=" + Expected)]
    [InlineData("t=1700000000")]
    [InlineData("t=1700000000,v1=zz")]
    [InlineData("t=17e8,v1=" + Expected)]
    [InlineData("t=1700000000,t=1700000000,v1=" + Expected)]
    [InlineData("garbage")]
    public void A_missing_or_malformed_header_is_refused(string? header)
    {
        Assert.False(Stripe(header).Verified);
    }

    [Fact]
    public void A_wrong_secret_is_refused()
    {
        Assert.False(Stripe($"t=1700000000,v1={Expected}", secrets: [Other]).Verified);
    }

    private static readonly WebhookProvider AdyenLike = new()
    {
        Name = "adyenlike",
        SignatureHeader = "HmacSignature",
        SignatureEncoding = ByteEncoding.Base64,
        KeyEncoding = ByteEncoding.Hex,
    };

    [Fact]
    public void A_configured_provider_checks_a_base64_HMAC_SHA256_of_the_body_with_a_hex_key()
    {
        const string body = """{"id":"evt_9","type":"AUTHORISATION"}""";
        var key = new WebhookSecret("default", Convert.FromHexString("00112233445566778899aabbccddeeff"));
        string? Header(string name) => name == "HmacSignature" ? "iuPbbnD4X/BozvvJ7ifQ5O/CcDYdqA6GqV5bu+Kc7e8=" : null;

        Assert.True(WebhookSignature.Verify(AdyenLike, Header, Encoding.UTF8.GetBytes(body), [key], DateTimeOffset.UnixEpoch).Verified);
        Assert.False(WebhookSignature.Verify(AdyenLike, Header, Encoding.UTF8.GetBytes(body + " "), [key], DateTimeOffset.UnixEpoch).Verified);
        Assert.False(WebhookSignature.Verify(AdyenLike, _ => "not base64!", Encoding.UTF8.GetBytes(body), [key], DateTimeOffset.UnixEpoch).Verified);
    }

    [Fact]
    public void A_provider_signing_timestamp_and_body_with_SHA512_and_a_prefix_checks_both_and_the_tolerance()
    {
        var provider = new WebhookProvider
        {
            Name = "other",
            SignatureHeader = "X-Signature",
            Digest = WebhookDigest.Sha512,
            SignaturePrefix = "sha512=",
            TimestampHeader = "X-Timestamp",
            TimestampSeparator = ":",
        };
        var key = new WebhookSecret("default", Encoding.UTF8.GetBytes("k"));
        var body = Encoding.UTF8.GetBytes("{}");
        var signature = WebhookSignature.Sign(provider, key.Key, "1700000000", body);
        Assert.StartsWith("sha512=", signature, StringComparison.Ordinal);
        Assert.Equal(7 + 128, signature.Length);
        string? Headers(string name) => name switch { "X-Signature" => signature, "X-Timestamp" => "1700000000", _ => null };

        Assert.True(WebhookSignature.Verify(provider, Headers, body, [key], SignedAt).Verified);
        Assert.False(WebhookSignature.Verify(provider, Headers, body, [key], SignedAt.AddHours(1)).Verified);
        Assert.False(WebhookSignature.Verify(provider, n => n == "X-Timestamp" ? "1700000001" : Headers(n), body, [key], SignedAt).Verified);
        Assert.False(WebhookSignature.Verify(provider, n => n == "X-Timestamp" ? null : Headers(n), body, [key], SignedAt).Verified);
    }

    [Theory]
    [InlineData("/id", "evt_1")]
    [InlineData("/data/object/amount", "2000")]
    [InlineData("/data/items/1", "b")]
    [InlineData("/a~1b", "slash")]
    [InlineData("/missing", null)]
    [InlineData("/data", null)]
    public void JSON_pointers_find_strings_and_numbers(string path, string? expected)
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"id":"evt_1","a/b":"slash","data":{"object":{"amount":2000},"items":["a","b"]}}""");
        Assert.Equal(expected, WebhookProvider.TextAt(document.RootElement, path));
    }
}
