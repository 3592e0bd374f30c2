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
/// <remarks>
/// A request never waits for Redis longer than <see cref="Budget"/> per call: while the connection is down
/// the call is skipped at once (the multiplexer reconnects in the background), and a Redis that answers
/// slower than the budget is a miss. So Redis down costs a write nothing, instead of a connect timeout.
/// </remarks>
public sealed class IdempotencyCache(EngineResources resources, TimeSpan ttl)
{
    public const string KeyPrefix = "lr:idem:";

    /// <summary>The most one cache call may add to a request.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(50);

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
            // Past the budget, WaitAsync throws TimeoutException and the lookup goes on unobserved.
            var value = await LookUpAsync().WaitAsync(Budget);
            span?.SetTag("lambdarecon.cache_hit", !value.IsNullOrEmpty);
            if (value.IsNullOrEmpty)
            {
                Interlocked.Increment(ref _misses);
                return null;
            }

            Interlocked.Increment(ref _hits);
            return JsonSerializer.Deserialize(value.ToString(), CacheJsonContext.Default.CachedResponse);

            async Task<RedisValue> LookUpAsync() =>
                await ConnectedAsync() is { } redis ? await redis.StringGetAsync(CacheKey(tenantId, clientId, key)) : RedisValue.Null;
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
            await StoreAsync().WaitAsync(Budget);

            async Task StoreAsync()
            {
                if (await ConnectedAsync() is { } redis)
                {
                    await redis.StringSetAsync(
                        CacheKey(tenantId, clientId, key), JsonSerializer.Serialize(response, CacheJsonContext.Default.CachedResponse), Ttl);
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            span.Failed(e);
            // A cache that cannot be written is only a slower replay later.
        }
    }

    // Null while Redis is not connected (or not yet): the call is skipped without a round trip.
    private async Task<IDatabase?> ConnectedAsync()
    {
        var redis = await resources.RedisAsync();
        return redis.IsConnected ? redis.GetDatabase() : null;
    }

    // Tenant ids, client ids and keys may contain ':'; length prefixes keep (a:b, c) and (a, b:c) apart.
    // Keys are scoped per tenant and client, as in PostgreSQL.
    private static string CacheKey(string tenantId, string clientId, string key) =>
        $"{KeyPrefix}{tenantId.Length}:{tenantId}:{clientId.Length}:{clientId}:{key}";
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CachedResponse))]
internal sealed partial class CacheJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
