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

            var buffer = new ArrayBufferWriter<byte>(512);
            using (var json = new Utf8JsonWriter(buffer, WriterOptions))
            {
                json.WriteStartObject();
                json.WriteString("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                json.WriteString("level", logLevel.ToString());
                json.WriteString("category", category);
                json.WriteString("message", formatter(state, exception));
                var written = new HashSet<string>(StringComparer.Ordinal) { "time", "level", "category", "message" };
                if (eventId.Name is { } eventName)
                {
                    json.WriteString("event", eventName);
                    written.Add("event");
                }

                WriteFields(json, state, written);
                provider._scopes.ForEachScope((scope, w) => WriteFields(w.Json, scope, w.Written), (Json: json, Written: written));
                if (exception is not null && written.Add("exception"))
                {
                    json.WriteString("exception", exception.ToString());
                }

                json.WriteEndObject();
            }

            provider._output().WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
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
                case double number when double.IsFinite(number):
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
