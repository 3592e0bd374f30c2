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
}
