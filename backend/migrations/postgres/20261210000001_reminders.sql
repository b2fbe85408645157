-- Tasks that repeat and remind, and each user's time zone.
--
-- A due time is wall-clock "HH:MM" in the owner's zone, not an instant:
-- a daily 09:00 task stays at 09:00 across daylight-saving changes.
-- The recurrence is a canonical RRULE value; its summary is derived when
-- it is written, so a page of tasks is written without parsing rules.
-- Reminders are minutes before the due time, joined by spaces like tags.
-- next_occurrence_id links a completed occurrence to the one its
-- completion created, so that undoing the completion can remove it.
ALTER TABLE tasks
    ADD COLUMN due_time TEXT
        CONSTRAINT tasks_due_time_shape CHECK (due_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    ADD COLUMN recurrence TEXT,
    ADD COLUMN recurrence_summary TEXT,
    ADD COLUMN reminders TEXT NOT NULL DEFAULT '',
    ADD COLUMN next_occurrence_id UUID REFERENCES tasks (id) ON DELETE SET NULL,
    ADD CONSTRAINT tasks_due_time_needs_due_date CHECK (due_time IS NULL OR due_date IS NOT NULL),
    ADD CONSTRAINT tasks_recurrence_needs_due_date CHECK (recurrence IS NULL OR due_date IS NOT NULL),
    ADD CONSTRAINT tasks_reminders_need_due_time CHECK (reminders = '' OR due_time IS NOT NULL);

-- Deleting a task sets the links to it to NULL: found by this index, not by
-- scanning every task (a deleted account deletes all its tasks at once).
CREATE INDEX tasks_next_occurrence_idx ON tasks (next_occurrence_id)
    WHERE next_occurrence_id IS NOT NULL;

-- What the reminder worker scans: open tasks with reminders, by due date,
-- a page at a time in (due_date, id) order (backend/src/store/reminders.rs).
CREATE INDEX tasks_reminders_due_idx ON tasks (due_date, id) WHERE reminders <> '' AND NOT completed;

-- An IANA name, checked by the application; the calendar feed's secret is
-- kept as its SHA-256 only, like personal access tokens.
ALTER TABLE users
    ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC',
    ADD COLUMN calendar_feed_hash BYTEA UNIQUE,
    ADD COLUMN calendar_feed_created_at TIMESTAMPTZ;

-- One row per reminder of one occurrence that came due: the unique key is
-- what makes a reminder go out once however many workers see it due
-- (backend/src/reminders/ has the whole design).
--   due_at, minutes_before: the occurrence's due instant and the lead;
--     fire_at = due_at - minutes_before.
--   attempts: claims so far; next_attempt_at: not claimed before then
--     (the backoff after a failed attempt).
--   lease_owner, lease_until: the worker that claimed it, until when; an
--     expired lease may be claimed by another worker.
--   sent_at, failed_at, skipped_at: how it ended (at most one is set):
--     accepted by the SMTP server; given up (a permanent rejection, or
--     the last attempt failed); or not sent because the task was completed
--     or changed, or the reminder came too late to be of use.
--   last_error: the last failure (no secrets), or why it was skipped.
CREATE TABLE reminder_deliveries (
    id              UUID PRIMARY KEY,
    task_id         UUID NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    owner_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    due_at          TIMESTAMPTZ NOT NULL,
    minutes_before  INTEGER NOT NULL CHECK (minutes_before >= 0),
    fire_at         TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_owner     UUID,
    lease_until     TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ,
    skipped_at      TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (task_id, due_at, minutes_before)
);
-- What a claim reads: the deliveries still to make, soonest first.
CREATE INDEX reminder_deliveries_pending_idx ON reminder_deliveries (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL;
-- What pruning reads: deliveries by when they came due.
CREATE INDEX reminder_deliveries_fire_idx ON reminder_deliveries (fire_at);
