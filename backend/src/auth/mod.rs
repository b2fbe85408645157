//! Accounts: password hashing (bounded), login tokens, personal access
//! tokens, the credential check with its sessions, the authenticated
//! caller extractors, and the login and signup limits.

mod caller;
mod credentials;
mod password;
pub mod personal_token;
mod rate_limit;
mod token;
mod user_budget;

pub use crate::domain::Scopes;
pub use caller::{AccountHolder, Caller, Writer, bearer, client_ip};
pub use credentials::{Authenticator, RECHECK_AFTER};
pub use password::{Busy, HASH_MEMORY_KIB, HashingLimits, PasswordError, Passwords};
pub use rate_limit::{AccountLimiter, AccountLimits, client_key};
pub use token::{AUDIENCE, ISSUER, TokenError, TokenKeys, Verified};
pub use user_budget::{UserBudgetLimits, UserBudgets};
