//! Throttling of logins, signups, OAuth requests and calendar feed
//! fetches (governor's GCRA: budgets refill continuously).
//!
//! Logins are limited per client address across accounts (spraying), per
//! account from one client (guessing), and per account across clients,
//! more loosely: a stranger spends only their own budget for an account,
//! so locking its owner out takes many addresses. Signups are limited per
//! client and per email (each answer says whether an email has an
//! account). IPv6 clients are keyed by their /64, which one host usually
//! has whole.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The budgets; `docs/configuration.md` names their variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimits {
    pub login_per_email_and_client_per_minute: NonZeroU32,
    pub login_per_client_per_minute: NonZeroU32,
    pub login_per_email_per_minute: NonZeroU32,
    pub signup_per_client_per_hour: NonZeroU32,
    pub signup_per_email_per_hour: NonZeroU32,
    /// OAuth requests (codes asked for, token exchanges, client lookups)
    /// per client address.
    pub oauth_per_client_per_minute: NonZeroU32,
    /// Calendar feed fetches per client address: calendar apps poll
    /// hourly, but one service (Google's) fetches for many users.
    pub calendar_feed_per_client_per_minute: NonZeroU32,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("a non-zero constant")
}

impl Default for AccountLimits {
    fn default() -> Self {
        Self {
            login_per_email_and_client_per_minute: nonzero(5),
            login_per_client_per_minute: nonzero(30),
            login_per_email_per_minute: nonzero(60),
            signup_per_client_per_hour: nonzero(20),
            signup_per_email_per_hour: nonzero(5),
            oauth_per_client_per_minute: nonzero(60),
            calendar_feed_per_client_per_minute: nonzero(120),
        }
    }
}

/// The address a limit is keyed by: the client's, or its /64 for IPv6
/// (an IPv4 address mapped into IPv6 counts as that IPv4 address).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

