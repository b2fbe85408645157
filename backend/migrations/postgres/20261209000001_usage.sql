-- What each account holds, kept beside it so that a quota check reads one
-- row instead of counting. Triggers keep the counts true whichever
-- statement adds or removes rows (a cascade included).
ALTER TABLE users ADD COLUMN task_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN conversation_count BIGINT NOT NULL DEFAULT 0;

UPDATE users SET
    task_count = (SELECT COUNT(*) FROM tasks WHERE tasks.owner_id = users.id),
    conversation_count =
        (SELECT COUNT(*) FROM conversations WHERE conversations.owner_id = users.id);

CREATE FUNCTION count_owned_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF TG_TABLE_NAME = 'tasks' THEN
            UPDATE users SET task_count = task_count + 1 WHERE id = NEW.owner_id;
        ELSE
            UPDATE users SET conversation_count = conversation_count + 1 WHERE id = NEW.owner_id;
        END IF;
    ELSE
        IF TG_TABLE_NAME = 'tasks' THEN
            UPDATE users SET task_count = task_count - 1 WHERE id = OLD.owner_id;
        ELSE
            UPDATE users SET conversation_count = conversation_count - 1 WHERE id = OLD.owner_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_counted AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION count_owned_rows();
CREATE TRIGGER conversations_counted AFTER INSERT OR DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION count_owned_rows();
