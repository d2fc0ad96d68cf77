//! The recommendation engine's schedule: a run every `[recommendations] interval_minutes`
//! (default 5), and every 30 seconds the scheduled executions whose time (by the server's clock)
//! has come, each once, and the outcomes whose evaluation window has passed. A failure is logged
//! and tried again at the next turn.

use std::time::Duration;

use crate::services::{recommendation_outcomes, recommendations};
use crate::state::AppState;

/// How often due scheduled executions are looked for.
const SCHEDULE_POLL: Duration = Duration::from_secs(30);

pub async fn run(state: AppState) {
    tokio::spawn(run_schedules(state.clone()));
    let every = Duration::from_secs(60 * u64::from(state.settings.recommendations.interval_minutes));
    let job = state.jobs.register("recommendations", "runs the recommendation engine over every live campaign", every.as_secs());
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        match recommendations::run(&state).await {
            Ok(run) if run.opened + run.expired + run.auto_executed > 0 => {
                tracing::info!(found = run.found, opened = run.opened, expired = run.expired, auto_executed = run.auto_executed, took_ms = run.took_ms, "recommendations refreshed");
            }
            Ok(run) => tracing::debug!(found = run.found, took_ms = run.took_ms, "recommendations refreshed"),
            Err(err) => {
                tracing::warn!(error = %err.one_line(), "the recommendation run failed; trying again at the next interval");
                turn.fail(err.one_line());
            }
        }
    }
}

async fn run_schedules(state: AppState) {
    let mut ticker = tokio::time::interval(SCHEDULE_POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("recommendation_schedules", "executes the scheduled recommendations that are due and measures outcomes past their window", SCHEDULE_POLL.as_secs());
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        match recommendations::run_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(executed = n, "scheduled recommendations executed"),
            Err(err) => {
                tracing::warn!(error = %err.one_line(), "scheduled recommendations could not be read; trying again");
                turn.fail(err.one_line());
            }
        }
        match recommendation_outcomes::evaluate_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(measured = n, "recommendation outcomes measured"),
            Err(err) => {
                tracing::warn!(error = %err.one_line(), "recommendation outcomes could not be measured; trying again");
                turn.fail(err.one_line());
            }
        }
    }
}
