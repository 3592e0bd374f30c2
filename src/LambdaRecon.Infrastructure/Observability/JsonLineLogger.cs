using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Infrastructure.Observability;

/// <summary>
/// One flat JSON object per log line: time, level, category, message, then every field of the message
/// template and of the open scopes under snake_case names (<c>transaction_id</c>, <c>request_id</c>), so
/// CloudWatch Logs Insights can filter on each (<c>filter transaction_id = "…"</c>).
/// </summary>
/// <remarks>
/// Each line is one <see cref="TextWriter.WriteLine(string)"/> on the calling thread. Lambda's .NET runtime
/// prefixes every Console WriteLine with the time, the invocation's request id and a level (Text log format),
/// and it does so at the moment of the call: written here synchronously, each line carries the request id of
/// the invocation that wrote it. Microsoft's console logger writes from a background queue with Write, which
/// the runtime passes through bare, and whose last lines of an invocation may only be written after Lambda
/// froze the environment and woke it for the next one.
/// </remarks>
/// <param name="output">Where each line goes, asked at each line: Console.Out is not kept, as the local runner
/// puts Lambda's prefixing writer in its place.</param>
public sealed class JsonLineLoggerProvider(Func<TextWriter> output) : ILoggerProvider, ISupportExternalScope
{
    private static readonly ConcurrentDictionary<string, string> FieldNames = new(StringComparer.Ordinal);

    // Ids are searched as written: an API Gateway request id "Jysl+jw=" must not become "Jysl\u002Bjw=". These
    // lines are logs, never HTML, and control characters are still escaped, so a line stays one line.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Func<TextWriter> _output = output;
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new JsonLineLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>The snake_case name of a template or scope field: TransactionId → transaction_id.</summary>
    public static string FieldName(string name) => FieldNames.GetOrAdd(name, n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n));

    private static readonly string[] LevelNames = Enum.GetNames<LogLevel>();

    [ThreadStatic]
    private static Line? t_line;

    /// <summary>A thread's buffers for the line it writes.</summary>
    private sealed class Line
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(1024);

        public Utf8JsonWriter Json { get; }

        public HashSet<string> Written { get; } = new(StringComparer.Ordinal);

        public Line() => Json = new Utf8JsonWriter(Buffer, WriterOptions);
    }

    private sealed class JsonLineLogger(string category, JsonLineLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            // One line at a time per thread, and nothing awaited while it is written: the thread's buffers are reused.
            var line = t_line ??= new Line();
            line.Buffer.ResetWrittenCount();
            line.Json.Reset(line.Buffer);
            line.Written.Clear();
            var json = line.Json;
            var written = line.Written;
            json.WriteStartObject();
            json.WriteString("time", DateTime.UtcNow);
            json.WriteString("level", LevelNames[(int)logLevel]);
            json.WriteString("category", category);
            json.WriteString("message", formatter(state, exception));
            written.UnionWith(["time", "level", "category", "message"]);
            if (eventId.Name is { } eventName)
            {
                json.WriteString("event", eventName);
                written.Add("event");
            }

            WriteFields(json, state, written);
            provider._scopes.ForEachScope(static (scope, l) => WriteFields(l.Json, scope, l.Written), line);
            if (exception is not null && written.Add("exception"))
            {
                json.WriteString("exception", exception.ToString());
            }

            json.WriteEndObject();
            json.Flush();
            provider._output().WriteLine(Encoding.UTF8.GetString(line.Buffer.WrittenSpan));
        }

        // The first writer of a name wins: a message's own field over a scope's, an inner scope over an outer.
        private static void WriteFields(Utf8JsonWriter json, object? fields, HashSet<string> written)
        {
            if (fields is not IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                return;
            }

            foreach (var (key, value) in pairs)
            {
                if (key == "{OriginalFormat}" || !written.Add(FieldName(key)))
                {
                    continue;
                }

                json.WritePropertyName(FieldName(key));
                WriteValue(json, value);
            }
        }

        private static void WriteValue(Utf8JsonWriter json, object? value)
        {
            switch (value)
            {
                case null:
                    json.WriteNullValue();
                    break;
                case string text:
                    json.WriteStringValue(text);
                    break;
                case bool flag:
                    json.WriteBooleanValue(flag);
                    break;
                case int number:
                    json.WriteNumberValue(number);
                    break;
                case long number:
                    json.WriteNumberValue(number);
                    break;
                case double number when double.IsFinite(number): // not money: durations and latencies in log lines
                    json.WriteNumberValue(number);
                    break;
                case DateTimeOffset time:
                    json.WriteStringValue(time);
                    break;
                case DateTime time:
                    json.WriteStringValue(time);
                    break;
                default:
                    json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
            }
        }
    }
}
