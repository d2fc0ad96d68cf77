//! Checkpoints the audit chain's head outside the database every hour (and `startup` does it
//! once more at shutdown), so removing the newest entries is detected (`services::audit`).

use crate::services::audit;
use crate::state::AppState;

const EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

pub async fn run(state: AppState) {
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        once(&state).await;
    }
}

/// One checkpoint; a failure is logged (the next hour tries again).
pub async fn once(state: &AppState) {
    if let Err(err) = audit::checkpoint(&state.db, &state.audit, state.clock.now()).await {
        tracing::error!(error = %err.one_line(), "audit checkpoint not written");
    }
}
