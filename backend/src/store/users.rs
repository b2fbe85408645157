//! Account rows: sign-up, lookup by email or id, profile changes, deletion.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Store, StoreError, is_unique_violation, with_connection};
use crate::domain::ProfileChange;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl From<UserRecord> for todo_api::User {
    fn from(record: UserRecord) -> Self {
        Self {
            id: record.id,
            email: record.email,
            name: record.name,
            time_zone: record.time_zone,
            created_at: record.created_at,
        }
    }
}

impl Store {
    /// [`StoreError::EmailTaken`] when the (lower-cased) email is in use.
    pub async fn insert_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let user = user.clone();
        self.write(move |store| async move {
            let sql = "INSERT INTO users (id, email, name, password_hash, time_zone, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
            let result = with_connection!(write store, conn => sqlx::query(sql)
                .bind(user.id)
                .bind(&user.email)
                .bind(&user.name)
                .bind(&user.password_hash)
                .bind(&user.time_zone)
                .bind(user.created_at)
                .execute(conn)
                .await
                .map(|_| ()));
            match result {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => Err(StoreError::EmailTaken),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// `email` must already be normalised (lower-cased).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
        let sql = "SELECT id, email, name, password_hash, time_zone, created_at FROM users WHERE email = $1";
        with_connection!(self, conn => sqlx::query_as(sql).bind(email).fetch_optional(conn).await)
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, sqlx::Error> {
        let sql =
            "SELECT id, email, name, password_hash, time_zone, created_at FROM users WHERE id = $1";
        with_connection!(self, conn => sqlx::query_as(sql).bind(id).fetch_optional(conn).await)
    }

    /// Applies a profile change in one statement; the account as it is
    /// now, or [`StoreError::OwnerGone`].
    pub async fn change_profile(
        &self,
        id: Uuid,
        change: &ProfileChange,
    ) -> Result<UserRecord, StoreError> {
        let name = change.name.as_ref().map(|n| n.as_str().to_owned());
        let time_zone = change.time_zone.as_ref().map(|z| z.as_str().to_owned());
        let record = self
            .write(move |store| async move {
                let sql = "UPDATE users SET name = COALESCE($2, name), \
                           time_zone = COALESCE($3, time_zone) WHERE id = $1 \
                           RETURNING id, email, name, password_hash, time_zone, created_at";
                Ok(
                    with_connection!(write store, conn => sqlx::query_as::<_, UserRecord>(sql)
                    .bind(id)
                    .bind(name.clone())
                    .bind(time_zone.clone())
                    .fetch_optional(conn)
                    .await)?,
                )
            })
            .await?;
        record.ok_or(StoreError::OwnerGone)
    }

    /// Deletes the account; its tasks go with it (ON DELETE CASCADE).
    /// [`StoreError::OwnerGone`] when there is no such account.
    pub async fn delete_user(&self, id: Uuid) -> Result<(), StoreError> {
        let sql = "DELETE FROM users WHERE id = $1";
        self.write_for_owner(
            id,
            move |store| async move {
                Ok(with_connection!(write store, conn => sqlx::query(sql)
                    .bind(id)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?)
            },
            |deleted| *deleted > 0,
        )
        .await?;
        Ok(())
    }
}
