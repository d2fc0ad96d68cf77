//! The product's own segmentation: every user gets one of the 8 segments from purchase behaviour,
//! a change is a `user_segmented` event in the log, and recomputing again changes nothing.

use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;
use server::entities::events;

use crate::support::spawn_app;

#[tokio::test]
async fn segments_are_recomputed_from_behaviour_and_logged_once() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let days = 45;
    let config = SimConfig { seed: 31, users: 800, days, campaigns: 4, start: start_for(now, days), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    server::services::simulate::to_db(&app.state, config, |_, _| {}).await.unwrap();
    let before = events::Entity::find().filter(events::Column::EventType.eq("user_segmented")).count(&app.state.db).await.unwrap();

    let changed = server::services::segments::recompute(&app.state, now).await.unwrap();
    assert!(changed > 0, "behaviour differs from the simulator's labels for some users");
    let after = events::Entity::find().filter(events::Column::EventType.eq("user_segmented")).count(&app.state.db).await.unwrap();
    assert_eq!(after - before, changed as u64, "one event per change");
    assert_eq!(server::services::segments::recompute(&app.state, now).await.unwrap(), 0, "a second run at the same time changes nothing");

    // Every user is in exactly one segment, and the inactive ones really bought nothing lately.
    let session = app.sign_in(Role::LifecycleLead).await;
    let body: Value = app.get_with_cookie("/api/v1/segments", &session.cookie).await.json().await.unwrap();
    let sizes: u64 = body["segments"].as_array().unwrap().iter().map(|s| s["size"].as_u64().unwrap_or(0)).sum();
    let users = app.state.metrics.read(|s| s.users.len()) as u64;
    assert_eq!(sizes, users, "{body}");
    let inactive = app.state.metrics.read(|store| {
        let cutoff = now.timestamp() - 30 * 86_400;
        store
            .users
            .iter()
            .filter(|u| u.segment_at(now.timestamp(), None) == Some(analytics::SegmentType::Inactive))
            .all(|u| !u.facts.iter().any(|f| f.kind == analytics::metrics::store::Kind::Purchased && f.at > cutoff))
    });
    assert!(inactive, "INACTIVE users made no purchase in the last 30 days");
}
