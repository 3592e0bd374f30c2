namespace LambdaRecon.Infrastructure.Queue;

/// <summary>
/// SQS could not be reached or refused the call (service error, network, timeout). Callers answer it as
/// "try again later" without knowing the AWS SDK's exception types, which stay inside Infrastructure.
/// </summary>
public sealed class QueueUnavailableException(string message, Exception innerException) : Exception(message, innerException);
