using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;

namespace LambdaRecon.Infrastructure.Configuration;

/// <summary>
/// Reads a Secrets Manager secret at run time through Parameter Store's reference path: no
/// AWSSDK.SecretsManager package is available to us, and GetParameter on
/// <c>/aws/reference/secretsmanager/&lt;secret-id&gt;</c> with decryption returns the secret's current value.
/// IAM: ssm:GetParameter on that parameter and secretsmanager:GetSecretValue on the secret.
/// </summary>
public static class SecretReference
{
    public static string ParameterName(string secretId) => "/aws/reference/secretsmanager/" + secretId;

    public static async Task<string> ReadAsync(IAmazonSimpleSystemsManagement ssm, string secretId, CancellationToken cancellationToken)
    {
        var response = await ssm.GetParameterAsync(
            new GetParameterRequest { Name = ParameterName(secretId), WithDecryption = true }, cancellationToken);
        return response.Parameter?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"the secret behind {ParameterName(secretId)} is empty");
    }
}
