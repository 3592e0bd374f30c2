using System.Text;
using System.Text.Json;
using LambdaRecon.Infrastructure.Observability;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Infrastructure.Tests.Observability;

public sealed partial class JsonLineLoggerTests
{
    [Fact]
    public void A_line_is_one_WriteLine_of_a_flat_JSON_object_whose_template_and_scope_fields_are_snake_case()
    {
        var output = new LineCountingWriter();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(new JsonLineLoggerProvider(() => output)));
        var logger = factory.CreateLogger("Tests.Posting");

        var transactionId = Guid.Parse("42bc2346-71e9-4c09-be7b-9d52b760d69d");
        using (logger.BeginScope(new Dictionary<string, object?> { ["RequestId"] = "JyslmjwJ+zaDTg==", ["MessageGroupId"] = "from-scope" }))
        {
            Posted(logger, transactionId, "account-123", 213.5, 7);
        }

        Assert.Equal(1, output.WriteLines);
        var line = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal(
            ["time", "level", "category", "message", "event", "transaction_id", "message_group_id", "latency_ms", "attempt", "request_id"],
            line.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Information", line.GetProperty("level").GetString());
        Assert.Equal("Tests.Posting", line.GetProperty("category").GetString());
        Assert.Equal("transaction 42bc2346-71e9-4c09-be7b-9d52b760d69d of account-123 posted after 213.5 ms (attempt 7)", line.GetProperty("message").GetString());
        Assert.Equal("Posted", line.GetProperty("event").GetString());
        // The message's own field wins over a scope's of the same name.
        Assert.Equal("account-123", line.GetProperty("message_group_id").GetString());
        Assert.Equal(213.5, line.GetProperty("latency_ms").GetDouble());
        Assert.Equal(7, line.GetProperty("attempt").GetInt32());
        // Written as sent, so that grep finds what X-Request-Id said: no \u002B for '+'.
        Assert.Contains("\"request_id\":\"JyslmjwJ+zaDTg==\"", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_exception_and_a_multi_line_message_stay_on_one_line()
    {
        var output = new LineCountingWriter();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(new JsonLineLoggerProvider(() => output)));
        var logger = factory.CreateLogger("Tests");

        Failed(logger, new InvalidOperationException("first\nsecond"), "a\nb");

        Assert.Equal(1, output.WriteLines);
        Assert.DoesNotContain('\n', output.ToString().TrimEnd('\n'));
        var line = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal(("Error", "a\nb"), (line.GetProperty("level").GetString(), line.GetProperty("what").GetString()));
        Assert.StartsWith("System.InvalidOperationException: first\nsecond", line.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "transaction {TransactionId} of {MessageGroupId} posted after {LatencyMs} ms (attempt {Attempt})")]
    private static partial void Posted(ILogger logger, Guid transactionId, string messageGroupId, double latencyMs, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "failed: {What}")]
    private static partial void Failed(ILogger logger, Exception exception, string what);

    /// <summary>Counts the WriteLine calls: Lambda's runtime prefixes each with the invocation's request id.</summary>
    private sealed class LineCountingWriter : StringWriter
    {
        public int WriteLines { get; private set; }

        public override Encoding Encoding => Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            WriteLines++;
            base.WriteLine(value);
        }
    }
}
