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
    status       text        NOT NULL CHECK (status IN ('processed', 'held', 'ignored', 'failed')),
    detail       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhook_event_outcomes_event ON webhook_event_outcomes (event_id, id DESC);

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
