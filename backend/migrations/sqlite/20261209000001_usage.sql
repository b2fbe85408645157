-- What each account holds, kept beside it so that a quota check reads one
-- row instead of counting. Triggers keep the counts true whichever
-- statement adds or removes rows (a cascade included).
ALTER TABLE users ADD COLUMN task_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN conversation_count INTEGER NOT NULL DEFAULT 0;

UPDATE users SET
    task_count = (SELECT COUNT(*) FROM tasks WHERE tasks.owner_id = users.id),
    conversation_count =
        (SELECT COUNT(*) FROM conversations WHERE conversations.owner_id = users.id);

CREATE TRIGGER tasks_counted AFTER INSERT ON tasks BEGIN
    UPDATE users SET task_count = task_count + 1 WHERE id = NEW.owner_id;
END;
CREATE TRIGGER tasks_uncounted AFTER DELETE ON tasks BEGIN
    UPDATE users SET task_count = task_count - 1 WHERE id = OLD.owner_id;
END;
CREATE TRIGGER conversations_counted AFTER INSERT ON conversations BEGIN
    UPDATE users SET conversation_count = conversation_count + 1 WHERE id = NEW.owner_id;
END;
CREATE TRIGGER conversations_uncounted AFTER DELETE ON conversations BEGIN
    UPDATE users SET conversation_count = conversation_count - 1 WHERE id = OLD.owner_id;
END;
