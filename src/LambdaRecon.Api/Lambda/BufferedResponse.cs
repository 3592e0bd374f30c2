using System.Text;
using LambdaRecon.Lambda.ApiGateway;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace LambdaRecon.Api.Lambda;

/// <summary>
/// One invocation's response, held in memory until the app is done, since Lambda answers API Gateway with
/// one JSON document. It keeps Kestrel's order of events, so that middleware behaves the same on Lambda as
/// on the local runner: OnStarting callbacks run once, before the headers are taken, and after them
/// HasStarted is true.
/// </summary>
internal sealed partial class BufferedResponse() : StreamResponseBodyFeature(new MemoryStream()), IHttpResponseFeature
{
    // Decoding fails on bytes that are not UTF-8 instead of replacing them, which would lose them.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stack<(Func<object, Task> Callback, object State)> _onStarting = new();
    private readonly Stack<(Func<object, Task> Callback, object State)> _onCompleted = new();

    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string? ReasonPhrase { get; set; }

    public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();

    public bool HasStarted { get; private set; }

    [Obsolete("IHttpResponseBodyFeature replaced it; ASP.NET Core no longer reads it.")]
    Stream IHttpResponseFeature.Body
    {
        get => Stream;
        set => throw new NotSupportedException("Replace the IHttpResponseBodyFeature to redirect the response body.");
    }

    public void OnStarting(Func<object, Task> callback, object state)
    {
        if (HasStarted)
        {
            throw new InvalidOperationException("The response has already started.");
        }

        _onStarting.Push((callback, state));
    }

    public void OnCompleted(Func<object, Task> callback, object state) => _onCompleted.Push((callback, state));

    public override async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // Last registered, first run: the order Kestrel runs them in.
        while (_onStarting.TryPop(out var entry))
        {
            await entry.Callback(entry.State);
        }

        HasStarted = true;
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Runs every OnCompleted callback; the answer is already made, so one that fails is only logged.</summary>
    public async Task RunOnCompletedAsync(ILogger logger)
    {
        while (_onCompleted.TryPop(out var entry))
        {
            try
            {
                await entry.Callback(entry.State);
            }
            catch (Exception exception)
            {
                LogOnCompletedFailed(logger, exception);
            }
        }
    }

    public ApiGatewayHttpResponse ToApiGatewayResponse()
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        List<string>? cookies = null;
        foreach (var (name, values) in Headers)
        {
            // Set-Cookie cannot be comma-joined (Expires holds a comma): API Gateway takes each on its own.
            if (string.Equals(name, HeaderNames.SetCookie, StringComparison.OrdinalIgnoreCase))
            {
                (cookies ??= []).AddRange(values.OfType<string>());
            }
            else
            {
                headers[name] = string.Join(',', values.OfType<string>());
            }
        }

        var (body, isBase64Encoded) = EncodeBody();
        return new ApiGatewayHttpResponse
        {
            StatusCode = StatusCode,
            Headers = headers,
            Cookies = cookies,
            Body = body,
            IsBase64Encoded = isBase64Encoded,
        };
    }

    private (string? Body, bool IsBase64Encoded) EncodeBody()
    {
        var bytes = ((MemoryStream)Stream).ToArray();
        if (bytes.Length == 0)
        {
            return (null, false);
        }

        if (IsText(Headers.ContentType))
        {
            try
            {
                return (StrictUtf8.GetString(bytes), false);
            }
            catch (DecoderFallbackException)
            {
                // Declared as text but not UTF-8: base64 below carries the bytes unchanged.
            }
        }

        return (Convert.ToBase64String(bytes), true);
    }

    private static bool IsText(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && (mediaType.Type.Equals("text", StringComparison.OrdinalIgnoreCase)
            || IsJsonOrXml(mediaType.SubType)
            || IsJsonOrXml(mediaType.Suffix));

    private static bool IsJsonOrXml(Microsoft.Extensions.Primitives.StringSegment subtype) =>
        subtype.Equals("json", StringComparison.OrdinalIgnoreCase) || subtype.Equals("xml", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Error, Message = "A callback registered with Response.OnCompleted failed")]
    private static partial void LogOnCompletedFailed(ILogger logger, Exception exception);
}
