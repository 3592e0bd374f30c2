using System.Diagnostics;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Local.Tests;

/// <summary>The built local runner as a user runs it: its own process, stdin and stdout kept apart from stderr.</summary>
internal static class LocalProcess
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string[] args, string? stdin = null, params (string Name, string Value)[] environment)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestEnvironment.RepositoryRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(TestEnvironment.RepositoryRoot, "src", "LambdaRecon.Local", "bin", configuration, "net10.0", "LambdaRecon.Local.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
