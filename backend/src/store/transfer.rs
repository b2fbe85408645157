//! Export and import of one account's tasks and conversations. An export
//! is read a page at a time: tasks in (created_at, id) order,
//! conversations likewise, each conversation's messages by position; each
//! page a keyset query (it starts after the last row of the one before,
//! so a row added or removed meanwhile never shifts another in or out) on
//! a connection taken for that query only. An import adds a whole
//! document in one transaction, all or nothing, and checks the quotas
//! inside it, after the rows are in (the triggers have counted them), so
//! what commits never takes an account past a quota.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use todo_api::{Role, Task};
use uuid::Uuid;

use super::tasks::{TASK_COLUMNS, TaskColumns, priority_rank};
use super::{BeginWrite, MessageRow, Store, StoreError, owner_gone_or, with_connection};
use crate::domain::{Quota, TaskDraft};

/// Rows per multi-row INSERT: well under either database's limit on bound
/// values (fourteen a task row).
const ROWS_PER_INSERT: usize = 500;

/// A conversation's own columns, as exported; its messages are read
/// after it, a page at a time.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConversationExport {
    pub id: Uuid,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A task to import: a valid new task, with its dates.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTask {
    pub draft: TaskDraft,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMessage {
    pub role: Role,
    pub content: String,
    pub tool_data: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedConversation {
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<ImportedMessage>,
}

/// A whole import document, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    pub tasks: Vec<ImportedTask>,
    pub conversations: Vec<ImportedConversation>,
}

impl Store {
    /// Up to `rows` of the owner's tasks after `after` in (created_at, id)
    /// order; none when the owner is gone.
    pub async fn export_tasks(
        &self,
        owner: Uuid,
        after: Option<(DateTime<Utc>, Uuid)>,
        rows: u32,
    ) -> Result<Vec<Task>, StoreError> {
        // Made of constants only.
        let sql = match after {
            None => format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE owner_id = $1 \
                 ORDER BY created_at, id LIMIT $2"
            ),
            Some(_) => format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE owner_id = $1 \
                 AND (created_at, id) > ($3, $4) ORDER BY created_at, id LIMIT $2"
            ),
        };
        let (at, id) = after.unzip();
        Ok(with_connection!(self, conn => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(owner)
                .bind(i64::from(rows));
            if after.is_some() {
                query = query.bind(at).bind(id);
            }
            query
                .fetch_all(conn)
                .await
                .and_then(|rows| rows.iter().map(TaskColumns::task).collect())
        })?)
    }

    /// Up to `rows` of the owner's conversations after `after` in
    /// (created_at, id) order; none when the owner is gone.
    pub async fn export_conversations(
        &self,
        owner: Uuid,
        after: Option<(DateTime<Utc>, Uuid)>,
        rows: u32,
    ) -> Result<Vec<ConversationExport>, StoreError> {
        let sql = match after {
            None => {
                "SELECT id, title, created_at, updated_at FROM conversations \
                 WHERE owner_id = $1 ORDER BY created_at, id LIMIT $2"
            }
            Some(_) => {
                "SELECT id, title, created_at, updated_at FROM conversations \
                 WHERE owner_id = $1 AND (created_at, id) > ($3, $4) \
                 ORDER BY created_at, id LIMIT $2"
            }
        };
        let (at, id) = after.unzip();
        Ok(with_connection!(self, conn => {
            let mut query = sqlx::query_as(sql).bind(owner).bind(i64::from(rows));
            if after.is_some() {
                query = query.bind(at).bind(id);
            }
            query.fetch_all(conn).await
        })?)
    }

    /// Up to `rows` messages of the owner's conversation after position
    /// `after`, in order; none when the owner has no such conversation
    /// (any more).
    pub async fn export_messages(
        &self,
        owner: Uuid,
        conversation: Uuid,
        after: i32,
        rows: u32,
    ) -> Result<Vec<MessageRow>, StoreError> {
        let sql = "SELECT m.id, m.position, m.role, m.content, m.tool_data, m.created_at \
                   FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                   WHERE c.id = $1 AND c.owner_id = $2 AND m.position > $3 \
                   ORDER BY m.position LIMIT $4";
        Ok(with_connection!(self, conn => sqlx::query_as(sql)
            .bind(conversation)
            .bind(owner)
            .bind(after)
            .bind(i64::from(rows))
            .fetch_all(conn)
            .await)?)
    }

    /// Adds every task and conversation of `batch` to the owner's account
    /// (new ids), all or nothing: [`StoreError::QuotaExceeded`] when the
    /// account would then hold more than its quotas allow, and nothing is
    /// written. Returns how many tasks and conversations were added.
    pub async fn import(&self, owner: Uuid, batch: ImportBatch) -> Result<(u64, u64), StoreError> {
        let quotas = self.quotas;
        for conversation in &batch.conversations {
            if conversation.messages.len() as u64 > quotas.messages_per_conversation {
                return Err(StoreError::QuotaExceeded(Quota::MessagesPerConversation(
                    quotas.messages_per_conversation,
                )));
            }
        }
        let tasks: Vec<ImportRow> = batch
            .tasks
            .iter()
            .map(|task| ImportRow {
                id: Uuid::new_v4(),
                title: task.draft.title.as_str().to_owned(),
                description: task
                    .draft
                    .description
                    .as_ref()
                    .map(|d| d.as_str().to_owned()),
                completed: task.draft.completed,
                priority: priority_rank(task.draft.priority),
                due_date: task.draft.due_date,
                due_time: task.draft.due_time.map(|time| time.text()),
                recurrence: task.draft.recurrence.as_ref().map(|rule| rule.rrule()),
                recurrence_summary: task.draft.recurrence.as_ref().map(|rule| rule.summary()),
                reminders: task.draft.reminders.joined(),
                joined: task.draft.tags.joined(),
                tags: task
                    .draft
                    .tags
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .collect(),
                created_at: task.created_at,
                updated_at: task.updated_at,
            })
            .collect();
        let conversations: Vec<(Uuid, ImportedConversation)> = batch
            .conversations
            .into_iter()
            .map(|conversation| (Uuid::new_v4(), conversation))
            .collect();
        let counted = (tasks.len() as u64, conversations.len() as u64);
        self.write(move |store| async move {
            with_connection!(write store, conn => {
                let mut tx = conn.begin_write().await?;
                for chunk in tasks.chunks(ROWS_PER_INSERT) {
                    let mut insert = QueryBuilder::new(
                        "INSERT INTO tasks (id, owner_id, title, description, completed, \
                         priority, due_date, due_time, recurrence, recurrence_summary, \
                         reminders, tags, created_at, updated_at) ",
                    );
                    insert.push_values(chunk, |mut row, task| {
                        row.push_bind(task.id)
                            .push_bind(owner)
                            .push_bind(task.title.as_str())
                            .push_bind(task.description.as_deref())
                            .push_bind(task.completed)
                            .push_bind(task.priority)
                            .push_bind(task.due_date)
                            .push_bind(task.due_time.as_deref())
                            .push_bind(task.recurrence.as_deref())
                            .push_bind(task.recurrence_summary.as_deref())
                            .push_bind(task.reminders.as_str())
                            .push_bind(task.joined.as_str())
                            .push_bind(task.created_at)
                            .push_bind(task.updated_at);
                    });
                    insert.build().execute(&mut *tx).await.map_err(owner_gone_or)?;
                }
                let tags: Vec<(Uuid, &str)> = tasks
                    .iter()
                    .flat_map(|task| task.tags.iter().map(|tag| (task.id, tag.as_str())))
                    .collect();
                for chunk in tags.chunks(ROWS_PER_INSERT) {
                    let mut insert =
                        QueryBuilder::new("INSERT INTO task_tags (task_id, owner_id, tag) ");
                    insert.push_values(chunk, |mut row, (task, tag)| {
                        row.push_bind(*task).push_bind(owner).push_bind(*tag);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                for chunk in conversations.chunks(ROWS_PER_INSERT) {
                    let mut insert = QueryBuilder::new(
                        "INSERT INTO conversations (id, owner_id, title, created_at, updated_at) ",
                    );
                    insert.push_values(chunk, |mut row, (id, conversation)| {
                        row.push_bind(*id)
                            .push_bind(owner)
                            .push_bind(conversation.title.as_str())
                            .push_bind(conversation.created_at)
                            .push_bind(conversation.updated_at);
                    });
                    insert.build().execute(&mut *tx).await.map_err(owner_gone_or)?;
                }
                let messages: Vec<(Uuid, i32, &ImportedMessage)> = conversations
                    .iter()
                    .flat_map(|(id, conversation)| {
                        conversation
                            .messages
                            .iter()
                            .enumerate()
                            .map(move |(position, message)| (*id, position as i32, message))
                    })
                    .collect();
                for chunk in messages.chunks(ROWS_PER_INSERT) {
                    let mut insert = QueryBuilder::new(
                        "INSERT INTO messages (id, conversation_id, position, role, content, \
                         tool_data, created_at) ",
                    );
                    insert.push_values(chunk, |mut row, (conversation, position, message)| {
                        row.push_bind(Uuid::new_v4())
                            .push_bind(*conversation)
                            .push_bind(*position)
                            .push_bind(message.role.as_str())
                            .push_bind(message.content.as_str())
                            .push_bind(message.tool_data.as_deref())
                            .push_bind(message.created_at);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                // The triggers have counted what was added (and, on
                // PostgreSQL, hold the owner's row until this commits, so a
                // concurrent write counts after it).
                let counts: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT task_count, conversation_count FROM users WHERE id = $1",
                )
                .bind(owner)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((task_count, conversation_count)) = counts else {
                    return Err(StoreError::OwnerGone);
                };
                // Dropped unfinished on an error: the transaction rolls back.
                if task_count.max(0) as u64 > quotas.tasks {
                    return Err(StoreError::QuotaExceeded(Quota::Tasks(quotas.tasks)));
                }
                if conversation_count.max(0) as u64 > quotas.conversations {
                    return Err(StoreError::QuotaExceeded(Quota::Conversations(
                        quotas.conversations,
                    )));
                }
                tx.commit().await?;
                Ok(())
            })
        })
        .await?;
        Ok(counted)
    }
}

/// A task's row as inserted.
struct ImportRow {
    id: Uuid,
    title: String,
    description: Option<String>,
    completed: bool,
    priority: i16,
    due_date: Option<chrono::NaiveDate>,
    due_time: Option<String>,
    recurrence: Option<String>,
    recurrence_summary: Option<String>,
    reminders: String,
    joined: String,
    tags: Vec<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}
