using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.LedgerWorker.Tests;

public sealed record LogEntry(LogLevel Level, string EventName, string Message, IReadOnlyDictionary<string, object?> Fields, Exception? Exception);

/// <summary>Keeps every log line with its structured fields, so a test can check what the worker said about a message.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>The lines whose MessageId field is the given one.</summary>
    public IReadOnlyList<LogEntry> About(string messageId) =>
        _entries.Where(e => e.Fields.TryGetValue("MessageId", out var id) && Equals(id, messageId)).ToList();

    public ILogger<T> CreateLogger<T>() => new Logger<T>(new LoggerFactory([this]));

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        _entries.Enqueue(new LogEntry(logLevel, eventId.Name ?? "", formatter(state, exception), fields, exception));
    }

    public void Dispose()
    {
    }
}
