using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace LambdaRecon.Infrastructure.Observability;

/// <summary>A metric's values in one EMF document: one value, or several (each message's latency of a batch).</summary>
public sealed record Metric(string Name, string Unit, IReadOnlyList<double> Values) // not money: counts and milliseconds, as CloudWatch takes them
{
    public static Metric Count(string name, long count) => new(name, "Count", [count]);

    public static Metric Milliseconds(string name, IReadOnlyList<double> values) => new(name, "Milliseconds", values); // not money: a duration or metric value
}

/// <summary>
/// CloudWatch Embedded Metric Format: each call writes one JSON document on its own line to stdout, from
/// which CloudWatch Logs makes the metrics, in namespace <see cref="Namespace"/> with the dimensions
/// FunctionName and Environment only (ids would make a metric per id). No package and no API call: Lambda
/// ships stdout to CloudWatch Logs already.
/// </summary>
/// <remarks>
/// The document goes out with one <see cref="TextWriter.Write(string)"/>, which Lambda's .NET runtime passes
/// through untouched (it prefixes WriteLine only), so each document is a log event of pure JSON, as EMF needs.
/// </remarks>
public sealed class EmbeddedMetrics(string functionName, string environment, Func<TextWriter>? output = null)
{
    public const string Namespace = "LambdaRecon";

    // EMF's limits: 100 metrics per document and 100 values per metric.
    private const int MaxValues = 100;

    // Ids are searched as written ("a+b=", not "a\u002Bb="): these lines are logs, never HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string FunctionName { get; } = functionName;

    public string Environment { get; } = environment;

    /// <summary>
    /// The function's metrics: FunctionName is Lambda's name for the function (AWS_LAMBDA_FUNCTION_NAME, the
    /// stack's "&lt;stack&gt;-api"), or <paramref name="localName"/> where Lambda does not set it; Environment is
    /// LAMBDARECON_ENVIRONMENT (the stack name, from template.yaml), or "local".
    /// </summary>
    public static EmbeddedMetrics ForFunction(string localName, IConfiguration configuration) => new(
        configuration["AWS_LAMBDA_FUNCTION_NAME"] is { Length: > 0 } name ? name : localName,
        configuration["LAMBDARECON_ENVIRONMENT"] is { Length: > 0 } environment ? environment : "local");

    /// <summary>Writes one document with <paramref name="metrics"/> (those without values left out) and the given properties.</summary>
    public void Emit(IReadOnlyList<Metric> metrics, IReadOnlyList<KeyValuePair<string, string?>>? properties = null)
    {
        var present = metrics.Where(m => m.Values.Count > 0).ToArray();
        if (present.Length == 0)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", Namespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            json.WriteStringValue(nameof(FunctionName));
            json.WriteStringValue(nameof(Environment));
            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var metric in present)
            {
                json.WriteStartObject();
                json.WriteString("Name", metric.Name);
                json.WriteString("Unit", metric.Unit);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString(nameof(FunctionName), FunctionName);
            json.WriteString(nameof(Environment), Environment);
            foreach (var metric in present)
            {
                if (metric.Values.Count == 1)
                {
                    json.WriteNumber(metric.Name, metric.Values[0]);
                    continue;
                }

                json.WriteStartArray(metric.Name);
                foreach (var value in metric.Values.Take(MaxValues))
                {
                    json.WriteNumberValue(value);
                }

                json.WriteEndArray();
            }

            foreach (var (name, value) in properties ?? [])
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }

        (output?.Invoke() ?? Console.Out).Write(Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
    }
}
