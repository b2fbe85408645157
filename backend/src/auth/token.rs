//! Login tokens: HS256 JWTs that name their session, issued by this
//! backend (`iss`) for this API (`aud`). Verification also accepts the
//! previous secret (`JWT_SECRET_PREVIOUS`), so an operator can rotate the
//! secret without logging everyone out: tokens signed with the old one
//! keep working until they expire, new ones are signed with the new one.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who issues login tokens.
pub const ISSUER: &str = "todo-backend";
/// Whom login tokens are for.
pub const AUDIENCE: &str = "todo-api";

/// HS256 signing with the current secret; verification with it or the
/// previous one.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: Vec<DecodingKey>,
    validation: Validation,
    ttl: Duration,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .field("verifying_secrets", &self.decoding.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    /// The session the token belongs to.
    sid: Uuid,
    iss: String,
    aud: String,
    iat: u64,
    exp: u64,
}

/// What verification reads back: `iss` and `aud` are checked by
/// jsonwebtoken itself, so they are not copied out.
#[derive(Debug, Deserialize)]
struct VerifiedClaims {
    sub: Uuid,
    sid: Uuid,
    exp: u64,
}

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// When it expires, in seconds since the Unix epoch.
    pub expires_at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

impl TokenKeys {
    /// `previous`: the secret before the last rotation, still accepted.
    pub fn new(secret: &[u8], previous: Option<&[u8]>, ttl: Duration) -> Self {
        Self::for_audience(secret, previous, ttl, ISSUER, AUDIENCE)
    }

    /// Keys for tokens `issuer` makes for `audience` alone: an OAuth
    /// access token names the authorization server and the resource (the
    /// URL of `/mcp`), so a login's keys refuse it and it refuses them.
    pub fn for_audience(
        secret: &[u8],
        previous: Option<&[u8]>,
        ttl: Duration,
        issuer: &str,
        audience: &str,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat", "iss", "aud"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        let mut decoding = vec![DecodingKey::from_secret(secret)];
        decoding.extend(previous.map(DecodingKey::from_secret));
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding,
            validation,
            ttl,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// How long a login lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for `session` of `user`, valid for the configured time.
    pub fn issue(&self, user: Uuid, session: Uuid) -> String {
        let iat = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user,
            sid: session,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat,
            exp: iat + self.ttl.as_secs(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The user and session the token was issued for. Expiry is told
    /// apart only for a token whose signature holds.
    pub fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        let mut outcome = Err(TokenError::Invalid);
        for key in &self.decoding {
            match decode::<VerifiedClaims>(token, key, &self.validation) {
                Ok(data) => {
                    return Ok(Verified {
                        user_id: data.claims.sub,
                        session_id: data.claims.sid,
                        expires_at: data.claims.exp,
                    });
                }
                Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                    outcome = Err(TokenError::Expired);
                }
                Err(_) => {}
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &[u8]) -> TokenKeys {
        TokenKeys::new(secret, None, Duration::from_secs(60))
    }

    #[test]
    fn a_token_verifies_only_with_its_own_secret() {
        let keys = keys(b"first secret");
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = keys.issue(user, session);
        let verified = keys.verify(&token).unwrap();
        assert_eq!((verified.user_id, verified.session_id), (user, session));
        let lifetime = verified.expires_at - jsonwebtoken::get_current_timestamp();
        assert!((59..=60).contains(&lifetime), "{lifetime}");
        assert_eq!(
            self::keys(b"second secret").verify(&token),
            Err(TokenError::Invalid)
        );
        assert_eq!(keys.verify("not.a.token"), Err(TokenError::Invalid));
    }

    #[test]
    fn the_previous_secret_still_verifies_but_no_longer_signs() {
        let old = keys(b"old secret");
        let rotated = TokenKeys::new(b"new secret", Some(b"old secret"), Duration::from_secs(60));
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let from_before = old.issue(user, session);
        assert_eq!(rotated.verify(&from_before).unwrap().user_id, user);
        let from_now = rotated.issue(user, session);
        assert_eq!(old.verify(&from_now), Err(TokenError::Invalid));
        assert_eq!(keys(b"new secret").verify(&from_now).unwrap().user_id, user);
    }

    #[test]
    fn an_expired_token_is_told_apart() {
        let keys = keys(b"secret");
        let past = jsonwebtoken::get_current_timestamp() - 3600;
        let claims = Claims {
            sub: Uuid::new_v4(),
            sid: Uuid::new_v4(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: past - 60,
            exp: past,
        };
        let token = encode(&Header::default(), &claims, &keys.encoding).unwrap();
        assert_eq!(keys.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn tokens_for_another_audience_are_refused_both_ways() {
        let login = keys(b"secret");
        let access = TokenKeys::for_audience(
            b"secret",
            None,
            Duration::from_secs(60),
            "https://todo.example",
            "https://todo.example/mcp",
        );
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let for_mcp = access.issue(user, session);
        assert_eq!(access.verify(&for_mcp).unwrap().session_id, session);
        assert_eq!(login.verify(&for_mcp), Err(TokenError::Invalid));
        assert_eq!(
            access.verify(&login.issue(user, session)),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn another_issuer_or_audience_is_refused() {
        let keys = keys(b"secret");
        let now = jsonwebtoken::get_current_timestamp();
        for (iss, aud) in [("someone-else", AUDIENCE), (ISSUER, "another-api")] {
            let claims = Claims {
                sub: Uuid::new_v4(),
                sid: Uuid::new_v4(),
                iss: iss.into(),
                aud: aud.into(),
                iat: now,
                exp: now + 60,
            };
            let token = encode(&Header::default(), &claims, &keys.encoding).unwrap();
            assert_eq!(keys.verify(&token), Err(TokenError::Invalid), "{iss} {aud}");
        }
    }
}
