using System.Reflection;

namespace LambdaRecon.Local.Template;

/// <summary>
/// Calls a handler the way Lambda's managed .NET runtime does: "Assembly::Namespace.Type::Method",
/// one instance per function per process, a Stream in and a Stream out.
/// </summary>
public sealed class FunctionInvoker
{
    private readonly Func<Stream, Task<Stream>> _handle;

    public FunctionInvoker(SamFunction function)
    {
        Function = function;
        var method = Resolve(function.Handler);
        var instance = method.IsStatic ? null : Activator.CreateInstance(method.DeclaringType!);
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

    public Task<Stream> HandleAsync(Stream input) => _handle(input);
}
