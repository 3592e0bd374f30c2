using Amazon.Runtime;
using Amazon.SQS;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Infrastructure.Tests.Queue;

public sealed class TransactionPublisherTests
{
    private static TransactionMessage Message() => TransactionMessage.From(
        new TransactionRecord(Guid.NewGuid(), TransactionType.Transfer, 1000, "USD", "acc-a", "acc-b", null, null));

    [Fact]
    public async Task An_unreachable_sqs_surfaces_as_QueueUnavailableException_holding_the_sdk_error()
    {
        // Port 1 on the loopback is closed: the connection is refused at once.
        await using var resources = new EngineResources(TestEnvironment.Settings() with { SqsServiceUrl = "http://127.0.0.1:1" });
        var publisher = new TransactionPublisher(resources.Sqs, resources.Settings.QueueUrl);

        var failure = await Assert.ThrowsAsync<QueueUnavailableException>(() => publisher.PublishAsync(Message(), "test", CancellationToken.None));

        Assert.True(failure.InnerException is AmazonClientException or AmazonServiceException or HttpRequestException, failure.InnerException?.GetType().Name);
    }

    [Fact]
    public async Task A_queue_that_does_not_exist_surfaces_as_QueueUnavailableException()
    {
        await using var resources = new EngineResources(TestEnvironment.Settings());
        var publisher = new TransactionPublisher(resources.Sqs, resources.Settings.QueueUrl + "-missing-" + Guid.NewGuid().ToString("N")[..8]);

        var failure = await Assert.ThrowsAsync<QueueUnavailableException>(() => publisher.PublishAsync(Message(), "test", CancellationToken.None));

        Assert.IsAssignableFrom<AmazonSQSException>(failure.InnerException);
    }

    [Fact]
    public async Task The_callers_own_cancellation_stays_a_cancellation()
    {
        await using var resources = new EngineResources(TestEnvironment.Settings());
        var publisher = new TransactionPublisher(resources.Sqs, resources.Settings.QueueUrl);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publisher.PublishAsync(Message(), "test", cancelled.Token));
    }
}
