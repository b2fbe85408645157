//! Personal access tokens: `todo_pat_` and 32 random bytes in hex. Only
//! their SHA-256 is stored: the token has 256 bits of entropy, so a fast
//! hash is as safe as a slow one (nothing to guess) and lets every request
//! find its session by one indexed lookup. The prefix lets secret scanners
//! recognise a leaked one.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// What every personal access token starts with.
pub const PREFIX: &str = "todo_pat_";

/// A new token, and the hash it is stored under.
pub fn generate() -> (String, Vec<u8>) {
    generate_with(PREFIX)
}

/// A new secret of this shape with another prefix (OAuth's refresh
/// tokens and codes), and the hash it is stored under.
pub fn generate_with(prefix: &str) -> (String, Vec<u8>) {
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let mut token = String::with_capacity(prefix.len() + 64);
    token.push_str(prefix);
    for byte in secret {
        token.push_str(&format!("{byte:02x}"));
    }
    let hash = hash(&token);
    (token, hash)
}

/// The hash a token is stored, and looked up, under.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether a bearer credential is a personal access token (rather than a
/// login's JWT).
pub fn is_personal_token(bearer: &str) -> bool {
    bearer.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_found_by_their_hash() {
        let (first, first_hash) = generate();
        let (second, _) = generate();
        assert_ne!(first, second);
        assert!(is_personal_token(&first));
        assert_eq!(first.len(), PREFIX.len() + 64);
        assert_eq!(hash(&first), first_hash);
        assert_eq!(first_hash.len(), 32);
        assert!(!is_personal_token("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    }
}
