//! Probes the database at a fixed interval and keeps the last hour of round trips in memory,
//! for the health page's chart.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use app::wire::LatencySample;

use crate::services::health::probe_database;
use crate::state::AppState;

/// The most samples kept (an hour at the default 10 s interval).
pub const HISTORY_LEN: usize = 360;

/// A bounded, shared ring of the most recent probes, oldest first.
#[derive(Clone, Default)]
pub struct LatencyHistory {
    samples: Arc<Mutex<VecDeque<LatencySample>>>,
}

impl LatencyHistory {
    pub fn push(&self, sample: LatencySample) {
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() == HISTORY_LEN {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    pub fn snapshot(&self) -> Vec<LatencySample> {
        self.samples.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }
}

/// Runs until the process stops: one probe now, then one per interval.
pub async fn run(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(state.settings.probe_interval_seconds));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("database_probe", "times a round trip to the database (uptime, metric 24)", state.settings.probe_interval_seconds);
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        let latency_ms = match probe_database(&state.db).await {
            Ok(ms) => Some(ms),
            Err(reason) => {
                tracing::warn!(%reason, "database probe failed");
                turn.fail(reason.to_string());
                None
            }
        };
        let at = state.clock.now();
        state.latency_history.push(LatencySample { at, latency_ms });
        let up = latency_ms.is_some_and(|ms| ms < crate::services::system_log::UP_WITHIN_MS);
        state.probe_log.record(&state.db, at, up).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn keeps_only_the_most_recent_samples() {
        let history = LatencyHistory::default();
        for i in 0..HISTORY_LEN + 5 {
            history.push(LatencySample { at: Utc::now(), latency_ms: Some(i as f64) });
        }
        let samples = history.snapshot();
        assert_eq!(samples.len(), HISTORY_LEN);
        assert_eq!(samples[0].latency_ms, Some(5.0));
    }
}
