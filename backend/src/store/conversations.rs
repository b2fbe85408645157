//! The assistant's conversations and messages, owner-scoped like tasks.
//! A chat turn is two writes: the user's message (before the model runs,
//! so it is never lost), then everything the turn produced (its tool
//! records and the reply) in one transaction, so no reply is half-stored.

use chrono::{DateTime, Utc};
use todo_api::{Allowance, Conversation, Role, Usage};
use uuid::Uuid;

use crate::domain::{ConversationPage, MessagePage, Quota, TAGS_PER_TASK};

use super::{
    BeginWrite, Store, StoreError, is_unique_violation, now, owner_gone_or, with_connection,
};

/// Title of a conversation: its first message, cut to this many characters.
const TITLE_MAX_CHARS: usize = 80;

/// A stored message, in conversation order.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub position: i32,
    pub role: String,
    pub content: String,
    /// JSON of the call and its result, for role `tool`.
    pub tool_data: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl MessageRow {
    pub fn role(&self) -> Role {
        match self.role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            // The CHECK constraint admits only the three.
            _ => Role::Tool,
        }
    }
}

/// A message to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub role: Role,
    pub content: String,
    pub tool_data: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct ConversationRow {
    id: Uuid,
    title: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ConversationRow> for Conversation {
    fn from(row: ConversationRow) -> Self {
        Conversation {
            id: row.id,
            title: row.title,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn title_of(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    let mut title: String = line.chars().take(TITLE_MAX_CHARS).collect();
    if line.chars().count() > TITLE_MAX_CHARS {
        title.push('…');
    }
    title
}

/// A concurrent turn in the same conversation took the next position:
/// try again, a few times, then give up.
const APPEND_ATTEMPTS: usize = 5;

impl Store {
    /// Stores the user's message: in `conversation` when given (`None`
    /// when the owner has no such conversation), else in a new one titled
    /// after it. Returns the conversation's id. The message is refused
    /// ([`StoreError::QuotaExceeded`]) unless it and `reserve` more (what
    /// the turn it starts may add) fit in the conversation, and a new
    /// conversation unless the account may hold one more.
    pub async fn append_user_message(
        &self,
        owner: Uuid,
        conversation: Option<Uuid>,
        text: &str,
        reserve: usize,
    ) -> Result<Option<Uuid>, StoreError> {
        let message = NewMessage {
            role: Role::User,
            content: text.to_owned(),
            tool_data: None,
        };
        let id = match conversation {
            Some(id) => id,
            None => self.insert_conversation(owner, title_of(text)).await?,
        };
        let room = Some(reserve);
        let appended = self.append(owner, id, vec![message], room).await?;
        Ok(appended.then_some(id))
    }

    async fn insert_conversation(&self, owner: Uuid, title: String) -> Result<Uuid, StoreError> {
        let id = Uuid::new_v4();
        let limit = i64::try_from(self.quotas.conversations).unwrap_or(i64::MAX);
        let inserted = self
            .write(move |store| async move {
                let sql = "INSERT INTO conversations (id, owner_id, title, created_at, updated_at) \
                           SELECT $1, $2, $3, $4, $4 \
                           WHERE (SELECT conversation_count FROM users WHERE id = $2) < $5";
                with_connection!(write store, conn => sqlx::query(sql)
                    .bind(id)
                    .bind(owner)
                    .bind(&title)
                    .bind(now())
                    .bind(limit)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))
                .map_err(owner_gone_or)
            })
            .await?;
        if inserted == 0 {
            self.unless_owner_gone(owner, ()).await?;
            return Err(StoreError::QuotaExceeded(Quota::Conversations(
                self.quotas.conversations,
            )));
        }
        Ok(id)
    }

    /// Appends `messages` after the conversation's last one, all or none;
    /// `false` when the owner has no such conversation. What a turn
    /// produced is stored whatever the conversation's quota: the turn was
    /// admitted with room for it.
    pub async fn append_messages(
        &self,
        owner: Uuid,
        conversation: Uuid,
        messages: Vec<NewMessage>,
    ) -> Result<bool, StoreError> {
        self.append(owner, conversation, messages, None).await
    }

    /// [`Store::append_messages`], refusing when `room` is given and the
    /// messages and `room` more would not fit in the conversation.
    async fn append(
        &self,
        owner: Uuid,
        conversation: Uuid,
        messages: Vec<NewMessage>,
        room: Option<usize>,
    ) -> Result<bool, StoreError> {
        let limit = self.quotas.messages_per_conversation;
        for attempt in 1..=APPEND_ATTEMPTS {
            let batch = messages.clone();
            let outcome = self
                .write(move |store| async move {
                    let at = now();
                    with_connection!(write store, conn => {
                        let mut tx = conn.begin_write().await?;
                        let touched = sqlx::query(
                            "UPDATE conversations SET updated_at = $1 WHERE id = $2 AND owner_id = $3",
                        )
                        .bind(at)
                        .bind(conversation)
                        .bind(owner)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if touched == 0 {
                            return Ok(false);
                        }
                        let next: i32 = sqlx::query_scalar(
                            "SELECT CAST(COALESCE(MAX(position), -1) + 1 AS INTEGER) FROM messages \
                             WHERE conversation_id = $1",
                        )
                        .bind(conversation)
                        .fetch_one(&mut *tx)
                        .await?;
                        if let Some(room) = room {
                            let needed = next as u64 + (batch.len() + room) as u64;
                            if needed > limit {
                                // Dropped unfinished: the transaction rolls back.
                                return Err(StoreError::QuotaExceeded(
                                    Quota::MessagesPerConversation(limit),
                                ));
                            }
                        }
                        for (offset, message) in batch.iter().enumerate() {
                            sqlx::query(
                                "INSERT INTO messages (id, conversation_id, position, role, content, \
                                 tool_data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            )
                            .bind(Uuid::new_v4())
                            .bind(conversation)
                            .bind(next + offset as i32)
                            .bind(message.role.as_str())
                            .bind(&message.content)
                            .bind(&message.tool_data)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                        }
                        tx.commit().await?;
                        Ok(true)
                    })
                })
                .await;
            match outcome {
                Err(StoreError::Database(e))
                    if is_unique_violation(&e) && attempt < APPEND_ATTEMPTS =>
                {
                    continue;
                }
                Ok(false) => return self.unless_owner_gone(owner, false).await,
                other => return other,
            }
        }
        unreachable!("the last attempt returns")
    }

    /// One page of the conversation's messages, oldest first, with how
    /// many it holds; `None` when the owner has no such conversation.
    pub async fn messages(
        &self,
        owner: Uuid,
        conversation: Uuid,
        page: MessagePage,
    ) -> Result<Option<(Vec<MessageRow>, u64)>, StoreError> {
        // Positions run from 0 without gaps (each append takes the next).
        let total_sql = "SELECT CAST(COALESCE((SELECT MAX(position) + 1 FROM messages \
                         WHERE conversation_id = c.id), 0) AS BIGINT) \
                         FROM conversations c WHERE c.id = $1 AND c.owner_id = $2";
        let total: Option<i64> = with_connection!(self, conn => sqlx::query_scalar(total_sql)
            .bind(conversation)
            .bind(owner)
            .fetch_optional(conn)
            .await)?;
        let Some(total) = total else {
            return self.unless_owner_gone(owner, None).await;
        };
        let before = page.before.map_or(i32::MAX, |before| before as i32);
        let sql = "SELECT id, position, role, content, tool_data, created_at FROM messages \
                   WHERE conversation_id = $1 AND position < $2 ORDER BY position DESC LIMIT $3";
        let mut rows: Vec<MessageRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(conversation)
            .bind(before)
            .bind(i64::from(page.limit))
            .fetch_all(conn)
            .await)?;
        rows.reverse();
        Ok(Some((rows, total as u64)))
    }

    /// The newest `limit` messages of the conversation, oldest first, in
    /// one round trip (what a chat turn reads: no count); `None` when the
    /// owner has no such conversation.
    pub async fn recent_messages(
        &self,
        owner: Uuid,
        conversation: Uuid,
        limit: u32,
    ) -> Result<Option<Vec<MessageRow>>, StoreError> {
        let sql = "SELECT m.id, m.position, m.role, m.content, m.tool_data, m.created_at \
                   FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                   WHERE c.id = $1 AND c.owner_id = $2 ORDER BY m.position DESC LIMIT $3";
        let mut rows: Vec<MessageRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(conversation)
            .bind(owner)
            .bind(i64::from(limit))
            .fetch_all(conn)
            .await)?;
        if rows.is_empty() {
            // No messages: no conversation, or one whose first write failed.
            return match self
                .messages(owner, conversation, MessagePage::newest(1))
                .await?
            {
                Some(_) => Ok(Some(rows)),
                None => Ok(None),
            };
        }
        rows.reverse();
        Ok(Some(rows))
    }

    /// One page of the owner's conversations, most recently active first,
    /// with how many there are.
    pub async fn conversations(
        &self,
        owner: Uuid,
        page: ConversationPage,
    ) -> Result<(Vec<Conversation>, u64), StoreError> {
        let usage = self.usage(owner).await?;
        let sql = "SELECT id, title, created_at, updated_at FROM conversations \
                   WHERE owner_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3";
        let rows: Vec<ConversationRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(owner)
            .bind(i64::from(page.limit))
            .bind(page.offset as i64)
            .fetch_all(conn)
            .await)?;
        let conversations = rows.into_iter().map(Conversation::from).collect();
        Ok((conversations, usage.conversations.used))
    }

    /// The owner's account against its quotas.
    pub async fn usage(&self, owner: Uuid) -> Result<Usage, StoreError> {
        let sql = "SELECT task_count, conversation_count FROM users WHERE id = $1";
        let counts: Option<(i64, i64)> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(owner)
            .fetch_optional(conn)
            .await)?;
        let (tasks, conversations) = counts.ok_or(StoreError::OwnerGone)?;
        let quotas = self.quotas;
        Ok(Usage {
            tasks: Allowance {
                used: tasks.max(0) as u64,
                limit: quotas.tasks,
            },
            conversations: Allowance {
                used: conversations.max(0) as u64,
                limit: quotas.conversations,
            },
            messages_per_conversation: quotas.messages_per_conversation,
            tags_per_task: TAGS_PER_TASK,
        })
    }

    /// Deletes the conversation and its messages; `false` when the owner
    /// has no such conversation.
    pub async fn delete_conversation(&self, owner: Uuid, id: Uuid) -> Result<bool, StoreError> {
        self.delete_owned(
            "DELETE FROM conversations WHERE id = $1 AND owner_id = $2",
            owner,
            id,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line_cut_short() {
        assert_eq!(title_of("  add milk  \nand more"), "add milk");
        let long = "x".repeat(100);
        assert_eq!(title_of(&long).chars().count(), TITLE_MAX_CHARS + 1);
    }
}
