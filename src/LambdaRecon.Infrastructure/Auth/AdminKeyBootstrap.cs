using Amazon.SimpleSystemsManagement;
using LambdaRecon.Infrastructure.Configuration;

namespace LambdaRecon.Infrastructure.Auth;

/// <summary>
/// The first admin key of a deployed stack: the operator puts a key in a Secrets Manager secret, the
/// template names it (ADMIN_API_KEY_SECRET_ID), and every migration run registers it unless it is known.
/// A key that was revoked stays revoked; a new value in the secret is a new key from the next deploy on.
/// </summary>
public static class AdminKeyBootstrap
{
    public const string ClientId = "admin";

    public const int MinimumLength = 20;

    /// <returns>True when the key was new.</returns>
    public static async Task<bool> RunAsync(IAmazonSimpleSystemsManagement ssm, ApiKeyStore keys, string secretId, CancellationToken cancellationToken)
    {
        var key = (await SecretReference.ReadAsync(ssm, secretId, cancellationToken)).Trim();
        // Never the value in a message: it is the key.
        if (key.Length < MinimumLength || key.Any(char.IsWhiteSpace))
        {
            throw new InvalidOperationException(
                $"the admin key in secret '{secretId}' must be one word of at least {MinimumLength} characters (for example lrk_ and 48 hex digits)");
        }

        return await keys.BootstrapAsync(key, ClientId, [ApiScopes.Admin], "bootstrap:" + secretId, cancellationToken);
    }
}
