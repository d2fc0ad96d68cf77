//! Ships the winners of experiments whose owners switched on automatic shipping, once a minute:
//! when the always-valid test finds a winner before the planned end, every guardrail is measured
//! and none is harmed, and the split is sound (after the planned end, the fixed-horizon verdict is
//! a person's to act on). Each shipment is audited as the system's.

use std::time::Duration;

use crate::services::catalogue::Actor;
use crate::services::experiments;
use crate::state::AppState;

pub async fn run(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("experiments", "ships the winners of tests set to ship automatically once they are decided", 60);
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        if let Err(err) = once(&state).await {
            turn.fail(err);
        }
    }
}

/// One pass (tests call it directly with a moved clock).
/// One pass; a failure is logged and answered as its one-line error.
pub async fn once(state: &AppState) -> Result<(), String> {
    let actor = Actor::system(state.audit.clone());
    match experiments::ship_ready_winners(&state.db, &state.metrics, &actor, state.clock.now()).await {
        Ok(shipped) if !shipped.is_empty() => {
            tracing::info!(experiments = ?shipped, "shipped experiment winners automatically");
            if let Err(err) = state.metrics.after_catalogue_change(&state.db).await {
                tracing::warn!(error = %err.one_line(), "cannot refresh the catalogue after shipping");
                return Err(err.one_line());
            }
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(err) => {
            tracing::warn!(error = %err.one_line(), "automatic shipping failed; trying again in a minute");
            Err(err.one_line())
        }
    }
}
