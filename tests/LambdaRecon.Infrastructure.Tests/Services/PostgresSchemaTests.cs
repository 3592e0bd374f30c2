using LambdaRecon.TestSupport;

namespace LambdaRecon.Infrastructure.Tests.Services;

public class PostgresSchemaTests
{
    [Fact]
    public async Task Init_sql_applies_twice_in_a_row_on_an_empty_database()
    {
        await using var database = await TestDatabase.CreateAsync(applySchema: false);

        await database.ExecuteAsync(TestEnvironment.InitSql);
        var tablesAfterFirst = await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
        await database.ExecuteAsync(TestEnvironment.InitSql);
        var tablesAfterSecond = await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");

        Assert.True(tablesAfterFirst >= 4, $"expected the ledger tables, found {tablesAfterFirst}");
        Assert.Equal(tablesAfterFirst, tablesAfterSecond);
    }
}
