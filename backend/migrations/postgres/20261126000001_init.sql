-- Trigram indexes make the case-insensitive substring search indexable.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    -- Always lower-cased by the application; the index enforces it too.
    email         TEXT NOT NULL CHECK (email = lower(email)),
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE tasks (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT,
    completed   BOOLEAN NOT NULL DEFAULT FALSE,
    -- 0 = low, 1 = medium, 2 = high: sorts by urgency.
    priority    SMALLINT NOT NULL CHECK (priority BETWEEN 0 AND 2),
    due_date    DATE,
    -- Space-separated copy of task_tags, so a page of tasks needs no join.
    tags        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_owner_created_idx ON tasks (owner_id, created_at, id);
CREATE INDEX tasks_owner_updated_idx ON tasks (owner_id, updated_at, id);
CREATE INDEX tasks_owner_due_idx ON tasks (owner_id, due_date, id);
CREATE INDEX tasks_owner_priority_idx ON tasks (owner_id, priority, id);
CREATE INDEX tasks_owner_completed_idx ON tasks (owner_id, completed);
CREATE INDEX tasks_search_idx ON tasks
    USING gin ((title || ' ' || coalesce(description, '')) gin_trgm_ops);

CREATE TABLE task_tags (
    task_id  UUID NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    owner_id UUID NOT NULL,
    tag      TEXT NOT NULL,
    PRIMARY KEY (task_id, tag)
);
CREATE INDEX task_tags_owner_tag_idx ON task_tags (owner_id, tag);
