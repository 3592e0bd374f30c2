using LambdaRecon.Core.Ledger;

namespace LambdaRecon.Core.Tests.Ledger;

public sealed class TransactionIdTests
{
    [Fact]
    public async Task New_ids_are_version_7_and_sort_by_the_time_they_were_made_as_postgresql_compares_uuids()
    {
        var earlier = TransactionRecord.NewId();
        await Task.Delay(5); // a later millisecond: within one, version 7 orders by random bits
        var later = TransactionRecord.NewId();

        Assert.Equal(7, earlier.Version);
        // PostgreSQL compares uuids byte by byte in their written order, which is the order of the text.
        Assert.True(string.CompareOrdinal(earlier.ToString(), later.ToString()) < 0, $"{earlier} sorts after {later}");
    }
}
