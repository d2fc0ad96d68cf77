//! Events per hour: the rollup ingestion adds to, and the series the overview chart reads.

use analytics::{HourBucket, hourly_series, series::hour_floor};
use app::wire::EventVolume;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::event_volume_hourly::{ActiveModel, Column, Entity};
use crate::error::Result;

/// Adds `events` events of `event_type` to the hour containing `at`.
pub async fn record(db: &impl ConnectionTrait, at: DateTime<Utc>, event_type: &str, events: i64) -> Result<()> {
    let row = ActiveModel { hour_start: Set(hour_floor(at)), event_type: Set(event_type.to_owned()), events: Set(events) };
    Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::HourStart, Column::EventType])
                .value(Column::Events, Expr::col((Entity, Column::Events)).add(Expr::cust("excluded.events")))
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The `hours` hours ending with the current one, every hour present (zeros included).
pub async fn hourly(db: &impl ConnectionTrait, now: DateTime<Utc>, hours: u32) -> Result<EventVolume> {
    let first = hour_floor(now) - Duration::hours(i64::from(hours.saturating_sub(1)));
    let rows = Entity::find().filter(Column::HourStart.gte(first)).all(db).await?;
    let sparse: Vec<HourBucket> =
        rows.into_iter().map(|row| HourBucket { hour_start: row.hour_start, count: row.events }).collect();
    let hours = hourly_series(now, hours, &sparse);
    let total = hours.iter().map(|b| b.count).sum();
    Ok(EventVolume { hours, total, as_of: now })
}
