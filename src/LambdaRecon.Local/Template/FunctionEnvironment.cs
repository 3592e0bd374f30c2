using System.Text.Json;

namespace LambdaRecon.Local.Template;

/// <summary>
/// A function's environment for `invoke`, in this order of precedence: an --env-vars file in SAM's format
/// ({"Parameters": {...}, "&lt;LogicalId&gt;": {...}}, the function's own entries over Parameters; like SAM, only
/// variables the template declares); then the process environment, which ./run.sh fills with the local
/// services that stand in for the stack's resources; then the template's literals and parameter defaults.
/// </summary>
public static class FunctionEnvironment
{
    public static void Apply(SamFunction function, string? envVarsFile)
    {
        foreach (var (name, value) in function.LocalEnvironment)
        {
            if (Environment.GetEnvironmentVariable(name) is null)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        if (envVarsFile is null)
        {
            return;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(envVarsFile));
        foreach (var section in new[] { "Parameters", function.LogicalId })
        {
            if (!document.RootElement.TryGetProperty(section, out var variables))
            {
                continue;
            }

            if (variables.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{envVarsFile}: \"{section}\" must be an object of variable names to values");
            }

            foreach (var variable in variables.EnumerateObject())
            {
                if (function.Environment.ContainsKey(variable.Name))
                {
                    Environment.SetEnvironmentVariable(variable.Name, variable.Value.ValueKind == JsonValueKind.String
                        ? variable.Value.GetString()
                        : variable.Value.GetRawText());
                }
            }
        }
    }
}
