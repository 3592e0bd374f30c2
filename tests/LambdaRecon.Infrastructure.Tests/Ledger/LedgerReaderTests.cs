using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Tenants;
using static LambdaRecon.Infrastructure.Tests.Ledger.LedgerFixture;

namespace LambdaRecon.Infrastructure.Tests.Ledger;

public sealed class LedgerReaderTests(LedgerFixture ledger) : IClassFixture<LedgerFixture>
{
    private readonly string _p = Prefix();

    private async Task<(string Funding, string Alice)> FundedAsync(params long[] amounts)
    {
        var funding = await ledger.OpenAsync(_p + "-funding", overdraftLimit: null, kind: AccountKinds.Funding);
        var alice = await ledger.OpenAsync(_p + "-alice");
        foreach (var amount in amounts)
        {
            await ledger.PostAsync(Transfer(funding, alice, amount));
        }

        return (funding, alice);
    }

    [Fact]
    public async Task The_balance_at_an_instant_is_the_one_after_the_last_entry_posted_by_then()
    {
        var (_, alice) = await FundedAsync(100);
        var between = await ledger.Database.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        await ledger.PostAsync(Transfer(_p + "-funding", alice, 50));

        var before = await ledger.Reader.GetBalanceAsync(TenantStore.Default, alice, DateTimeOffset.UnixEpoch, CancellationToken.None);
        var then = await ledger.Reader.GetBalanceAsync(TenantStore.Default, alice, new DateTimeOffset(between, TimeSpan.Zero), CancellationToken.None);
        var now = await ledger.Reader.GetBalanceAsync(TenantStore.Default, alice, null, CancellationToken.None);

        Assert.Equal((0, 100, 150), (before!.Minor, then!.Minor, now!.Minor));
        Assert.Null(await ledger.Reader.GetBalanceAsync(TenantStore.Default, _p + "-nobody", null, CancellationToken.None));
    }

    [Fact]
    public async Task History_pages_newest_first_without_gaps_or_repeats()
    {
        var (_, alice) = await FundedAsync(Enumerable.Range(1, 7).Select(i => (long)i).ToArray());

        var sequences = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await ledger.Reader.GetEntriesAsync(TenantStore.Default, alice, 3, cursor, CancellationToken.None);
            sequences.AddRange(page.Entries.Select(e => e.Sequence));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal([7, 6, 5, 4, 3, 2, 1], sequences);
        Assert.Equal(3, pages);
        Assert.Throws<FormatException>(() => LedgerReader.DecodeCursor("not-a-cursor"));
    }

    [Fact]
    public async Task The_audit_trail_shows_the_account_opening_and_each_transaction_outcome()
    {
        var (_, alice) = await FundedAsync(100);
        var failed = Transfer(alice, _p + "-funding", 1_000);
        await ledger.PostAsync(failed);

        var trail = await ledger.Reader.GetAuditTrailAsync(TenantStore.Default, alice, 100, CancellationToken.None);

        Assert.Contains(trail, e => e.Event == "account.created" && e.Actor == "test");
        Assert.Contains(trail, e => e.Event == "transaction.posted");
        Assert.Contains(trail, e => e.Event == "transaction.failed" && e.TransactionId == failed.Id
            && e.Detail.GetProperty("failure_code").GetString() == FailureCodes.InsufficientFunds);
        Assert.Equal(trail.OrderByDescending(e => e.At).Select(e => e.At), trail.Select(e => e.At));
    }

    [Theory]
    [InlineData("SELECT balance_after FROM ledger_entries WHERE account_id = 'x' AND posted_at <= now() ORDER BY posted_at DESC, sequence DESC LIMIT 1")]
    [InlineData("SELECT * FROM ledger_entries WHERE account_id = 'x' AND sequence < 100 ORDER BY sequence DESC LIMIT 51")]
    [InlineData("SELECT * FROM transactions WHERE source_account_id = 'x' ORDER BY accepted_at DESC LIMIT 100")]
    [InlineData("SELECT * FROM transactions WHERE destination_account_id = 'x' ORDER BY accepted_at DESC LIMIT 100")]
    public async Task Entry_and_transaction_reads_for_one_account_use_an_index_not_a_sequential_scan(string query)
    {
        // Enough rows that a sequential scan would never be the cheap plan by accident, and fresh statistics.
        await FundedAsync(Enumerable.Range(1, 300).Select(i => (long)i).ToArray());
        await ledger.Database.ExecuteAsync("ANALYZE accounts; ANALYZE ledger_entries; ANALYZE transactions;");

        var plan = await ledger.Database.ScalarAsync<string>($"EXPLAIN (FORMAT JSON) {query}");

        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
    }
}
