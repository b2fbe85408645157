-- A task's schedule as one column, for reading: NULL for a task without
-- one (most tasks), otherwise the due time, reminders, repeat rule and the
-- rule's summary joined by '|' (backend/src/store/tasks/columns.rs splits
-- it). Read as an expression in every query, it was compiled for every
-- statement and evaluated for every row: about a tenth of PostgreSQL's
-- work for a page of 50 tasks. Stored, it is read like any other column.
--
-- "No schedule" is two NULL tests, not three: reminders need a due time
-- (tasks_reminders_need_due_time).
--
-- Adding a stored column rewrites the table and its indexes once, holding
-- the table's lock while it does: 24 s for a million tasks (650 MB) on two
-- cores. The backend answers /health meanwhile, and is ready after
-- (docs/database.md, "Migrations").
ALTER TABLE tasks ADD COLUMN schedule TEXT GENERATED ALWAYS AS (
    CASE WHEN due_time IS NULL AND recurrence IS NULL THEN NULL
    ELSE coalesce(due_time, '') || '|' || reminders || '|' || coalesce(recurrence, '')
        || '|' || coalesce(recurrence_summary, '')
    END
) STORED;
