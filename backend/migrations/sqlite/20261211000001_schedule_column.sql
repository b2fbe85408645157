-- A task's schedule as one column, for reading: see the PostgreSQL
-- migration of the same name. SQLite can add only a virtual generated
-- column to a table, computed as it is read: what the queries computed
-- before, now written once, here.
ALTER TABLE tasks ADD COLUMN schedule TEXT GENERATED ALWAYS AS (
    CASE WHEN due_time IS NULL AND recurrence IS NULL THEN NULL
    ELSE coalesce(due_time, '') || '|' || reminders || '|' || coalesce(recurrence, '')
        || '|' || coalesce(recurrence_summary, '')
    END
) VIRTUAL;
