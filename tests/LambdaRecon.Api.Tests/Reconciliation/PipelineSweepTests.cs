using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.Reconciliation;

public sealed class PipelineSweepTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task A_transaction_left_accepted_and_unpublished_is_republished_and_then_posted_exactly_once()
    {
        var p = "p" + Guid.NewGuid().ToString("N")[..8];
        var from = await api.OpenAccountAsync(p + "-from", overdraftLimit: null);
        var to = await api.OpenAccountAsync(p + "-to");
        var id = Guid.NewGuid();
        // What a crash between recording and publishing leaves behind, ten minutes ago.
        await api.Database.ExecuteAsync(
            $"""
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id, accepted_at)
            VALUES ('{id}', 'transfer', 1234, 'USD', '{from}', '{to}', now() - interval '10 minutes')
            """);
        await api.DrainQueueAsync();
        var sweep = api.Factory.Services.GetRequiredService<PipelineSweep>();

        var first = await sweep.RunAsync(DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None);
        var published = await api.DrainQueueAsync();
        // Delivered twice (a redelivery, or a second sweep racing the worker): posted once all the same.
        var record = TransactionMessage.TryParse(Assert.Single(published).Body)!.ToRecord();
        var store = new Infrastructure.Ledger.LedgerStore(api.Database.DataSource);
        await store.PostBatchAsync([record], CancellationToken.None);
        await store.PostBatchAsync([record], CancellationToken.None);
        var second = await sweep.RunAsync(DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None);

        Assert.Contains(id, first.Republished);
        Assert.Equal(id, record.Id);
        Assert.DoesNotContain(id, second.Republished);
        Assert.Equal(2L, await api.CountAsync($"SELECT count(*) FROM ledger_entries WHERE transaction_id = '{id}'"));
        Assert.Equal(1L, await api.CountAsync($"SELECT count(*) FROM transactions WHERE id = '{id}' AND status = 'POSTED' AND published_at IS NOT NULL"));
        Assert.True(second.StatusCounts["POSTED"] >= 1);
    }

    [Fact]
    public async Task Dead_letters_are_reported_with_their_transaction_ids()
    {
        var id = Guid.NewGuid();
        await api.Resources.Sqs.SendMessageAsync(new Amazon.SQS.Model.SendMessageRequest
        {
            QueueUrl = api.Queues.DlqUrl,
            MessageBody = TransactionMessage.From(new(id, Core.Ledger.TransactionType.Transfer, 5, "USD", "a", "b")).ToJson(),
            MessageGroupId = "a",
            MessageDeduplicationId = id.ToString("N"),
        });

        var report = await api.Factory.Services.GetRequiredService<PipelineSweep>().RunAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Contains(report.DeadLetters, d => d.TransactionId == id);
    }
}
