//! Recomputes every user's segment once a day at the configured UTC hour
//! (`[metrics] segmentation_hour`, default 2).

use std::time::Duration;

use chrono::Timelike;

use crate::state::AppState;

pub async fn run(state: AppState) {
    let Some(hour) = state.metrics.config.segmentation_hour else { return };
    let mut last_day = None;
    let job = state.jobs.register("segmentation", "recomputes every user's segment once a day at [metrics] segmentation_hour", 86_400);
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = state.clock.now();
        if now.hour() != hour || last_day == Some(now.date_naive()) {
            continue;
        }
        last_day = Some(now.date_naive());
        let mut turn = job.turn(&state.clock);
        if let Err(err) = crate::services::segments::recompute(&state, now).await {
            tracing::warn!(error = %err.one_line(), "segments not recomputed; next try tomorrow");
            turn.fail(err.one_line());
        }
    }
}
