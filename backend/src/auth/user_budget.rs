//! What one user may do per minute, whatever credential they use: writes
//! (one budget shared by `/api`, `/mcp` and the assistant's tools, so no
//! door is a way around another) and tool calls at `/mcp`. Kept in memory
//! by each replica, like the login limits: with N replicas behind a
//! Service a user may reach N times these.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

/// The budgets' sizes (`WRITES_PER_MINUTE_PER_USER`,
/// `MCP_TOOL_CALLS_PER_MINUTE_PER_USER`); each is also the burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserBudgetLimits {
    pub writes_per_minute: NonZeroU32,
    pub mcp_tool_calls_per_minute: NonZeroU32,
}

impl Default for UserBudgetLimits {
    fn default() -> Self {
        let nonzero = |n| NonZeroU32::new(n).expect("non-zero");
        Self {
            writes_per_minute: nonzero(600),
            mcp_tool_calls_per_minute: nonzero(300),
        }
    }
}

#[derive(Debug)]
pub struct UserBudgets {
    writes: DefaultKeyedRateLimiter<Uuid>,
    mcp_tool_calls: DefaultKeyedRateLimiter<Uuid>,
}

impl UserBudgets {
    pub fn new(limits: UserBudgetLimits) -> Self {
        Self {
            writes: RateLimiter::keyed(Quota::per_minute(limits.writes_per_minute)),
            mcp_tool_calls: RateLimiter::keyed(Quota::per_minute(limits.mcp_tool_calls_per_minute)),
        }
    }

    /// Takes `count` writes from `user`'s budget, or says how long until
    /// they fit (nothing is taken then).
    pub fn write(&self, user: Uuid, count: u32) -> Result<(), Duration> {
        take(&self.writes, user, count)
    }

    /// Takes `count` tool calls at `/mcp` from `user`'s budget.
    pub fn mcp_tool_calls(&self, user: Uuid, count: u32) -> Result<(), Duration> {
        take(&self.mcp_tool_calls, user, count)
    }

    /// Forgets users whose budgets have fully recovered.
    pub fn forget_idle(&self) {
        self.writes.retain_recent();
        self.mcp_tool_calls.retain_recent();
    }
}

fn take(limiter: &DefaultKeyedRateLimiter<Uuid>, user: Uuid, count: u32) -> Result<(), Duration> {
    let Some(count) = NonZeroU32::new(count) else {
        return Ok(());
    };
    match limiter.check_key_n(&user, count) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(not_until)) => Err(not_until.wait_time_from(DefaultClock::default().now())),
        // More at once than the whole budget: a minute is the honest wait.
        Err(_) => Err(Duration::from_secs(60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_per_user_and_says_when_it_refills() {
        let budgets = UserBudgets::new(UserBudgetLimits {
            writes_per_minute: NonZeroU32::new(2).unwrap(),
            mcp_tool_calls_per_minute: NonZeroU32::new(1).unwrap(),
        });
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        assert!(budgets.write(alice, 2).is_ok());
        let wait = budgets.write(alice, 1).unwrap_err();
        assert!(
            wait > Duration::from_secs(20) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(
            budgets.write(bob, 1).is_ok(),
            "another user's budget is untouched"
        );
        assert!(
            budgets.mcp_tool_calls(alice, 1).is_ok(),
            "writes and calls are apart"
        );
        assert_eq!(budgets.mcp_tool_calls(bob, 5), Err(Duration::from_secs(60)));
        assert!(budgets.write(bob, 0).is_ok());
    }
}
