-- Stripe events are applied in dependency order (docs/webhooks.md, "Processing"). A refund's or a dispute's
-- event whose charge is not processed yet is appended as outcome 'held' with detail.waiting_for = the charge
-- id; a payout.paid the clearing account's records do not cover, 'held' with waiting_for = 'balance' and
-- detail.account_id. Processing a charge appends 'processed' with detail.charge_id. The outcomes stay the
-- one record of what happened (append-only), so the two look-ups are expression indexes on their detail:
-- "was charge X processed for tenant T" (charge_id, joined to the event's tenant) and "which events wait
-- for X" (waiting_for among 'held' outcomes; an event is still held when no later outcome follows).
-- 'orphaned': a held event applied after LAMBDARECON_WEBHOOK_WINDOW_SECONDS without its predecessor; its
-- record is stored and, left unmatched, becomes a break.
ALTER TABLE webhook_event_outcomes DROP CONSTRAINT IF EXISTS webhook_event_outcomes_status_check;
ALTER TABLE webhook_event_outcomes ADD CONSTRAINT webhook_event_outcomes_status_check
    CHECK (status IN ('processed', 'held', 'ignored', 'failed', 'no-clearing-account', 'orphaned'));
CREATE INDEX IF NOT EXISTS webhook_event_outcomes_charge ON webhook_event_outcomes ((detail->>'charge_id'))
    WHERE (detail->>'charge_id') IS NOT NULL;
CREATE INDEX IF NOT EXISTS webhook_event_outcomes_waiting ON webhook_event_outcomes ((detail->>'waiting_for'))
    WHERE status = 'held';
