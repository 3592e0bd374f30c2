using System.Diagnostics;
using System.Globalization;
using System.Text;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>
/// `./run.sh import-statement` as a person and as a script see it, run as its own process: a progress bar on
/// stderr when stderr is a terminal (a pseudo-terminal from util-linux's `script`), none when it is a pipe,
/// and stdout always the one line of its answer.
/// </summary>
public class ImportProgressTests
{
    private const int Lines = 3000;

    [Fact]
    public async Task Piped_it_answers_one_line_on_stdout_and_a_summary_on_stderr_without_terminal_codes()
    {
        var account = await AccountAsync();
        var file = await StatementAsync("pipe");

        var (exit, stdout, stderr) = await RunAsync("dotnet", [LocalDll, "import-statement", "--account", account, "--format", "csv", "--file", file]);

        Assert.Equal(0, exit);
        Assert.Matches($@"^statement [0-9a-f-]{{36}}: {Lines} of {Lines} lines imported \(the statement at line 1, account {account}\)\n$", stdout);
        Assert.Contains($"{Lines.ToString("N0", CultureInfo.InvariantCulture)} lines parsed in ", stderr, StringComparison.Ordinal);
        Assert.Contains($"; {Lines.ToString("N0", CultureInfo.InvariantCulture)} imported, 0 already present, in ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', stdout + stderr);
    }

    [Fact]
    public async Task On_a_terminal_it_draws_the_parse_copy_and_store_phases_to_completion()
    {
        var account = await AccountAsync();
        var file = await StatementAsync("tty");
        var command = string.Join(' ', new[] { "dotnet", LocalDll, "import-statement", "--account", account, "--format", "csv", "--file", file }.Select(Quote));

        // script gives the command a terminal for stdin, stdout and stderr, and copies what it draws to its own stdout.
        var (exit, screen, _) = await RunAsync("script", ["-qec", command, "/dev/null"]);

        Assert.Equal(0, exit);
        Assert.Contains('\u001b', screen);
        Assert.Contains($"parsing {Path.GetFileName(file)}", screen, StringComparison.Ordinal);
        Assert.Contains($"copying {Lines.ToString("N0", CultureInfo.InvariantCulture)} lines", screen, StringComparison.Ordinal);
        Assert.Contains("storing new lines", screen, StringComparison.Ordinal);
        Assert.Contains("100%", screen, StringComparison.Ordinal);
        Assert.Matches($"statement [0-9a-f-]{{36}}: {Lines} of {Lines} lines imported", screen);
    }

    internal static string LocalDll => Path.Combine(AppContext.BaseDirectory, "LambdaRecon.Local.dll");

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<string> AccountAsync()
    {
        var account = "prog-" + Guid.NewGuid().ToString("N")[..8];
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        await using var create = dataSource.CreateCommand("INSERT INTO accounts (id, currency) VALUES (@id, 'USD')");
        create.Parameters.AddWithValue("id", account);
        await create.ExecuteNonQueryAsync();
        return account;
    }

    private static async Task<string> StatementAsync(string name)
    {
        var file = Path.Combine(Path.GetTempPath(), $"{name}-{Guid.NewGuid().ToString("N")[..8]}.csv");
        var text = new StringBuilder("Date,Amount,Currency,Reference\n");
        for (var i = 0; i < Lines; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"2026-11-24,{i + 1}.25,USD,line-{i}\n");
        }

        await File.WriteAllTextAsync(file, text.ToString());
        return file;
    }

    internal static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A terminal type Spectre.Console knows draws with ANSI codes, as in a person's shell.
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
