-- LambdaRecon schema: the whole current schema in one file, for a fresh database and for readers.
-- Databases are built and upgraded by the ordered steps in migrations/ (./run.sh migrate, the
-- MigrateFunction on deploy); a test proves that they and this file make the same schema, so a change
-- goes into both: a new migration, and this file. Money is always bigint minor units plus an ISO 4217
-- code, never a float or numeric.

SET client_min_messages = warning;

-- ─── Tenants ───────────────────────────────────────────────────────────────────────────────────
-- Every API key belongs to one tenant, and so does every account; a key sees and moves only its own
-- tenant's accounts and what hangs off them (transactions, statements, reconciliation runs and their
-- breaks). Account ids stay global. A single-tenant installation has only 'default'.
CREATE TABLE IF NOT EXISTS tenants (
    -- At most 32 characters, so a tenant's suspense account id ("suspense:USD:<tenant>") is an account id.
    id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,32}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, name) VALUES ('default', 'default') ON CONFLICT (id) DO NOTHING;

-- ─── Accounts ──────────────────────────────────────────────────────────────────────────────────
CREATE TABLE IF NOT EXISTS accounts (
    id              text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    currency        char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    kind            text        NOT NULL DEFAULT 'customer'
                                CHECK (kind IN ('customer', 'funding', 'settlement', 'fee', 'suspense')),
    -- How far below zero the balance may go, in minor units: 0 = never negative, NULL = no limit.
    overdraft_limit bigint      CHECK (overdraft_limit >= 0),
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- The defaults of the tenant_id columns put rows written by tools that know no tenant in 'default';
    -- the API always names the tenant.
    tenant_id       text        NOT NULL DEFAULT 'default' REFERENCES tenants (id)
);
-- There is no balance column to drift: an account's balance is the balance_after of its last entry,
-- and the entries' trigger proves every balance_after is the running sum of the account's entries.

-- What happened to an account other than postings (created, closed, metadata changed…), and who did it.
CREATE TABLE IF NOT EXISTS account_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  text        NOT NULL REFERENCES accounts (id),
    event       text        NOT NULL,
    actor       text        NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS account_events_account ON account_events (account_id, id);

-- ─── Transactions ──────────────────────────────────────────────────────────────────────────────
CREATE TABLE IF NOT EXISTS transactions (
    id                     uuid        PRIMARY KEY,
    idempotency_key        text,
    client_id              text,
    type                   text        NOT NULL CHECK (type IN ('transfer', 'refund', 'adjustment')),
    status                 text        NOT NULL DEFAULT 'ACCEPTED' CHECK (status IN ('ACCEPTED', 'POSTED', 'FAILED')),
    failure_code           text,
    failure_reason         text,
    amount                 bigint      NOT NULL CHECK (amount > 0),
    currency               char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- No foreign keys here: a transaction naming an unknown account or original is recorded and then FAILED.
    source_account_id      text        NOT NULL,
    destination_account_id text        NOT NULL,
    refund_of              uuid,
    description            text,
    metadata               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    message_id             text,
    accepted_at            timestamptz NOT NULL DEFAULT now(),
    published_at           timestamptz,
    posted_at              timestamptz,
    failed_at              timestamptz,
    -- Its accounts' tenant (ledger_entries_checked proves it at posting); no foreign key, like the rest.
    tenant_id              text        NOT NULL DEFAULT 'default',
    CHECK (source_account_id <> destination_account_id),
    CHECK ((type = 'refund') = (refund_of IS NOT NULL)),
    CHECK ((status = 'POSTED') = (posted_at IS NOT NULL)),
    CHECK ((status = 'FAILED') = (failed_at IS NOT NULL AND failure_code IS NOT NULL))
);
-- Room on each page for the row's updates to stay on it (HOT): migrations/0011_hot_updates.sql says which do.
ALTER TABLE transactions SET (fillfactor = 80);
CREATE INDEX IF NOT EXISTS transactions_source ON transactions (source_account_id, accepted_at);
CREATE INDEX IF NOT EXISTS transactions_destination ON transactions (destination_account_id, accepted_at);
CREATE INDEX IF NOT EXISTS transactions_refund_of ON transactions (refund_of) WHERE refund_of IS NOT NULL;
-- The pipeline sweep looks only at what is still in flight.
CREATE INDEX IF NOT EXISTS transactions_in_flight ON transactions (accepted_at) WHERE status = 'ACCEPTED';