#[derive(Debug)]
pub struct AccountLimiter {
    login_email_client: DefaultKeyedRateLimiter<(String, IpAddr)>,
    login_client: DefaultKeyedRateLimiter<IpAddr>,
    login_email: DefaultKeyedRateLimiter<String>,
    signup_client: DefaultKeyedRateLimiter<IpAddr>,
    signup_email: DefaultKeyedRateLimiter<String>,
    /// OAuth client registrations per address: anonymous, like signups,
    /// and held to the same budget.
    registration_client: DefaultKeyedRateLimiter<IpAddr>,
    oauth_client: DefaultKeyedRateLimiter<IpAddr>,
    calendar_feed_client: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl AccountLimiter {
    pub fn new(limits: AccountLimits) -> Self {
        Self {
            login_email_client: RateLimiter::keyed(Quota::per_minute(
                limits.login_per_email_and_client_per_minute,
            )),
            login_client: RateLimiter::keyed(Quota::per_minute(limits.login_per_client_per_minute)),
            login_email: RateLimiter::keyed(Quota::per_minute(limits.login_per_email_per_minute)),
            signup_client: RateLimiter::keyed(Quota::per_hour(limits.signup_per_client_per_hour)),
            signup_email: RateLimiter::keyed(Quota::per_hour(limits.signup_per_email_per_hour)),
            registration_client: RateLimiter::keyed(Quota::per_hour(
                limits.signup_per_client_per_hour,
            )),
            oauth_client: RateLimiter::keyed(Quota::per_minute(limits.oauth_per_client_per_minute)),
            calendar_feed_client: RateLimiter::keyed(Quota::per_minute(
                limits.calendar_feed_per_client_per_minute,
            )),
            clock: DefaultClock::default(),
        }
    }

    /// A login attempt for `email` (normalised) from `client`; `Err(wait)`
    /// when a budget is spent.
    pub fn check_login(&self, email: &str, client: IpAddr) -> Result<(), Duration> {
        let now = self.clock.now();
        let client = client_key(client);
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(now);
        self.login_client.check_key(&client).map_err(wait)?;
        self.login_email_client
            .check_key(&(email.to_owned(), client))
            .map_err(wait)?;
        self.login_email.check_key(&email.to_owned()).map_err(wait)
    }

    /// A signup for `email` (normalised) from `client`.
    pub fn check_signup(&self, email: &str, client: IpAddr) -> Result<(), Duration> {
        let now = self.clock.now();
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(now);
        self.signup_client
            .check_key(&client_key(client))
            .map_err(wait)?;
        self.signup_email.check_key(&email.to_owned()).map_err(wait)
    }

    /// An OAuth client registration from `client`.
    pub fn check_registration(&self, client: IpAddr) -> Result<(), Duration> {
        let now = self.clock.now();
        self.registration_client
            .check_key(&client_key(client))
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// An OAuth request from `client`: a code asked for, a token
    /// exchange, a client looked up. Each reads or writes the database, and
    /// the token endpoint is anonymous.
    /// A calendar feed fetch from `client`: the address is the credential,
    /// so guesses are bounded like logins, if more loosely.
    pub fn check_calendar_feed(&self, client: IpAddr) -> Result<(), Duration> {
        let now = self.clock.now();
        self.calendar_feed_client
            .check_key(&client_key(client))
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    pub fn check_oauth(&self, client: IpAddr) -> Result<(), Duration> {
        let now = self.clock.now();
        self.oauth_client
            .check_key(&client_key(client))
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Forgets keys whose budget has fully recovered, bounding memory.
    pub fn forget_idle(&self) {
        self.registration_client.retain_recent();
        self.oauth_client.retain_recent();
        self.login_email_client.retain_recent();
        self.login_client.retain_recent();
        self.login_email.retain_recent();
        self.signup_client.retain_recent();
        self.signup_email.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(email_client: u32, client: u32, email: u32) -> AccountLimits {
        AccountLimits {
            login_per_email_and_client_per_minute: nonzero(email_client),
            login_per_client_per_minute: nonzero(client),
            login_per_email_per_minute: nonzero(email),
            ..AccountLimits::default()
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_stranger_spends_only_their_own_budget_for_an_account() {
        let limiter = AccountLimiter::new(limits(2, 100, 10));
        let stranger = ip("10.0.0.9");
        assert!(limiter.check_login("a@x.io", stranger).is_ok());
        assert!(limiter.check_login("a@x.io", stranger).is_ok());
        let wait = limiter.check_login("a@x.io", stranger).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        // The owner, from their own address, still gets in.
        assert!(limiter.check_login("a@x.io", ip("192.0.2.7")).is_ok());
    }

    #[test]
    fn many_addresses_together_meet_the_looser_account_budget() {
        let limiter = AccountLimiter::new(limits(5, 100, 4));
        for i in 1..=4 {
            assert!(
                limiter
                    .check_login("a@x.io", ip(&format!("10.0.1.{i}")))
                    .is_ok()
            );
        }
        assert!(limiter.check_login("a@x.io", ip("10.0.1.99")).is_err());
        assert!(limiter.check_login("b@x.io", ip("10.0.1.99")).is_ok());
    }

    #[test]
    fn one_client_is_limited_across_accounts() {
        let limiter = AccountLimiter::new(limits(100, 3, 100));
        let client = ip("10.0.0.2");
        for i in 0..3 {
            assert!(limiter.check_login(&format!("u{i}@x.io"), client).is_ok());
        }
        assert!(limiter.check_login("u9@x.io", client).is_err());
        assert!(limiter.check_login("u9@x.io", ip("10.0.0.3")).is_ok());
    }

    #[test]
    fn signups_are_limited_per_email_and_per_client() {
        let limiter = AccountLimiter::new(AccountLimits {
            signup_per_client_per_hour: nonzero(3),
            signup_per_email_per_hour: nonzero(2),
            ..AccountLimits::default()
        });
        let client = ip("10.0.0.4");
        assert!(limiter.check_signup("a@x.io", client).is_ok());
        assert!(limiter.check_signup("a@x.io", ip("10.0.0.5")).is_ok());
        assert!(
            limiter.check_signup("a@x.io", ip("10.0.0.6")).is_err(),
            "per email"
        );
        assert!(limiter.check_signup("b@x.io", client).is_ok());
        assert!(limiter.check_signup("c@x.io", client).is_ok());
        assert!(
            limiter.check_signup("d@x.io", client).is_err(),
            "per client"
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(client_key(ip("192.0.2.1")), ip("192.0.2.1"));
        let limiter = AccountLimiter::new(limits(100, 2, 100));
        assert!(limiter.check_login("a@x.io", ip("2001:db8::1")).is_ok());
        assert!(limiter.check_login("b@x.io", ip("2001:db8::2")).is_ok());
        assert!(
            limiter.check_login("c@x.io", ip("2001:db8::ffff")).is_err(),
            "one /64 is one client"
        );
        assert!(limiter.check_login("c@x.io", ip("2001:db8:0:1::1")).is_ok());
    }
}
