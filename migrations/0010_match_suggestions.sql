-- Matches the matcher would not make on its own (a rival within the margin, or a confidence under the
-- auto-match threshold). candidates is a JSON array of {transaction_ids, line_ids, rule, confidence,
-- fee}: the first is the proposal, whose items the suggestion holds (they are neither matched nor a
-- break in its run); the others are the rivals. A person accepts one candidate (its match rows are
-- written) or rejects the suggestion (its proposal's items become open breaks of the run). A later run
-- of the account reads the held items again, so it supersedes the pending suggestions before it.
CREATE TABLE IF NOT EXISTS reconciliation_suggestions (
    id                 uuid        PRIMARY KEY,
    run_id             uuid        NOT NULL REFERENCES reconciliation_runs (id),
    account_id         text        NOT NULL,
    suggestion_no      int         NOT NULL,
    candidates         jsonb       NOT NULL,
    status             text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected', 'superseded')),
    accepted_candidate int,
    resolved_by        text,
    resolved_at        timestamptz,
    resolution_note    text,
    CHECK ((status = 'accepted') = (accepted_candidate IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS reconciliation_suggestions_run ON reconciliation_suggestions (run_id, suggestion_no);
CREATE INDEX IF NOT EXISTS reconciliation_suggestions_account ON reconciliation_suggestions (account_id, status);

-- An account's own auto-match settings, used when a reconcile request does not name them.
CREATE TABLE IF NOT EXISTS account_match_settings (
    account_id           text        PRIMARY KEY,
    auto_match_threshold int         NOT NULL CHECK (auto_match_threshold BETWEEN 0 AND 100),
    ambiguity_margin     int         NOT NULL CHECK (ambiguity_margin BETWEEN 0 AND 100),
    updated_by           text        NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- A statement's reversal line that no refund or adjustment settles is a break of its own kind.
ALTER TABLE reconciliation_breaks DROP CONSTRAINT IF EXISTS reconciliation_breaks_kind_check;
ALTER TABLE reconciliation_breaks ADD CONSTRAINT reconciliation_breaks_kind_check
    CHECK (kind IN ('unmatched_internal', 'unmatched_external', 'amount_mismatch', 'reversal'));
