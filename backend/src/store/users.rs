use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Store, is_unique_violation, with_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

impl From<UserRecord> for todo_api::User {
    fn from(record: UserRecord) -> Self {
        Self {
            id: record.id,
            email: record.email,
            name: record.name,
            created_at: record.created_at,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("email already registered")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    pub async fn insert_user(&self, user: &UserRecord) -> Result<(), InsertUserError> {
        let sql = "INSERT INTO users (id, email, name, password_hash, created_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        let _turn = self.write_turn().await;
        let result = with_pool!(self, pool => sqlx::query(sql)
            .bind(user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(&user.password_hash)
            .bind(user.created_at)
            .execute(pool)
            .await
            .map(|_| ()));
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(InsertUserError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// `email` must already be normalised (lower-cased).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
        let sql = "SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1";
        with_pool!(self, pool => sqlx::query_as(sql).bind(email).fetch_optional(pool).await)
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, sqlx::Error> {
        let sql = "SELECT id, email, name, password_hash, created_at FROM users WHERE id = $1";
        with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)
    }

    /// Deletes the account; its tasks go with it (ON DELETE CASCADE).
    pub async fn delete_user(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        let sql = "DELETE FROM users WHERE id = $1";
        let _turn = self.write_turn().await;
        let deleted = with_pool!(self, pool => sqlx::query(sql).bind(id).execute(pool).await?.rows_affected());
        Ok(deleted > 0)
    }
}
