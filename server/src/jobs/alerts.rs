//! Alerts' schedule (docs/alerts.md): every 15 seconds the webhook deliveries that are due; each
//! new complete hour (by the server's clock) the anomaly detector; every `[alerts]
//! interval_minutes` the threshold rules. A failure is logged and tried again at the next turn.

use std::time::Duration;

use crate::services::{alerts, webhook};
use crate::state::AppState;

const TICK: Duration = Duration::from_secs(15);

pub async fn run(state: AppState) {
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut judged: Option<i64> = None;
    let mut evaluated: Option<chrono::DateTime<chrono::Utc>> = None;
    let every = chrono::Duration::minutes(i64::from(state.settings.alerts.interval_minutes));
    let job = state.jobs.register("alerts", "judges the last complete hour for anomalies, evaluates the threshold rules and delivers alerts to the webhook", TICK.as_secs());
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        let now = state.clock.now();
        let hour = alerts::judged_hour(now);
        if judged != Some(hour) {
            match alerts::judge_anomalies(&state, hour).await {
                Ok(found) => {
                    judged = Some(hour);
                    if !found.is_empty() {
                        tracing::info!(anomalies = found.len(), "anomalies found in the last complete hour");
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err.one_line(), "the anomaly detector failed; trying again");
                    turn.fail(err.one_line());
                }
            }
        }
        if evaluated.is_none_or(|at| now - at >= every || now < at) {
            match alerts::evaluate_rules(&state).await {
                Ok(fired) => {
                    evaluated = Some(now);
                    if fired > 0 {
                        tracing::info!(fired, "alert rules fired");
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err.one_line(), "alert rules could not be evaluated; trying again");
                    turn.fail(err.one_line());
                }
            }
        }
        match webhook::deliver_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(delivered = n, "alerts delivered to the webhook"),
            Err(err) => {
                tracing::warn!(error = %err.one_line(), "webhook deliveries could not be read; trying again");
                turn.fail(err.one_line());
            }
        }
    }
}
