using System.Text.Json;
using Amazon.SimpleSystemsManagement;

namespace LambdaRecon.Infrastructure.Configuration;

public sealed record DatabaseLogin(string Username, string Password);

/// <summary>
/// The database username and password, read at run time from a Secrets Manager secret through Parameter
/// Store's <c>/aws/reference/secretsmanager/</c> path (AWSSDK.SecretsManager is not available to us; SSM is).
/// Read once at cold start, and read again when a connection is about to open while the password handed
/// out before has not yet opened one: after a rotation, the first connection attempt fails with the old
/// password and the next one reads the new secret, with no redeploy and no restart. Single-user rotation
/// only: the username is read once, when the connection pool is built.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Lives as long as its process; the semaphore never waits on a handle.")]
public sealed class DatabaseCredentials(IAmazonSimpleSystemsManagement ssm, string secretId)
{
    private readonly SemaphoreSlim _reading = new(1, 1);
    private DatabaseLogin? _current;
    private long _unconfirmed;
    private long _readAt;
    private int _reads;

    /// <summary>The Parameter Store name that returns the secret's value.</summary>
    public string ParameterName { get; } = SecretReference.ParameterName(secretId);

    /// <summary>
    /// The least time between two reads while connections keep failing: a database that is down must not
    /// turn every request into a Parameter Store call (its default quota is 40 per second per account).
    /// </summary>
    public TimeSpan MinimumRereadInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times the secret has been read.</summary>
    public int Reads => Volatile.Read(ref _reads);

    /// <summary>The login as last read (read now if never).</summary>
    public async ValueTask<DatabaseLogin> CurrentAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _current) ?? await RereadAsync(null, cancellationToken);

    /// <summary>The password for a connection about to open; <see cref="Confirm"/> once one has opened.</summary>
    public async ValueTask<string> PasswordAsync(CancellationToken cancellationToken)
    {
        var seen = Volatile.Read(ref _current);
        if (seen is null || Interlocked.Read(ref _unconfirmed) > 0
            && Environment.TickCount64 - Interlocked.Read(ref _readAt) >= MinimumRereadInterval.TotalMilliseconds)
        {
            seen = await RereadAsync(seen, cancellationToken);
        }

        Interlocked.Increment(ref _unconfirmed);
        return seen.Password;
    }

    /// <summary>A connection opened with the password handed out: it is good.</summary>
    public void Confirm() => Interlocked.Exchange(ref _unconfirmed, 0);

    private async Task<DatabaseLogin> RereadAsync(DatabaseLogin? seen, CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            // Another caller read it while this one waited: one read serves them all.
            if (Volatile.Read(ref _current) is { } current && !ReferenceEquals(current, seen))
            {
                return current;
            }

            var login = Parse(await SecretReference.ReadAsync(ssm, secretId, cancellationToken));
            Interlocked.Increment(ref _reads);
            Interlocked.Exchange(ref _readAt, Environment.TickCount64);
            Interlocked.Exchange(ref _unconfirmed, 0);
            Volatile.Write(ref _current, login);
            return login;
        }
        finally
        {
            _reading.Release();
        }
    }

    // The shape RDS and RDS Proxy secrets have: {"username": "...", "password": "...", ...}.
    private DatabaseLogin Parse(string value)
    {
        try
        {
            using var secret = JsonDocument.Parse(value);
            if (secret.RootElement.ValueKind == JsonValueKind.Object
                && secret.RootElement.TryGetProperty("username", out var user) && user.ValueKind == JsonValueKind.String
                && secret.RootElement.TryGetProperty("password", out var password) && password.ValueKind == JsonValueKind.String)
            {
                return new DatabaseLogin(user.GetString()!, password.GetString()!);
            }
        }
        catch (JsonException)
        {
        }

        // Never the value itself: it is a secret.
        throw new InvalidOperationException($"the secret behind {ParameterName} is not a JSON object with string 'username' and 'password'");
    }
}
