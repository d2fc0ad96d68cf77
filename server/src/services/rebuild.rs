//! `swipesavvy rebuild`: recomputes the derived tables from the raw event log, the source of
//! truth (after a restore, a bug fix in a rollup, or to check that rollups match the log).
//! Only the latest version of each event counts, as everywhere else.

use std::collections::HashMap;
use std::time::Instant;

use analytics::series::hour_floor;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement, TransactionTrait};

use crate::entities::{event_volume_hourly, events as event_rows};
use crate::error::Result;
use crate::progress::{Progress, Unit};
use crate::services::event_volume;

/// Rows read per query while walking the log.
const PAGE: i64 = 10_000;

/// What the rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildSummary {
    pub events: u64,
    pub hourly_rows: usize,
}

/// Recomputes `event_volume_hourly` in one transaction: readers see the old rollup or the new
/// one, never a half-built one. `progress` is called after each page with the events read.
///
/// Ingestion may go on meanwhile: the transaction first takes the rollup for itself (on
/// PostgreSQL an exclusive table lock, on SQLite the write lock the delete takes), so a batch
/// either committed before (its events are in the log read here) or adds its counts after the
/// rebuild commits; none is lost or counted twice. Batches wait for the rebuild to finish.
pub async fn rebuild(db: &DatabaseConnection, mut progress: impl FnMut(u64)) -> Result<RebuildSummary> {
    let backend = db.get_database_backend();
    // On PostgreSQL every page reads one snapshot, so a correction committed mid-rebuild cannot be
    // counted under both its versions (SQLite's write lock already keeps writers out).
    let txn = match backend {
        sea_orm::DatabaseBackend::Postgres => db.begin_with_config(Some(sea_orm::IsolationLevel::RepeatableRead), None).await?,
        _ => db.begin().await?,
    };
    if backend == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE event_volume_hourly IN EXCLUSIVE MODE").await?;
    }
    event_volume_hourly::Entity::delete_many().exec(&txn).await?;
    let mut buckets: HashMap<(DateTime<Utc>, String), i64> = HashMap::new();
    let mut last_seq: i64 = 0;
    let mut events: u64 = 0;
    loop {
        // Keyset pagination over the log; a row counts only if it is its event's latest version.
        let statement = Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DatabaseBackend::Postgres => {
                    "SELECT e.seq, e.event_type, e.occurred_at FROM events e \
                     WHERE e.seq > $1 AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.event_id = e.event_id) \
                     ORDER BY e.seq LIMIT $2"
                }
                _ => {
                    "SELECT e.seq, e.event_type, e.occurred_at FROM events e \
                     WHERE e.seq > ? AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.event_id = e.event_id) \
                     ORDER BY e.seq LIMIT ?"
                }
            },
            [last_seq.into(), PAGE.into()],
        );
        let rows = txn.query_all_raw(statement).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            last_seq = row.try_get::<i64>("", "seq")?;
            let event_type: String = row.try_get("", "event_type")?;
            let occurred_at: DateTime<Utc> = row.try_get("", "occurred_at")?;
            *buckets.entry((hour_floor(occurred_at), event_type)).or_default() += 1;
            events += 1;
        }
        progress(events);
    }

    for ((hour, event_type), count) in &buckets {
        event_volume::record(&txn, *hour, event_type, *count).await?;
    }
    txn.commit().await?;
    Ok(RebuildSummary { events, hourly_rows: buckets.len() })
}

async fn last_seq(db: &DatabaseConnection) -> Result<Option<u64>> {
    use sea_orm::{ColumnTrait, QuerySelect};
    let max: Option<Option<i64>> = event_rows::Entity::find()
        .select_only()
        .column_as(event_rows::Column::Seq.max(), "max_seq")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().map(|n| n.max(0) as u64))
}

/// `swipesavvy rebuild`, with a progress bar (or a line every few seconds off a terminal).
pub async fn run(db: &DatabaseConnection) -> Result<()> {
    let started = Instant::now();
    // The log's length (its largest seq) is the bar's total: close enough for an ETA.
    let total = last_seq(db).await?;
    let mut progress = Progress::new("rebuild", total, Unit::Items);
    let summary = rebuild(db, |events| progress.update(events.min(total.unwrap_or(u64::MAX)), events, "events read")).await;
    progress.finish();
    let summary = summary?;
    println!(
        "rebuilt the hourly event volume from {} events into {} rows in {:.1?}",
        summary.events,
        summary.hourly_rows,
        started.elapsed()
    );
    Ok(())
}
