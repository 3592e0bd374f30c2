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
