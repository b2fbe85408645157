-- Same model as the PostgreSQL schema (see there).
CREATE TABLE sessions (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT,
    scope        TEXT NOT NULL,
    token_hash   BLOB UNIQUE,
    user_agent   TEXT,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id, kind, created_at);
