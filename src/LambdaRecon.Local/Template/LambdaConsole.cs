using System.Globalization;
using System.Text;

namespace LambdaRecon.Local.Template;

/// <summary>
/// What Lambda's .NET runtime does to Console in the Text log format: a WriteLine made during an invocation
/// becomes "&lt;time&gt;\t&lt;request id&gt;\t&lt;level&gt;\t&lt;line&gt;" (info on stdout, fail on stderr); Write
/// goes out as it is. So locally too every log line of an invocation names it, and the metrics documents
/// (written with Write) stay pure JSON. Outside an invocation (the runner's own lines) nothing is added.
/// </summary>
internal sealed class LambdaConsole(TextWriter inner, string level) : TextWriter
{
    private static readonly AsyncLocal<string?> Current = new();
    private static int _installed;

    public override Encoding Encoding => inner.Encoding;

    /// <summary>Puts the prefixing writers in place of stdout and stderr, once per process.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 0)
        {
            Console.SetOut(new LambdaConsole(Console.Out, "info"));
            Console.SetError(new LambdaConsole(Console.Error, "fail"));
        }
    }

    /// <summary>
    /// The invocation that the calling async flow serves, or null after it (Lambda's own REPORT line has no
    /// prefix). Set inside an async method, it holds for what that method awaits and ends when it returns.
    /// </summary>
    public static string? RequestId
    {
        get => Current.Value;
        set => Current.Value = value;
    }

    public override void Write(char value) => inner.Write(value);

    public override void Write(string? value) => inner.Write(value);

    public override void Write(char[] buffer, int index, int count) => inner.Write(buffer, index, count);

    public override void WriteLine(string? value) => inner.WriteLine(Current.Value is { } requestId
        ? string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}\t{requestId}\t{level}\t{value}")
        : value);

    public override void Flush() => inner.Flush();
}
