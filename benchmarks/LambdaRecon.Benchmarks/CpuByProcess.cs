using System.Globalization;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// CPU time spent so far by what shares the machine in a benchmark, from Linux's /proc: this process (the
/// server), its reaped children (wrk), and the PostgreSQL cluster (postmaster and backends), SQS emulator
/// and Redis that bench.sh started: found by the ports in DATABASE_URL, AWS_ENDPOINT_URL_SQS and REDIS_URL,
/// so another copy's services on the same machine are not counted.
/// The difference of two samples, divided by the work done between them, says which component a run's rate
/// is limited by on a machine whose cores are all busy.
/// </summary>
public static class CpuByProcess
{
    public static Dictionary<string, TimeSpan> Sample()
    {
        var pgPort = new Npgsql.NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("DATABASE_URL")).Port;
        var redisPort = new Uri(Environment.GetEnvironmentVariable("REDIS_URL") ?? "redis://127.0.0.1:0").Port;
        var sqsPort = new Uri(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_SQS") ?? "http://127.0.0.1:0").Port;
        var processes = Processes();
        var postmaster = processes.FirstOrDefault(p => p.Name == "postgres" && p.CommandLine.Contains($" -p {pgPort} ", StringComparison.Ordinal));
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in processes)
        {
            if (p.Pid == Environment.ProcessId)
            {
                Add(totals, "server (.NET)", p.OwnTicks);
                Add(totals, "load generator", p.ChildTicks);
            }
            else if (postmaster is not null && (p.Pid == postmaster.Pid || p.ParentPid == postmaster.Pid))
            {
                Add(totals, "PostgreSQL", p.OwnTicks);
            }
            else if (p.Name == "node" && p.CommandLine.EndsWith($"--port {sqsPort} ", StringComparison.Ordinal))
            {
                Add(totals, "SQS emulator (node)", p.OwnTicks);
            }
            else if (p.Name == "redis-server" && p.CommandLine.Contains($":{redisPort}", StringComparison.Ordinal))
            {
                Add(totals, "Redis", p.OwnTicks);
            }
        }

        // USER_HZ is 100 on every Linux the benchmarks run on: a tick is 10 ms.
        return totals.ToDictionary(t => t.Key, t => TimeSpan.FromMilliseconds(t.Value * 10));
    }

    private sealed record ProcessTimes(int Pid, int ParentPid, string Name, string CommandLine, long OwnTicks, long ChildTicks);

    private static List<ProcessTimes> Processes()
    {
        var found = new List<ProcessTimes>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string stat, commandLine;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').TrimEnd();
            }
            catch (IOException)
            {
                continue; // the process ended meanwhile
            }

            // "pid (comm) state ppid …": comm may hold spaces, so the fields are counted after its ')'.
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            found.Add(new ProcessTimes(
                pid, int.Parse(fields[1], CultureInfo.InvariantCulture), stat[(open + 1)..close], commandLine + " ",
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture),
                long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)));
        }

        return found;
    }

    /// <summary>Milliseconds of CPU per unit of work, per component, between two samples, as "name x.xx ms" parts.</summary>
    public static string PerUnit(Dictionary<string, TimeSpan> before, Dictionary<string, TimeSpan> after, long units, string unit)
    {
        var parts = after.OrderByDescending(a => a.Value - before.GetValueOrDefault(a.Key)).Select(a =>
            $"{a.Key} {(decimal)(a.Value - before.GetValueOrDefault(a.Key)).TotalMilliseconds / Math.Max(1, units):0.00} ms");
        var total = after.Sum(a => (decimal)(a.Value - before.GetValueOrDefault(a.Key)).TotalMilliseconds) / Math.Max(1, units);
        return $"CPU per {unit}: {string.Join(", ", parts)}; total {total:0.00} ms";
    }

    private static void Add(Dictionary<string, long> totals, string key, long ticks) =>
        totals[key] = totals.GetValueOrDefault(key) + ticks;
}
