using System.Net;
using System.Net.Sockets;
using LambdaRecon.Infrastructure.Transactions;
using LambdaRecon.TestSupport;
using StackExchange.Redis;

namespace LambdaRecon.Infrastructure.Tests.Services;

public class RedisTests
{
    [Fact]
    public async Task A_value_set_with_a_ttl_reads_back_and_then_expires()
    {
        await using var resources = new EngineResources(TestEnvironment.Settings());
        var redis = (await resources.RedisAsync()).GetDatabase();
        var key = "lr:test:" + Guid.NewGuid();

        var shortLived = key + ":short";

        // A TTL long enough that a busy machine cannot expire the key before it is read back.
        await redis.StringSetAsync(key, "payload", TimeSpan.FromSeconds(30));
        await redis.StringSetAsync(shortLived, "gone soon", TimeSpan.FromMilliseconds(200));
        var read = await redis.StringGetAsync(key);
        var ttl = await redis.KeyTimeToLiveAsync(key);
        await Task.Delay(1000);
        var afterExpiry = await redis.StringGetAsync(shortLived);

        Assert.Equal("payload", read.ToString());
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.Equal(RedisValue.Null, afterExpiry);
    }

    [Fact]
    public async Task A_cache_call_while_redis_does_not_answer_is_a_miss_that_does_not_wait_for_the_connection()
    {
        // The kernel accepts connections on a listening socket; nobody behind it ever answers Redis's handshake.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var resources = new EngineResources(
            TestEnvironment.Settings() with { RedisConfiguration = $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}" });
        var cache = new IdempotencyCache(resources, TimeSpan.FromMinutes(1));

        var miss = await cache.GetAsync("tenant", "client", "key");
        await cache.SetAsync("tenant", "client", "key", new CachedResponse("hash", 202, "{}"));
        var connecting = resources.RedisAsync();

        Assert.Null(miss);
        Assert.Equal(1, cache.Misses);
        // The connection attempt (ConnectTimeout 1 s) is still running in the background: neither call waited for it.
        Assert.False(connecting.IsCompleted);
    }
}
