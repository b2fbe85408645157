//! HS256 bearer tokens: issuing and verifying, expiry told apart.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// HS256 signing and verification with one shared secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: u64,
    exp: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn issue(&self, user: Uuid) -> String {
        let iat = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user,
            iat,
            exp: iat + self.ttl.as_secs(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The user id the token was issued to.
    pub fn verify(&self, token: &str) -> Result<Uuid, TokenError> {
        match decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims.sub),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => Err(TokenError::Expired),
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_with_its_own_secret() {
        let keys = TokenKeys::new(b"first secret", Duration::from_secs(60));
        let user = Uuid::new_v4();
        let token = keys.issue(user);
        assert_eq!(keys.verify(&token), Ok(user));
        let other = TokenKeys::new(b"second secret", Duration::from_secs(60));
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));
        assert_eq!(keys.verify("not.a.token"), Err(TokenError::Invalid));
    }

    #[test]
    fn an_expired_token_is_told_apart() {
        let keys = TokenKeys::new(b"secret", Duration::from_secs(60));
        let past = jsonwebtoken::get_current_timestamp() - 3600;
        let claims = Claims {
            sub: Uuid::new_v4(),
            iat: past - 60,
            exp: past,
        };
        let token = encode(&Header::default(), &claims, &keys.encoding).unwrap();
        assert_eq!(keys.verify(&token), Err(TokenError::Expired));
    }
}
