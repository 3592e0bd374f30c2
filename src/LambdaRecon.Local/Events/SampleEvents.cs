using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.ApiGateway;
using LambdaRecon.Lambda.CloudFormation;
using LambdaRecon.Lambda.Scheduling;
using LambdaRecon.Lambda.Sqs;

namespace LambdaRecon.Local.Events;

/// <summary>
/// `generate-event`: the events AWS sends each function, shaped like AWS's own (written through the same
/// contracts the functions read), so that the output of one command is the input of `invoke` as it is.
/// </summary>
public static class SampleEvents
{
    public const string Account = "123456789012";

    // For people to read and edit: indented, and quotes in a body left as \" rather than \u0022 (never put in HTML).
    private static readonly LambdaJsonContext Indented = new(new JsonSerializerOptions(LambdaJsonContext.Default.Options)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static string Region => Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";

    /// <summary>An HTTP API (payload 2.0) request on the $default stage, as API Gateway forwards it.</summary>
    public static string ApiGatewayHttp(string method, string pathAndQuery, string? body, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var (path, query) = pathAndQuery.IndexOf('?', StringComparison.Ordinal) is var at and >= 0
            ? (pathAndQuery[..at], pathAndQuery[(at + 1)..])
            : (pathAndQuery, "");
        var now = DateTimeOffset.UtcNow;
        const string domain = "localhost.execute-api.local";
        var all = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = domain,
            ["user-agent"] = "lambdarecon-generate-event",
            ["x-forwarded-proto"] = "https",
        };
        if (body is not null)
        {
            all["content-type"] = "application/json";
            all["content-length"] = System.Text.Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture);
        }

        // API Gateway lower-cases header names and joins repeated ones with commas.
        foreach (var group in headers.GroupBy(h => h.Key.ToLowerInvariant()))
        {
            all[group.Key] = string.Join(',', group.Select(h => h.Value));
        }

        var request = new ApiGatewayHttpRequest
        {
            Version = "2.0",
            RouteKey = "ANY /{proxy+}",
            RawPath = path,
            RawQueryString = query,
            Headers = all,
            RequestContext = new ApiGatewayHttpRequestContext
            {
                AccountId = Account,
                ApiId = "localhost",
                DomainName = domain,
                DomainPrefix = "localhost",
                Http = new ApiGatewayHttpDescription
                {
                    Method = method.ToUpperInvariant(),
                    Path = path,
                    Protocol = "HTTP/1.1",
                    SourceIp = "127.0.0.1",
                    UserAgent = "lambdarecon-generate-event",
                },
                RequestId = RequestId(),
                RouteKey = "ANY /{proxy+}",
                Stage = "$default",
                Time = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
                TimeEpoch = now.ToUnixTimeMilliseconds(),
            },
            Body = body,
            IsBase64Encoded = false,
        };
        return JsonSerializer.Serialize(request, Indented.ApiGatewayHttpRequest);
    }

    /// <summary>A one-message batch from transactions.fifo, the message exactly as the API publishes it.</summary>
    public static string Sqs(TransactionMessage message, string? group)
    {
        var body = message.ToJson();
        var sent = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var sqsEvent = new SqsEvent
        {
            Records =
            [
                new SqsMessage
                {
                    MessageId = Guid.NewGuid().ToString(),
                    ReceiptHandle = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
                    Body = body,
#pragma warning disable CA5351 // SQS's own checksum of the body is MD5; nothing here relies on it for security.
                    Md5OfBody = Convert.ToHexStringLower(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(body))),
#pragma warning restore CA5351
                    EventSource = "aws:sqs",
                    EventSourceArn = $"arn:aws:sqs:{Region}:{Account}:transactions.fifo",
                    AwsRegion = Region,
                    Attributes = new Dictionary<string, string>
                    {
                        ["ApproximateReceiveCount"] = "1",
                        ["SentTimestamp"] = sent,
                        ["SenderId"] = "AIDAIENQZJOLO23YVJ4VO",
                        ["ApproximateFirstReceiveTimestamp"] = sent,
                        ["SequenceNumber"] = "18849496460467696128",
                        ["MessageGroupId"] = group ?? message.SourceAccountId,
                        ["MessageDeduplicationId"] = message.TransactionId.ToString("N"),
                    },
                },
            ],
        };
        return JsonSerializer.Serialize(sqsEvent, Indented.SqsEvent);
    }

    /// <summary>A transfer message for a new transaction, the amount given in major units and converted exactly.</summary>
    public static TransactionMessage NewTransfer(string source, string destination, string amount, string currencyCode)
    {
        var currency = Currency.Of(currencyCode);
        return new TransactionMessage(
            Guid.CreateVersion7(), "transfer", Money.Parse(amount, currency).Minor, currency.Code, source, destination, null, null);
    }

    /// <summary>What an EventBridge schedule rule sends when it fires.</summary>
    public static string Schedule() => JsonSerializer.Serialize(new ScheduledEvent
    {
        Version = "0",
        Id = Guid.NewGuid().ToString(),
        DetailType = "Scheduled Event",
        Source = "aws.events",
        Account = Account,
        Time = DateTimeOffset.UtcNow,
        Region = Region,
        Resources = [$"arn:aws:events:{Region}:{Account}:rule/lambdarecon-reconcile"],
    }, Indented.ScheduledEvent);

    /// <summary>What CloudFormation sends the DatabaseMigration custom resource; its answer goes to <paramref name="responseUrl"/>.</summary>
    public static string CloudFormation(string requestType, string responseUrl)
    {
        var stackId = $"arn:aws:cloudformation:{Region}:{Account}:stack/lambdarecon/{Guid.NewGuid()}";
        var function = $"arn:aws:lambda:{Region}:{Account}:function:lambdarecon-migrate";
        var properties = JsonSerializer.SerializeToElement(new Dictionary<string, string>
        {
            ["ServiceToken"] = function + ":live",
            ["ServiceTimeout"] = "360",
            ["FunctionVersion"] = function + ":1",
        });
        return JsonSerializer.Serialize(new CustomResourceRequest
        {
            RequestType = requestType,
            ResponseUrl = responseUrl,
            StackId = stackId,
            RequestId = Guid.NewGuid().ToString(),
            ResourceType = "Custom::DatabaseMigration",
            LogicalResourceId = "DatabaseMigration",
            PhysicalResourceId = requestType == "Create" ? null : "lambdarecon-schema",
            ResourceProperties = properties,
            OldResourceProperties = requestType == "Update" ? properties : null,
        }, Indented.CustomResourceRequest);
    }

    // API Gateway's request ids look like "JKJaXmPLvHcESHA=": 12 random bytes, base64.
    private static string RequestId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(10));
}
