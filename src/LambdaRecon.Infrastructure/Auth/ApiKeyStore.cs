using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LambdaRecon.Infrastructure.Tenants;
using Npgsql;

namespace LambdaRecon.Infrastructure.Auth;

/// <summary>What is known of a key without its secret: the key itself is shown once, when it is created.</summary>
public sealed record ApiKeyInfo(
    string KeyId, string ClientId, string TenantId, IReadOnlyList<string> Scopes, string? Description, DateTimeOffset CreatedAt, string? CreatedBy,
    DateTimeOffset? RevokedAt, string? RevokedBy);

/// <summary>Who a key acts for: a client of one tenant, whose data is all it can see or move.</summary>
public sealed record ApiClient(string ClientId, string TenantId, IReadOnlySet<string> Scopes)
{
    public bool Has(string scope) => Scopes.Contains(scope) || Scopes.Contains(ApiScopes.Admin);

    /// <summary>Admin keys also see runs that belong to no tenant (the whole-ledger checks).</summary>
    public bool IsAdmin => Scopes.Contains(ApiScopes.Admin);
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

    /// <summary>
    /// Creates a new key for <paramref name="clientId"/> of <paramref name="tenantId"/>; the returned key is
    /// not stored and cannot be shown again.
    /// </summary>
    /// <returns>Null when there is no such tenant.</returns>
    public async Task<(string Key, ApiKeyInfo Info)?> CreateAsync(
        string tenantId, string clientId, IReadOnlyList<string> scopes, string? description, string createdBy, CancellationToken cancellationToken)
    {
        var key = NewKey();
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        await using var command = dataSource.CreateCommand(
            $"""
            INSERT INTO api_keys (key_id, key_hash, client_id, tenant_id, scopes, description, created_by)
            SELECT @id, @hash, @client, t.id, @scopes, @description, @by FROM tenants t WHERE t.id = @tenant
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", KeyId(hash));
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("scopes", scopes.ToArray());
        command.Parameters.AddWithValue("description", (object?)description ?? DBNull.Value);
        command.Parameters.AddWithValue("by", createdBy);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (key, Read(reader)) : null;
    }

    /// <summary>
    /// Registers an operator's key (the deploy's bootstrap secret, in the default tenant) unless it is already
    /// known: a key that was revoked stays revoked, whatever the next deploy does.
    /// </summary>
    /// <returns>True when the key was new.</returns>
    public async Task<bool> BootstrapAsync(string key, string clientId, IEnumerable<string> scopes, string createdBy, CancellationToken cancellationToken)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO api_keys (key_id, key_hash, client_id, tenant_id, scopes, description, created_by)
            VALUES (@id, @hash, @client, @tenant, @scopes, 'bootstrap admin key', @by)
            ON CONFLICT (key_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", KeyId(hash));
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("tenant", TenantStore.Default);
        command.Parameters.AddWithValue("scopes", scopes.ToArray());
        command.Parameters.AddWithValue("by", createdBy);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>One key as the list shows it (never its secret), or null when there is no such key.</summary>
    public async Task<ApiKeyInfo?> GetAsync(string keyId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM api_keys WHERE key_id = @key_id");
        command.Parameters.AddWithValue("key_id", keyId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Every key of every tenant, newest first, revoked ones included, never a secret.</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM api_keys ORDER BY created_at DESC, key_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(Read(reader));
        }

        return keys;
    }

    /// <summary>
    /// Revokes a key. This process refuses it at once; other processes (other Lambda environments) within
    /// <see cref="CacheFor"/>. Revoking a revoked key changes nothing and answers it as it is.
    /// </summary>
    /// <returns>The key as it is now, or null when there is no such key.</returns>
    public async Task<ApiKeyInfo?> RevokeAsync(string keyId, string revokedBy, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            WITH revoked AS (
                UPDATE api_keys SET revoked_at = now(), revoked_by = @by WHERE key_id = @id AND revoked_at IS NULL RETURNING *
            )
            SELECT {Columns} FROM revoked
            UNION ALL
            SELECT {Columns} FROM api_keys WHERE key_id = @id AND NOT EXISTS (SELECT FROM revoked)
            """);
        command.Parameters.AddWithValue("id", keyId);
        command.Parameters.AddWithValue("by", revokedBy);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var info = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        _cache.Clear();
        return info;
    }

    private const string Columns = "key_id, client_id, tenant_id, scopes, description, created_at, created_by, revoked_at, revoked_by";

    private static ApiKeyInfo Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3), reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetString(8));

    /// <summary>Registers a key the caller chose (./run.sh's, tests'), or gives a known one these settings again.</summary>
    public async Task RegisterAsync(string key, string clientId, IEnumerable<string> scopes, CancellationToken cancellationToken, string tenantId = TenantStore.Default)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO api_keys (key_id, key_hash, client_id, tenant_id, scopes) VALUES (@id, @hash, @client, @tenant, @scopes)
            ON CONFLICT (key_id) DO UPDATE SET key_hash = excluded.key_hash, client_id = excluded.client_id,
                                               tenant_id = excluded.tenant_id, scopes = excluded.scopes, revoked_at = NULL
            """);
        command.Parameters.AddWithValue("id", KeyId(hash));
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("client", clientId);
        command.Parameters.AddWithValue("tenant", tenantId);
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
            "SELECT key_hash, client_id, tenant_id, scopes FROM api_keys WHERE key_id = @id AND revoked_at IS NULL");
        command.Parameters.AddWithValue("id", id);
        byte[] storedHash = [];
        ApiClient? client = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                storedHash = reader.GetFieldValue<byte[]>(0);
                client = new ApiClient(reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3).ToHashSet(StringComparer.Ordinal));
            }
        }

        _cache[id] = (storedHash, client, Environment.TickCount64 + (long)CacheFor.TotalMilliseconds);
        return CryptographicOperations.FixedTimeEquals(storedHash, hash) ? client : null;
    }

    private static string KeyId(byte[] hash) => Convert.ToHexStringLower(hash, 0, 8);
}
