//! The API's own latency and error rate, measured by the server (Module 9): every `/api/` request
//! but the live socket is counted into one-minute buckets kept for an hour, with a bounded sample
//! of latencies per minute for the percentiles.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use app::wire::ApiStats;
use chrono::{DateTime, Utc};

/// Minutes kept.
const MINUTES: i64 = 60;
/// Latencies kept per minute; beyond it, every n-th replaces an older one so the sample stays
/// spread over the minute.
const SAMPLES_PER_MINUTE: usize = 4_096;

#[derive(Debug, Default)]
struct Minute {
    /// Minutes since the epoch.
    minute: i64,
    requests: u64,
    server_errors: u64,
    latencies_ms: Vec<f64>,
}

#[derive(Clone, Default)]
pub struct RequestStats(Arc<Mutex<VecDeque<Minute>>>);

impl RequestStats {
    /// Counts one answered request.
    pub fn record(&self, at: DateTime<Utc>, latency_ms: f64, server_error: bool) {
        let minute = at.timestamp().div_euclid(60);
        let Ok(mut minutes) = self.0.lock() else { return };
        if minutes.back().is_none_or(|m| m.minute < minute) {
            minutes.push_back(Minute { minute, ..Minute::default() });
        }
        while minutes.front().is_some_and(|m| m.minute <= minute - MINUTES) {
            minutes.pop_front();
        }
        // A request finishing out of order lands in its own minute when that is still kept.
        let Some(bucket) = minutes.iter_mut().rev().find(|m| m.minute <= minute) else { return };
        bucket.requests += 1;
        bucket.server_errors += u64::from(server_error);
        if bucket.latencies_ms.len() < SAMPLES_PER_MINUTE {
            bucket.latencies_ms.push(latency_ms);
        } else {
            let slot = (bucket.requests as usize * 7_919) % SAMPLES_PER_MINUTE;
            bucket.latencies_ms[slot] = latency_ms;
        }
    }

    /// The last `minutes` minutes up to `now` (at most an hour).
    pub fn summary(&self, now: DateTime<Utc>, minutes: u32) -> ApiStats {
        let minutes = i64::from(minutes).clamp(1, MINUTES);
        let first = now.timestamp().div_euclid(60) - minutes + 1;
        let (mut requests, mut server_errors, mut latencies) = (0, 0, Vec::new());
        if let Ok(kept) = self.0.lock() {
            for m in kept.iter().filter(|m| m.minute >= first) {
                requests += m.requests;
                server_errors += m.server_errors;
                latencies.extend_from_slice(&m.latencies_ms);
            }
        }
        let mut percentile = |q: f64| analytics::stats::percentile(&mut latencies, q);
        let (p50_ms, p95_ms, p99_ms) = (percentile(0.50), percentile(0.95), percentile(0.99));
        ApiStats {
            window_minutes: minutes as u32,
            requests,
            server_errors,
            error_rate: (requests > 0).then(|| 100.0 * server_errors as f64 / requests as f64),
            p50_ms,
            p95_ms,
            p99_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn the_window_counts_its_minutes_and_forgets_older_ones() {
        let stats = RequestStats::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        for i in 1..=100 {
            stats.record(t0, f64::from(i), i > 98);
        }
        stats.record(t0 + Duration::minutes(10), 500.0, false);
        let last_15 = stats.summary(t0 + Duration::minutes(10), 15);
        assert_eq!((last_15.requests, last_15.server_errors), (101, 2));
        assert_eq!(last_15.p50_ms, Some(51.0));
        assert_eq!(last_15.p95_ms, Some(96.0));
        assert!((last_15.error_rate.unwrap() - 200.0 / 101.0).abs() < 1e-9);
        // Five minutes back sees only the late request.
        let last_5 = stats.summary(t0 + Duration::minutes(10), 5);
        assert_eq!((last_5.requests, last_5.p95_ms), (1, Some(500.0)));
        // An hour later, all of it has gone.
        stats.record(t0 + Duration::minutes(75), 1.0, false);
        assert_eq!(stats.summary(t0 + Duration::minutes(75), 60).requests, 1);
        assert_eq!(RequestStats::default().summary(t0, 15).p95_ms, None);
    }
}
