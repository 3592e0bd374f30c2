using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LambdaRecon.Benchmarks.Api;

/// <summary>What wrk reports for one run: completed requests, those not 2xx, socket errors and latency percentiles.</summary>
internal sealed record WrkResult(long Requests, decimal Seconds, long Not2xx, string SocketErrors, decimal P50Ms, decimal P90Ms, decimal P99Ms)
{
    public decimal PerSecond => Requests / Seconds;
}

/// <summary>
/// Load from a separate process, as the issue asks: wrk (written in C, light on the CPU it shares with the
/// server) POSTs transfers with distinct idempotency keys "{run}-{thread}-{n}", from a Lua script that
/// this class writes. wrk keeps each connection busy (a closed loop), so the rate is what the server
/// answers, and its latency percentiles are per request.
/// </summary>
internal static partial class WrkLoad
{
    public static Task<WrkResult> RunAsync(
        int port, string apiKey, string run, string[] sources, string[] destinations, int connections, int seconds) =>
        RunScriptAsync(port, Script(apiKey, run, sources, destinations), connections, seconds);

    /// <summary>wrk with a Lua script of the caller's, on up to two threads (the script may number them in setup()).</summary>
    public static async Task<WrkResult> RunScriptAsync(int port, string lua, int connections, int seconds)
    {
        var script = Path.Combine(Path.GetTempPath(), $"lambdarecon-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, lua);
        try
        {
            var threads = Math.Min(2, connections);
            var start = new ProcessStartInfo("wrk",
                ["-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                 "-d", $"{seconds}s", "--latency", "--timeout", "10s", "-s", script, $"http://127.0.0.1:{port}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start: ./bench.sh installs it (apt-get install wrk)");
            var output = await wrk.StandardOutput.ReadToEndAsync();
            var errors = await wrk.StandardError.ReadToEndAsync();
            await wrk.WaitForExitAsync();
            if (wrk.ExitCode != 0)
            {
                throw new InvalidOperationException($"wrk exited with {wrk.ExitCode}: {errors}{output}");
            }

            return Parse(output);
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>Reads wrk's report (with --latency); a report without its totals is an error, not a zero.</summary>
    internal static WrkResult Parse(string output)
    {
        var totals = TotalsLine().Match(output);
        if (!totals.Success)
        {
            throw new InvalidOperationException("wrk printed no totals:\n" + output);
        }

        var not2xx = Not2xxLine().Match(output);
        var socket = SocketErrorsLine().Match(output);
        return new WrkResult(
            long.Parse(totals.Groups[1].Value, CultureInfo.InvariantCulture),
            Milliseconds(totals.Groups[2].Value, totals.Groups[3].Value) / 1000m,
            not2xx.Success ? long.Parse(not2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            socket.Success ? socket.Groups[1].Value.Trim() : "none",
            Percentile(output, 50), Percentile(output, 90), Percentile(output, 99));
    }

    private static decimal Percentile(string output, int percentile)
    {
        var line = Regex.Match(output, $@"^\s+{percentile}%\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        return line.Success ? Milliseconds(line.Groups[1].Value, line.Groups[2].Value)
            : throw new InvalidOperationException($"wrk printed no {percentile}% latency:\n" + output);
    }

    private static decimal Milliseconds(string value, string unit)
    {
        var number = decimal.Parse(value, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => number / 1000m,
            "ms" => number,
            "s" => number * 1000m,
            "m" => number * 60_000m,
            _ => throw new InvalidOperationException($"unknown wrk unit '{unit}'"),
        };
    }

    // Each wrk thread has a Lua state of its own: setup() numbers them so keys never collide.
    private static string Script(string apiKey, string run, string[] sources, string[] destinations) =>
        $$"""
        local sources = { {{string.Join(", ", sources.Select(s => $"\"{s}\""))}} }
        local destinations = { {{string.Join(", ", destinations.Select(d => $"\"{d}\""))}} }
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("tid", threads)
        end
        local n = 0
        local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer {{apiKey}}" }
        function request()
          n = n + 1
          local body = '{"transaction":{"source_account_id":"' .. sources[(n % #sources) + 1] ..
            '","destination_account_id":"' .. destinations[((n * 7 + tid) % #destinations) + 1] ..
            '","amount":"' .. (1 + n % 500) .. '.25"},"idempotencyKey":"{{run}}-' .. tid .. '-' .. n .. '"}'
          return wrk.format("POST", "/api/v1/transactions", headers, body)
        end
        """;

    [GeneratedRegex(@"^\s+(\d+) requests in ([0-9.]+)(us|ms|s|m),", RegexOptions.Multiline)]
    private static partial Regex TotalsLine();

    [GeneratedRegex(@"^\s+Non-2xx or 3xx responses: (\d+)", RegexOptions.Multiline)]
    private static partial Regex Not2xxLine();

    [GeneratedRegex(@"^\s+Socket errors: (.*)$", RegexOptions.Multiline)]
    private static partial Regex SocketErrorsLine();
}
