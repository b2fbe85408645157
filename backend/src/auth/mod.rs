//! Accounts: password hashing, tokens, the authenticated-caller extractor
//! and the login rate limiter.

mod caller;
mod password;
mod rate_limit;
mod token;

pub use caller::{Caller, client_ip};
pub use password::{hash_password, verify_password};
pub use rate_limit::{LoginLimiter, LoginLimits};
pub use token::{TokenError, TokenKeys};
