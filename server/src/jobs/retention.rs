//! Runs retention once a day: whenever the latest recorded run (by any process) is a day old,
//! failed, or there is none, so a restart neither skips nor repeats a day.

use std::time::Duration;

use crate::state::AppState;

pub async fn run(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(600));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("retention", "deletes what is past its retention period, once a day (checked every 10 minutes)", 600);
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        let due = match crate::services::retention::latest(&state.db).await {
            Ok(latest) => latest.is_none_or(|run| run.outcome != "ok" || state.clock.now() - run.started_at >= chrono::Duration::hours(24)),
            Err(err) => {
                tracing::warn!(error = %err.one_line(), "cannot read the retention runs; trying again in 10 minutes");
                turn.fail(err.one_line());
                false
            }
        };
        if due && let Err(err) = crate::services::retention::run(&state).await {
            tracing::warn!(error = %err.one_line(), "retention run failed; it is recorded, and runs again in 10 minutes");
            turn.fail(err.one_line());
        }
    }
}
