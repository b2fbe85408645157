-- The assistant's conversations and their messages, owner-scoped like tasks.
CREATE TABLE conversations (
    id         BLOB PRIMARY KEY NOT NULL,
    owner_id   BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conversations_owner_updated_idx ON conversations (owner_id, updated_at, id);

CREATE TABLE messages (
    id              BLOB PRIMARY KEY NOT NULL,
    conversation_id BLOB NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- Order within the conversation; unique, so two replies racing into one
    -- conversation cannot interleave.
    position        INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content         TEXT NOT NULL,
    -- For role 'tool': the call and its result, as JSON.
    tool_data       TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (conversation_id, position)
);