-- ─── Ledger entries: append-only ───────────────────────────────────────────────────────────────
-- No foreign keys: ledger_entries_checked proves, once per statement and set-based, that each entry's
-- account and transaction exist (and much more); per-row foreign key checks would double the cost
-- of a posting. Accounts and transactions can never be deleted, so nothing can dangle later.
CREATE TABLE IF NOT EXISTS ledger_entries (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id uuid        NOT NULL,
    account_id     text        NOT NULL,
    amount         bigint      NOT NULL CHECK (amount <> 0),
    currency       char(3)     NOT NULL,
    balance_after  bigint      NOT NULL,
    sequence       bigint      NOT NULL CHECK (sequence > 0),
    posted_at      timestamptz NOT NULL DEFAULT statement_timestamp(),
    CONSTRAINT ledger_entries_account_sequence UNIQUE (account_id, sequence),
    -- One leg per account per transaction: with the checks below a transaction posts at most once.
    CONSTRAINT ledger_entries_one_leg_per_account UNIQUE (transaction_id, account_id)
);
-- Balance at an instant: the last entry posted by then. History pages and the chain check use the
-- unique (account_id, sequence) index; this one must not carry sequence, or the planner may take it
-- for a (account_id, sequence) lookup and walk an account's whole history to find one entry.
CREATE INDEX IF NOT EXISTS ledger_entries_account_time ON ledger_entries (account_id, posted_at);

-- Entries are never changed or removed.
CREATE OR REPLACE FUNCTION ledger_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % is refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_refuse_change();

-- Every inserted entry, checked set-based once per statement:
--  * it is a leg of a POSTED transaction: the source leg is -amount, the destination leg +amount,
--    in the transaction's currency, which is also its account's currency;
--  * its account belongs to its transaction's tenant: money never crosses tenants;
--  * its balance_after continues its account's chain (previous balance_after + amount, sequence + 1);
--  * its balance_after stays within its account's overdraft limit.
-- The planner knows nothing of a transition table's size; left alone it hashes whole tables (all
-- accounts, all transactions) to check a batch of a few hundred entries. Index lookups per entry are
-- what this check needs, so the function turns the other join methods off for itself.
CREATE OR REPLACE FUNCTION ledger_entries_check_insert() RETURNS trigger LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id, n.transaction_id, n.account_id,
           CASE
               WHEN a.id IS NULL THEN 'unknown account'
               WHEN n.currency <> a.currency THEN 'currency differs from the account''s'
               WHEN t.id IS NULL OR t.status <> 'POSTED' THEN 'transaction is not POSTED'
               WHEN a.tenant_id <> t.tenant_id THEN 'account belongs to another tenant than the transaction'
               WHEN n.currency <> t.currency THEN 'currency differs from the transaction''s'
               WHEN NOT ((n.account_id = t.source_account_id AND n.amount = -t.amount)
                      OR (n.account_id = t.destination_account_id AND n.amount = t.amount))
                   THEN 'entry is not a leg of its transaction'
               WHEN a.overdraft_limit IS NOT NULL AND n.balance_after < -a.overdraft_limit
                   THEN 'balance would cross the overdraft limit'
               ELSE 'balance_after does not continue the account''s entries'
           END AS reason
      INTO bad
      FROM new_entries n
      LEFT JOIN accounts a ON a.id = n.account_id
      LEFT JOIN transactions t ON t.id = n.transaction_id
      LEFT JOIN ledger_entries prev ON prev.account_id = n.account_id AND prev.sequence = n.sequence - 1
     WHERE a.id IS NULL OR t.id IS NULL OR t.status <> 'POSTED' OR a.tenant_id <> t.tenant_id
        OR n.currency <> a.currency OR n.currency <> t.currency
        OR NOT ((n.account_id = t.source_account_id AND n.amount = -t.amount)
             OR (n.account_id = t.destination_account_id AND n.amount = t.amount))
        OR (a.overdraft_limit IS NOT NULL AND n.balance_after < -a.overdraft_limit)
        OR n.balance_after <> CASE WHEN n.sequence = 1 THEN 0 ELSE prev.balance_after END + n.amount
        OR (n.sequence > 1 AND prev.id IS NULL)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry for account % in transaction % refused: %', bad.account_id, bad.transaction_id, bad.reason
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER ledger_entries_checked
    AFTER INSERT ON ledger_entries REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_check_insert();

