namespace LambdaRecon.LedgerWorker.Posting;

/// <summary>
/// How soon a failed message comes again: 10 s after its first receive, then 30 s, 90 s, 270 s (at most
/// 15 minutes), instead of the queue's 180 s every time. A database back after a restart of a few seconds
/// sees its messages again within 10 to 30 s, while the five receives before the DLQ (maxReceiveCount) still
/// span about 6.5 minutes of outage; past that the sweep republishes what stayed ACCEPTED.
/// </summary>
public static class RetryDelay
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Longest = TimeSpan.FromMinutes(15);

    /// <param name="receiveCount">ApproximateReceiveCount of the receive that failed (1 for the first).</param>
    public static TimeSpan After(int receiveCount)
    {
        var delay = First;
        for (var n = 1; n < receiveCount && delay < Longest; n++)
        {
            delay *= 3;
        }

        return delay < Longest ? delay : Longest;
    }
}
