using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>
/// The heartbeat of runs being worked on: while held, their updated_at is renewed every quarter of
/// <see cref="RunStore.Lease"/>. A run whose process died (a crash, a Lambda timeout, a frozen execution
/// environment) stops being renewed, and once the lease has lapsed <see cref="RunStore.Lapse"/> reports it
/// failed instead of leaving it in_progress forever. Only runs still pending or in_progress are touched.
/// </summary>
public sealed class RunLease : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _beating;

    private RunLease(NpgsqlDataSource dataSource, Guid[] runIds) => _beating = BeatAsync(dataSource, runIds, _stop.Token);

    public static RunLease Hold(NpgsqlDataSource dataSource, params Guid[] runIds) => new(dataSource, runIds);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _beating;
        _stop.Dispose();
    }

    private static async Task BeatAsync(NpgsqlDataSource dataSource, Guid[] runIds, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(RunStore.Lease / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await using var command = dataSource.CreateCommand(
                    "UPDATE reconciliation_runs SET updated_at = clock_timestamp() WHERE id = ANY(@ids) AND state IN ('pending', 'in_progress')");
                command.Parameters.AddWithValue("ids", runIds);
                try
                {
                    await command.ExecuteNonQueryAsync(stop);
                }
                catch (NpgsqlException)
                {
                    // A missed beat is retried at the next tick; only a lease lapsed for want of all of them fails the run.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Released: the run has completed or failed.
        }
    }
}
