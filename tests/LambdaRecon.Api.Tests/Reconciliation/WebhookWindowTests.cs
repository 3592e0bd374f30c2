using System.Text;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>
/// A record that came from a webhook waits LAMBDARECON_WEBHOOK_WINDOW_SECONDS for its counterpart before an
/// unmatched one is a break; a record from a bank statement is a break at once, as before. A run on a webhook's
/// arrival reads only what could match its records and leaves breaks to the scheduled run.
/// </summary>
public sealed class WebhookWindowTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "ww" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<Guid> ImportAsync(
        IServiceProvider services, string account, string lineId, string importedBy, long amount = 1234, string? endToEndId = null)
    {
        var line = new StatementLine(lineId, 1, new Money(amount, Currency.Of("USD")), DateOnly.FromDateTime(DateTime.UtcNow),
            DateOnly.FromDateTime(DateTime.UtcNow), "ref-" + lineId, endToEndId, null, null);
        var statement = new BankStatement(1, lineId, null, null, Currency.Of("USD"), null, null, IsInterim: true, [line]);
        var import = await services.GetRequiredService<StatementStore>().ImportAsync(
            "stripe-webhook", Encoding.UTF8.GetBytes(lineId), [new RoutedStatement(0, statement, account)], importedBy, CancellationToken.None);
        return Assert.Single(import.Statements).StatementId;
    }

    private async Task<Guid> TransferAsync(string from, string to, string amount)
    {
        await api.DrainQueueAsync();
        using var client = api.Client();
        using var accepted = await client.PostAsync("/api/v1/transactions", new StringContent(
            $$"""{"transaction":{"source_account_id":"{{from}}","destination_account_id":"{{to}}","amount":"{{amount}}"},"idempotencyKey":"{{_p}}-{{Guid.NewGuid():N}}"}""",
            Encoding.UTF8, "application/json"));
        var id = (await ApiFixture.JsonAsync(accepted)).GetProperty("transactionId").GetGuid();
        await api.PostQueuedAsync();
        return id;
    }

    [Fact]
    public async Task A_run_on_arrival_reads_only_the_postings_that_could_match_its_records_and_writes_no_break_for_the_rest()
    {
        var customer = await api.OpenAccountAsync(_p + "-customer", overdraftLimit: null);
        var clearing = await api.OpenAccountAsync(_p + "-arrival");
        var named = await TransferAsync(customer, clearing, "12.34");
        var rival = await TransferAsync(customer, clearing, "56.78");
        var unrelated = await TransferAsync(customer, clearing, "99.99");
        using var factory = api.CreateFactory();
        var statement = await ImportAsync(factory.Services, clearing, "evt_a" + _p, "webhook:stripe", 1234, named.ToString());
        var sameAmount = await ImportAsync(factory.Services, clearing, "evt_b" + _p, "webhook:stripe", 5678);

        var run = await factory.Services.GetRequiredService<ReconciliationService>().ReconcileAccountAsync(
            clearing, null, null, [statement, sameAmount], new MatchOptions(), dryRun: false, "on_demand", "webhook:stripe", CancellationToken.None,
            onArrival: true);

        // The named posting and the one of the other record's amount were read and matched; the third was not read at all.
        Assert.Equal((2, 0, 0), (run.Summary.Matched, run.Summary.UnmatchedInternal, run.Summary.UnmatchedExternal));
        Assert.Equal(1L, await api.CountAsync($"SELECT count(*) FROM reconciliation_matches WHERE account_id = '{clearing}' AND transaction_id = '{named}' AND rule = 'EndToEndId'"));
        Assert.Equal(1L, await api.CountAsync($"SELECT count(*) FROM reconciliation_matches WHERE account_id = '{clearing}' AND transaction_id = '{rival}'"));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM reconciliation_breaks WHERE account_id = '{clearing}'"));

        // The scheduled kind of run reads everything: the unrelated posting is its break.
        await factory.Services.GetRequiredService<ReconciliationService>().ReconcileAccountAsync(
            clearing, null, null, null, new MatchOptions(), dryRun: false, "scheduled", "test", CancellationToken.None);
        Assert.Equal(1L, await api.CountAsync(
            $"SELECT count(*) FROM reconciliation_breaks WHERE account_id = '{clearing}' AND kind = 'unmatched_internal' AND transaction_id = '{unrelated}'"));
    }

    private Task<long> BreaksAsync(string account, string lineId) =>
        api.CountAsync($"SELECT count(*) FROM reconciliation_breaks WHERE account_id = '{account}' AND line_id = '{lineId}' AND kind = 'unmatched_external'");

    [Fact]
    public async Task An_unmatched_webhook_record_is_no_break_within_the_window_and_one_after_it_while_a_bank_line_is_one_at_once()
    {
        var account = await api.OpenAccountAsync(_p + "-clearing");
        using var waiting = api.CreateFactory(("LAMBDARECON_WEBHOOK_WINDOW_SECONDS", "3600"));
        await ImportAsync(waiting.Services, account, "evt_" + _p, "webhook:stripe");
        await ImportAsync(waiting.Services, account, "bank-" + _p, "api:tester");

        var reconciliation = waiting.Services.GetRequiredService<ReconciliationService>();
        var run = await reconciliation.ReconcileAccountAsync(account, null, null, null, new MatchOptions(), dryRun: false, "on_demand", "test", CancellationToken.None);

        // Both are unmatched; only the bank line is a break yet.
        Assert.Equal(2, run.Summary.UnmatchedExternal);
        Assert.Equal(0L, await BreaksAsync(account, "evt_" + _p));
        Assert.Equal(1L, await BreaksAsync(account, "bank-" + _p));

        // Past the window (here: a window of zero), the next run reports it.
        using var elapsed = api.CreateFactory(("LAMBDARECON_WEBHOOK_WINDOW_SECONDS", "0"));
        await elapsed.Services.GetRequiredService<ReconciliationService>()
            .ReconcileAccountAsync(account, null, null, null, new MatchOptions(), dryRun: false, "on_demand", "test", CancellationToken.None);
        Assert.Equal(1L, await BreaksAsync(account, "evt_" + _p));
    }
}
