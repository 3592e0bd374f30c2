using System.Text.Json;
using System.Text.Json.Serialization;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Infrastructure.Ledger;

namespace LambdaRecon.Infrastructure.Queue;

/// <summary>
/// The body of a message on transactions.fifo: everything the worker needs to post the transaction
/// even if it runs before the API's own row is visible. Amounts are minor units.
/// </summary>
public sealed record TransactionMessage(
    [property: JsonPropertyName("transaction_id")] Guid TransactionId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("amount_minor")] long AmountMinor,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("source_account_id")] string SourceAccountId,
    [property: JsonPropertyName("destination_account_id")] string DestinationAccountId,
    [property: JsonPropertyName("refund_of")] Guid? RefundOf,
    [property: JsonPropertyName("description")] string? Description)
{
    public static TransactionMessage From(TransactionRecord record) => new(
        record.Id, LedgerStore.TypeText(record.Type), record.Amount, record.Currency,
        record.SourceAccountId, record.DestinationAccountId, record.RefundOf, record.Description);

    public TransactionRecord ToRecord() => new(
        TransactionId, LedgerStore.ParseType(Type), AmountMinor, Currency, SourceAccountId, DestinationAccountId, RefundOf, Description);

    public string ToJson() => JsonSerializer.Serialize(this, QueueJsonContext.Default.TransactionMessage);

    /// <summary>Reads a message body; null when it is not a well-formed transaction message.</summary>
    public static TransactionMessage? TryParse(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize(body, QueueJsonContext.Default.TransactionMessage);
            return message is { AmountMinor: > 0, Currency.Length: 3, SourceAccountId.Length: > 0, DestinationAccountId.Length: > 0 }
                   && message.TransactionId != Guid.Empty && message.Type is "transfer" or "refund" or "adjustment"
                ? message
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(TransactionMessage))]
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
internal sealed partial class QueueJsonContext : JsonSerializerContext;
