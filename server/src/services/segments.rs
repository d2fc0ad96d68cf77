//! The product's own segmentation: each user's segment recomputed from purchase behaviour with
//! Module 3's rules (`analytics::metrics::segmentation`), and a `user_segmented` event written to
//! the log for every user whose segment changed, so every later event counts under the new one.
//! Producers may send their own `user_segmented` too; the latest wins either way.

use analytics::events::{Context, Event, Payload, UserSegmented};
use analytics::metrics::segmentation;
use analytics::EventSource;
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::ingest;
use crate::state::AppState;

/// Writes at most this many events per transaction.
const CHUNK: usize = 1_000;

/// Recomputes every user's segment at `at` and records the changes; returns how many changed.
pub async fn recompute(state: &AppState, at: DateTime<Utc>) -> Result<usize> {
    let hub = state.metrics.clone();
    let changes = tokio::task::spawn_blocking(move || {
        hub.read(|store| {
            segmentation::changes(store, at.timestamp())
                .into_iter()
                .map(|(user, now, before)| (store.user_ids[user].clone(), now, before))
                .collect::<Vec<_>>()
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let events: Vec<Event> = changes
        .iter()
        .map(|(user, now, before)| Event {
            event_id: Uuid::new_v4(),
            occurred_at: at,
            user_id: user.clone(),
            session_id: None,
            source: EventSource::Backend,
            context: Context { user_segment: Some(*now), ..Context::default() },
            payload: Payload::UserSegmented(UserSegmented {
                segment_id: Some(now.as_str().to_owned()),
                segment_type: *now,
                segment_score: None,
                previous_segment: before.map(|b| b.as_str().to_owned()),
                segment_change_reason: Some("daily recomputation from purchase behaviour (Module 3 rules)".to_owned()),
            }),
            late_arrival: false,
            backfilled: false,
        })
        .collect();
    for chunk in events.chunks(CHUNK) {
        let txn = state.db.begin().await?;
        for event in chunk {
            ingest::append(&txn, event, at).await?;
        }
        txn.commit().await?;
    }
    state.metrics.catch_up(&state.db).await?;
    state.metrics.announce(&state.db).await;
    tracing::info!(changed = events.len(), "segments recomputed");
    Ok(events.len())
}
