//! Session rows: one per credential of an account (a login, a personal
//! access token). The auth layer checks them ([`Store::session`],
//! [`Store::session_by_token_hash`]); the account routes list and revoke
//! them. A revoked session keeps its row (it is listed no more) until the
//! housekeeping prunes it.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;
use todo_api::SessionKind;
use uuid::Uuid;

use super::{Store, StoreError, now, owner_gone_or, with_connection};
use crate::domain::Scopes;

/// How long an ended (revoked or expired) session's row is kept before it
/// is pruned: long enough to tell "revoked" from "unknown" in the logs.
const KEEP_ENDED_FOR: Duration = Duration::days(7);

/// A session as it is opened.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: SessionKind,
    pub name: Option<String>,
    pub scope: String,
    /// A personal access token's SHA-256; `None` for a login.
    pub token_hash: Option<Vec<u8>>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a credential check needs of its session: plain values (`Copy`),
/// so a remembered one is handed out without an allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionGrant {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: SessionKind,
    pub scopes: Scopes,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
    pub last_used_at: DateTime<Utc>,
}

#[derive(Debug, FromRow)]
struct GrantRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    scope: String,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: DateTime<Utc>,
}

impl TryFrom<GrantRow> for SessionGrant {
    type Error = sqlx::Error;

    fn try_from(row: GrantRow) -> Result<Self, sqlx::Error> {
        Ok(SessionGrant {
            id: row.id,
            user_id: row.user_id,
            kind: parse_kind(&row.kind)?,
            scopes: Scopes::parse(&row.scope),
            expires_at: row.expires_at,
            revoked: row.revoked_at.is_some(),
            last_used_at: row.last_used_at,
        })
    }
}

/// A session as the account page lists it.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub kind: String,
    pub name: Option<String>,
    pub scope: String,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl SessionRow {
    /// The wire form; `current` is the session the request came with.
    pub fn into_session(self, current: Uuid) -> Result<todo_api::Session, sqlx::Error> {
        Ok(todo_api::Session {
            current: self.id == current,
            id: self.id,
            kind: parse_kind(&self.kind)?,
            name: self.name,
            scope: self.scope,
            user_agent: self.user_agent,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            expires_at: self.expires_at,
        })
    }
}

fn parse_kind(stored: &str) -> Result<SessionKind, sqlx::Error> {
    stored.parse().map_err(|_| {
        sqlx::Error::Decode(format!("unknown session kind {stored:?} in the sessions table").into())
    })
}

/// What [`GrantRow`] reads, as a macro for `concat!`.
macro_rules! grant_columns {
    () => {
        "id, user_id, kind, scope, expires_at, revoked_at, last_used_at"
    };
}

impl Store {
    /// Opens a session; [`StoreError::OwnerGone`] when the account is not
    /// there (any more).
    pub async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError> {
        let session = session.clone();
        self.write(move |store| async move {
            let sql = "INSERT INTO sessions (id, user_id, kind, name, scope, token_hash, \
                       user_agent, created_at, last_used_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)";
            with_connection!(write store, conn => sqlx::query(sql)
                .bind(session.id)
                .bind(session.user_id)
                .bind(session.kind.as_str())
                .bind(&session.name)
                .bind(&session.scope)
                .bind(&session.token_hash)
                .bind(&session.user_agent)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(conn)
                .await
                .map(|_| ()))
            .map_err(owner_gone_or)
        })
        .await
    }

    /// The session `id`, revoked or not; `None` when there is none (never
    /// opened, pruned, or its account deleted).
    pub async fn session(&self, id: Uuid) -> Result<Option<SessionGrant>, sqlx::Error> {
        let sql = concat!("SELECT ", grant_columns!(), " FROM sessions WHERE id = $1");
        let row: Option<GrantRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?;
        row.map(SessionGrant::try_from).transpose()
    }