-- At commit, every transaction that became POSTED has its legs and they sum to zero per currency.
-- With ledger_entries_checked (only legs of POSTED transactions, one per account) this is what makes a
-- posting whole: it fires once per transaction, where a check per entry would cost twice as much.
CREATE OR REPLACE FUNCTION transactions_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    legs bigint;
    total bigint;
BEGIN
    -- One currency per transaction is ledger_entries_checked's guarantee, so a zero total is zero per currency.
    SELECT count(*), coalesce(sum(amount), 0) INTO legs, total FROM ledger_entries WHERE transaction_id = NEW.id;
    IF legs < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'transaction % does not balance: its entries sum to % over % leg(s)', NEW.id, total, legs
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS transactions_balanced ON transactions;
CREATE CONSTRAINT TRIGGER transactions_balanced
    AFTER INSERT OR UPDATE OF status ON transactions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status = 'POSTED')
    EXECUTE FUNCTION transactions_check_balanced();

-- An account's identity and currency never change once it exists, and accounts are never deleted.
CREATE OR REPLACE FUNCTION accounts_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'accounts are never deleted (close account % instead)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.id <> OLD.id OR NEW.currency <> OLD.currency THEN
        RAISE EXCEPTION 'account % cannot change its id or currency', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER accounts_immutable
    BEFORE UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_refuse_change();

-- A transaction moves ACCEPTED → POSTED or ACCEPTED → FAILED once; what it moves never changes.
-- The WHEN clause is the whole check and runs without calling any function: the function only raises,
-- so a valid update (every update the store makes) costs nothing here.
CREATE OR REPLACE FUNCTION transactions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> OLD.status AND OLD.status <> 'ACCEPTED' THEN
        RAISE EXCEPTION 'transaction % is already % and cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RAISE EXCEPTION 'transaction % cannot change what it moves', OLD.id USING ERRCODE = 'integrity_constraint_violation';
END $$;
DROP TRIGGER IF EXISTS transactions_lifecycle ON transactions;
CREATE TRIGGER transactions_lifecycle
    BEFORE UPDATE ON transactions FOR EACH ROW
    WHEN ((NEW.status <> OLD.status AND OLD.status <> 'ACCEPTED')
          OR (NEW.id, NEW.type, NEW.amount, NEW.currency, NEW.source_account_id, NEW.destination_account_id, NEW.refund_of)
             IS DISTINCT FROM (OLD.id, OLD.type, OLD.amount, OLD.currency, OLD.source_account_id, OLD.destination_account_id, OLD.refund_of))
    EXECUTE FUNCTION transactions_refuse_change();
DROP FUNCTION IF EXISTS transactions_check_change();

CREATE OR REPLACE FUNCTION transactions_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transactions are never deleted' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE TRIGGER transactions_append_only
    BEFORE DELETE OR TRUNCATE ON transactions FOR EACH STATEMENT EXECUTE FUNCTION transactions_refuse_delete();

-- The posted refunds of a transaction never add up to more than it.
-- A missing original, or one that is not POSTED, moved nothing to give back: its refunds are capped at 0.
CREATE OR REPLACE FUNCTION transactions_check_refund_cap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    original bigint;
    refunded bigint;
BEGIN
    SELECT coalesce(max(amount), 0) INTO original FROM transactions WHERE id = NEW.refund_of AND status = 'POSTED';
    SELECT coalesce(sum(amount), 0) INTO refunded FROM transactions WHERE refund_of = NEW.refund_of AND status = 'POSTED';
    IF refunded > original THEN
        RAISE EXCEPTION 'refunds of transaction % would reach % minor units, more than its % posted', NEW.refund_of, refunded, original
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS transactions_refund_cap ON transactions;
CREATE CONSTRAINT TRIGGER transactions_refund_cap
    AFTER INSERT OR UPDATE OF status ON transactions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.type = 'refund' AND NEW.status = 'POSTED')
    EXECUTE FUNCTION transactions_check_refund_cap();

