//! Slows down password guessing: after too many failed sign-ins for one account or from one
//! address within a window, further attempts are refused (429) until the window moves on.
//! Kept in memory: each server node throttles what it sees.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// Failures allowed for one account in the window before its sign-ins are refused.
pub const MAX_FAILURES: usize = 5;
/// Failures allowed from one address (an office behind one NAT has many people).
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// How far back failures count.
pub const WINDOW: Duration = Duration::minutes(15);

/// What failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A lower-cased email, whether or not an account has it.
    Account(String),
    Address(IpAddr),
}

impl ThrottleKey {
    fn limit(&self) -> usize {
        match self {
            ThrottleKey::Account(_) => MAX_FAILURES,
            ThrottleKey::Address(_) => MAX_FAILURES_PER_ADDRESS,
        }
    }
}

#[derive(Clone, Default)]
pub struct LoginThrottle {
    failures: Arc<Mutex<HashMap<ThrottleKey, Vec<DateTime<Utc>>>>>,
}

impl LoginThrottle {
    /// `Err(seconds)` to wait when any of `keys` has used up its failures.
    pub fn check(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<(), i64> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let mut wait = 0;
        for key in keys {
            if let Some(times) = failures.get_mut(key) {
                times.retain(|t| *t > now - WINDOW);
                let limit = key.limit();
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max((oldest + WINDOW - now).num_seconds().max(1));
                }
            }
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn record_failure(&self, keys: &[ThrottleKey], now: DateTime<Utc>) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            failures.entry(key.clone()).or_default().push(now);
        }
        // Forget keys whose failures are all old, so the map cannot grow without bound.
        failures.retain(|_, times| times.iter().any(|t| *t > now - WINDOW));
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn record_success(&self, account: &ThrottleKey) {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_sixth_attempt_waits_until_the_oldest_failure_leaves_the_window() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let throttle = LoginThrottle::default();
        let keys = vec![ThrottleKey::Account("a@x.io".to_owned())];
        for i in 0..MAX_FAILURES {
            assert!(throttle.check(&keys, t0 + Duration::seconds(i as i64)).is_ok());
            throttle.record_failure(&keys, t0 + Duration::seconds(i as i64));
        }
        let now = t0 + Duration::seconds(10);
        assert_eq!(throttle.check(&keys, now), Err(15 * 60 - 10));
        assert!(throttle.check(&keys, t0 + WINDOW + Duration::seconds(1)).is_ok());
    }

    #[test]
    fn success_clears_the_account_but_other_keys_stay_throttled() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let throttle = LoginThrottle::default();
        let keys = vec![ThrottleKey::Account("a@x.io".to_owned()), ThrottleKey::Address([10, 0, 0, 1].into())];
        for _ in 0..MAX_FAILURES_PER_ADDRESS {
            throttle.record_failure(&keys, t0);
        }
        throttle.record_success(&keys[0]);
        assert!(throttle.check(&keys[..1], t0).is_ok());
        assert!(throttle.check(&keys[1..], t0).is_err());
    }
}
