//! OAuth rows: registered clients, one-time authorization codes and
//! rotating refresh tokens (see the migration for the model). Codes and
//! refresh tokens are stored as their SHA-256; a grant is a session of
//! kind `connected_app`, so listing and revoking it is the sessions' code.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;
use todo_api::oauth::OAuthClient;
use uuid::Uuid;

use super::sessions::NewSession;
use super::{BeginWrite as _, Store, StoreError, now, owner_gone_or, with_connection};

/// Inserts a refresh token's hash inside the transaction `$tx` (a macro:
/// the body of [`with_connection!`] is compiled once per database).
macro_rules! insert_refresh {
    ($tx:expr, $hash:expr, $session:expr, $client:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO oauth_refresh_tokens (token_hash, session_id, client_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind($hash)
        .bind($session)
        .bind($client)
        .bind($at)
        .execute(&mut *$tx)
        .await
    };
}

/// A client nobody connected within this long after registering is
/// pruned (clients register themselves, anonymously).
const KEEP_UNUSED_CLIENTS_FOR: Duration = Duration::days(1);

#[derive(Debug, FromRow)]
struct ClientRow {
    id: String,
    name: String,
    redirect_uris: String,
}

impl From<ClientRow> for OAuthClient {
    fn from(row: ClientRow) -> Self {
        OAuthClient {
            client_id: row.id,
            client_name: row.name,
            redirect_uris: row.redirect_uris.lines().map(str::to_owned).collect(),
        }
    }
}

/// What a code is issued for: written with its hash, read back once when
/// it is redeemed.
#[derive(Debug, Clone, FromRow)]
pub struct IssuedCode {
    pub client_id: String,
    pub user_id: Uuid,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

/// How redeeming a code went.
#[derive(Debug)]
pub enum Redemption {
    /// The grant: its session was opened with `refresh_hash` as its first
    /// refresh token.
    Granted(IssuedCode),
    /// Checked and refused by the caller's rule: the code is spent anyway.
    Refused(IssuedCode),
    /// Never issued, or already used (then the grant it gave, if any, is
    /// revoked: `revoked` names it).
    Unknown { revoked: Option<Uuid> },
}

/// How rotating a refresh token went.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The new token replaces the old one; the grant lives on.
    Rotated {
        session_id: Uuid,
        user_id: Uuid,
        scope: String,
    },
    /// The token was used before: a copy is in someone else's hands, so
    /// the whole grant is revoked.
    Reused { session_id: Uuid },
    /// Unknown, for another client, or its grant ended.
    Invalid,
}

impl Store {
    /// Registers a client.
    pub async fn insert_oauth_client(&self, client: &OAuthClient) -> Result<(), StoreError> {
        let client = client.clone();
        self.write(move |store| async move {
            let sql = "INSERT INTO oauth_clients (id, name, redirect_uris, created_at) \
                       VALUES ($1, $2, $3, $4)";
            Ok(with_connection!(write store, conn => sqlx::query(sql)
                .bind(&client.client_id)
                .bind(&client.client_name)
                .bind(client.redirect_uris.join("\n"))
                .bind(now())
                .execute(conn)
                .await
                .map(|_| ()))?)
        })
        .await
    }

    pub async fn oauth_client(&self, id: &str) -> Result<Option<OAuthClient>, sqlx::Error> {
        let sql = "SELECT id, name, redirect_uris FROM oauth_clients WHERE id = $1";
        let row: Option<ClientRow> = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?;
        Ok(row.map(OAuthClient::from))
    }

    /// Issues the code whose SHA-256 is `code_hash`;
    /// [`StoreError::OwnerGone`] when the account is not there (any more).
    pub async fn insert_oauth_code(
        &self,
        code_hash: Vec<u8>,
        code: &IssuedCode,
    ) -> Result<(), StoreError> {
        let code = code.clone();
        self.write(move |store| async move {
            let sql = "INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, \
                       code_challenge, scope, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
            with_connection!(write store, conn => sqlx::query(sql)
                .bind(&code_hash)
                .bind(&code.client_id)
                .bind(code.user_id)
                .bind(&code.redirect_uri)
                .bind(&code.code_challenge)
                .bind(&code.scope)
                .bind(code.expires_at)
                .execute(conn)
                .await
                .map(|_| ()))
            .map_err(owner_gone_or)
        })
        .await
    }

    /// Redeems a code, in one transaction: the code is spent whatever
    /// happens; if `accept` passes what it was issued for (client,
    /// redirect URI, PKCE verifier, expiry), `session` is opened with
    /// `refresh_hash` as its first refresh token. A code that comes back
    /// revokes the grant it gave.
    pub async fn redeem_oauth_code(
        &self,
        code_hash: Vec<u8>,
        accept: impl Fn(&IssuedCode) -> bool + Send + Sync + 'static,
        session: impl Fn(&IssuedCode) -> NewSession + Send + Sync + 'static,
        refresh_hash: Vec<u8>,
    ) -> Result<Redemption, StoreError> {
        self.write(move |store| async move {
            let at = now();
            let (accept, session) = (&accept, &session);
            let redemption = with_connection!(write store, conn => {
                let mut tx = conn.begin_write().await?;
                let issued: Option<IssuedCode> = sqlx::query_as(
                    "UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
                     RETURNING client_id, user_id, redirect_uri, code_challenge, scope, expires_at",
                )
                .bind(at)
                .bind(&code_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(issued) = issued else {
                    let revoked: Option<Uuid> = sqlx::query_scalar(
                        "UPDATE sessions SET revoked_at = $1 WHERE revoked_at IS NULL AND id = \
                         (SELECT session_id FROM oauth_codes WHERE code_hash = $2) RETURNING id",
                    )
                    .bind(at)
                    .bind(&code_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok::<_, sqlx::Error>(Redemption::Unknown { revoked });
                };
                if !accept(&issued) {
                    tx.commit().await?;
                    return Ok(Redemption::Refused(issued));
                }
                let session = session(&issued);
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, kind, name, scope, created_at, \
                     last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
                )
                .bind(session.id)
                .bind(session.user_id)
                .bind(session.kind.as_str())
                .bind(&session.name)
                .bind(&session.scope)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE oauth_codes SET session_id = $1 WHERE code_hash = $2")
                    .bind(session.id)
                    .bind(&code_hash)
                    .execute(&mut *tx)
                    .await?;
                insert_refresh!(tx, &refresh_hash, session.id, &issued.client_id, at)?;
                tx.commit().await?;
                Ok(Redemption::Granted(issued))
            })
            .map_err(owner_gone_or)?;
            Ok(redemption)
        })
        .await
    }

    /// Replaces refresh token `old_hash` of `client_id` by `new_hash`, in
    /// one transaction, and extends the grant to `expires_at`.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: Vec<u8>,
        new_hash: Vec<u8>,
        client_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<Rotation, StoreError> {
        self.write(move |store| async move {
            let at = now();
            let rotation = with_connection!(write store, conn => {
                let mut tx = conn.begin_write().await?;
                let found: Option<(Uuid, String, Option<DateTime<Utc>>)> = sqlx::query_as(
                    "SELECT session_id, client_id, used_at FROM oauth_refresh_tokens \
                     WHERE token_hash = $1",
                )
                .bind(&old_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((session_id, owner_client, used_at)) = found else {
                    return Ok::<_, sqlx::Error>(Rotation::Invalid);
                };
                if used_at.is_some() {
                    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                        .bind(at)
                        .bind(session_id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    return Ok(Rotation::Reused { session_id });
                }
                if owner_client != client_id {
                    return Ok(Rotation::Invalid);
                }
                let live: Option<(Uuid, String)> = sqlx::query_as(
                    "UPDATE sessions SET expires_at = $1, last_used_at = $2 WHERE id = $3 \
                     AND revoked_at IS NULL AND expires_at > $2 RETURNING user_id, scope",
                )
                .bind(expires_at)
                .bind(at)
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((user_id, scope)) = live else {
                    return Ok(Rotation::Invalid);
                };
                sqlx::query("UPDATE oauth_refresh_tokens SET used_at = $1 WHERE token_hash = $2")
                    .bind(at)
                    .bind(&old_hash)
                    .execute(&mut *tx)
                    .await?;
                insert_refresh!(tx, &new_hash, session_id, &client_id, at)?;
                tx.commit().await?;
                Ok(Rotation::Rotated {
                    session_id,
                    user_id,
                    scope,
                })
            })?;
            Ok(rotation)
        })
        .await
    }

    /// Deletes spent and expired codes, and clients that registered a
    /// while ago and were never connected. Returns how many rows.
    pub async fn prune_oauth(&self) -> Result<u64, StoreError> {
        self.write(move |store| async move {
            let at = now();
            let pruned = with_connection!(write store, conn => {
                let codes = sqlx::query("DELETE FROM oauth_codes WHERE expires_at < $1")
                    .bind(at)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                let clients = sqlx::query(
                    "DELETE FROM oauth_clients WHERE created_at < $1 AND id NOT IN \
                     (SELECT client_id FROM oauth_refresh_tokens) AND id NOT IN \
                     (SELECT client_id FROM oauth_codes)",
                )
                .bind(at - KEEP_UNUSED_CLIENTS_FOR)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok::<_, sqlx::Error>(codes + clients)
            })?;
            Ok(pruned)
        })
        .await
    }
}
