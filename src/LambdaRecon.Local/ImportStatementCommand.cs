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
/// `import-statement`: parse a statement file, route each statement to its account and store them, all or
/// nothing, exactly as POST /api/v1/statements does (<see cref="StatementImporter"/>), with its error texts
/// and exit code 1 for any refusal. Its answer (the statement ids and counts) is on stdout, for a script;
/// on stderr a progress bar while it works, when stderr is a terminal, then a summary with the times and the rate.
/// </summary>
internal static class ImportStatementCommand
{
    /// <param name="mapping">A built-in mapping's name or one the tenant stored.</param>
    /// <param name="mappingFile">A mapping definition in a JSON file, as POST /api/v1/statement-mappings takes it; instead of <paramref name="mapping"/>.</param>
    public static async Task<int> RunAsync(string tenant, string? account, string format, string? mapping, string file, string? mappingFile = null)
    {
        var (csvMapping, mappingError) = await ResolveMappingAsync(tenant, mapping, mappingFile);
        if (mappingError is not null)
        {
            await Console.Error.WriteLineAsync($"refused whole, nothing imported: {mappingError}");
            return 1;
        }

        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"refused whole, nothing imported: cannot read {file}: {e.Message}");
            return 1;
        }

        Outcome outcome;
        if (Console.IsErrorRedirected)
        {
            outcome = await ImportAsync(tenant, account, format, csvMapping, file, content, (_, _) => Phase.Silent);
        }
        else
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            outcome = await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn { Width = 30 }, new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(context => ImportAsync(tenant, account, format, csvMapping, file, content,
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
    private static async Task<(CsvMapping? Mapping, string? Error)> ResolveMappingAsync(string tenant, string? mapping, string? mappingFile)
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
        return await store.ResolveAsync(tenant, mapping, CancellationToken.None);
    }

    /// <param name="begin">Starts a phase named so, of a known number of steps or (null) of an unknown one.</param>
    private static async Task<Outcome> ImportAsync(
        string tenant, string? account, string format, CsvMapping? mapping, string file, byte[] content, Func<string, int?, Phase> begin)
    {
        var clock = Stopwatch.StartNew();
        var parsing = begin($"parsing {Path.GetFileName(file)} ({content.Length / 1024.0 / 1024.0:0.0} MiB)", null);
        var parsed = await Task.Run(() => StatementImporter.Parse(content, format, mapping));
        var lines = parsed.Statements.Sum(s => s.Lines.Count);
        var parseTime = clock.Elapsed;
        parsing.Done();
        if (parsed.Refusal is { } bad)
        {
            return Refused(bad);
        }

        await using var services = EngineServices.BuildForFunction(EngineParts.Database);
        // COPY streams the lines to PostgreSQL; storing them (skipping lines the account has) may be one statement
        // after the last line: a phase of its own, so the bar does not sit at 100 %.
        var copying = begin($"copying {lines:N0} lines", lines);
        Phase? storing = null;
        var progress = new Reporter(copied =>
        {
            copying.Report(copied);
            if (copied == lines && storing is null)
            {
                copying.Done();
                storing = begin("storing new lines", null);
            }
        });
        clock.Restart();
        var (import, refusal) = await services.GetRequiredService<StatementImporter>().ImportAsync(
            tenant, account, parsed, StatementImporter.FormatLabel(parsed.Format, mapping), content, "local-cli", CancellationToken.None, progress);
        (storing ?? copying).Done();
        if (refusal is not null)
        {
            return Refused(refusal);
        }

        var importTime = clock.Elapsed;
        return new Outcome(
            0,
            // One line per statement of the file.
            string.Join('\n', import!.Statements.Select(s => import.AlreadyImported
                ? $"statement {s.StatementId}: already imported, nothing changed ({StatementImporter.Name(s.Routed.Statement)}, account {s.AccountId})"
                : $"statement {s.StatementId}: {s.Imported} of {s.Lines} lines imported ({StatementImporter.Name(s.Routed.Statement)}, account {s.AccountId})")),
            Summary(lines, import, parseTime, importTime));
    }

    /// <summary>The API's refusal, word for word.</summary>
    private static Outcome Refused(ImportRefusal refusal) => new(1, null, $"refused whole, nothing imported: {refusal.Detail}");

    /// <summary>The closing line on stderr, e.g. "100,000 lines parsed in 0.4 s; 100,000 imported, 0 already present, in 1.2 s (83,000 lines/s)".</summary>
    public static string Summary(int lines, StatementImport import, TimeSpan parseTime, TimeSpan importTime) => import.AlreadyImported
        ? string.Create(CultureInfo.InvariantCulture,
            $"{lines:N0} line{(lines == 1 ? "" : "s")} parsed in {parseTime.TotalSeconds:0.0} s; the same file was imported before (import {import.ImportId}): nothing changed")
        : string.Create(CultureInfo.InvariantCulture,
            $"{lines:N0} line{(lines == 1 ? "" : "s")} parsed in {parseTime.TotalSeconds:0.0} s; {import.Imported:N0} imported, {lines - import.Imported:N0} already present, in {importTime.TotalSeconds:0.0} s ({lines / Math.Max(importTime.TotalSeconds, 0.001):N0} lines/s)");

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
