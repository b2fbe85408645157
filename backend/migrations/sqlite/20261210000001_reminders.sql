-- Tasks that repeat and remind, and each user's time zone: see the
-- PostgreSQL migration of the same name for what each column means.
ALTER TABLE tasks ADD COLUMN due_time TEXT
    CONSTRAINT tasks_due_time_shape CHECK (
        due_time IS NULL OR (length(due_time) = 5 AND due_time GLOB '[0-2][0-9]:[0-5][0-9]' AND due_time < '24:00'))
    CONSTRAINT tasks_due_time_needs_due_date CHECK (due_time IS NULL OR due_date IS NOT NULL);
ALTER TABLE tasks ADD COLUMN recurrence TEXT
    CONSTRAINT tasks_recurrence_needs_due_date CHECK (recurrence IS NULL OR due_date IS NOT NULL);
ALTER TABLE tasks ADD COLUMN recurrence_summary TEXT;
ALTER TABLE tasks ADD COLUMN reminders TEXT NOT NULL DEFAULT ''
    CONSTRAINT tasks_reminders_need_due_time CHECK (reminders = '' OR due_time IS NOT NULL);
ALTER TABLE tasks ADD COLUMN next_occurrence_id BLOB REFERENCES tasks (id) ON DELETE SET NULL;

-- Deleting a task sets the links to it to NULL: found by this index, not by
-- scanning every task (SQLite's foreign-key checks use only full indexes).
CREATE INDEX tasks_next_occurrence_idx ON tasks (next_occurrence_id);

-- `NOT completed`, as the worker's query says it: SQLite uses a partial
-- index only for a query whose WHERE repeats the index's terms.
CREATE INDEX tasks_reminders_due_idx ON tasks (due_date, id) WHERE reminders <> '' AND NOT completed;

ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN calendar_feed_hash BLOB;
ALTER TABLE users ADD COLUMN calendar_feed_created_at TEXT;
CREATE UNIQUE INDEX users_calendar_feed_hash_idx ON users (calendar_feed_hash);

CREATE TABLE reminder_deliveries (
    id              BLOB PRIMARY KEY NOT NULL,
    task_id         BLOB NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    owner_id        BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    due_at          TEXT NOT NULL,
    minutes_before  INTEGER NOT NULL CHECK (minutes_before >= 0),
    fire_at         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner     BLOB,
    lease_until     TEXT,
    sent_at         TEXT,
    failed_at       TEXT,
    skipped_at      TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (task_id, due_at, minutes_before)
);
CREATE INDEX reminder_deliveries_pending_idx ON reminder_deliveries (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL;
CREATE INDEX reminder_deliveries_fire_idx ON reminder_deliveries (fire_at);
