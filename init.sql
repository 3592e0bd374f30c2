-- LambdaRecon schema: the one source of truth for tables and invariants.
-- Safe to apply any number of times (every statement is idempotent); ./run.sh and ./test.sh apply it
-- at each start. Money is always bigint minor units plus an ISO 4217 code, never a float or numeric.

SET client_min_messages = warning;

-- ─── Accounts ──────────────────────────────────────────────────────────────────────────────────
CREATE TABLE IF NOT EXISTS accounts (
    id              text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    currency        char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    kind            text        NOT NULL DEFAULT 'customer'
                                CHECK (kind IN ('customer', 'funding', 'settlement', 'fee', 'suspense')),
    -- How far below zero the balance may go, in minor units: 0 = never negative, NULL = no limit.
    overdraft_limit bigint      CHECK (overdraft_limit >= 0),
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    -- The running balance and the sequence of the last entry: the store updates both once per batch;
    -- the deferred trigger accounts_match_entries proves they agree with the entries at commit.
    balance         bigint      NOT NULL DEFAULT 0,
    last_sequence   bigint      NOT NULL DEFAULT 0 CHECK (last_sequence >= 0),
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_balance_within_limit CHECK (overdraft_limit IS NULL OR balance >= -overdraft_limit)
);

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
    CHECK (source_account_id <> destination_account_id),
    CHECK ((type = 'refund') = (refund_of IS NOT NULL)),
    CHECK ((status = 'POSTED') = (posted_at IS NOT NULL)),
    CHECK ((status = 'FAILED') = (failed_at IS NOT NULL AND failure_code IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS transactions_source ON transactions (source_account_id, accepted_at);
CREATE INDEX IF NOT EXISTS transactions_destination ON transactions (destination_account_id, accepted_at);
CREATE INDEX IF NOT EXISTS transactions_refund_of ON transactions (refund_of) WHERE refund_of IS NOT NULL;
-- The pipeline sweep looks only at what is still in flight.
CREATE INDEX IF NOT EXISTS transactions_in_flight ON transactions (accepted_at) WHERE status = 'ACCEPTED';

-- ─── Ledger entries: append-only ───────────────────────────────────────────────────────────────
CREATE TABLE IF NOT EXISTS ledger_entries (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id uuid        NOT NULL REFERENCES transactions (id),
    account_id     text        NOT NULL REFERENCES accounts (id),
    amount         bigint      NOT NULL CHECK (amount <> 0),
    currency       char(3)     NOT NULL,
    balance_after  bigint      NOT NULL,
    sequence       bigint      NOT NULL CHECK (sequence > 0),
    posted_at      timestamptz NOT NULL DEFAULT statement_timestamp(),
    CONSTRAINT ledger_entries_account_sequence UNIQUE (account_id, sequence),
    -- One leg per account per transaction: with the checks below a transaction posts at most once.
    CONSTRAINT ledger_entries_one_leg_per_account UNIQUE (transaction_id, account_id)
);
-- Balance at an instant and history pages: newest first per account, served from this index.
CREATE INDEX IF NOT EXISTS ledger_entries_account_posted ON ledger_entries (account_id, posted_at, sequence);

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
--  * its balance_after continues its account's chain (previous balance_after + amount, sequence + 1);
--  * its balance_after stays within its account's overdraft limit.
CREATE OR REPLACE FUNCTION ledger_entries_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id, n.transaction_id, n.account_id,
           CASE
               WHEN a.id IS NULL THEN 'unknown account'
               WHEN n.currency <> a.currency THEN 'currency differs from the account''s'
               WHEN t.id IS NULL OR t.status <> 'POSTED' THEN 'transaction is not POSTED'
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
     WHERE a.id IS NULL OR t.id IS NULL OR t.status <> 'POSTED'
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

-- At commit, every transaction that gained entries balances to zero per currency and has both legs.
CREATE OR REPLACE FUNCTION ledger_entries_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT currency, sum(amount) AS total, count(*) AS legs INTO unbalanced
      FROM ledger_entries
     WHERE transaction_id = NEW.transaction_id
     GROUP BY currency
    HAVING sum(amount) <> 0 OR count(*) < 2
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'transaction % does not balance in %: entries sum to % over % leg(s)',
            NEW.transaction_id, unbalanced.currency, unbalanced.total, unbalanced.legs
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced
    AFTER INSERT ON ledger_entries DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_check_balanced();

-- At commit, an account's balance and last_sequence are those of its last entry.
CREATE OR REPLACE FUNCTION accounts_check_match_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_entry record;
BEGIN
    SELECT sequence, balance_after INTO last_entry
      FROM ledger_entries WHERE account_id = NEW.id ORDER BY sequence DESC LIMIT 1;
    IF NEW.last_sequence <> coalesce(last_entry.sequence, 0) OR NEW.balance <> coalesce(last_entry.balance_after, 0) THEN
        RAISE EXCEPTION 'account % balance % at sequence % does not match its entries (% at sequence %)',
            NEW.id, NEW.balance, NEW.last_sequence, coalesce(last_entry.balance_after, 0), coalesce(last_entry.sequence, 0)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS accounts_match_entries ON accounts;
CREATE CONSTRAINT TRIGGER accounts_match_entries
    AFTER INSERT OR UPDATE OF balance, last_sequence ON accounts DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounts_check_match_entries();

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
CREATE OR REPLACE FUNCTION transactions_check_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'transactions are never deleted (%)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.status <> OLD.status AND OLD.status <> 'ACCEPTED' THEN
        RAISE EXCEPTION 'transaction % is already % and cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.id, NEW.type, NEW.amount, NEW.currency, NEW.source_account_id, NEW.destination_account_id, NEW.refund_of)
       IS DISTINCT FROM (OLD.id, OLD.type, OLD.amount, OLD.currency, OLD.source_account_id, OLD.destination_account_id, OLD.refund_of) THEN
        RAISE EXCEPTION 'transaction % cannot change what it moves', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER transactions_lifecycle
    BEFORE UPDATE OR DELETE ON transactions FOR EACH ROW EXECUTE FUNCTION transactions_check_change();

-- The posted refunds of a transaction never add up to more than it.
CREATE OR REPLACE FUNCTION transactions_check_refund_cap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    original bigint;
    refunded bigint;
BEGIN
    SELECT amount INTO original FROM transactions WHERE id = NEW.refund_of;
    SELECT coalesce(sum(amount), 0) INTO refunded FROM transactions WHERE refund_of = NEW.refund_of AND status = 'POSTED';
    IF refunded > original THEN
        RAISE EXCEPTION 'refunds of transaction % would reach % minor units, more than its %', NEW.refund_of, refunded, original
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS transactions_refund_cap ON transactions;
CREATE CONSTRAINT TRIGGER transactions_refund_cap
    AFTER INSERT OR UPDATE OF status ON transactions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.type = 'refund' AND NEW.status = 'POSTED')
    EXECUTE FUNCTION transactions_check_refund_cap();
