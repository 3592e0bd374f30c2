using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Amazon.SimpleSystemsManagement;
using Amazon.SQS;
using LambdaRecon.Infrastructure.Configuration;
using LambdaRecon.Infrastructure.Hosting;

namespace LambdaRecon.Local.Tests.Policy;

/// <summary>
/// The AWS actions the code reachable from a type can call: a type-level walk over our assemblies that
/// follows every type named in signatures, fields and method bodies (IL), and records each SDK operation
/// called on the SQS or SSM client. Type-level, so it over-approximates within a type (all of a type's
/// methods count once the type is reached). It misses only what no type reference shows: reflection, and an
/// implementation of an interface of ours reached through the interface alone (there are no such interfaces).
/// A token it cannot resolve throws rather than drop an edge.
/// </summary>
internal static class AwsCallGraph
{
    private const BindingFlags Declared =
        BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Dictionary<Type, string> ServicePrefixes = new()
    {
        [typeof(IAmazonSQS)] = "sqs",
        [typeof(AmazonSQSClient)] = "sqs",
        [typeof(IAmazonSimpleSystemsManagement)] = "ssm",
        [typeof(AmazonSimpleSystemsManagementClient)] = "ssm",
    };

    // IAM authorizes each batch API with its single-message action.
    private static readonly Dictionary<string, string> BatchActions = new(StringComparer.Ordinal)
    {
        ["SendMessageBatch"] = "SendMessage",
        ["DeleteMessageBatch"] = "DeleteMessage",
        ["ChangeMessageVisibilityBatch"] = "ChangeMessageVisibility",
    };

    // Every IL opcode by its (one- or two-byte) value, to step over operands we do not read.
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .DistinctBy(o => o.Value)
        .ToDictionary(o => o.Value);

    // EngineServices' factories (sp => ...), each building the service type it returns. The walk does not enter
    // EngineServices, but a function that asks for one of these types runs its factory: the worker's LedgerStore
    // takes an NpgsqlDataSource, whose factory builds EngineResources, which reads the database secret.
    private static readonly MethodInfo[] FactoryLambdas = [.. WithGeneratedNestedTypes(typeof(EngineServices)).Skip(1)
        .SelectMany(t => t.GetMethods(Declared))
        .Where(m => m.GetParameters() is [{ ParameterType: var p }] && p == typeof(IServiceProvider))];

    private static readonly Dictionary<Type, Node> Factories = FactoryLambdas.GroupBy(m => m.ReturnType)
        .ToDictionary(g => g.Key, g => Scan(typeof(EngineServices), g, new Node([], [])));

    private static readonly ConcurrentDictionary<Type, Node> Nodes = new();

    private sealed record Node(HashSet<Type> References, HashSet<string> Actions);

    /// <summary>Each action the code reachable from <paramref name="entry"/> calls, with the types that call it.</summary>
    public static SortedDictionary<string, SortedSet<string>> ActionsReachableFrom(Type entry)
    {
        var actions = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(Ours(entry));
        while (pending.TryPop(out var type))
        {
            if (!seen.Add(type))
            {
                continue;
            }

            var node = Nodes.GetOrAdd(type, Analyze);
            foreach (var action in node.Actions)
            {
                (actions.TryGetValue(action, out var callers) ? callers : actions[action] = new(StringComparer.Ordinal)).Add(type.FullName!);
            }

            foreach (var reference in node.References.Where(r => !seen.Contains(r)))
            {
                pending.Push(reference);
            }
        }

        return actions;
    }

    /// <summary>
    /// Our deployed code: LambdaRecon.* assemblies, minus what never runs in Lambda (the local runner and the
    /// worker's local stand-in for the event source mapping) and minus EngineServices, the composition root
    /// that names every service of every function: a function resolves from it only what it asks for by type,
    /// which the walk sees at the call site (GetRequiredService&lt;T&gt;, CreateInstance&lt;T&gt;, handler parameters).
    /// </summary>
    private static bool IsDeployedCode(Type type) =>
        type.Assembly.GetName().Name is { } assembly && assembly.StartsWith("LambdaRecon.", StringComparison.Ordinal)
        && assembly != "LambdaRecon.Local"
        && type.Namespace?.StartsWith("LambdaRecon.LedgerWorker.Local", StringComparison.Ordinal) != true
        && type != typeof(EngineServices);

