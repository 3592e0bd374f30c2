using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LambdaRecon.Api.Transactions;

// The bodies of POST /transactions and POST /transactions/{id}/refund as the OpenAPI document describes them. The
// handlers read each body field by field (JsonBody), to name the field at fault; these records are their schema.

[Description("A transfer, in the seed's shape: the transaction and its idempotency key (or the Idempotency-Key header).")]
public sealed record CreateTransactionRequest(
    [property: JsonRequired, Description("What to move, from which account to which.")] TransferRequest Transaction,
    [property: JsonPropertyName("idempotencyKey"), Description("1–255 printable ASCII characters, chosen by the client; or the Idempotency-Key header.")]
    string? IdempotencyKey = null);

public sealed record TransferRequest(
    [property: JsonRequired, Description("The account debited: an account of the key's tenant, open, in the transaction's currency.")] string SourceAccountId,
    [property: JsonRequired, Description("The account credited; not the source.")] string DestinationAccountId,
    [property: JsonRequired, Description("Positive, in major units, as a JSON number (100.00) or string (\"100.00\"), read exactly: more fraction digits than the currency has is a 400.")]
    JsonElement Amount,
    [property: Description("ISO 4217 code; the accounts' currency when left out.")] string? Currency = null,
    [property: Description("At most 500 characters.")] string? Description = null,
    [property: Description("Any JSON object, kept with the transaction.")] JsonElement? Metadata = null);

[Description("A refund of all or part of a posted transaction, back the way it came.")]
public sealed record RefundRequest(
    [property: JsonRequired, Description("Why the money goes back: at most 500 characters.")] string Reason,
    [property: Description("In major units, number or string; the rest of the transaction when left out. The ledger caps refunds at the original.")]
    JsonElement? Amount = null,
    [property: JsonPropertyName("idempotencyKey"), Description("Or the Idempotency-Key header.")] string? IdempotencyKey = null);