    /// The personal access token whose SHA-256 is `hash`.
    pub async fn session_by_token_hash(
        &self,
        hash: &[u8],
    ) -> Result<Option<SessionGrant>, sqlx::Error> {
        let sql = concat!(
            "SELECT ",
            grant_columns!(),
            " FROM sessions WHERE token_hash = $1"
        );
        let row: Option<GrantRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(hash)
            .fetch_optional(conn)
            .await)?;
        row.map(SessionGrant::try_from).transpose()
    }

    /// Records that the session was used at `at`.
    pub async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(move |store| async move {
            let sql = "UPDATE sessions SET last_used_at = $1 WHERE id = $2";
            Ok(with_connection!(write store, conn => sqlx::query(sql)
                .bind(at)
                .bind(id)
                .execute(conn)
                .await
                .map(|_| ()))?)
        })
        .await
    }

    /// The owner's sessions of `kind` that are neither revoked nor
    /// expired, newest first, at most `limit`.
    pub async fn sessions_of(
        &self,
        owner: Uuid,
        kind: SessionKind,
        limit: u32,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let sql = "SELECT id, kind, name, scope, user_agent, created_at, last_used_at, expires_at \
                   FROM sessions WHERE user_id = $1 AND kind = $2 AND revoked_at IS NULL \
                   AND expires_at > $3 ORDER BY created_at DESC, id DESC LIMIT $4";
        let rows: Vec<SessionRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(owner)
            .bind(kind.as_str())
            .bind(now())
            .bind(i64::from(limit))
            .fetch_all(conn)
            .await)?;
        if rows.is_empty() {
            self.unless_owner_gone(owner, rows).await
        } else {
            Ok(rows)
        }
    }

    /// How many of the owner's sessions of `kind` are live.
    pub async fn live_sessions(&self, owner: Uuid, kind: SessionKind) -> Result<u64, StoreError> {
        let sql = "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND kind = $2 \
                   AND revoked_at IS NULL AND expires_at > $3";
        let count: i64 = with_connection!(self, conn => sqlx::query_scalar(sql)
            .bind(owner)
            .bind(kind.as_str())
            .bind(now())
            .fetch_one(conn)
            .await)?;
        Ok(count.max(0) as u64)
    }

    /// Revokes the owner's live session `id` of `kind`; `false` when there
    /// is none.
    pub async fn revoke_session(
        &self,
        owner: Uuid,
        id: Uuid,
        kind: SessionKind,
    ) -> Result<bool, StoreError> {
        let revoked = self
            .write_for_owner(
                owner,
                move |store| async move {
                    let sql = "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
                               AND kind = $4 AND revoked_at IS NULL";
                    Ok(with_connection!(write store, conn => sqlx::query(sql)
                        .bind(now())
                        .bind(id)
                        .bind(owner)
                        .bind(kind.as_str())
                        .execute(conn)
                        .await
                        .map(|done| done.rows_affected()))?)
                },
                |revoked| *revoked > 0,
            )
            .await?;
        Ok(revoked > 0)
    }

    /// Revokes the owner's live sessions but `keep`: of `kind` only, or of
    /// every kind. Returns their ids.
    pub async fn revoke_sessions_except(
        &self,
        owner: Uuid,
        keep: Uuid,
        kind: Option<SessionKind>,
    ) -> Result<Vec<Uuid>, StoreError> {
        self.write_for_owner(
            owner,
            move |store| async move {
                let kinds: Vec<&str> = match kind {
                    Some(kind) => vec![kind.as_str()],
                    None => SessionKind::ALL.iter().map(|k| k.as_str()).collect(),
                };
                let mut revoked = Vec::new();
                for kind in kinds {
                    let sql = "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 \
                               AND kind = $4 AND revoked_at IS NULL RETURNING id";
                    let ids: Vec<Uuid> = with_connection!(write store, conn => sqlx::query_scalar(sql)
                        .bind(now())
                        .bind(owner)
                        .bind(keep)
                        .bind(kind)
                        .fetch_all(conn)
                        .await)?;
                    revoked.extend(ids);
                }
                Ok(revoked)
            },
            |revoked| !revoked.is_empty(),
        )
        .await
    }

    /// Sets the owner's password hash and revokes every other session,
    /// in one transaction. Returns the revoked sessions' ids.
    pub async fn change_password(
        &self,
        owner: Uuid,
        password_hash: String,
        keep: Uuid,
    ) -> Result<Vec<Uuid>, StoreError> {
        use super::BeginWrite as _;
        self.write_for_owner(
            owner,
            move |store| async move {
                let at = now();
                let changed = with_connection!(write store, conn => {
                    let mut tx = conn.begin_write().await?;
                    let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(&password_hash)
                        .bind(owner)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if updated == 0 {
                        return Ok::<_, sqlx::Error>(None);
                    }
                    let revoked: Vec<Uuid> = sqlx::query_scalar(
                        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 \
                         AND revoked_at IS NULL RETURNING id",
                    )
                    .bind(at)
                    .bind(owner)
                    .bind(keep)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(Some(revoked))
                })?;
                Ok(changed)
            },
            Option::is_some,
        )
        .await?
        .ok_or(StoreError::OwnerGone)
    }

    /// Deletes the rows of sessions that ended (were revoked or expired)
    /// over a week ago. Returns how many.
    pub async fn prune_sessions(&self) -> Result<u64, StoreError> {
        self.write(move |store| async move {
            let before = now() - KEEP_ENDED_FOR;
            let sql = "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1";
            Ok(with_connection!(write store, conn => sqlx::query(sql)
                .bind(before)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?)
        })
        .await
    }
}
