using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace LambdaRecon.Local.Template;

/// <summary>What one invocation returned: the function's response, or Lambda's error document when it failed.</summary>
public sealed record Invocation(byte[] Payload, bool Failed);

/// <summary>
/// Calls a handler the way Lambda's managed .NET runtime does: "Assembly::Namespace.Type::Method",
/// one instance per function per process, a Stream in and a Stream out. Each invocation is held to the
/// function's Timeout and ends with Lambda's REPORT line on stderr.
/// </summary>
public sealed class FunctionInvoker
{
    private readonly Func<Stream, Task<Stream>> _handle;
    private long _initTicks;

    public FunctionInvoker(SamFunction function)
    {
        Function = function;
        var method = Resolve(function.Handler);
        // Lambda's init phase: loading the type and running its constructor, before the first event.
        var started = Stopwatch.GetTimestamp();
        var instance = method.IsStatic ? null : Activator.CreateInstance(method.DeclaringType!);
        _initTicks = Stopwatch.GetElapsedTime(started).Ticks;
        _handle = input => (Task<Stream>)method.Invoke(instance, [input])!;
    }

    /// <summary>The public method a Handler string names, checked for Lambda's stream shape: Task&lt;Stream&gt; M(Stream).</summary>
    public static MethodInfo Resolve(string handler)
    {
        var parts = handler.Split("::");
        if (parts.Length != 3)
        {
            throw new FormatException($"Handler '{handler}' is not Assembly::Type::Method");
        }

        var type = Assembly.Load(parts[0]).GetType(parts[1], throwOnError: true)!;
        if (!type.IsPublic || (type.GetConstructor(Type.EmptyTypes) is null && !type.IsAbstract))
        {
            throw new MissingMethodException($"{parts[1]} must be a public class with a public parameterless constructor");
        }

        var method = type.GetMethod(parts[2], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static, [typeof(Stream)])
            ?? throw new MissingMethodException($"{parts[1]} has no public {parts[2]}(Stream)");
        return method.ReturnType == typeof(Task<Stream>)
            ? method
            : throw new MissingMethodException($"{parts[1]}.{parts[2]} must return Task<Stream>");
    }

    public SamFunction Function { get; }

    /// <summary>
    /// One invocation: the function's answer, or the error document Lambda returns when it throws or runs
    /// past its Timeout. A timed-out handler is left running here; Lambda would freeze its environment.
    /// </summary>
    public async Task<Invocation> InvokeAsync(byte[] input)
    {
        var requestId = Guid.NewGuid().ToString();
        var started = Stopwatch.GetTimestamp();
        var timeout = TimeSpan.FromSeconds(Function.Timeout);
        Invocation result;
        try
        {
            var handling = ReadAllAsync(input);
            if (await Task.WhenAny(handling, Task.Delay(timeout)) == handling)
            {
                result = new Invocation(await handling, Failed: false);
            }
            else
            {
                var message = $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {requestId} Task timed out after {timeout.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} seconds";
                await Console.Error.WriteLineAsync(message);
                result = new Invocation(Error("Sandbox.Timedout", message, []), Failed: true);
            }
        }
        catch (Exception e)
        {
            var error = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            result = new Invocation(
                Error(error.GetType().Name, error.Message, error.StackTrace?.Split(Environment.NewLine, StringSplitOptions.TrimEntries) ?? []),
                Failed: true);
        }

        Report(requestId, Stopwatch.GetElapsedTime(started));
        return result;
    }

    /// <summary>The invocation as the SQS poller and the schedule need it: the response, or an exception when it failed.</summary>
    public async Task<Stream> HandleAsync(Stream input)
    {
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer);
        var invocation = await InvokeAsync(buffer.ToArray());
        return invocation.Failed
            ? throw new InvalidOperationException($"{Function.LogicalId} failed: " + System.Text.Encoding.UTF8.GetString(invocation.Payload))
            : new MemoryStream(invocation.Payload, writable: false);
    }

    private async Task<byte[]> ReadAllAsync(byte[] input)
    {
        await using var output = await _handle(new MemoryStream(input, writable: false));
        using var copy = new MemoryStream();
        await output.CopyToAsync(copy);
        return copy.ToArray();
    }

    // Lambda's error document for an unhandled exception: {"errorType","errorMessage","stackTrace"}.
    private static byte[] Error(string type, string message, string[] stackTrace) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["errorType"] = type,
            ["errorMessage"] = message,
            ["stackTrace"] = stackTrace,
        });

    // Lambda's last line for every invocation, with Init Duration on the first of an environment.
    private void Report(string requestId, TimeSpan duration)
    {
        var ms = duration.TotalMilliseconds;
        var init = Interlocked.Exchange(ref _initTicks, 0) is > 0 and var ticks
            ? string.Create(CultureInfo.InvariantCulture, $"\tInit Duration: {TimeSpan.FromTicks(ticks).TotalMilliseconds:0.00} ms")
            : "";
        var maxUsed = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"REPORT RequestId: {requestId}\tDuration: {ms:0.00} ms\tBilled Duration: {Math.Ceiling(ms):0} ms\tMemory Size: {Function.MemorySize} MB\tMax Memory Used: {maxUsed} MB{init}"));
    }
}
