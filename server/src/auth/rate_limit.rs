//! A per-key request budget (token bucket): each key may burst up to a minute's allowance and
//! refills continuously. In memory, per server node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Clone)]
pub struct KeyRateLimit {
    per_minute: u32,
    buckets: Arc<Mutex<HashMap<Uuid, (f64, DateTime<Utc>)>>>,
}

impl KeyRateLimit {
    pub fn new(per_minute: u32) -> KeyRateLimit {
        KeyRateLimit { per_minute, buckets: Arc::default() }
    }

    /// Takes one request from the key's budget; `Err(seconds)` to wait when it is empty.
    pub fn take(&self, key: Uuid, now: DateTime<Utc>) -> Result<(), i64> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, at) = buckets.entry(key).or_insert((capacity, now));
        let elapsed = (now - *at).num_milliseconds().max(0) as f64 / 1000.0;
        *tokens = (*tokens + elapsed * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - *tokens) / per_second).ceil() as i64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_burst_beyond_the_allowance_waits_for_the_refill() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let limit = KeyRateLimit::new(60);
        let key = Uuid::new_v4();
        for _ in 0..60 {
            assert!(limit.take(key, t0).is_ok());
        }
        assert_eq!(limit.take(key, t0), Err(1));
        assert!(limit.take(key, t0 + Duration::seconds(1)).is_ok(), "one per second refills");
        assert!(limit.take(Uuid::new_v4(), t0).is_ok(), "keys have their own budgets");
    }
}
