-- Same model as the PostgreSQL schema; UUIDs are 16-byte BLOBs, timestamps
-- RFC 3339 TEXT in UTC (which sorts chronologically), booleans 0/1.
CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE tasks (
    id          BLOB PRIMARY KEY NOT NULL,
    owner_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT,
    completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    priority    INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
    due_date    TEXT,
    tags        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tasks_owner_created_idx ON tasks (owner_id, created_at, id);
CREATE INDEX tasks_owner_updated_idx ON tasks (owner_id, updated_at, id);
CREATE INDEX tasks_owner_due_idx ON tasks (owner_id, due_date, id);
CREATE INDEX tasks_owner_priority_idx ON tasks (owner_id, priority, id);
CREATE INDEX tasks_owner_completed_idx ON tasks (owner_id, completed);

CREATE TABLE task_tags (
    task_id  BLOB NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    owner_id BLOB NOT NULL,
    tag      TEXT NOT NULL,
    PRIMARY KEY (task_id, tag)
);
CREATE INDEX task_tags_owner_tag_idx ON task_tags (owner_id, tag);
