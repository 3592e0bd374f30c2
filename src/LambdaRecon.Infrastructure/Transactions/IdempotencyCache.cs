using System.Text.Json;
using LambdaRecon.Infrastructure.Tracing;
using StackExchange.Redis;

namespace LambdaRecon.Infrastructure.Transactions;

/// <summary>A completed request's answer, as replayed to a repeat of it.</summary>
public sealed record CachedResponse(string RequestHash, int Status, string Body);

/// <summary>
/// The fast path for replays: completed responses in Redis for <see cref="Ttl"/>. Redis may lose them
/// at any time, and any Redis error counts as a miss: PostgreSQL remains the truth.
/// </summary>
public sealed class IdempotencyCache(EngineResources resources, TimeSpan ttl)
{
    public const string KeyPrefix = "lr:idem:";

    private long _hits;
    private long _misses;

    public TimeSpan Ttl { get; } = ttl;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public async Task<CachedResponse?> GetAsync(string tenantId, string clientId, string key)
    {
        using var span = ClientSpans.StartRedis("GET");
        try
        {
            var redis = await resources.RedisAsync();
            var value = await redis.GetDatabase().StringGetAsync(CacheKey(tenantId, clientId, key));
            span?.SetTag("lambdarecon.cache_hit", !value.IsNullOrEmpty);
            if (value.IsNullOrEmpty)
            {
                Interlocked.Increment(ref _misses);
                return null;
            }

            Interlocked.Increment(ref _hits);
            return JsonSerializer.Deserialize(value.ToString(), CacheJsonContext.Default.CachedResponse);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or JsonException)
        {
            span.Failed(e);
            Interlocked.Increment(ref _misses);
            return null;
        }
    }

    public async Task SetAsync(string tenantId, string clientId, string key, CachedResponse response)
    {
        using var span = ClientSpans.StartRedis("SET");
        try
        {
            var redis = await resources.RedisAsync();
            await redis.GetDatabase().StringSetAsync(
                CacheKey(tenantId, clientId, key), JsonSerializer.Serialize(response, CacheJsonContext.Default.CachedResponse), Ttl);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            span.Failed(e);
            // A cache that cannot be written is only a slower replay later.
        }
    }

    // Tenant ids, client ids and keys may contain ':'; length prefixes keep (a:b, c) and (a, b:c) apart.
    // Keys are scoped per tenant and client, as in PostgreSQL.
    private static string CacheKey(string tenantId, string clientId, string key) =>
        $"{KeyPrefix}{tenantId.Length}:{tenantId}:{clientId.Length}:{clientId}:{key}";
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CachedResponse))]
internal sealed partial class CacheJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
