using System.Text.Json.Serialization;
using LambdaRecon.Lambda.ApiGateway;
using LambdaRecon.Lambda.CloudFormation;
using LambdaRecon.Lambda.Scheduling;
using LambdaRecon.Lambda.Sqs;

namespace LambdaRecon.Lambda;

/// <summary>
/// The one JSON context for every Lambda event and response. Source-generated, so no reflection runs
/// on a cold start. AWS names most fields in camelCase; the exceptions (SQS's "Records" and
/// "eventSourceARN", EventBridge's "detail-type", CloudFormation's PascalCase) carry their own names on the record. Nulls are left
/// out on writing: API Gateway and SQS read an absent field the way they read a missing one.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiGatewayHttpRequest))]
[JsonSerializable(typeof(ApiGatewayHttpResponse))]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SqsBatchResponse))]
[JsonSerializable(typeof(ScheduledEvent))]
[JsonSerializable(typeof(CustomResourceRequest))]
[JsonSerializable(typeof(CustomResourceResponse))]
public sealed partial class LambdaJsonContext : JsonSerializerContext;
