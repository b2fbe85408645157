-- The assistant's conversations and their messages, owner-scoped like tasks.
CREATE TABLE conversations (
    id         UUID PRIMARY KEY,
    owner_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_owner_updated_idx ON conversations (owner_id, updated_at, id);

CREATE TABLE messages (
    id              UUID PRIMARY KEY,
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- Order within the conversation; unique, so two replies racing into one
    -- conversation cannot interleave.
    position        INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content         TEXT NOT NULL,
    -- For role 'tool': the call and its result, as JSON.
    tool_data       TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, position)
);
