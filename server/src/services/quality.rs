//! Data quality: the counters ingestion adds to, and `GET /api/v1/quality`'s report of the spec's
//! seven metrics per category and overall, with their alerts.

use std::collections::HashMap;

use analytics::quality::{Category, QualityCounts, QualityMetrics};
use analytics::series::hour_floor;
use app::wire::{CategoryQuality, QualityReport};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::entities::{events, quality_hourly};
use crate::error::Result;

/// Adds `counts` to the counters of `category` for the hour containing `at`.
pub async fn record(db: &impl ConnectionTrait, at: DateTime<Utc>, category: Category, counts: &QualityCounts) -> Result<()> {
    use quality_hourly::Column as C;
    let row = quality_hourly::ActiveModel {
        hour_start: Set(hour_floor(at)),
        category: Set(category.as_str().to_owned()),
        received: Set(counts.received),
        schema_ok: Set(counts.schema_ok),
        valid: Set(counts.valid),
        duplicates: Set(counts.duplicates),
        stored: Set(counts.stored),
        late: Set(counts.late),
        complete: Set(counts.complete),
    };
    let mut on_conflict = OnConflict::columns([C::HourStart, C::Category]);
    for (column, name) in [
        (C::Received, "received"),
        (C::SchemaOk, "schema_ok"),
        (C::Valid, "valid"),
        (C::Duplicates, "duplicates"),
        (C::Stored, "stored"),
        (C::Late, "late"),
        (C::Complete, "complete"),
    ] {
        on_conflict.value(column, Expr::col((quality_hourly::Entity, column)).add(Expr::cust(format!("excluded.{name}"))));
    }
    quality_hourly::Entity::insert(row).on_conflict(on_conflict.to_owned()).exec(db).await?;
    Ok(())
}

/// Counters per category for arrival hours in `[from, to)`.
async fn counts_between(db: &impl ConnectionTrait, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<HashMap<Category, QualityCounts>> {
    let rows = quality_hourly::Entity::find()
        .filter(quality_hourly::Column::HourStart.gte(from))
        .filter(quality_hourly::Column::HourStart.lt(to))
        .all(db)
        .await?;
    let mut by_category: HashMap<Category, QualityCounts> = HashMap::new();
    for row in rows {
        by_category.entry(Category::parse(&row.category)).or_default().add(&QualityCounts {
            received: row.received,
            schema_ok: row.schema_ok,
            valid: row.valid,
            duplicates: row.duplicates,
            stored: row.stored,
            late: row.late,
            complete: row.complete,
        });
    }
    Ok(by_category)
}

/// Minutes since the newest stored event of these types occurred (index-only lookups).
async fn freshness_minutes(db: &impl ConnectionTrait, event_types: &[&str], now: DateTime<Utc>) -> Result<Option<f64>> {
    let mut newest: Option<DateTime<Utc>> = None;
    for event_type in event_types {
        let latest: Option<DateTime<Utc>> = events::Entity::find()
            .select_only()
            .column_as(events::Column::OccurredAt.max(), "latest")
            .filter(events::Column::EventType.eq(*event_type))
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await?
            .flatten();
        newest = Ord::max(newest, latest);
    }
    Ok(newest.map(|t| (Ord::max((now - t).num_seconds(), 0) as f64) / 60.0))
}

/// The quality report for the `hours` hours of arrivals ending now.
pub async fn report(db: &impl ConnectionTrait, now: DateTime<Utc>, hours: u32) -> Result<QualityReport> {
    let end = hour_floor(now) + Duration::hours(1);
    let start = end - Duration::hours(i64::from(hours));
    let window = counts_between(db, start, end).await?;
    // The same window's average over the previous 7 days is what was "expected".
    let history_start = start - Duration::days(7);
    let history = counts_between(db, history_start, start).await?;
    let windows_in_history = (7.0 * 24.0) / f64::from(hours);
    let expected = |c: Option<&QualityCounts>| c.filter(|c| c.received > 0).map(|c| c.received as f64 / windows_in_history);

    let mut by_category = Vec::new();
    let mut total = QualityCounts::default();
    let mut total_history = QualityCounts::default();
    let mut overall_newest: Option<f64> = None;
    for category in Category::ALL {
        let counts = window.get(&category).copied().unwrap_or_default();
        total.add(&counts);
        if let Some(h) = history.get(&category) {
            total_history.add(h);
        }
        let types: Vec<&str> = analytics::events::EVENT_TYPES.iter().copied().filter(|t| Category::of(t) == category).collect();
        let freshness = freshness_minutes(db, &types, now).await?;
        // The server emits system events itself (data_refresh_completed every minute), so they
        // say nothing about how fresh the producers' data is: overall freshness leaves them out.
        if category != Category::System {
            overall_newest = match (overall_newest, freshness) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if category == Category::Unknown && counts.received == 0 {
            continue;
        }
        by_category.push(CategoryQuality {
            category,
            counts,
            freshness_target_minutes: category.freshness_target_minutes(),
            metrics: QualityMetrics::compute(&counts, expected(history.get(&category)), freshness),
        });
    }
    Ok(QualityReport {
        window_hours: hours,
        from: start,
        to: end,
        as_of: now,
        overall: QualityMetrics::compute(&total, expected(Some(&total_history)), overall_newest),
        counts: total,
        by_category,
    })
}
