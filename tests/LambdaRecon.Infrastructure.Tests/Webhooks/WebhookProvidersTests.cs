using System.Text;
using Amazon.SimpleSystemsManagement.Model;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Webhooks;
using LambdaRecon.TestSupport;
using Microsoft.Extensions.Configuration;

namespace LambdaRecon.Infrastructure.Tests.Webhooks;

/// <summary>
/// Webhook secrets: from the environment, parsed once and refused at start when malformed; from Secrets Manager
/// through Parameter Store (the SQS emulator answers it), read again after a rotation at most once per interval.
/// </summary>
public class WebhookProvidersTests
{
    private static ConfigurationManager Configuration(params (string Name, string Value)[] values)
    {
        var configuration = new ConfigurationManager();
        foreach (var (name, value) in values)
        {
            configuration[name] = value;
        }

        return configuration;
    }

    [Fact]
    public async Task A_secret_in_the_environment_is_parsed_once_a_malformed_one_is_refused_at_start_and_nothing_newer_is_offered()
    {
        await using var resources = new EngineResources(TestEnvironment.Settings());
        Assert.Contains("holds no secret", Assert.Throws<InvalidOperationException>(
            () => new WebhookProviders(Configuration(("STRIPE_WEBHOOK_SECRET", " , ")), () => resources.Ssm)).Message, StringComparison.Ordinal);

        var providers = new WebhookProviders(Configuration(("STRIPE_WEBHOOK_SECRET", "acme@whsec_one,whsec_two")), () => resources.Ssm);
        var stripe = providers.Find("stripe")!;
        var secrets = await providers.SecretsAsync(stripe, CancellationToken.None);

        Assert.Equal([("acme", "whsec_one"), ("default", "whsec_two")], secrets.Select(s => (s.TenantId, Encoding.UTF8.GetString(s.Key))));
        Assert.Null(await providers.NewerSecretsAsync(stripe, CancellationToken.None));
        Assert.Null(providers.Find("adyen"));
    }

    [Fact]
    public async Task A_rotated_Secrets_Manager_secret_is_read_again_once_the_interval_has_passed()
    {
        await using var resources = new EngineResources(TestEnvironment.Settings());
        var secretId = "lambdarecon/test/stripe-" + Guid.NewGuid().ToString("N")[..8];
        async Task PutAsync(string value) => await resources.Ssm.PutParameterAsync(new PutParameterRequest
        {
            Name = SecretReference.ParameterName(secretId), Value = value, Type = Amazon.SimpleSystemsManagement.ParameterType.SecureString, Overwrite = true,
        });
        await PutAsync("acme@whsec_old");
        var providers = new WebhookProviders(Configuration(("STRIPE_WEBHOOK_SECRET_ID", secretId)), () => resources.Ssm)
        {
            RereadAfter = TimeSpan.FromMilliseconds(300),
        };
        var stripe = providers.Find("stripe")!;

        Assert.Equal(["whsec_old"], (await providers.SecretsAsync(stripe, CancellationToken.None)).Select(s => Encoding.UTF8.GetString(s.Key)));
        await PutAsync("acme@whsec_old,acme@whsec_new");
        Assert.Null(await providers.NewerSecretsAsync(stripe, CancellationToken.None));
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        var newer = await providers.NewerSecretsAsync(stripe, CancellationToken.None);

        Assert.Equal(["whsec_old", "whsec_new"], newer!.Select(s => Encoding.UTF8.GetString(s.Key)));
        Assert.Equal(newer, await providers.SecretsAsync(stripe, CancellationToken.None));
    }
}