-- ─── API clients and their keys ────────────────────────────────────────────────────────────────
-- A key is stored only as its SHA-256; key_id (the first 16 hex digits of that hash) finds the row,
-- and the full hash is then compared in constant time by the API.
CREATE TABLE IF NOT EXISTS api_keys (
    key_id      text        PRIMARY KEY,
    key_hash    bytea       NOT NULL,
    client_id   text        NOT NULL,
    scopes      text[]      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    -- Who made and who revoked the key (an admin client id, "bootstrap" or "cli:<user>"), and what it is for.
    created_by  text,
    revoked_by  text,
    description text,
    tenant_id   text        NOT NULL DEFAULT 'default' REFERENCES tenants (id)
);

-- ─── Idempotency keys: the durable record (Redis only caches the responses) ─────────────────────
-- One row per (tenant, client, key): two tenants may both have a client "shop-1". request_hash is the SHA-256 of the canonical request; lease_until is
-- how long the request that holds the key may work before a retry may take over (a crash, or an
-- SQS outage, releases it); response_* is what a replay answers once the request completed.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    client_id       text        NOT NULL,
    key             text        NOT NULL,
    request_hash    bytea       NOT NULL,
    transaction_id  uuid        NOT NULL,
    lease_until     timestamptz,
    response_status int,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    tenant_id       text        NOT NULL DEFAULT 'default',
    PRIMARY KEY (tenant_id, client_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_transaction ON idempotency_keys (transaction_id);
ALTER TABLE idempotency_keys SET (fillfactor = 70);

-- ─── Statements from banks and payment providers ───────────────────────────────────────────────
CREATE TABLE IF NOT EXISTS statements (
    id           uuid        PRIMARY KEY,
    account_id   text        NOT NULL REFERENCES accounts (id),
    format       text        NOT NULL,
    file_sha256  bytea       NOT NULL,
    line_count   int         NOT NULL,
    imported_by  text        NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    -- One row per statement of a file (migration 8); import_id groups the statements of one import,
    -- position is the statement's place in its file. The same file routed to the same accounts is
    -- the same statements: importing it again changes nothing.
    import_id          uuid    NOT NULL,
    position           int     NOT NULL DEFAULT 0,
    source_line        int     NOT NULL DEFAULT 1,
    reference          text,
    number             text,
    account_scheme     text,
    account_identifier text,
    currency           char(3),
    opening_balance    bigint,
    opening_date       date,
    closing_balance    bigint,
    closing_date       date,
    is_interim         boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX IF NOT EXISTS statements_file ON statements (account_id, file_sha256, position);
CREATE INDEX IF NOT EXISTS statements_import ON statements (import_id);

-- The identifiers banks and providers name an account by (statement routing); one account per
-- identifier and tenant.
CREATE TABLE IF NOT EXISTS account_external_ids (
    tenant_id    text NOT NULL REFERENCES tenants (id),
    scheme       text NOT NULL CHECK (scheme IN ('IBAN', 'BBAN', 'OTHER', 'STRIPE')),
    external_id  text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 64),
    account_id   text NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (tenant_id, scheme, external_id)
);
CREATE INDEX IF NOT EXISTS account_external_ids_account ON account_external_ids (account_id);

-- One line of a statement: signed minor units from the account holder's side (credit +, debit −).
-- A line id is unique per account, so a line repeated in a later file is not imported twice.
-- No foreign keys: only StatementStore writes here, in the transaction that creates the statement
-- row for an account it has checked; per-row checks would halve the import rate of a large file.
CREATE TABLE IF NOT EXISTS external_records (
    account_id     text    NOT NULL,
    line_id        text    NOT NULL,
    statement_id   uuid    NOT NULL,
    source_line    int     NOT NULL,
    amount         bigint  NOT NULL,
    currency       char(3) NOT NULL,
    booking_date   date    NOT NULL,
    value_date     date    NOT NULL,
    reference      text,
    end_to_end_id  text,
    counterparty   text,
    description    text,
    fee            bigint,
    net            bigint,
    PRIMARY KEY (account_id, line_id),
    -- What batches, payouts and reversals need (migration 8; StatementLine says what each means).
    is_reversal    boolean NOT NULL DEFAULT false,
    entry_ref      text,
    batch_count    int     NOT NULL DEFAULT 0,
    payout_id      text,
    category       text
);
-- GET /statements/{id} pages a statement's lines in file order.
CREATE INDEX IF NOT EXISTS external_records_statement_line ON external_records (statement_id, source_line);
-- A camt.053 batch line is reconciled through the camt.054 lines that carry its entry reference.
CREATE INDEX IF NOT EXISTS external_records_entry_ref ON external_records (account_id, entry_ref) WHERE entry_ref IS NOT NULL;

-- A tenant's own CSV mappings for statement imports (POST /api/v1/statement-mappings), used as
-- mapping=<name>. The definition is the JSON the API checked; names are lowercase so that a lookup is
-- exact, and the API refuses the names of built-in mappings.
CREATE TABLE IF NOT EXISTS statement_mappings (
    tenant_id  text        NOT NULL REFERENCES tenants (id),
    name       text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    definition jsonb       NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

-- ─── Reconciliation runs, what they matched, and what they could not ───────────────────────────
CREATE TABLE IF NOT EXISTS reconciliation_runs (
    id            uuid        PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('scheduled', 'on_demand')),
    account_id    text,
    period_from   timestamptz,
    period_to     timestamptz,
    triggered_by  text        NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    summary       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- pending (an account a scheduled run has yet to reach), in_progress with its counts so far in
    -- progress, completed, or failed with the reason; updated_at is its last step (migration 7).
    state           text        NOT NULL DEFAULT 'completed' CHECK (state IN ('pending', 'in_progress', 'completed', 'failed')),
    progress        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    failure_reason  text        CHECK ((state = 'failed') = (failure_reason IS NOT NULL)),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS reconciliation_runs_account ON reconciliation_runs (account_id, started_at DESC);
CREATE INDEX IF NOT EXISTS reconciliation_runs_kind ON reconciliation_runs (kind, started_at DESC);

-- Ledger integrity findings: expected (the sum of entries) against actual (what the ledger says).
CREATE TABLE IF NOT EXISTS reconciliation_differences (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          uuid        NOT NULL REFERENCES reconciliation_runs (id),
    kind            text        NOT NULL CHECK (kind IN ('account_balance', 'unbalanced_transaction', 'trial_balance')),
    account_id      text,
    transaction_id  uuid,
    currency        char(3)     NOT NULL,
    expected        bigint      NOT NULL,
    actual          bigint      NOT NULL,
    difference      bigint      NOT NULL,
    first_entry_id  bigint
);
CREATE INDEX IF NOT EXISTS reconciliation_differences_account ON reconciliation_differences (account_id, run_id);

-- Items matched by a run are settled: one row per item, unique per account, so an item is matched
-- at most once across all runs and later runs leave it out. match_no groups a run's items per match.
CREATE TABLE IF NOT EXISTS reconciliation_matches (
    run_id          uuid    NOT NULL REFERENCES reconciliation_runs (id),
    account_id      text    NOT NULL,
    match_no        int     NOT NULL,
    rule            text    NOT NULL,
    confidence      int     NOT NULL,
    fee             bigint  NOT NULL DEFAULT 0,
    transaction_id  uuid,
    line_id         text,
    CHECK ((transaction_id IS NULL) <> (line_id IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS reconciliation_matches_transaction ON reconciliation_matches (account_id, transaction_id) WHERE transaction_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS reconciliation_matches_line ON reconciliation_matches (account_id, line_id) WHERE line_id IS NOT NULL;

-- What a run could not match or found different; open until a person resolves it.
CREATE TABLE IF NOT EXISTS reconciliation_breaks (
    id                        uuid        PRIMARY KEY,
    run_id                    uuid        NOT NULL REFERENCES reconciliation_runs (id),
    account_id                text        NOT NULL,
    kind                      text        NOT NULL CHECK (kind IN ('unmatched_internal', 'unmatched_external', 'amount_mismatch', 'reversal')),
    transaction_id            uuid,
    line_id                   text,
    amount                    bigint      NOT NULL,
    currency                  char(3)     NOT NULL,
    detail                    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status                    text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'adjusted', 'explained')),
    resolved_by               text,
    resolved_at               timestamptz,
    resolution_note           text,
    adjustment_transaction_id uuid
);
CREATE INDEX IF NOT EXISTS reconciliation_breaks_run ON reconciliation_breaks (run_id, id);
CREATE INDEX IF NOT EXISTS reconciliation_breaks_account ON reconciliation_breaks (account_id, status);

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

-- ─── Payment provider webhooks ──────────────────────────────────────────────────────────────────
-- Payment provider webhooks (POST /api/v1/webhooks/{provider}): every signed delivery, stored as it came
-- before it is acknowledged. One row per (tenant, provider, event id): a redelivery of the same bytes is
-- that row again; the same id with other bytes is a conflict, kept beside it and never applied. The
-- tenant is the one whose endpoint secret verified the signature. Rows are never changed or removed:
-- what processing made of an event is appended to webhook_event_outcomes.
CREATE TABLE IF NOT EXISTS webhook_events (
    id           uuid        PRIMARY KEY,
    tenant_id    text        NOT NULL REFERENCES tenants (id),
    provider     text        NOT NULL CHECK (provider ~ '^[a-z0-9_-]{1,32}$'),
    event_id     text        NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
    event_type   text        NOT NULL CHECK (length(event_type) BETWEEN 1 AND 255),
    -- The time the provider signed it at, when its scheme signs one (Stripe's t=).
    signed_at    timestamptz,
    received_at  timestamptz NOT NULL DEFAULT now(),
    body         bytea       NOT NULL,
    body_sha256  bytea       NOT NULL CHECK (length(body_sha256) = 32),
    UNIQUE (tenant_id, provider, event_id)
);
-- Ids are version 7 uuids (their order is the order of receipt): GET /webhooks/events pages by them.
CREATE INDEX IF NOT EXISTS webhook_events_tenant ON webhook_events (tenant_id, id);

-- A delivery whose event id is a stored event's but whose bytes are not: reported, never applied.
CREATE TABLE IF NOT EXISTS webhook_event_conflicts (
    id           uuid        PRIMARY KEY,
    event_id     uuid        NOT NULL REFERENCES webhook_events (id),
    signed_at    timestamptz,
    received_at  timestamptz NOT NULL DEFAULT now(),
    body         bytea       NOT NULL,
    body_sha256  bytea       NOT NULL CHECK (length(body_sha256) = 32),
    UNIQUE (event_id, body_sha256)
);

-- What processing made of an event, appended each time it runs (a replay appends again); the last one is its status.
CREATE TABLE IF NOT EXISTS webhook_event_outcomes (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     uuid        NOT NULL REFERENCES webhook_events (id),
    status       text        NOT NULL CHECK (status IN ('processed', 'held', 'ignored', 'failed', 'no-clearing-account', 'orphaned')),
    detail       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhook_event_outcomes_event ON webhook_event_outcomes (event_id, id DESC);
-- Held events and the charges they wait for, looked up by the outcome's detail (migration 15 says why).
CREATE INDEX IF NOT EXISTS webhook_event_outcomes_charge ON webhook_event_outcomes ((detail->>'charge_id'))
    WHERE (detail->>'charge_id') IS NOT NULL;
CREATE INDEX IF NOT EXISTS webhook_event_outcomes_waiting ON webhook_event_outcomes ((detail->>'waiting_for'))
    WHERE status = 'held';

-- Stored deliveries are evidence: never changed or removed.
CREATE OR REPLACE FUNCTION webhook_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'webhook events are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE TRIGGER webhook_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhook_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_refuse_change();
CREATE OR REPLACE TRIGGER webhook_event_conflicts_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhook_event_conflicts
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_refuse_change();
CREATE OR REPLACE TRIGGER webhook_event_outcomes_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhook_event_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_refuse_change();
