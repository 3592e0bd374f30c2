-- Migration 3: tenants. Every API key belongs to one tenant, and so does every account; a key sees and
-- moves only its own tenant's accounts and what hangs off them (transactions, statements, reconciliation
-- runs and their breaks). Everything that exists goes to the tenant 'default', so a single-tenant
-- installation keeps working unchanged. Account ids stay global: the ledger's keys do not change.
SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS tenants (
    -- At most 32 characters, so a tenant's suspense account id ("suspense:USD:<tenant>") is an account id.
    id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,32}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, name) VALUES ('default', 'default') ON CONFLICT (id) DO NOTHING;

-- The defaults put what exists, and rows written by tools that know no tenant, in 'default'; the API
-- always names the tenant.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default' REFERENCES tenants (id);
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default' REFERENCES tenants (id);
-- A transaction's tenant is its accounts' (ledger_entries_checked proves it at posting). No foreign key,
-- like the rest of this table: the hot insert path pays for none.
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default';

-- Idempotency keys are per tenant and client: two tenants may both have a client "shop-1".
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default';
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conrelid = 'idempotency_keys'::regclass AND contype = 'p' AND cardinality(conkey) = 3) THEN
        ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
        ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tenant_id, client_id, key);
    END IF;
END $$;

-- Entries are also refused when their account belongs to another tenant than their transaction: money
-- never crosses tenants, whatever a caller of the ledger does.
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
