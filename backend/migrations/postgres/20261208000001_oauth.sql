-- OAuth 2.1 for MCP clients. A client registers itself (RFC 7591); a
-- user's consent yields a one-time code (kept as its SHA-256, usable for
-- ten minutes), exchanged with the PKCE verifier for a grant: a session of
-- kind `connected_app` with a rotating refresh token (kept as its
-- SHA-256). A refresh token used twice revokes its session.
CREATE TABLE oauth_clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    -- One per line, compared exactly.
    redirect_uris TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE oauth_codes (
    code_hash      BYTEA PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope          TEXT NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ,
    -- The grant the code was exchanged for: revoked if the code comes back.
    session_id     UUID REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX oauth_codes_expiry_idx ON oauth_codes (expires_at);

CREATE TABLE oauth_refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX oauth_refresh_tokens_session_idx ON oauth_refresh_tokens (session_id);