    // Async state machines, closures and lambda holders belong to the type whose code the compiler moved into them.
    private static bool IsCompilerGenerated(Type type) => type.IsDefined(typeof(CompilerGeneratedAttribute), false) || type.Name.StartsWith('<');

    /// <summary>
    /// The walk's nodes named by <paramref name="type"/> (itself as its generic definition, its generic arguments,
    /// its element type): our types, and the services an EngineServices factory builds.
    /// </summary>
    private static IEnumerable<Type> Ours(Type? type)
    {
        if (type is null || type.IsGenericParameter)
        {
            return [];
        }

        if (type.HasElementType)
        {
            return Ours(type.GetElementType());
        }

        IEnumerable<Type> arguments = type.IsConstructedGenericType ? type.GenericTypeArguments.SelectMany(Ours) : [];
        var definition = type.IsConstructedGenericType ? type.GetGenericTypeDefinition() : type;
        while (definition.IsNested && IsCompilerGenerated(definition))
        {
            definition = definition.DeclaringType!;
        }

        return IsDeployedCode(definition) || FactoryLambdas.Any(m => m.ReturnType == definition) ? arguments.Append(definition) : arguments;
    }

    private static Node Analyze(Type type)
    {
        var node = Factories.TryGetValue(type, out var factory) ? new Node([.. factory.References], [.. factory.Actions]) : new Node([], []);
        if (IsDeployedCode(type))
        {
            foreach (var part in WithGeneratedNestedTypes(type))
            {
                node.References.UnionWith(Ours(part.BaseType).Concat(part.GetInterfaces().SelectMany(Ours)));
                node.References.UnionWith(part.GetFields(Declared).SelectMany(f => Ours(f.FieldType)));
                Scan(type, part.GetMethods(Declared).Cast<MethodBase>().Concat(part.GetConstructors(Declared)), node);
            }
        }

        node.References.Remove(type);
        return node;
    }

    private static Node Scan(Type owner, IEnumerable<MethodBase> methods, Node node)
    {
        foreach (var method in methods)
        {
            node.References.UnionWith(method.GetParameters().SelectMany(p => Ours(p.ParameterType)));
            node.References.UnionWith(Ours((method as MethodInfo)?.ReturnType));
            foreach (var member in MembersUsedBy(method))
            {
                Follow(owner, member, node);
            }
        }

        return node;
    }

    private static IEnumerable<Type> WithGeneratedNestedTypes(Type type) =>
        type.GetNestedTypes(Declared).Where(IsCompilerGenerated).SelectMany(WithGeneratedNestedTypes).Prepend(type);

    private static void Follow(Type owner, MemberInfo member, Node node)
    {
        switch (member)
        {
            case Type type:
                node.References.UnionWith(Ours(type));
                break;
            case FieldInfo field:
                node.References.UnionWith(Ours(field.DeclaringType).Concat(Ours(field.FieldType)));
                break;
            case MethodBase method:
                node.References.UnionWith(Ours(method.DeclaringType));
                node.References.UnionWith(method.IsGenericMethod ? method.GetGenericArguments().SelectMany(Ours) : []);
                if (method.DeclaringType is { } client && ServicePrefixes.TryGetValue(client, out var prefix)
                    && method.Name.EndsWith("Async", StringComparison.Ordinal))
                {
                    var operation = method.Name[..^"Async".Length];
                    node.Actions.Add($"{prefix}:{BatchActions.GetValueOrDefault(operation, operation)}");
                    // SecretReference reads only /aws/reference/secretsmanager/<id>: Parameter Store forwards that
                    // read to Secrets Manager with the caller's own rights, so it needs GetSecretValue too.
                    if (owner == typeof(SecretReference) && operation == "GetParameter")
                    {
                        node.Actions.Add("secretsmanager:GetSecretValue");
                    }
                }

                break;
        }
    }

    /// <summary>The methods, fields and types a method body names: the operands of its call, field and token opcodes.</summary>
    private static IEnumerable<MemberInfo> MembersUsedBy(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        var typeArguments = method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var opCode = OpCodesByValue[il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at]];
            at += opCode.Size;
            switch (opCode.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    // The generic context resolves tokens that name the method's or its type's type parameters.
                    yield return method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments)
                        ?? throw new InvalidOperationException($"unresolved token in {method.DeclaringType}.{method.Name}");
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                default:
                    at += OperandSize(opCode.OperandType);
                    break;
            }
        }
    }

    private static int OperandSize(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
