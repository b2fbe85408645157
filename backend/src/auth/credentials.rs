//! Checking a bearer credential: a login's JWT (signature, expiry, issuer
//! and audience, then its session) or a personal access token (its
//! session, found by the token's hash). Either way the session must exist,
//! be unrevoked and unexpired.
//!
//! How revocation reaches every replica: each process remembers what it
//! last read of a session for [`RECHECK_AFTER`], then reads it again from
//! the database, which every replica shares. A session revoked here is
//! forgotten here at once ([`Authenticator::forget`]); on another replica
//! it is refused at its next check, within [`RECHECK_AFTER`] plus one
//! query. So the database is asked at most once per session per few
//! seconds, not on every request; and a login token's signature is
//! checked once, then remembered until it expires.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use uuid::Uuid;

use todo_api::SessionKind;

use super::Caller;
use super::personal_token;
use super::token::{TokenError, TokenKeys, Verified};
use crate::error::ApiError;
use crate::store::{SessionGrant, Store, now};

/// How long a session read from the database is believed before it is read
/// again: the most a revocation on another replica takes to arrive.
pub const RECHECK_AFTER: Duration = Duration::from_secs(4);

/// A session's `last_used_at` is written at most this often.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// Sessions remembered at most; beyond it, stale ones are forgotten first.
const REMEMBERED_MAX: usize = 100_000;

