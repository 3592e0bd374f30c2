-- Statements as banks send them (issue 13): accounts carry the identifiers banks and providers name
-- them by, a file's statements are routed to the accounts holding their identifiers, a statement row
-- is one statement of a file (a file may hold several, for several accounts), and lines keep what
-- batches, payouts and reversals need.

-- An identifier names at most one account of a tenant; schemes as StatementAccount names them.
CREATE TABLE IF NOT EXISTS account_external_ids (
    tenant_id    text NOT NULL REFERENCES tenants (id),
    scheme       text NOT NULL CHECK (scheme IN ('IBAN', 'BBAN', 'OTHER', 'STRIPE')),
    external_id  text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 64),
    account_id   text NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (tenant_id, scheme, external_id)
);
CREATE INDEX IF NOT EXISTS account_external_ids_account ON account_external_ids (account_id);

-- One row per statement of a file: the same file routed the same way is the same statements.
ALTER TABLE statements DROP CONSTRAINT IF EXISTS statements_account_id_file_sha256_key;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS import_id uuid;
UPDATE statements SET import_id = id WHERE import_id IS NULL;
ALTER TABLE statements ALTER COLUMN import_id SET NOT NULL;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS position int NOT NULL DEFAULT 0;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS source_line int NOT NULL DEFAULT 1;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS reference text;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS number text;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS account_scheme text;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS account_identifier text;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS currency char(3);
ALTER TABLE statements ADD COLUMN IF NOT EXISTS opening_balance bigint;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS opening_date date;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS closing_balance bigint;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS closing_date date;
ALTER TABLE statements ADD COLUMN IF NOT EXISTS is_interim boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX IF NOT EXISTS statements_file ON statements (account_id, file_sha256, position);
CREATE INDEX IF NOT EXISTS statements_import ON statements (import_id);

ALTER TABLE external_records ADD COLUMN IF NOT EXISTS is_reversal boolean NOT NULL DEFAULT false;
ALTER TABLE external_records ADD COLUMN IF NOT EXISTS entry_ref text;
ALTER TABLE external_records ADD COLUMN IF NOT EXISTS batch_count int NOT NULL DEFAULT 0;
ALTER TABLE external_records ADD COLUMN IF NOT EXISTS payout_id text;
ALTER TABLE external_records ADD COLUMN IF NOT EXISTS category text;
-- A camt.053 batch line is reconciled through the camt.054 lines that carry its entry reference.
CREATE INDEX IF NOT EXISTS external_records_entry_ref ON external_records (account_id, entry_ref) WHERE entry_ref IS NOT NULL;
-- GET /statements/{id} pages a statement's lines in file order.
DROP INDEX IF EXISTS external_records_statement;
CREATE INDEX IF NOT EXISTS external_records_statement_line ON external_records (statement_id, source_line);
