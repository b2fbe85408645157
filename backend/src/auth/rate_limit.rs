//! The login rate limiter: per email and per client address (governor).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Login attempts allowed per minute, per account and per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub per_email_per_minute: NonZeroU32,
    pub per_client_per_minute: NonZeroU32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_email_per_minute: NonZeroU32::new(5).expect("non-zero"),
            per_client_per_minute: NonZeroU32::new(30).expect("non-zero"),
        }
    }
}

/// Two GCRA limiters (governor): one slows guessing one account's
/// password, the other one client spraying many accounts.
#[derive(Debug)]
pub struct LoginLimiter {
    per_email: DefaultKeyedRateLimiter<String>,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            per_email: RateLimiter::keyed(Quota::per_minute(limits.per_email_per_minute)),
            per_client: RateLimiter::keyed(Quota::per_minute(limits.per_client_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(wait)` when either budget is spent.
    pub fn check(&self, email: &str, client: IpAddr) -> Result<(), Duration> {
        let now = self.clock.now();
        self.per_client
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(now))?;
        self.per_email
            .check_key(&email.to_owned())
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Forgets keys whose budget has fully recovered, bounding memory.
    pub fn forget_idle(&self) {
        self.per_email.retain_recent();
        self.per_client.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(email: u32, client: u32) -> LoginLimits {
        LoginLimits {
            per_email_per_minute: NonZeroU32::new(email).unwrap(),
            per_client_per_minute: NonZeroU32::new(client).unwrap(),
        }
    }

    #[test]
    fn one_account_is_limited_independently_of_others() {
        let limiter = LoginLimiter::new(limits(2, 100));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(limiter.check("a@x.io", ip).is_ok());
        assert!(limiter.check("a@x.io", ip).is_ok());
        let wait = limiter.check("a@x.io", ip).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(limiter.check("b@x.io", ip).is_ok());
    }

    #[test]
    fn one_client_is_limited_across_accounts() {
        let limiter = LoginLimiter::new(limits(100, 3));
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..3 {
            assert!(limiter.check(&format!("u{i}@x.io"), ip).is_ok());
        }
        assert!(limiter.check("u9@x.io", ip).is_err());
        assert!(
            limiter
                .check("u9@x.io", "10.0.0.3".parse().unwrap())
                .is_ok()
        );
    }
}
