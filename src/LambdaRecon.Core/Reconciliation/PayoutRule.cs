using System.Runtime.InteropServices;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Rule 1b: a payout or settlement named on both sides. The free ledger items carrying a payout id
/// (transaction metadata payout_id) settle against the free lines naming it — by their own payout id
/// (Stripe's automatic_payout_id), reference or end-to-end id — as one group, whatever the signs
/// inside (charges, refunds). The fee is ledger total − statement total and must be zero, exactly the
/// lines' own charges (<see cref="Statements.StatementLine.Fee"/>), or nothing at all when the ledger
/// equals the lines' net (it booked the provider's fees too) — each at confidence 100 — or else
/// within the fee tolerance, at 80. A payout whose totals do not fit is a suggestion at 30: the id says
/// these belong together, the amounts say something is missing.
/// </summary>
/// <remarks>O(n + m): one dictionary of payout ids, one pass over the lines. Reversal lines are left to the other rules.</remarks>
internal static class PayoutRule
{
    public static void Apply(MatchRun run)
    {
        var payouts = new Dictionary<string, (List<int> Internal, List<int> External)>(StringComparer.Ordinal);
        for (var rank = 0; rank < run.Internal.Length; rank++)
        {
            if (!run.InternalUsed[rank] && Key.Of(run.Internal[rank].PayoutId) is { } key)
            {
                ref var payout = ref CollectionsMarshal.GetValueRefOrAddDefault(payouts, key, out var exists);
                payout = exists ? payout : ([], []);
                payout.Internal.Add(rank);
            }
        }

        if (payouts.Count == 0)
        {
            return;
        }

        foreach (var external in run.ExternalOrder)
        {
            var line = run.External[external];
            if (run.ExternalUsed[external] || line.IsReversal)
            {
                continue;
            }

            foreach (var text in (ReadOnlySpan<string?>)[line.PayoutId, line.EndToEndId, line.Reference])
            {
                if (Key.Of(text) is { } key && payouts.TryGetValue(key, out var payout))
                {
                    payout.External.Add(external);
                    break;
                }
            }
        }

        // In order of each payout's first ledger item: independent of the input order.
        foreach (var (internals, externals) in payouts.Values)
        {
            if (externals.Count == 0)
            {
                continue;
            }

            // A payout a person rejected as a whole leaves its items to the other rules.
            if (run.Rejected(internals, externals))
            {
                continue;
            }

            var currency = run.InternalSlots[internals[0]].Currency;
            if (internals.Any(r => run.InternalSlots[r].Currency != currency) || externals.Any(r => run.ExternalSlots[r].Currency != currency))
            {
                continue;
            }

            Int128 ledgerTotal = 0, statementTotal = 0, netTotal = 0, ownCharges = 0;
            internals.ForEach(r => ledgerTotal += run.InternalSlots[r].Amount);
            externals.ForEach(r =>
            {
                statementTotal += run.ExternalSlots[r].Amount;
                netTotal += run.External[r].Net?.Minor ?? run.ExternalSlots[r].Amount;
                ownCharges += Int128.Abs(run.External[r].Fee?.Minor ?? 0);
            });

            // A provider's lines are gross with the net beside them (Stripe): a ledger that booked the provider's fees
            // too equals the net, and nothing is left for a fee to explain.
            var fee = ledgerTotal == netTotal ? 0 : ledgerTotal - statementTotal;
            var confidence = fee == 0 || fee == ownCharges ? 100
                : fee > 0 && fee <= run.Options.FeeTolerance.AllowanceFor(Int128.Abs(ledgerTotal)) ? 80
                : 30;
            if (fee < long.MinValue || fee > long.MaxValue)
            {
                continue;
            }

            var candidate = new MatchCandidate(
                [.. internals.Select(r => run.Internal[r])], [.. externals.Select(r => run.External[r])], MatchRule.PayoutId, confidence,
                new Money((long)fee, run.Internal[internals[0]].Amount.Currency));
            if (run.Automatic(confidence))
            {
                internals.ForEach(r => run.InternalUsed[r] = true);
                externals.ForEach(r => run.ExternalUsed[r] = true);
                run.Groups.Add(new MatchedGroup(candidate.Internal, candidate.External, candidate.Fee, MatchRule.PayoutId, confidence));
            }
            else
            {
                run.Suggest([candidate], internals, externals);
            }
        }
    }
}
