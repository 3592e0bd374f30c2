using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace LambdaRecon.Infrastructure.Auth;

public sealed record ApiClient(string ClientId, IReadOnlySet<string> Scopes)
{
    public bool Has(string scope) => Scopes.Contains(scope) || Scopes.Contains(ApiScopes.Admin);
}

public static class ApiScopes
{
    public const string TransactionsWrite = "transactions:write";
    public const string LedgerRead = "ledger:read";
    public const string ReconciliationRun = "reconciliation:run";
    public const string Admin = "admin";

    public static readonly string[] All = [TransactionsWrite, LedgerRead, ReconciliationRun, Admin];
}

/// <summary>
/// API keys, stored as SHA-256 hashes. A key is found by the first 16 hex digits of its hash and
/// then compared whole in constant time. Answers are cached for a short while per process, so the
/// hot path costs no database round trip; a revocation takes effect within <see cref="CacheFor"/>.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (byte[] Hash, ApiClient? Client, long Expires)> _cache = new(StringComparer.Ordinal);

    public static string NewKey() => "lrk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public async Task RegisterAsync(string key, string clientId, IEnumerable<string> scopes, CancellationToken cancellationToken)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO api_keys (key_id, key_hash, client_id, scopes) VALUES (@id, @hash, @client, @scopes)
            ON CONFLICT (key_id) DO UPDATE SET key_hash = excluded.key_hash, client_id = excluded.client_id,
                                               scopes = excluded.scopes, revoked_at = NULL
            """);
        command.Parameters.AddWithValue("id", KeyId(hash));
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("scopes", scopes.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
        _cache.Clear();
    }

    /// <returns>The client the key belongs to, or null for an unknown or revoked key.</returns>
    public async Task<ApiClient?> AuthenticateAsync(string presentedKey, CancellationToken cancellationToken)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        var id = KeyId(hash);
        if (_cache.TryGetValue(id, out var cached) && cached.Expires > Environment.TickCount64)
        {
            return CryptographicOperations.FixedTimeEquals(cached.Hash, hash) ? cached.Client : null;
        }

        await using var command = dataSource.CreateCommand(
            "SELECT key_hash, client_id, scopes FROM api_keys WHERE key_id = @id AND revoked_at IS NULL");
        command.Parameters.AddWithValue("id", id);
        byte[] storedHash = [];
        ApiClient? client = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                storedHash = reader.GetFieldValue<byte[]>(0);
                client = new ApiClient(reader.GetString(1), reader.GetFieldValue<string[]>(2).ToHashSet(StringComparer.Ordinal));
            }
        }

        _cache[id] = (storedHash, client, Environment.TickCount64 + (long)CacheFor.TotalMilliseconds);
        return CryptographicOperations.FixedTimeEquals(storedHash, hash) ? client : null;
    }

    private static string KeyId(byte[] hash) => Convert.ToHexStringLower(hash, 0, 8);
}
