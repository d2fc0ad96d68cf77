//! Runs the recommendation engine every `[recommendations] interval_minutes` (default 5); a
//! failed run is logged and the next one tries again.

use std::time::Duration;

use crate::services::recommendations;
use crate::state::AppState;

pub async fn run(state: AppState) {
    let every = Duration::from_secs(60 * u64::from(state.settings.recommendations.interval_minutes));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match recommendations::run(&state).await {
            Ok(run) if run.opened + run.expired > 0 => {
                tracing::info!(found = run.found, opened = run.opened, expired = run.expired, took_ms = run.took_ms, "recommendations refreshed");
            }
            Ok(run) => tracing::debug!(found = run.found, took_ms = run.took_ms, "recommendations refreshed"),
            Err(err) => tracing::warn!(error = %err.one_line(), "the recommendation run failed; trying again at the next interval"),
        }
    }
}
