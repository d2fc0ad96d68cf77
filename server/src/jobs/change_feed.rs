//! Keeps this process's metrics rollup current with rows other writers commit: another server
//! process behind the same load balancer, or a command-line load into the same database.
//!
//! On PostgreSQL each server announces its commits with `NOTIFY swipesavvy_events` and listens
//! for the others'; on any backend a poll every few seconds catches what a notice missed (a
//! dropped listener connection, SQLite, the command line).

use std::time::Duration;

use sea_orm::DatabaseBackend;
use sea_orm::sqlx::postgres::PgListener;

use crate::services::metrics::CHANNEL;
use crate::state::AppState;

/// How often the log is polled whatever the notices say.
const POLL: Duration = Duration::from_secs(5);

pub async fn run(state: AppState) {
    if state.db.get_database_backend() == DatabaseBackend::Postgres {
        tokio::spawn(listen(state.clone()));
    }
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("change_feed", "applies events and catalogue changes other processes committed (also woken by NOTIFY on PostgreSQL)", POLL.as_secs());
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        if let Err(err) = refresh(&state).await {
            turn.fail(err);
        }
    }
}

/// One pass; a failure is logged and answered as its one-line error.
async fn refresh(state: &AppState) -> Result<(), String> {
    // The catalogue and spend are small: re-read them with the log so other processes' campaign
    // changes show here too.
    let mut failed = Ok(());
    if let Err(err) = state.metrics.reload_catalogue(&state.db).await {
        tracing::warn!(error = %err.one_line(), "catalogue not refreshed");
        failed = Err(err.one_line());
    }
    match state.metrics.catch_up(&state.db).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, "metrics rollup caught up with the log"),
        Err(err) => {
            tracing::warn!(error = %err.one_line(), "metrics rollup could not read the log");
            failed = Err(err.one_line());
        }
    }
    failed
}

/// Listens for other processes' notices, reconnecting after a failure.
async fn listen(state: AppState) {
    let own = state.metrics.origin().to_string();
    loop {
        let pool = state.db.get_postgres_connection_pool();
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "change feed: cannot listen; retrying");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "change feed: LISTEN failed; retrying");
            tokio::time::sleep(POLL).await;
            continue;
        }
        // Whatever was committed while not listening (failures are logged inside, and the polling
        // passes put them on the job list).
        let _ = refresh(&state).await;
        loop {
            match listener.recv().await {
                Ok(notice) if notice.payload() == own => {}
                Ok(_) => {
                    // Take a burst of notices as one.
                    while listener.next_buffered().is_some() {}
                    let _ = refresh(&state).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "change feed: listener lost; reconnecting");
                    break;
                }
            }
        }
    }
}
