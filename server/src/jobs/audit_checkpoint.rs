//! Checkpoints the audit chain's head outside the database every hour (and `startup` does it
//! once more at shutdown), so removing the newest entries is detected (`services::audit`).

use crate::services::audit;
use crate::state::AppState;

const EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

pub async fn run(state: AppState) {
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("audit_checkpoint", "signs the audit chain's head into the checkpoint file", EVERY.as_secs());
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        if let Err(err) = once(&state).await {
            turn.fail(err);
        }
    }
}

/// One checkpoint; a failure is logged (the next hour tries again).
/// Writes a checkpoint; a failure is logged and answered as its one-line error.
pub async fn once(state: &AppState) -> Result<(), String> {
    audit::checkpoint(&state.db, &state.audit, state.clock.now()).await.map(|_| ()).map_err(|err| {
        tracing::error!(error = %err.one_line(), "audit checkpoint not written");
        err.one_line()
    })
}
