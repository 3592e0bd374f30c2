using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace LambdaRecon.Local.Template;

/// <summary>A function of template.yaml as the local runner needs it: what to call and what triggers it.</summary>
/// <remarks>
/// <see cref="Environment"/> holds each variable's text as written (a reference's target for !Ref);
/// <see cref="LocalEnvironment"/> only the values known without a stack: literals and parameters' defaults.
/// </remarks>
public sealed record SamFunction(
    string LogicalId, string Handler, IReadOnlyDictionary<string, string> Environment, int? SqsBatchSize,
    IReadOnlyList<string> SqsResponseTypes, IReadOnlyList<SamSchedule> Schedules, int Timeout, int MemorySize,
    IReadOnlyDictionary<string, string> LocalEnvironment, int? SqsMaximumConcurrency = null)
{
    /// <summary>The schedule event of that name.</summary>
    public SamSchedule Schedule(string name) =>
        Schedules.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"{LogicalId} has no schedule event '{name}'");
}

/// <summary>A Schedule event: its name, its expression, and the constant Input EventBridge sends instead of a scheduled event, if any.</summary>
public sealed record SamSchedule(string Name, string Expression, string? Input);

/// <summary>
/// Reads template.yaml, the single source of the functions' names, handlers, batch size and schedule,
/// so the local runner never drifts from what `sam deploy` creates. CloudFormation's short tags
/// (!Ref, !GetAtt, !Sub) are kept as text; a !Ref to a parameter reads the parameter's default.
/// </summary>
public sealed partial class SamTemplate
{
    private readonly YamlMappingNode _root;

    private SamTemplate(YamlMappingNode root) => _root = root;

    public static SamTemplate Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return new SamTemplate((YamlMappingNode)stream.Documents[0].RootNode);
    }

    /// <summary>template.yaml at the root of the repository this runner was built from (or LAMBDARECON_TEMPLATE).</summary>
    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable("LAMBDARECON_TEMPLATE") is { Length: > 0 } given)
        {
            return given;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "template.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("template.yaml not found above " + AppContext.BaseDirectory + ": set LAMBDARECON_TEMPLATE");
    }

    public YamlMappingNode Resources => (YamlMappingNode)_root["Resources"];

    public IReadOnlyList<SamFunction> Functions()
    {
        var globals = Child(Child(_root, "Globals"), "Function");
        var functions = new List<SamFunction>();
        foreach (var (key, value) in Resources.Children)
        {
            var resource = (YamlMappingNode)value;
            if (Scalar(resource, "Type") != "AWS::Serverless::Function")
            {
                continue;
            }

            var properties = (YamlMappingNode)resource["Properties"];
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            var localEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var source in new[] { globals, properties })
            {
                if (Child(Child(source, "Environment"), "Variables") is { } variables)
                {
                    foreach (var (name, v) in variables.Children)
                    {
                        var variable = ((YamlScalarNode)name).Value!;
                        environment[variable] = v is YamlScalarNode s ? s.Value ?? "" : v.ToString();
                        if (LocalValue(v) is { } known)
                        {
                            localEnvironment[variable] = known;
                        }
                    }
                }
            }

            int? batchSize = null;
            int? maximumConcurrency = null;
            var schedules = new List<SamSchedule>();
            var responseTypes = new List<string>();
            if (Child(properties, "Events") is { } events)
            {
                foreach (var (eventName, e) in events.Children)
                {
                    var eventNode = (YamlMappingNode)e;
                    var eventProperties = Child(eventNode, "Properties");
                    switch (Scalar(eventNode, "Type"))
                    {
                        case "SQS":
                            batchSize = int.Parse(Scalar(eventProperties, "BatchSize") ?? "10", CultureInfo.InvariantCulture);
                            if (Child(eventProperties, "ScalingConfig")?.Children.TryGetValue("MaximumConcurrency", out var most) == true)
                            {
                                maximumConcurrency = int.Parse(Resolve(most)!, CultureInfo.InvariantCulture);
                            }

                            if (eventProperties?.Children.TryGetValue("FunctionResponseTypes", out var types) == true)
                            {
                                responseTypes.AddRange(((YamlSequenceNode)types).Children.Select(t => ((YamlScalarNode)t).Value!));
                            }

                            break;
                        case "Schedule":
                            schedules.Add(new SamSchedule(
                                ((YamlScalarNode)eventName).Value!, Resolve(eventProperties!["Schedule"])!, Scalar(eventProperties, "Input")));
                            break;
                    }
                }
            }

            // SAM's own defaults when neither the function nor Globals sets them: 3 s and 128 MB.
            var timeout = Scalar(properties, "Timeout") ?? Scalar(globals, "Timeout") ?? "3";
            var memory = Scalar(properties, "MemorySize") ?? Scalar(globals, "MemorySize") ?? "128";
            functions.Add(new SamFunction(
                ((YamlScalarNode)key).Value!, Scalar(properties, "Handler")!, environment, batchSize, responseTypes, schedules,
                int.Parse(timeout, CultureInfo.InvariantCulture), int.Parse(memory, CultureInfo.InvariantCulture), localEnvironment,
                maximumConcurrency));
        }

        return functions;
    }

    public SamFunction Function(string logicalId) =>
        Functions().FirstOrDefault(f => f.LogicalId == logicalId)
        ?? throw new ArgumentException($"template.yaml has no function '{logicalId}': it has {string.Join(", ", Functions().Select(f => f.LogicalId))}");

    /// <summary>"rate(15 minutes)" as a period; cron expressions are not run locally.</summary>
    public static TimeSpan RatePeriod(string schedule)
    {
        var match = RatePattern().Match(schedule);
        if (!match.Success)
        {
            throw new FormatException($"only rate(N unit) schedules run locally, not '{schedule}'");
        }

        var n = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value.TrimEnd('s') switch
        {
            "minute" => TimeSpan.FromMinutes(n),
            "hour" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
    }

    [GeneratedRegex(@"^rate\((\d+) (minutes?|hours?|days?)\)$")]
    private static partial Regex RatePattern();

    // A !Ref to a parameter reads its default; anything else is its own text.
    private string? Resolve(YamlNode node)
    {
        if (node is YamlScalarNode scalar && scalar.Tag.Value == "!Ref"
            && Child(Child(_root, "Parameters"), scalar.Value!) is { } parameter)
        {
            return Scalar(parameter, "Default");
        }

        return (node as YamlScalarNode)?.Value;
    }

    // A plain scalar is its own value and a !Ref to a parameter its default; anything else (a resource's
    // !Ref, !GetAtt, !Sub, !If) names something only a deployed stack has.
    private string? LocalValue(YamlNode node) => node switch
    {
        YamlScalarNode { Tag.IsEmpty: true } plain => plain.Value,
        YamlScalarNode { Tag.Value: "!Ref" } reference when Child(Child(_root, "Parameters"), reference.Value!) is { } parameter
            => Scalar(parameter, "Default"),
        _ => null,
    };

    private static YamlMappingNode? Child(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(key, out var child) ? child as YamlMappingNode : null;

    private static string? Scalar(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(key, out var child) ? (child as YamlScalarNode)?.Value : null;
}
