namespace LambdaRecon.Infrastructure.Tests.Configuration;

public sealed class DataSourceDefaultsTests
{
    [Fact]
    public void Statements_are_prepared_after_their_second_use_unless_the_connection_string_says_otherwise()
    {
        var defaults = EngineResources.DataSourceBuilder("Host=127.0.0.1;Username=u;Database=d").ConnectionStringBuilder;
        var off = EngineResources.DataSourceBuilder("Host=127.0.0.1;Username=u;Database=d;Max Auto Prepare=0").ConnectionStringBuilder;
        var chosen = EngineResources.DataSourceBuilder("Host=127.0.0.1;Username=u;Database=d;MaxAutoPrepare=5").ConnectionStringBuilder;

        Assert.Equal((64, 2), (defaults.MaxAutoPrepare, defaults.AutoPrepareMinUsages));
        Assert.Equal(0, off.MaxAutoPrepare);
        Assert.Equal(5, chosen.MaxAutoPrepare);
    }
}
