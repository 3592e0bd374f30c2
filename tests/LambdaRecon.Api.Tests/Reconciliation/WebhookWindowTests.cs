using System.Text;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>
/// A record that came from a webhook waits LAMBDARECON_WEBHOOK_WINDOW_SECONDS for its counterpart before an
/// unmatched one is a break; a record from a bank statement is a break at once, as before.
/// </summary>
public sealed class WebhookWindowTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "ww" + Guid.NewGuid().ToString("N")[..8];

    private static async Task ImportAsync(IServiceProvider services, string account, string lineId, string importedBy)
    {
        var line = new StatementLine(lineId, 1, new Money(1234, Currency.Of("USD")), DateOnly.FromDateTime(DateTime.UtcNow),
            DateOnly.FromDateTime(DateTime.UtcNow), "ref-" + lineId, null, null, null);
        var statement = new BankStatement(1, lineId, null, null, Currency.Of("USD"), null, null, IsInterim: true, [line]);
        await services.GetRequiredService<StatementStore>().ImportAsync(
            "stripe-webhook", Encoding.UTF8.GetBytes(lineId), [new RoutedStatement(0, statement, account)], importedBy, CancellationToken.None);
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
