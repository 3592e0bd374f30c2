-- Processing a Stripe event whose tenant has no account holding its STRIPE id appends outcome
-- 'no-clearing-account': acknowledged, nothing recorded, and visible as its own status so it can be fixed
-- (PUT /accounts/{id}/external-ids) and the event processed again.
ALTER TABLE webhook_event_outcomes DROP CONSTRAINT IF EXISTS webhook_event_outcomes_status_check;
ALTER TABLE webhook_event_outcomes ADD CONSTRAINT webhook_event_outcomes_status_check
    CHECK (status IN ('processed', 'held', 'ignored', 'failed', 'no-clearing-account'));
