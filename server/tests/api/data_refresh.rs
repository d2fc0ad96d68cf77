//! The `data_refresh_completed` job: at most once a minute of the clock, only after new events,
//! carrying the quality metrics of `GET /api/v1/quality`.

use std::time::Duration as StdDuration;

use app::access::Scope;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use server::clock::Clock;
use uuid::Uuid;

use crate::support::{TestApp, spawn_app_with};

async fn refreshes(app: &TestApp) -> Vec<server::entities::events::Model> {
    server::entities::events::Entity::find()
        .filter(server::entities::events::Column::EventType.eq("data_refresh_completed"))
        .order_by_asc(server::entities::events::Column::Seq)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Waits (real time) until there are `n` refresh events, or a few seconds have passed.
async fn wait_for(app: &TestApp, n: usize) -> Vec<server::entities::events::Model> {
    for _ in 0..50 {
        let found = refreshes(app).await;
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    refreshes(app).await
}

async fn send_purchases(app: &TestApp, key: &str, n: usize) {
    let at = app.state.clock.now() - Duration::minutes(2);
    let batch: Vec<_> = (0..n)
        .map(|i| {
            json!({
                "event_id": Uuid::new_v4().to_string(), "event_type": "user_purchased", "timestamp": at.to_rfc3339(),
                "user_id": format!("u-{i}"), "source": "backend",
                "properties": { "order_id": Uuid::new_v4().to_string(), "order_value": 20.0 },
                "context": { "platform": "iOS", "region": "US-CA", "user_segment": "HIGH_SPENDER" }
            })
        })
        .chain(std::iter::once(json!({ "event_id": "not-a-uuid", "event_type": "user_purchased" })))
        .collect();
    let response = app.client.post(app.url("/api/v1/events")).bearer_auth(key).json(&batch).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn data_refresh_completed_is_emitted_at_most_once_a_minute_and_only_after_new_events() {
    // Whole seconds: PostgreSQL keeps microseconds, so a stored time equals the clock's.
    let clock = Clock::fixed(chrono::SubsecRound::trunc_subsecs(Utc::now(), 0));
    let app = spawn_app_with(clock.clone()).await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "producer", &[Scope::Events], None, clock.now()).await.unwrap();

    // Events arrive, but no minute has passed since the server started: nothing yet.
    send_purchases(&app, &key, 4).await;
    tokio::time::sleep(StdDuration::from_millis(1_500)).await;
    assert!(refreshes(&app).await.is_empty(), "not within a minute of the start");

    clock.advance(Duration::seconds(61));
    let first = wait_for(&app, 1).await;
    assert_eq!(first.len(), 1, "one emission once a minute has passed");
    let event = &first[0];
    assert_eq!((event.user_id.as_str(), event.source.as_str()), ("system", "backend"));
    assert_eq!(event.occurred_at, clock.now());
    let props = &event.properties;
    assert_eq!(props["records_processed"], 4);
    assert_eq!(props["errors_encountered"], 1, "the malformed event of the batch");
    let metrics = &props["data_quality_metrics"];
    let report = server::services::quality::report(&app.state.db, clock.now(), server::jobs::data_refresh::WINDOW_HOURS).await.unwrap();
    assert_eq!(metrics["validation_pass_rate_percent"], json!(report.overall.validation_pass_rate_percent));
    assert_eq!(metrics["validation_pass_rate_percent"], json!(80.0));
    for key in ["ingestion_rate_percent", "duplicate_rate_percent", "late_arrival_rate_percent", "data_freshness_minutes", "completeness_percent", "schema_compliance_percent"] {
        assert!(metrics.get(key).is_some(), "{key} in {metrics}");
    }
    assert_eq!(props["data_lag_seconds"], 181, "the newest event occurred two minutes before the minute passed");

    // New events within the minute: not yet.
    send_purchases(&app, &key, 2).await;
    clock.advance(Duration::seconds(30));
    tokio::time::sleep(StdDuration::from_millis(1_500)).await;
    assert_eq!(refreshes(&app).await.len(), 1, "at most once a minute");
    // A minute after the last one: the second counts only what came since.
    clock.advance(Duration::seconds(31));
    let second = wait_for(&app, 2).await;
    assert_eq!(second.len(), 2);
    assert_eq!(second[1].properties["records_processed"], 2);
    // The refresh events themselves do not make the producers' data look fresh.
    assert_eq!(second[1].properties["data_lag_seconds"], 120 + 61, "{}", second[1].properties);

    // Minutes pass with nothing ingested: nothing emitted.
    clock.advance(Duration::minutes(5));
    tokio::time::sleep(StdDuration::from_millis(1_500)).await;
    assert_eq!(refreshes(&app).await.len(), 2, "nothing new, nothing emitted");
}
