-- A session is one credential of an account: a login (its token, a JWT,
-- names the session) or a personal access token (only its SHA-256 hash is
-- kept). Revoking one refuses its credential everywhere; deleting the
-- account deletes them all.
CREATE TABLE sessions (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- `login` or `personal_token`, read by the application.
    kind         TEXT NOT NULL,
    -- A personal access token's name.
    name         TEXT,
    -- Space-separated scopes, e.g. 'tasks:read tasks:write'.
    scope        TEXT NOT NULL,
    token_hash   BYTEA UNIQUE,
    user_agent   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX sessions_user_idx ON sessions (user_id, kind, created_at);
