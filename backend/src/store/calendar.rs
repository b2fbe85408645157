//! Calendar feeds: each account's one secret feed address (kept as its
//! SHA-256 only), and what the feed lists.

use chrono::{DateTime, Utc};
use todo_api::Task;
use uuid::Uuid;

use super::tasks::TaskColumns;
use super::{Store, StoreError, with_connection};

/// Whose feed a secret opens: the account's name and time zone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedOwner {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
}

impl Store {
    /// Replaces the account's feed secret (the old address stops working
    /// in the same statement); [`StoreError::OwnerGone`] without one.
    pub async fn set_calendar_feed(
        &self,
        owner: Uuid,
        secret_hash: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE users SET calendar_feed_hash = $2, calendar_feed_created_at = $3 \
                   WHERE id = $1";
        self.write_for_owner(
            owner,
            move |store| async move {
                Ok(with_connection!(write store, conn => sqlx::query(sql)
                    .bind(owner)
                    .bind(secret_hash.clone())
                    .bind(at)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?)
            },
            |updated| *updated > 0,
        )
        .await?;
        Ok(())
    }

    /// When the account's feed address was made; `None` without one.
    pub async fn calendar_feed(&self, owner: Uuid) -> Result<Option<DateTime<Utc>>, StoreError> {
        let sql = "SELECT calendar_feed_created_at FROM users WHERE id = $1";
        let row: Option<Option<DateTime<Utc>>> = with_connection!(self, conn =>
            sqlx::query_scalar(sql).bind(owner).fetch_optional(conn).await)?;
        row.ok_or(StoreError::OwnerGone)
    }

    /// Revokes the account's feed address; `false` when it had none.
    pub async fn revoke_calendar_feed(&self, owner: Uuid) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET calendar_feed_hash = NULL, calendar_feed_created_at = NULL \
                   WHERE id = $1 AND calendar_feed_hash IS NOT NULL";
        let revoked = self
            .write(move |store| async move {
                Ok(with_connection!(write store, conn => sqlx::query(sql)
                    .bind(owner)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?)
            })
            .await?;
        if revoked == 0 {
            self.unless_owner_gone(owner, false).await
        } else {
            Ok(true)
        }
    }

    /// The account a feed secret's hash opens, if any.
    pub async fn calendar_feed_owner(
        &self,
        secret_hash: &[u8],
    ) -> Result<Option<FeedOwner>, StoreError> {
        let sql = "SELECT id, name, time_zone FROM users WHERE calendar_feed_hash = $1";
        Ok(with_connection!(self, conn =>
            sqlx::query_as(sql).bind(secret_hash).fetch_optional(conn).await)?)
    }

    /// What a feed lists: the owner's open tasks with a due date, soonest
    /// first, at most `limit`.
    pub async fn calendar_tasks(&self, owner: Uuid, limit: u32) -> Result<Vec<Task>, StoreError> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE owner_id = $1 AND completed = $2 AND due_date IS NOT NULL \
             ORDER BY due_date, id LIMIT $3"
        );
        let rows = with_connection!(self, conn => sqlx::query(sql)
            .bind(owner)
            .bind(false)
            .bind(i64::from(limit))
            .fetch_all(conn)
            .await
            .and_then(|rows| rows.iter().map(TaskColumns::task).collect::<Result<Vec<_>, _>>()))?;
        Ok(rows)
    }
}
