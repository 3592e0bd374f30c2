-- Migration 2: API keys are created and revoked through the admin endpoints and the CLI, so each
-- records who made it, who revoked it, and what it is for.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS created_by text;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS revoked_by text;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS description text;
