using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Accounts;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Tenants;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Infrastructure.Tests.Ledger;

/// <summary>One database per test class; each test names its accounts with a prefix of its own.</summary>
public sealed class LedgerFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;

    public LedgerStore Store { get; private set; } = null!;

    public AccountStore Accounts { get; private set; } = null!;

    public LedgerReader Reader { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        Store = new LedgerStore(Database.DataSource);
        Accounts = new AccountStore(Database.DataSource);
        Reader = new LedgerReader(Database.DataSource);
    }

    public async Task DisposeAsync() => await Database.DisposeAsync();

    public static string Prefix() => "t" + Guid.NewGuid().ToString("N")[..10];

    public async Task<string> OpenAsync(string id, string currency = "USD", long? overdraftLimit = 0, string kind = AccountKinds.Customer)
    {
        var (result, _, _) = await Accounts.CreateAsync(TenantStore.Default, id, currency, kind, overdraftLimit, null, "test", CancellationToken.None);
        Assert.Equal(AccountCreation.Created, result);
        return id;
    }

    public async Task<PostingOutcome> PostAsync(TransactionRecord transaction) =>
        (await Store.PostBatchAsync([transaction], CancellationToken.None)).Single();

    public static TransactionRecord Transfer(string from, string to, long amount, string currency = "USD") =>
        new(Guid.NewGuid(), TransactionType.Transfer, amount, currency, from, to);

    public async Task<long> BalanceAsync(string account) =>
        (await Reader.GetBalanceAsync(TenantStore.Default, account, null, CancellationToken.None))!.Minor;
}
