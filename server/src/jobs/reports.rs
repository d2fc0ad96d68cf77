//! Scheduled reports (docs/reports.md): every 15 seconds, the schedules whose time has passed by
//! the server's clock get their delivery stored, and the deliveries that are due are sent. A
//! failure is logged and tried again at the next turn.

use std::time::Duration;

use crate::services::report_schedules;
use crate::state::AppState;

const TICK: Duration = Duration::from_secs(15);

pub async fn run(state: AppState) {
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("reports", "builds the scheduled reports that are due and delivers them by e-mail or webhook", TICK.as_secs());
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        if let Err(err) = report_schedules::run_due(&state).await {
            tracing::warn!(error = %err.one_line(), "report schedules could not be read; trying again");
            turn.fail(err.one_line());
        }
        match report_schedules::deliver_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(delivered = n, "scheduled reports delivered"),
            Err(err) => {
                tracing::warn!(error = %err.one_line(), "scheduled reports could not be delivered; trying again");
                turn.fail(err.one_line());
            }
        }
    }
}
