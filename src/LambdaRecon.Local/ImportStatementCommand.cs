using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;
using LambdaRecon.Infrastructure.Reconciliation;
using Spectre.Console;

namespace LambdaRecon.Local;

/// <summary>
/// `import-statement`: parse a statement file and store it, all lines or none. Its answer (the statement id
/// and the count) is the one line on stdout, for a script; on stderr a progress bar while it works, when
/// stderr is a terminal, then a summary with the times and the rate.
/// </summary>
internal static class ImportStatementCommand
{
    /// <param name="mapping">A built-in mapping's name or one the account's tenant stored.</param>
    /// <param name="mappingFile">A mapping definition in a JSON file, as POST /api/v1/statement-mappings takes it; instead of <paramref name="mapping"/>.</param>
    public static async Task<int> RunAsync(string account, string format, string? mapping, string file, string? mappingFile = null)
    {
        var (csvMapping, mappingError) = await ResolveMappingAsync(account, mapping, mappingFile);
        if (mappingError is not null)
        {
            await Console.Error.WriteLineAsync($"refused, nothing imported: {mappingError}");
            return 1;
        }

        var content = await File.ReadAllBytesAsync(file);
        Outcome outcome;
        if (Console.IsErrorRedirected)
        {
            outcome = await ImportAsync(account, format, csvMapping, file, content, (_, _) => Phase.Silent);
        }
        else
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            outcome = await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn { Width = 30 }, new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(context => ImportAsync(account, format, csvMapping, file, content,
                    (name, total) => new BarPhase(context.AddTask(name, maxValue: Math.Max(total ?? 1, 1)), total is null)));
        }

        // Written once the bar is done drawing, which it does on the same terminal.
        if (outcome.Answer is not null)
        {
            Console.WriteLine(outcome.Answer);
        }

        await Console.Error.WriteLineAsync(outcome.Message);
        return outcome.ExitCode;
    }

    private sealed record Outcome(int ExitCode, string? Answer, string Message);

    /// <summary>The mapping the options name, as the API resolves mapping=&lt;name&gt;; (null, null) for none.</summary>
    private static async Task<(CsvMapping? Mapping, string? Error)> ResolveMappingAsync(string account, string? mapping, string? mappingFile)
    {
        if (mappingFile is not null)
        {
            if (mapping is not null)
            {
                return (null, "give --mapping or --mapping-file, not both");
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(await File.ReadAllBytesAsync(mappingFile));
            }
            catch (JsonException e)
            {
                return (null, $"{mappingFile} is not JSON: {e.Message}");
            }

            using (document)
            {
                return CsvMappingDefinition.TryRead(Path.GetFileNameWithoutExtension(mappingFile), document.RootElement, out var read, out var fault)
                    ? (read, null)
                    : (null, $"{mappingFile}: {(fault!.Field.Length == 0 ? "" : fault.Field + ": ")}{fault.Reason}");
            }
        }

        if (mapping is null)
        {
            return (null, null);
        }

        if (CsvMapping.Named(mapping) is { } builtIn)
        {
            return (builtIn, null);
        }

        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        var store = services.GetRequiredService<StatementMappingStore>();
        return await store.TenantOfAccountAsync(account, CancellationToken.None) is { } tenant
            ? await store.ResolveAsync(tenant, mapping, CancellationToken.None)
            : (null, $"account '{account}' does not exist");
    }

    /// <param name="begin">Starts a phase named so, of a known number of steps or (null) of an unknown one.</param>
    private static async Task<Outcome> ImportAsync(
        string account, string format, CsvMapping? mapping, string file, byte[] content, Func<string, int?, Phase> begin)
    {
        var clock = Stopwatch.StartNew();
        var parsing = begin($"parsing {Path.GetFileName(file)} ({content.Length / 1024.0 / 1024.0:0.0} MiB)", null);
        IReadOnlyList<BankStatement> statements = [];
        StatementError? error = null;
        var parsed = await Task.Run(() => StatementFile.TryParse(content, format, mapping, out statements, out format, out error));
        IReadOnlyList<StatementLine> lines = [.. statements.SelectMany(s => s.Lines)];
        var parseTime = clock.Elapsed;
        parsing.Done();
        if (!parsed)
        {
            return new Outcome(1, null, $"refused whole, nothing imported: {error}");
        }

        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        // COPY streams the lines to PostgreSQL; storing them (skipping lines the account has) is one statement
        // after the last line, and often the longer part: a phase of its own, so the bar does not sit at 100 %.
        var copying = begin($"copying {lines.Count:N0} lines", lines.Count);
        Phase? storing = null;
        var progress = new Reporter(copied =>
        {
            copying.Report(copied);
            if (copied == lines.Count && storing is null)
            {
                copying.Done();
                storing = begin("storing new lines", null);
            }
        });
        clock.Restart();
        var import = await services.GetRequiredService<StatementStore>().ImportAsync(
            account, format.ToLowerInvariant() + (mapping is null ? "" : ":" + mapping.Name), content, lines, "local-cli", CancellationToken.None,
            progress);
        (storing ?? copying).Done();
        var importTime = clock.Elapsed;

        return new Outcome(
            0,
            import.AlreadyImported
                ? $"statement {import.StatementId}: already imported, nothing changed"
                : $"statement {import.StatementId}: {import.Imported} of {import.Lines} lines imported",
            Summary(lines.Count, import, parseTime, importTime));
    }

    /// <summary>The closing line on stderr, e.g. "100,000 lines parsed in 0.4 s; 100,000 imported, 0 already present, in 1.2 s (83,000 lines/s)".</summary>
    public static string Summary(int lines, StatementImport import, TimeSpan parseTime, TimeSpan importTime) => import.AlreadyImported
        ? string.Create(CultureInfo.InvariantCulture,
            $"{lines:N0} lines parsed in {parseTime.TotalSeconds:0.0} s; the same file was imported before as statement {import.StatementId}: nothing changed")
        : string.Create(CultureInfo.InvariantCulture,
            $"{lines:N0} lines parsed in {parseTime.TotalSeconds:0.0} s; {import.Imported:N0} imported, {lines - import.Imported:N0} already present, in {importTime.TotalSeconds:0.0} s ({lines / Math.Max(importTime.TotalSeconds, 0.001):N0} lines/s)");

    private sealed class Reporter(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    /// <summary>One step of the work as the user sees it; silent when stderr is not a terminal.</summary>
    private class Phase : IProgress<int>
    {
        public static readonly Phase Silent = new();

        public virtual void Report(int value)
        {
        }

        public virtual void Done()
        {
        }
    }

    private sealed class BarPhase(ProgressTask task, bool indeterminate) : Phase
    {
        private readonly ProgressTask _task = indeterminate ? task.IsIndeterminate() : task;

        public override void Report(int value) => _task.Value = value;

        public override void Done()
        {
            _task.IsIndeterminate = false;
            _task.Value = _task.MaxValue;
            _task.StopTask();
        }
    }
}
