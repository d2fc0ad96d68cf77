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
    /// The key for a client address: IPv6 clients are counted per /64, the block one
    /// subscriber usually holds, so rotating addresses within it does not reset the count.
    pub fn address(ip: IpAddr) -> ThrottleKey {
        match ip {
            IpAddr::V4(_) => ThrottleKey::Address(ip),
            // An IPv4 client seen through a dual-stack socket is still an IPv4 client.
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => {
                ThrottleKey::Address(IpAddr::V4(v6.to_ipv4_mapped().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED)))
            }
            IpAddr::V6(v6) => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                ThrottleKey::Address(IpAddr::V6(segments.into()))
            }
        }
    }

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
    /// Starts a sign-in attempt: refused with `Err(seconds to wait)` when any key has used up its
    /// failures; otherwise the attempt is counted as a failure at once, under the same lock, so
    /// parallel attempts cannot all slip through before the first verdict. [`succeeded`]
    /// takes it back.
    ///
    /// [`succeeded`]: LoginThrottle::succeeded
    pub fn begin(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<(), i64> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        Self::wait_time(&mut failures, keys, now)?;
        for key in keys {
            failures.entry(key.clone()).or_default().push(now);
        }
        // Forget keys whose failures are all old, so the map cannot grow without bound.
        failures.retain(|_, times| times.iter().any(|t| *t > now - WINDOW));
        Ok(())
    }

    /// The attempt begun at `now` was a success: the account starts afresh, and the address
    /// gets this attempt back.
    pub fn succeeded(&self, keys: &[ThrottleKey], now: DateTime<Utc>) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            match key {
                ThrottleKey::Account(_) => {
                    failures.remove(key);
                }
                ThrottleKey::Address(_) => {
                    if let Some(times) = failures.get_mut(key) {
                        if let Some(i) = times.iter().rposition(|t| *t == now) {
                            times.remove(i);
                        }
                    }
                }
            }
        }
    }

    /// `Err(seconds)` to wait when any of `keys` has used up its failures.
    pub fn check(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<(), i64> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        Self::wait_time(&mut failures, keys, now)
    }

    fn wait_time(failures: &mut HashMap<ThrottleKey, Vec<DateTime<Utc>>>, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<(), i64> {
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
            assert!(throttle.begin(&keys, t0 + Duration::seconds(i as i64)).is_ok());
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
        for _ in 0..MAX_FAILURES_PER_ADDRESS - 1 {
            throttle.begin(&keys[1..], t0).unwrap();
        }
        throttle.begin(&keys, t0).unwrap();
        throttle.succeeded(&keys, t0);
        assert!(throttle.check(&keys[..1], t0).is_ok(), "the account starts afresh");
        assert!(throttle.check(&keys[1..], t0).is_ok(), "the successful attempt was given back");
        throttle.begin(&keys[1..], t0).unwrap();
        assert!(throttle.check(&keys[1..], t0).is_err(), "the address has used its failures");
    }

    #[test]
    fn parallel_attempts_count_before_their_verdict() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let throttle = LoginThrottle::default();
        let keys = vec![ThrottleKey::Account("a@x.io".to_owned())];
        // Five attempts in flight at once: the sixth is refused before any of them finished.
        for _ in 0..MAX_FAILURES {
            throttle.begin(&keys, t0).unwrap();
        }
        assert!(throttle.begin(&keys, t0).is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_block() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ThrottleKey::address(a), ThrottleKey::address(b));
        assert_ne!(ThrottleKey::address(a), ThrottleKey::address(c));
        // IPv4 clients on a dual-stack listener keep their own buckets.
        let v4a: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        let v4b: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_ne!(ThrottleKey::address(v4a), ThrottleKey::address(v4b));
        assert_eq!(ThrottleKey::address(v4a), ThrottleKey::address("10.0.0.1".parse().unwrap()));
    }
}
