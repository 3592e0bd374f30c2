using System.Text.Json;
using System.Text.Json.Serialization;

namespace LambdaRecon.Lambda.CloudFormation;

/// <summary>
/// What CloudFormation sends a custom resource's function on Create, Update and Delete. CloudFormation
/// names its fields in PascalCase, "ResponseURL" included; every field is read as optional so that a
/// malformed event can still be answered through its ResponseURL with what is wrong.
/// </summary>
public sealed record CustomResourceRequest
{
    [JsonPropertyName("RequestType")]
    public string? RequestType { get; init; }

    /// <summary>The pre-signed S3 URL that takes the one answer (HTTP PUT).</summary>
    [JsonPropertyName("ResponseURL")]
    public string? ResponseUrl { get; init; }

    [JsonPropertyName("StackId")]
    public string? StackId { get; init; }

    [JsonPropertyName("RequestId")]
    public string? RequestId { get; init; }

    [JsonPropertyName("ResourceType")]
    public string? ResourceType { get; init; }

    [JsonPropertyName("LogicalResourceId")]
    public string? LogicalResourceId { get; init; }

    /// <summary>Set on Update and Delete: the id the function answered on Create.</summary>
    [JsonPropertyName("PhysicalResourceId")]
    public string? PhysicalResourceId { get; init; }

    [JsonPropertyName("ResourceProperties")]
    public JsonElement? ResourceProperties { get; init; }

    [JsonPropertyName("OldResourceProperties")]
    public JsonElement? OldResourceProperties { get; init; }

    public static readonly string[] RequestTypes = ["Create", "Update", "Delete"];

    /// <summary>The fields CloudFormation always sends that are missing or wrong, empty when the event is whole.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(ResponseUrl, UriKind.Absolute, out var url) || (url.Scheme != "https" && url.Scheme != "http"))
        {
            problems.Add("ResponseURL is missing or not an http(s) URL");
        }

        if (RequestType is null || !RequestTypes.Contains(RequestType, StringComparer.Ordinal))
        {
            problems.Add($"RequestType {(RequestType is null ? "is missing" : $"'{RequestType}' is not one of {string.Join(", ", RequestTypes)}")}");
        }

        foreach (var (name, value) in new[] { ("StackId", StackId), ("RequestId", RequestId), ("LogicalResourceId", LogicalResourceId) })
        {
            if (string.IsNullOrEmpty(value))
            {
                problems.Add(name + " is missing");
            }
        }

        if (RequestType is "Update" or "Delete" && string.IsNullOrEmpty(PhysicalResourceId))
        {
            problems.Add($"PhysicalResourceId is missing on {RequestType}");
        }

        return problems;
    }
}

/// <summary>The one answer CloudFormation waits for, PUT to the request's ResponseURL (at most 4 KB).</summary>
public sealed record CustomResourceResponse
{
    public const string Success = "SUCCESS";
    public const string Failed = "FAILED";

    [JsonPropertyName("Status")]
    public required string Status { get; init; }

    [JsonPropertyName("Reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("PhysicalResourceId")]
    public required string PhysicalResourceId { get; init; }

    [JsonPropertyName("StackId")]
    public required string StackId { get; init; }

    [JsonPropertyName("RequestId")]
    public required string RequestId { get; init; }

    [JsonPropertyName("LogicalResourceId")]
    public required string LogicalResourceId { get; init; }

    /// <summary>Values the template can read with Fn::GetAtt.</summary>
    [JsonPropertyName("Data")]
    public IReadOnlyDictionary<string, string>? Data { get; init; }
}
