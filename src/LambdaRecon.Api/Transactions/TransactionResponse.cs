using System.Text.Json;
using LambdaRecon.Core.Ledger;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Infrastructure.Transactions;

namespace LambdaRecon.Api.Transactions;

/// <summary>A transaction as clients see it: amounts both as exact decimal strings and as minor units.</summary>
public sealed record TransactionResponse(
    Guid TransactionId,
    string? IdempotencyKey,
    string Type,
    string Status,
    string Amount,
    long AmountMinor,
    string Currency,
    string SourceAccountId,
    string DestinationAccountId,
    Guid? RefundOf,
    string? Description,
    JsonElement Metadata,
    FailureResponse? Failure,
    string? MessageId,
    string RefundedAmount,
    long RefundedAmountMinor,
    DateTimeOffset AcceptedAt,
    DateTimeOffset? PublishedAt,
    DateTimeOffset? PostedAt,
    DateTimeOffset? FailedAt,
    IReadOnlyList<EntryResponse> Entries)
{
    public static TransactionResponse From(TransactionView view)
    {
        var currency = Core.Monetary.Currency.Of(view.Record.Currency);
        string Text(long minor) => new Money(minor, currency).ToDecimalString();
        return new TransactionResponse(
            view.Record.Id, view.IdempotencyKey, view.Record.Type.ToString().ToLowerInvariant(), view.Status.ToString().ToUpperInvariant(),
            Text(view.Record.Amount), view.Record.Amount, currency.Code, view.Record.SourceAccountId, view.Record.DestinationAccountId,
            view.Record.RefundOf, view.Record.Description, view.Metadata,
            view.FailureCode is null ? null : new FailureResponse(view.FailureCode, view.FailureReason),
            view.MessageId, Text(view.RefundedMinor), view.RefundedMinor, view.AcceptedAt, view.PublishedAt, view.PostedAt, view.FailedAt,
            view.Entries.Select(e => new EntryResponse(e.Id, e.AccountId, Text(e.Amount), e.Amount, Text(e.BalanceAfter), e.BalanceAfter, e.Sequence, e.PostedAt))
                .ToArray());
    }
}

public sealed record FailureResponse(string Code, string? Reason);

public sealed record EntryResponse(
    long EntryId, string AccountId, string Amount, long AmountMinor, string BalanceAfter, long BalanceAfterMinor, long Sequence, DateTimeOffset PostedAt);
