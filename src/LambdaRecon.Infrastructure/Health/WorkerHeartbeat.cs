using System.Globalization;

namespace LambdaRecon.Infrastructure.Health;

/// <summary>
/// Whether a queue poller running in this process (the local runner's; on AWS the event source mapping
/// polls, and no process has one) makes progress, for /ready: its loop runs, its receives succeed, and
/// messages it receives get done. The poller reports; readiness asks <see cref="Problem"/>.
/// Registered only where a poller runs, so /ready reports no "worker" elsewhere.
/// </summary>
public sealed class WorkerHeartbeat(TimeProvider time)
{
    /// <summary>
    /// How long without progress makes the worker "down": three long polls (20 s each) without a successful
    /// receive, or messages received and none of them done for as long.
    /// </summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The local runner's poller, when one runs in this process: ApiFunction's app is built by the function
    /// (as on Lambda), so the composition root registers it from here rather than from the runner's own host.
    /// </summary>
    public static WorkerHeartbeat? InProcess { get; set; }

    private readonly Lock _lock = new();
    private bool _running;
    private string? _stopped;
    private DateTimeOffset _lastReceive;
    private DateTimeOffset? _waitingSince;
    private int _waitingMessages;
    private string? _lastError;

    public void Started()
    {
        lock (_lock)
        {
            (_running, _stopped, _lastReceive, _waitingSince, _lastError) = (true, null, time.GetUtcNow(), null, null);
        }
    }

    /// <summary>The loop ended: for good when it was not asked to.</summary>
    public void Stopped(string reason)
    {
        lock (_lock)
        {
            (_running, _stopped) = (false, reason);
        }
    }

    /// <summary>
    /// One receive succeeded: <paramref name="received"/> messages came, <paramref name="done"/> of them were
    /// done (posted or failed by the rules, and deleted), and <paramref name="waiting"/> received earlier or now
    /// are still to come again. Progress is a message done; an empty receive with nothing waiting means idle.
    /// </summary>
    public void Polled(int received, int done, int waiting)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            _lastReceive = now;
            var pending = Math.Max(waiting, received - done);
            if (done > 0)
            {
                _waitingSince = pending > 0 ? now : null;
            }
            else if (pending > 0)
            {
                _waitingSince ??= now;
            }
            else
            {
                _waitingSince = null;
            }

            _waitingMessages = pending;
        }
    }

    public void Failed(Exception exception)
    {
        lock (_lock)
        {
            _lastError = $"{exception.GetType().Name}: {exception.Message}";
        }
    }

    /// <summary>Null while the worker makes progress; otherwise what is wrong, for /ready to name.</summary>
    public string? Problem()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var error = _lastError is null ? "" : $"; last error: {_lastError}";
            if (!_running)
            {
                return $"the queue poller is not running ({_stopped ?? "never started"})";
            }

            if (now - _lastReceive > StallAfter)
            {
                return $"no receive from the queue has succeeded for {Seconds(now - _lastReceive)} s{error}";
            }

            if (_waitingSince is { } since && now - since > StallAfter)
            {
                return $"{_waitingMessages} message(s) received and waiting, none done for {Seconds(now - since)} s{error}";
            }

            return null;
        }
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
}
