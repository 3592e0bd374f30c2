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

        await redis.StringSetAsync(key, "payload", TimeSpan.FromMilliseconds(300));
        var read = await redis.StringGetAsync(key);
        var ttl = await redis.KeyTimeToLiveAsync(key);
        await Task.Delay(600);
        var afterExpiry = await redis.StringGetAsync(key);

        Assert.Equal("payload", read.ToString());
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(300));
        Assert.Equal(RedisValue.Null, afterExpiry);
    }
}
