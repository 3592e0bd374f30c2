-- A run shows where it is while it runs, on GET /api/v1/reconciliations/{runId}: pending (an account
-- a scheduled run has yet to reach), in_progress with its counts so far in progress, completed, or
-- failed with the reason. updated_at is its last step: an in_progress run whose function was stopped
-- (a Lambda timeout) stays so, and updated_at says since when. Runs recorded before had completed.
ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'completed'
    CHECK (state IN ('pending', 'in_progress', 'completed', 'failed'));
ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS progress jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS failure_reason text
    CHECK ((state = 'failed') = (failure_reason IS NOT NULL));
ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