/// Login tokens remembered as verified at most (a token is a few hundred
/// bytes); beyond it, expired ones are forgotten first.
const VERIFIED_MAX: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Session(Uuid),
    TokenHash(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Remembered {
    /// `None`: there is no such session.
    grant: Option<SessionGrant>,
    read_at: Instant,
}

/// Checks credentials for every route and door (see the module's docs).
#[derive(Debug)]
pub struct Authenticator {
    keys: TokenKeys,
    /// OAuth access tokens' keys: their audience is `/mcp`'s URL, so only
    /// [`Authenticator::authenticate_at_mcp`] accepts them.
    access_keys: Option<TokenKeys>,
    store: Store,
    remembered: RwLock<HashMap<Key, Remembered>>,
    /// Login tokens whose signature held, with what they say: a token is
    /// sent on every request, and checking its HMAC and parsing its claims
    /// again was most of what authenticating a request cost. Only tokens
    /// that verified are kept (a forged one is never remembered), each
    /// until its own `exp`; its session is still checked every time.
    verified: RwLock<HashMap<Box<str>, Verified>>,
}

impl Authenticator {
    pub fn new(keys: TokenKeys, store: Store) -> Self {
        Self {
            keys,
            access_keys: None,
            store,
            remembered: RwLock::default(),
            verified: RwLock::default(),
        }
    }

    /// Also accepts OAuth access tokens made with `keys`, at `/mcp`.
    pub fn with_access_keys(mut self, keys: TokenKeys) -> Self {
        self.access_keys = Some(keys);
        self
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// The keys OAuth access tokens are made with.
    pub fn access_keys(&self) -> Option<&TokenKeys> {
        self.access_keys.as_ref()
    }

    /// The caller a bearer credential names, or why it is refused: a
    /// login's token or a personal access token.
    pub async fn authenticate(&self, bearer: &str) -> Result<Caller, ApiError> {
        self.check(bearer, false).await
    }

    /// As [`Authenticator::authenticate`], and also an OAuth access token
    /// (made for `/mcp` alone).
    pub async fn authenticate_at_mcp(&self, bearer: &str) -> Result<Caller, ApiError> {
        self.check(bearer, true).await
    }

    async fn check(&self, bearer: &str, at_mcp: bool) -> Result<Caller, ApiError> {
        let (grant, personal) = if personal_token::is_personal_token(bearer) {
            let key = Key::TokenHash(personal_token::hash(bearer));
            (self.grant(key).await?, true)
        } else {
            let (verified, kind) = match (self.verify(bearer), &self.access_keys) {
                (Ok(verified), _) => (verified, SessionKind::Login),
                (Err(refused), Some(access)) if at_mcp => match access.verify(bearer) {
                    Ok(verified) => (verified, SessionKind::ConnectedApp),
                    Err(TokenError::Expired) => return Err(ApiError::TokenExpired),
                    Err(TokenError::Invalid) => return Err(refused),
                },
                (Err(refused), _) => return Err(refused),
            };
            let grant = self
                .grant(Key::Session(verified.session_id))
                .await?
                .filter(|grant| grant.user_id == verified.user_id && grant.kind == kind);
            (grant, false)
        };
        let Some(grant) = grant else {
            return Err(if personal {
                ApiError::Unauthorized("no such personal access token")
            } else {
                ApiError::Unauthorized(
                    "this session has ended (its account may have been deleted); log in again",
                )
            });
        };
        if grant.revoked {
            return Err(ApiError::Unauthorized(
                "this session has been logged out or revoked; log in again",
            ));
        }
        if grant.expires_at <= now() {
            return Err(if personal {
                ApiError::PersonalTokenExpired
            } else {
                ApiError::TokenExpired
            });
        }
        Ok(Caller {
            user_id: grant.user_id,
            session_id: grant.id,
            kind: grant.kind,
            scopes: grant.scopes,
        })
    }

    /// Forgets what this process read of these sessions, so their
    /// revocation takes effect here at once.
    pub fn forget(&self, sessions: &[Uuid]) {
        let mut remembered = self.remembered.write().expect("never poisoned");
        remembered.retain(|key, entry| {
            let id = match (key, &entry.grant) {
                (Key::Session(id), _) => *id,
                (Key::TokenHash(_), Some(grant)) => grant.id,
                (Key::TokenHash(_), None) => return true,
            };
            !sessions.contains(&id)
        });
    }

    /// What a login token says: remembered, or verified now.
    fn verify(&self, token: &str) -> Result<Verified, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(known) = self.verified.read().expect("never poisoned").get(token)
            && known.expires_at > now
        {
            return Ok(*known);
        }
        let verified = self.keys.verify(token).map_err(|error| match error {
            TokenError::Expired => ApiError::TokenExpired,
            TokenError::Invalid => ApiError::Unauthorized("the token is not valid"),
        })?;
        let mut known = self.verified.write().expect("never poisoned");
        if known.len() >= VERIFIED_MAX {
            known.retain(|_, verified| verified.expires_at > now);
            if known.len() >= VERIFIED_MAX {
                known.clear();
            }
        }
        known.insert(token.into(), verified);
        Ok(verified)
    }

    /// Forgets every session of `user` (its account is deleted).
    pub fn forget_user(&self, user: Uuid) {
        let mut remembered = self.remembered.write().expect("never poisoned");
        remembered.retain(|_, entry| entry.grant.as_ref().is_none_or(|g| g.user_id != user));
    }

    /// Forgets what is stale anyway (sessions read a while ago, expired
    /// tokens), bounding memory.
    pub fn forget_stale(&self) {
        let mut remembered = self.remembered.write().expect("never poisoned");
        remembered.retain(|_, entry| entry.read_at.elapsed() < RECHECK_AFTER);
        drop(remembered);
        let now = jsonwebtoken::get_current_timestamp();
        let mut verified = self.verified.write().expect("never poisoned");
        verified.retain(|_, token| token.expires_at > now);
    }

    /// The session behind `key`: what was read of it lately, or what the
    /// database says now.
    async fn grant(&self, key: Key) -> Result<Option<SessionGrant>, ApiError> {
        if let Some(entry) = self
            .remembered
            .read()
            .expect("never poisoned")
            .get(&key)
            .filter(|entry| entry.read_at.elapsed() < RECHECK_AFTER)
        {
            return Ok(entry.grant);
        }
        let grant = match &key {
            Key::Session(id) => self.store.session(*id).await?,
            Key::TokenHash(hash) => self.store.session_by_token_hash(hash).await?,
        };
        if let Some(grant) = &grant
            && !grant.revoked
            && now() - grant.last_used_at >= TOUCH_EVERY
        {
            self.touch(grant.id);
        }
        // Unknown tokens are not remembered: anyone can make up as many
        // as they like. An unknown session id came in a signed token.
        if grant.is_some() || matches!(key, Key::Session(_)) {
            self.remember(key, grant);
        }
        Ok(grant)
    }

    fn remember(&self, key: Key, grant: Option<SessionGrant>) {
        let mut remembered = self.remembered.write().expect("never poisoned");
        if remembered.len() >= REMEMBERED_MAX {
            remembered.retain(|_, entry| entry.read_at.elapsed() < RECHECK_AFTER);
            if remembered.len() >= REMEMBERED_MAX {
                remembered.clear();
            }
        }
        let grant = grant.map(|mut grant| {
            // Written below if due; either way not due again for a while.
            if now() - grant.last_used_at >= TOUCH_EVERY {
                grant.last_used_at = now();
            }
            grant
        });
        remembered.insert(
            key,
            Remembered {
                grant,
                read_at: Instant::now(),
            },
        );
    }

    /// Records the use in the background: the request does not wait.
    fn touch(&self, session: Uuid) {
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(error) = store.touch_session(session, now()).await {
                tracing::debug!(%error, %session, "could not record a session's last use");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::DatabaseSettings;

    fn authenticator() -> Authenticator {
        let store = Store::open(&DatabaseSettings::from_url("sqlite::memory:").unwrap()).unwrap();
        let keys = TokenKeys::new(b"memo test secret", None, Duration::from_secs(60));
        Authenticator::new(keys, store)
    }

    #[tokio::test]
    async fn only_tokens_that_verify_are_remembered() {
        let authenticator = authenticator();
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = authenticator.keys().issue(user, session);
        let first = authenticator.verify(&token).unwrap();
        assert_eq!((first.user_id, first.session_id), (user, session));
        assert_eq!(authenticator.verified.read().unwrap().len(), 1);
        assert_eq!(
            authenticator.verify(&token).unwrap(),
            first,
            "served from memory"
        );

        let forged =
            TokenKeys::new(b"another secret", None, Duration::from_secs(60)).issue(user, session);
        assert!(authenticator.verify(&forged).is_err());
        let tampered = format!("{token}x");
        assert!(authenticator.verify(&tampered).is_err());
        assert_eq!(
            authenticator.verified.read().unwrap().len(),
            1,
            "a token that failed is never remembered"
        );
    }

    #[tokio::test]
    async fn a_remembered_token_is_served_only_until_it_expires() {
        let authenticator = authenticator();
        let token = authenticator.keys().issue(Uuid::new_v4(), Uuid::new_v4());
        let mut verified = authenticator.verify(&token).unwrap();
        // Its expiry passes: what is remembered no longer answers, and the
        // token itself is checked (and refused) again.
        verified.expires_at = jsonwebtoken::get_current_timestamp();
        authenticator
            .verified
            .write()
            .unwrap()
            .insert(token.as_str().into(), verified);
        let stale = Verified {
            expires_at: 0,
            ..verified
        };
        authenticator
            .verified
            .write()
            .unwrap()
            .insert("not.a.token".into(), stale);
        assert!(authenticator.verify("not.a.token").is_err());
        authenticator.forget_stale();
        assert!(
            !authenticator
                .verified
                .read()
                .unwrap()
                .contains_key("not.a.token")
        );
    }
}
