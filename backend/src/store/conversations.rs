//! The assistant's conversations and messages, owner-scoped like tasks.
//! A chat turn is two writes: the user's message (before the model runs,
//! so it is never lost), then everything the turn produced (its tool
//! records and the reply) in one transaction, so no reply is half-stored.

use chrono::{DateTime, Utc};
use todo_api::{Conversation, Role};
use uuid::Uuid;

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
    /// after it. Returns the conversation's id.
    pub async fn append_user_message(
        &self,
        owner: Uuid,
        conversation: Option<Uuid>,
        text: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        let message = NewMessage {
            role: Role::User,
            content: text.to_owned(),
            tool_data: None,
        };
        let id = match conversation {
            Some(id) => id,
            None => {
                let id = Uuid::new_v4();
                let title = title_of(text);
                self.write(move |store| async move {
                    let sql = "INSERT INTO conversations (id, owner_id, title, created_at, updated_at) \
                               VALUES ($1, $2, $3, $4, $4)";
                    with_connection!(write store, conn => sqlx::query(sql)
                        .bind(id)
                        .bind(owner)
                        .bind(&title)
                        .bind(now())
                        .execute(conn)
                        .await
                        .map(|_| ()))
                    .map_err(owner_gone_or)
                })
                .await?;
                id
            }
        };
        let appended = self.append_messages(owner, id, vec![message]).await?;
        Ok(appended.then_some(id))
    }

    /// Appends `messages` after the conversation's last one, all or none;
    /// `false` when the owner has no such conversation.
    pub async fn append_messages(
        &self,
        owner: Uuid,
        conversation: Uuid,
        messages: Vec<NewMessage>,
    ) -> Result<bool, StoreError> {
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

    /// The conversation's messages, oldest first; `None` when the owner
    /// has no such conversation.
    pub async fn messages(
        &self,
        owner: Uuid,
        conversation: Uuid,
    ) -> Result<Option<Vec<MessageRow>>, StoreError> {
        let sql = "SELECT m.id, m.position, m.role, m.content, m.tool_data, m.created_at \
                   FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                   WHERE c.id = $1 AND c.owner_id = $2 ORDER BY m.position";
        let rows: Vec<MessageRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(conversation)
            .bind(owner)
            .fetch_all(conn)
            .await)?;
        if !rows.is_empty() {
            return Ok(Some(rows));
        }
        // No messages: no conversation, or one whose first write failed.
        let exists = self.conversation_exists(owner, conversation).await?;
        if exists {
            Ok(Some(rows))
        } else {
            self.unless_owner_gone(owner, None).await
        }
    }

    async fn conversation_exists(&self, owner: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
        let sql = "SELECT COUNT(*) FROM conversations WHERE id = $1 AND owner_id = $2";
        let count: i64 = with_connection!(self, conn => sqlx::query_scalar(sql)
            .bind(id)
            .bind(owner)
            .fetch_one(conn)
            .await)?;
        Ok(count > 0)
    }

    /// The owner's conversations, most recently active first.
    pub async fn conversations(&self, owner: Uuid) -> Result<Vec<Conversation>, StoreError> {
        let sql = "SELECT id, title, created_at, updated_at FROM conversations \
                   WHERE owner_id = $1 ORDER BY updated_at DESC, id DESC";
        let rows: Vec<ConversationRow> =
            with_connection!(self, conn => sqlx::query_as(sql).bind(owner).fetch_all(conn).await)?;
        let conversations: Vec<Conversation> = rows.into_iter().map(Conversation::from).collect();
        if conversations.is_empty() {
            self.unless_owner_gone(owner, conversations).await
        } else {
            Ok(conversations)
        }
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
