using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Local.Tests;

/// <summary>scripts/services.sh, as run.sh and test.sh source it: a port someone else listens on is refused, by name.</summary>
public class ServicesScriptTests
{
    [Theory]
    [InlineData("start_redis", "REDIS_PORT", "Redis")]
    [InlineData("start_sqs", "SQS_PORT", "the SQS emulator")]
    public async Task Starting_a_service_on_a_port_another_process_listens_on_fails_naming_the_port_and_starts_nothing(
        string function, string portVariable, string what)
    {
        using var stranger = new TcpListener(IPAddress.Loopback, 0);
        stranger.Start();
        var port = ((IPEndPoint)stranger.LocalEndpoint).Port;
        var profile = "ports-" + Guid.NewGuid().ToString("N")[..8];
        var stateDir = Path.Combine(TestEnvironment.RepositoryRoot, ".local", profile);
        try
        {
            var start = new ProcessStartInfo("bash", ["-c", $"""source scripts/services.sh && mkdir -p "$STATE_DIR" && {function}"""])
            {
                WorkingDirectory = TestEnvironment.RepositoryRoot,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            start.Environment["PROFILE"] = profile;
            start.Environment[portVariable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var script = Process.Start(start)!;
            var stderr = await script.StandardError.ReadToEndAsync();
            await script.WaitForExitAsync();

            Assert.Equal(1, script.ExitCode);
            Assert.Contains($"port {port}, wanted for {what}, is taken by a process that is not ours", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(" on 127.0.0.1:", stderr, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFiles(stateDir, "*.pid"));
        }
        finally
        {
            Directory.Delete(stateDir, recursive: true);
        }
    }
}
