//! `POST /api/v1/events` and the seed alias, on both backends.

use app::access::Scope;
use app::wire::{ErrorBody, IngestResult};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use server::clock::Clock;

use uuid::Uuid;

use crate::support::{TestApp, spawn_app, spawn_app_configured, spawn_app_with};

struct Producer {
    key: String,
    campaign: Uuid,
    creative: Uuid,
}

async fn producer(app: &TestApp, scopes: &[Scope]) -> Producer {
    let (_, key) = server::auth::api_keys::create(&app.state.db, "test producer", scopes, None, app.state.clock.now()).await.unwrap();
    let campaign = crate::support::create_campaign(app, "Summer Spending Spree").await;
    Producer { key, campaign: campaign.id, creative: campaign.creatives[0].id }
}

fn viewed(p: &Producer, at: chrono::DateTime<Utc>) -> Value {
    json!({
        "event_id": Uuid::new_v4().to_string(),
        "event_type": "campaign_viewed",
        "timestamp": at.to_rfc3339(),
        "user_id": "u-1",
        "source": "mobile",
        "properties": { "campaign_id": p.campaign.to_string(), "creative_id": p.creative.to_string(), "view_duration_seconds": 4 },
        "context": { "platform": "iOS", "user_segment": "HIGH_SPENDER", "region": "US-CA" }
    })
}

async fn send(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url("/api/v1/events")).bearer_auth(key).json(&body).send().await.unwrap()
}

/// Stored rows of the producers' events (the catalogue also logs its own `campaign_created`).
async fn stored_count(app: &TestApp) -> usize {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    server::entities::events::Entity::find()
        .filter(server::entities::events::Column::EventType.ne("campaign_created"))
        .count(&app.state.db)
        .await
        .unwrap() as usize
}

#[tokio::test]
async fn ingestion_needs_a_live_key_with_the_events_scope() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let body = json!([viewed(&p, Utc::now())]);
    let none = app.client.post(app.url("/api/v1/events")).json(&body).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.json::<ErrorBody>().await.unwrap().error.code, "unauthenticated");
    assert_eq!(send(&app, "sskey_wrong", body.clone()).await.status(), 401);
    let catalogue_only = producer(&app, &[Scope::Catalogue]).await;
    let res = send(&app, &catalogue_only.key, body.clone()).await;
    assert_eq!(res.status(), 403);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("'events'"));
    assert_eq!(send(&app, &p.key, body).await.status(), 200);
}

#[tokio::test]
async fn good_events_are_stored_beside_rejected_ones_with_named_fields() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let now = Utc::now();
    let mut bad_uuid = viewed(&p, now);
    bad_uuid["properties"]["creative_id"] = json!("not-a-uuid");
    let mut future = viewed(&p, now + Duration::minutes(10));
    future["user_id"] = json!("");
    let mut unknown_campaign = viewed(&p, now);
    unknown_campaign["properties"]["campaign_id"] = json!(Uuid::new_v4().to_string());
    let mut bad_source = viewed(&p, now);
    bad_source["source"] = json!("web");
    let negative = json!({
        "event_id": Uuid::new_v4().to_string(), "event_type": "user_purchased", "timestamp": now.to_rfc3339(),
        "user_id": "u-2", "source": "backend",
        "properties": { "order_id": Uuid::new_v4().to_string(), "order_value": -5.0 }
    });
    let bad_score = json!({
        "event_id": Uuid::new_v4().to_string(), "event_type": "user_segmented", "timestamp": now.to_rfc3339(),
        "user_id": "u-3", "source": "backend",
        "properties": { "segment_type": "HIGH_SPENDER", "segment_score": 1.2 }
    });
    let old = viewed(&p, now - Duration::days(31));
    let no_id = { let mut e = viewed(&p, now); e["event_id"] = Value::Null; e };
    let good = vec![viewed(&p, now), viewed(&p, now - Duration::hours(2))];

    let batch = json!([good[0], bad_uuid, future, unknown_campaign, bad_source, negative, bad_score, old, no_id, good[1]]);
    let res = send(&app, &p.key, batch).await;
    assert_eq!(res.status(), 200);
    let result: IngestResult = res.json().await.unwrap();
    assert_eq!(result.accepted, 2);
    let by_index = |i: usize| result.rejected.iter().filter(|r| r.index == i).map(|r| r.field.as_str()).collect::<Vec<_>>();
    assert_eq!(by_index(1), vec!["properties.creative_id"]);
    assert_eq!(by_index(2), vec!["user_id", "timestamp"]);
    assert_eq!(by_index(3), vec!["properties.campaign_id"]);
    assert_eq!(by_index(4), vec!["source"]);
    assert_eq!(by_index(5), vec!["properties.order_value"]);
    assert_eq!(by_index(6), vec!["properties.segment_score"]);
    assert_eq!(by_index(7), vec!["timestamp"]);
    assert_eq!(by_index(8), vec!["event_id"]);
    assert!(result.rejected.iter().all(|r| !r.reason.is_empty()));
    // Each reason says what is wrong.
    let reason = |i: usize, field: &str| result.rejected.iter().find(|r| r.index == i && r.field == field).unwrap().reason.clone();
    for (i, field, says) in [
        (1, "properties.creative_id", "UUID"),
        (2, "user_id", "required"),
        (2, "timestamp", "future"),
        (3, "properties.campaign_id", "unknown campaign"),
        (4, "source", "web"),
        (5, "properties.order_value", "≥ 0"),
        (6, "properties.segment_score", "between 0.0 and 1.0"),
        (7, "timestamp", "30 days"),
        (8, "event_id", "required"),
    ] {
        assert!(reason(i, field).contains(says), "{field}: {}", reason(i, field));
    }
    assert_eq!(result.rejected.iter().find(|r| r.index == 3).unwrap().event_id, unknown_campaign["event_id"].as_str().map(str::to_owned));
    assert_eq!(stored_count(&app).await, 2, "the two good events are stored");
}

#[tokio::test]
async fn every_rule_names_its_field_and_reason_and_the_good_events_are_stored() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let other = crate::support::create_campaign(&app, "Another campaign").await;
    let now = Utc::now();
    let event = |event_type: &str, properties: Value| {
        json!({ "event_id": Uuid::new_v4().to_string(), "event_type": event_type, "timestamp": now.to_rfc3339(), "user_id": "u-1", "source": "backend", "properties": properties })
    };
    let id = || Uuid::new_v4().to_string();
    let c = p.campaign.to_string();
    let mut null_time = viewed(&p, now);
    null_time["timestamp"] = Value::Null;
    let mut nul = viewed(&p, now);
    nul["user_id"] = json!("u-\u{0}-1");
    let mut nul_property = viewed(&p, now);
    nul_property["context"]["region"] = json!("US\u{0}");
    let mut unknown_creative = viewed(&p, now);
    unknown_creative["properties"]["creative_id"] = json!(id());
    let mut foreign_creative = viewed(&p, now);
    foreign_creative["properties"]["creative_id"] = json!(other.creatives[0].id.to_string());
    let cases: Vec<(Value, &str, &str)> = vec![
        (null_time, "timestamp", "is required"),
        (event("user_purchased", json!({ "order_id": "order-7", "order_value": 5.0 })), "properties.order_id", "UUID"),
        (event("user_purchased", json!({ "order_id": id() })), "properties.order_value", "required"),
        (event("campaign_created", json!({ "campaign_id": c, "marketer_id": "m", "campaign_type": "CASHBACK", "initial_budget": -1.0 })), "properties.initial_budget", "≥ 0"),
        (event("campaign_launched", json!({ "campaign_id": c, "marketer_id": "m", "budget_approved": -3.0 })), "properties.budget_approved", "≥ 0"),
        (event("budget_reallocated", json!({ "reallocation_id": id(), "marketer_id": "m", "from_campaign_id": c, "to_campaign_id": c, "amount": -10.0, "reallocation_reason": "performance" })), "properties.amount", "≥ 0"),
        (event("campaign_converted", json!({ "campaign_id": c, "creative_id": p.creative.to_string(), "order_id": id(), "order_value": 12.0, "incrementality_score": 1.5 })), "properties.incrementality_score", "between 0.0 and 1.0"),
        (event("model_inference_completed", json!({ "model_name": "uplift", "prediction": 0.4, "confidence_score": -0.1 })), "properties.confidence_score", "between 0.0 and 1.0"),
        (nul, "user_id", "NUL"),
        (nul_property, "context.region", "NUL"),
        (unknown_creative, "properties.creative_id", "unknown creative"),
        (foreign_creative, "properties.creative_id", "another campaign"),
        (event("budget_reallocated", json!({ "reallocation_id": id(), "marketer_id": "m", "from_campaign_id": c, "to_campaign_id": id(), "amount": 10.0, "reallocation_reason": "manual" })), "properties.to_campaign_id", "unknown campaign"),
        (event("budget_reallocated", json!({ "reallocation_id": id(), "marketer_id": "m", "from_campaign_id": c, "to_campaign_id": c, "amount": 10.0, "reallocation_reason": "manual" })), "properties.to_campaign_id", "another campaign"),
        (event("creative_variant_tested", json!({ "test_id": id(), "campaign_id": c, "variant_a_creative_id": p.creative.to_string(), "variant_b_creative_id": other.creatives[0].id.to_string(), "split_percentage": 50, "test_duration_days": 7, "primary_metric": "click_rate", "statistical_significance_threshold": 0.95 })), "properties.variant_b_creative_id", "another campaign"),
    ];
    let mut batch = vec![viewed(&p, now)];
    batch.extend(cases.iter().map(|(e, _, _)| e.clone()));
    batch.push(viewed(&p, now));
    let res = send(&app, &p.key, json!(batch)).await;
    assert_eq!(res.status(), 200);
    let result: IngestResult = res.json().await.unwrap();
    for (k, (_, field, reason)) in cases.iter().enumerate() {
        let rejections: Vec<_> = result.rejected.iter().filter(|r| r.index == k + 1).collect();
        assert!(rejections.iter().any(|r| r.field == *field && r.reason.contains(reason)), "case {k}: expected {field} ({reason}), got {rejections:?}");
    }
    assert_eq!(result.accepted, 2, "{:?}", result.rejected);
    assert_eq!(stored_count(&app).await, 2, "the good events are stored");
}

#[tokio::test]
async fn a_retried_batch_is_stored_once() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let batch = json!((0..5).map(|_| viewed(&p, Utc::now())).collect::<Vec<_>>());
    let first: IngestResult = send(&app, &p.key, batch.clone()).await.json().await.unwrap();
    assert_eq!((first.accepted, first.duplicates), (5, 0));
    for _ in 0..3 {
        let again: IngestResult = send(&app, &p.key, batch.clone()).await.json().await.unwrap();
        assert_eq!((again.accepted, again.duplicates), (0, 5));
    }
    // The same event twice within one batch is also one event.
    let twice = json!([batch[0], batch[0]]);
    let result: IngestResult = send(&app, &p.key, twice).await.json().await.unwrap();
    assert_eq!(result.duplicates, 2);
    assert_eq!(stored_count(&app).await, 5);
    let volume = server::services::event_volume::hourly(&app.state.db, Utc::now(), 2).await.unwrap();
    assert_eq!(volume.total, 5 + 1, "the hourly rollup counts each event once (five views, the campaign's creation)");
}

#[tokio::test]
async fn a_change_within_five_minutes_is_a_correction_and_later_a_conflict() {
    let clock = Clock::fixed(Utc::now());
    let app = spawn_app_with(clock.clone()).await;
    let p = producer(&app, &[Scope::Events]).await;
    let original = viewed(&p, clock.now() - Duration::minutes(1));
    let event_id: Uuid = original["event_id"].as_str().unwrap().parse().unwrap();
    send(&app, &p.key, json!([original])).await;

    clock.advance(Duration::minutes(3));
    let mut corrected = original.clone();
    corrected["properties"]["view_duration_seconds"] = json!(9);
    let result: IngestResult = send(&app, &p.key, json!([corrected])).await.json().await.unwrap();
    assert_eq!((result.accepted, result.corrections), (1, 1));
    let versions = server::ingest::versions_of(&app.state.db, event_id).await.unwrap();
    assert_eq!(versions.len(), 2, "the first version is kept, never updated");
    assert_eq!(versions[1].version, 2);
    assert_eq!(versions[1].properties["view_duration_seconds"], 9);
    let volume = server::services::event_volume::hourly(&app.state.db, clock.now(), 2).await.unwrap();
    assert_eq!(volume.total, 1 + 1, "a correction replaces, it does not add (one view, the campaign's creation)");
    // A retry of the original after its correction is a duplicate, not another correction.
    let retry: IngestResult = send(&app, &p.key, json!([original])).await.json().await.unwrap();
    assert_eq!((retry.accepted, retry.duplicates, retry.corrections), (0, 1, 0));
    assert_eq!(server::ingest::versions_of(&app.state.db, event_id).await.unwrap().len(), 2);

    // A corrected purchase counts at its new value in the metrics, once.
    let purchase = json!({
        "event_id": Uuid::new_v4().to_string(), "event_type": "user_purchased", "timestamp": clock.now().to_rfc3339(),
        "user_id": "u-corrected", "source": "backend", "properties": { "order_id": Uuid::new_v4().to_string(), "order_value": 10.0 }
    });
    send(&app, &p.key, json!([purchase])).await;
    let mut fixed = purchase.clone();
    fixed["properties"]["order_value"] = json!(25.0);
    let result: IngestResult = send(&app, &p.key, json!([fixed])).await.json().await.unwrap();
    assert_eq!(result.corrections, 1);
    let cents = app.state.metrics.read(|store| {
        let user = store.user_index("u-corrected").unwrap();
        store.users[user as usize].facts.iter().map(|f| f.cents).collect::<Vec<_>>()
    });
    assert_eq!(cents, vec![2_500], "the first version is taken back, the correction counts");

    clock.advance(Duration::minutes(3));
    let mut late_change = original.clone();
    late_change["properties"]["view_duration_seconds"] = json!(30);
    let result: IngestResult = send(&app, &p.key, json!([late_change])).await.json().await.unwrap();
    assert_eq!(result.accepted, 0);
    assert_eq!(result.rejected[0].field, "event_id");
    assert!(result.rejected[0].reason.contains("5 minutes"));
}

#[tokio::test]
async fn late_events_are_tagged_and_history_needs_the_backfill_scope() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let late = viewed(&p, Utc::now() - Duration::hours(30));
    let late_id: Uuid = late["event_id"].as_str().unwrap().parse().unwrap();
    send(&app, &p.key, json!([late])).await;
    assert!(server::ingest::versions_of(&app.state.db, late_id).await.unwrap()[0].late_arrival);

    let history = viewed(&p, Utc::now() - Duration::days(40));
    let refused: IngestResult = send(&app, &p.key, json!([history])).await.json().await.unwrap();
    assert_eq!(refused.rejected[0].field, "timestamp");
    let backfill = producer(&app, &[Scope::Events, Scope::Backfill]).await;
    let mut history = viewed(&backfill, Utc::now() - Duration::days(40));
    history["event_id"] = json!(Uuid::new_v4().to_string());
    let id: Uuid = history["event_id"].as_str().unwrap().parse().unwrap();
    let accepted: IngestResult = send(&app, &backfill.key, json!([history])).await.json().await.unwrap();
    assert_eq!(accepted.accepted, 1);
    assert!(server::ingest::versions_of(&app.state.db, id).await.unwrap()[0].backfilled);
}

#[tokio::test]
async fn ndjson_and_the_events_object_are_accepted() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let lines = format!("{}\n{}\n", viewed(&p, Utc::now()), viewed(&p, Utc::now()));
    let res = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&p.key)
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<IngestResult>().await.unwrap().accepted, 2);
    let wrapped: IngestResult = send(&app, &p.key, json!({ "events": [viewed(&p, Utc::now())] })).await.json().await.unwrap();
    assert_eq!(wrapped.accepted, 1);
}

#[tokio::test]
async fn bad_bodies_are_4xx_never_5xx() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let post = |body: Vec<u8>| app.client.post(app.url("/api/v1/events")).bearer_auth(&p.key).header("content-type", "application/json").body(body);

    let res = post(b"[{\"event_id\": }]".to_vec()).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("column"));
    let mut noise = vec![0u8; 4096];
    for (i, b) in noise.iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    assert_eq!(post(noise).send().await.unwrap().status(), 400);
    assert_eq!(post("[".repeat(100_000).into_bytes()).send().await.unwrap().status(), 400);
    assert_eq!(post(b"[1, \"x\", null]".to_vec()).send().await.unwrap().status(), 200, "non-objects are rejected one by one");
    let too_many = format!("[{}]", vec!["{}"; 1001].join(","));
    assert_eq!(post(too_many.into_bytes()).send().await.unwrap().status(), 413);
    let huge = vec![b' '; 9 * 1024 * 1024];
    let res = post(huge).send().await.unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.expect("a JSON error, like every other");
    assert!(body["error"]["message"].as_str().unwrap().contains("MiB"), "{body}");
}

#[tokio::test]
async fn the_runbook_endpoint_takes_one_flat_event_and_answers_with_its_result() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    // Exactly the spec's smoke test: no event id, no source, a campaign id that is not a UUID.
    let runbook = json!({ "event_type": "campaign_delivered", "campaign_id": "test-campaign-123", "user_id": "test-user-456", "timestamp": "2026-01-01T00:00:00Z" });
    let res = app.client.post(app.url("/api/analytics/events")).bearer_auth(&p.key).json(&runbook).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let result: IngestResult = res.json().await.unwrap();
    assert_eq!(result.accepted, 0);
    let fields: Vec<&str> = result.rejected.iter().map(|r| r.field.as_str()).collect();
    assert!(fields.contains(&"event_id") && fields.contains(&"source"), "{fields:?}");

    let flat = json!({
        "event_id": Uuid::new_v4().to_string(), "event_type": "campaign_clicked", "timestamp": Utc::now().to_rfc3339(),
        "user_id": "u-9", "source": "mobile", "campaign_id": p.campaign.to_string(), "creative_id": p.creative.to_string(),
        "click_type": "cta"
    });
    let result: IngestResult =
        app.client.post(app.url("/api/analytics/events")).bearer_auth(&p.key).json(&flat).send().await.unwrap().json().await.unwrap();
    assert_eq!(result.accepted, 1, "{result:?}");
    let anonymous = app.client.post(app.url("/api/analytics/events")).json(&flat).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "a valid key is still required");
}

#[tokio::test]
async fn each_key_has_its_own_request_budget() {
    let app = spawn_app_configured(|s| s.key_requests_per_minute = 3).await;
    let p = producer(&app, &[Scope::Events]).await;
    let other = producer(&app, &[Scope::Events]).await;
    for _ in 0..3 {
        assert_eq!(send(&app, &p.key, json!([viewed(&p, Utc::now())])).await.status(), 200);
    }
    let res = send(&app, &p.key, json!([viewed(&p, Utc::now())])).await;
    assert_eq!(res.status(), 429);
    let wait: i64 = res.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    assert_eq!(send(&app, &other.key, json!([viewed(&other, Utc::now())])).await.status(), 200, "another key is unaffected");
}

#[tokio::test]
async fn every_batch_feeds_the_quality_metrics_and_their_alerts() {
    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let now = Utc::now();
    let mut late = viewed(&p, now - Duration::hours(30));
    late["context"] = json!({});
    let first = viewed(&p, now);
    let mut out_of_range = viewed(&p, now);
    out_of_range["timestamp"] = json!((now + Duration::hours(1)).to_rfc3339());
    let unknown_type = json!({ "event_id": Uuid::new_v4().to_string(), "event_type": "campaign_teleported", "timestamp": now.to_rfc3339(), "user_id": "u", "source": "mobile" });
    // 6 received: 3 stored (1 late, without context), 1 duplicate, 1 rule violation, 1 schema failure (an unknown type).
    let batch = json!([first, viewed(&p, now), late, first, out_of_range, unknown_type]);
    let result: IngestResult = send(&app, &p.key, batch).await.json().await.unwrap();
    assert_eq!((result.accepted, result.duplicates), (3, 1));

    let ds = app.sign_in(app::access::Role::DataScience).await;
    let report: app::wire::QualityReport = app.get_with_cookie("/api/v1/quality?hours=1", &ds.cookie).await.json().await.unwrap();
    let campaign = report.by_category.iter().find(|c| c.category == analytics::quality::Category::Campaign).unwrap();
    assert_eq!(campaign.counts.received, 5);
    assert_eq!(campaign.counts.stored, 3);
    assert_eq!(campaign.counts.duplicates, 1);
    assert_eq!(campaign.counts.valid, 4);
    assert_eq!(campaign.counts.schema_ok, 5, "a timestamp out of range still matches the schema");
    assert_eq!(campaign.counts.late, 1);
    assert_eq!(campaign.counts.complete, 2);
    let m = &campaign.metrics;
    assert_eq!(m.validation_pass_rate_percent, Some(80.0));
    assert_eq!(m.duplicate_rate_percent, Some(20.0));
    assert!(m.data_freshness_minutes.is_some_and(|f| f < 2.0));
    let unknown = report.by_category.iter().find(|c| c.category == analytics::quality::Category::Unknown).unwrap();
    assert_eq!((unknown.counts.received, unknown.counts.schema_ok), (1, 0));
    assert_eq!(report.overall.schema_compliance_percent.map(|v| (v * 10.0).round() / 10.0), Some(83.3));
    let critical: Vec<&str> = report
        .overall
        .alerts
        .iter()
        .filter(|a| a.level == analytics::quality::AlertLevel::Critical)
        .map(|a| a.metric.as_str())
        .collect();
    assert_eq!(critical, vec!["validation_pass_rate_percent"], "4 valid of 6 is below 95%");

    let cmo = app.sign_in(app::access::Role::Cmo).await;
    assert_eq!(app.get_with_cookie("/api/v1/quality", &cmo.cookie).await.status(), 403);
    assert_eq!(app.get_with_cookie("/api/v1/quality?hours=0", &ds.cookie).await.status(), 422);
}

#[tokio::test]
async fn a_valid_example_of_every_event_type_is_accepted() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use std::collections::BTreeSet;

    let app = spawn_app().await;
    let p = producer(&app, &[Scope::Events]).await;
    let other = crate::support::create_campaign(&app, "Weekend Cashback").await.id.to_string();
    // A campaign with two creatives, for the A/B test's two variants.
    let mut two = crate::support::campaign_request("Two creatives");
    two.creatives.push(app::wire::CreativeInput { id: None, name: "B".to_owned(), headline: "Save more".to_owned(), body: "Now".to_owned(), call_to_action: "Go".to_owned() });
    let tested = crate::support::create_campaign_from(&app, two).await;
    let (tested_campaign, variant_a, variant_b) = (tested.id.to_string(), tested.creatives[0].id.to_string(), tested.creatives[1].id.to_string());
    let now = Utc::now();
    let at = now.to_rfc3339();
    let id = || Uuid::new_v4().to_string();
    let (campaign, creative) = (p.campaign.to_string(), p.creative.to_string());
    let event = |event_type: &str, user_id: &str, source: &str, properties: Value| {
        json!({
            "event_id": Uuid::new_v4().to_string(), "event_type": event_type, "timestamp": at, "user_id": user_id,
            "session_id": "s-1", "source": source, "properties": properties,
            "context": { "app_version": "4.2.0", "platform": "iOS", "user_segment": "HIGH_SPENDER", "region": "US-CA" }
        })
    };
    // One example per type, in the order of `EVENT_TYPES`; enums in their serde spellings.
    let examples = vec![
        event("campaign_delivered", "u-1", "backend", json!({
            "campaign_id": campaign, "campaign_type": "DISCOUNT", "creative_id": creative, "segment_id": "HIGH_SPENDER",
            "delivery_channel": "push", "scheduled_time": at, "is_holdout": false, "allocation_method": "ai_optimized"
        })),
        event("campaign_viewed", "u-1", "mobile", json!({
            "campaign_id": campaign, "creative_id": creative, "view_duration_seconds": 4, "view_type": "opened", "impression_position": 1
        })),
        event("campaign_clicked", "u-1", "mobile", json!({
            "campaign_id": campaign, "creative_id": creative, "click_type": "cta", "destination_url": "swipesavvy://offers/summer", "time_to_click_seconds": 7
        })),
        event("campaign_converted", "u-1", "backend", json!({
            "campaign_id": campaign, "creative_id": creative, "conversion_delay_seconds": 3600, "order_id": id(), "order_value": 42.5,
            "attribution_model": "last_touch", "is_incremental": true, "incrementality_score": 0.7
        })),
        event("campaign_abandoned", "u-2", "backend", json!({ "campaign_id": campaign, "reason": "expired", "days_to_abandon": 14 })),
        event("user_segmented", "u-1", "backend", json!({
            "segment_id": "HIGH_SPENDER", "segment_type": "HIGH_SPENDER", "segment_score": 0.85, "previous_segment": "NEW_SHOPPER", "segment_change_reason": "spend_threshold"
        })),
        event("user_purchased", "u-1", "backend", json!({
            "order_id": id(), "order_value": 42.5, "order_category": "groceries", "order_timestamp": at, "payment_method": "card",
            "promo_code_used": false, "is_repeat_purchase": true, "days_since_last_purchase": 3
        })),
        event("user_engaged", "u-1", "mobile", json!({ "engagement_type": "view_rewards", "session_duration_seconds": 120, "screen_name": "rewards" })),
        event("user_unsubscribed", "u-3", "mobile", json!({ "unsubscribe_type": "push_only", "unsubscribe_reason": "too_many", "campaign_id": campaign })),
        event("campaign_created", "m-1", "admin_portal", json!({
            "campaign_id": campaign, "marketer_id": "m-1", "campaign_type": "DISCOUNT", "target_segment_id": "HIGH_SPENDER",
            "initial_budget": 20000.0, "template_used": "seasonal", "time_to_completion_minutes": 25
        })),
        event("campaign_launched", "m-1", "admin_portal", json!({
            "campaign_id": campaign, "marketer_id": "m-1", "actual_audience_size": 5000, "scheduled_delivery_time": at,
            "budget_approved": 20000.0, "ai_recommendation_applied": true, "ai_recommendation_score": 0.8
        })),
        event("campaign_paused", "m-1", "admin_portal", json!({
            "campaign_id": campaign, "marketer_id": "m-1", "pause_reason": "low_performance", "time_to_pause_hours": 48,
            "pause_metrics_snapshot": { "roas": 0.9 }
        })),
        event("budget_reallocated", "m-1", "admin_portal", json!({
            "reallocation_id": id(), "marketer_id": "m-1", "from_campaign_id": campaign, "to_campaign_id": other,
            "amount": 500.0, "reallocation_reason": "ai_recommendation", "ai_recommendation_id": id()
        })),
        event("dashboard_accessed", "m-2", "admin_portal", json!({
            "user_role": "cmo", "dashboard_section": "kpi", "time_spent_seconds": 90, "filters_applied": { "range": "7d" }, "export_requested": false
        })),
        event("creative_variant_tested", "m-1", "admin_portal", json!({
            "test_id": id(), "campaign_id": tested_campaign, "variant_a_creative_id": variant_a, "variant_b_creative_id": variant_b,
            "split_percentage": 50, "test_duration_days": 14, "primary_metric": "conversion_rate", "statistical_significance_threshold": 0.95
        })),
        event("data_refresh_completed", "system", "backend", json!({
            "refresh_id": id(), "data_source": "events", "records_processed": 1200, "refresh_duration_seconds": 2.5,
            "data_lag_seconds": 30, "errors_encountered": 0
        })),
        event("metric_calculation_completed", "system", "backend", json!({
            "metric_id": "roas", "calculation_timestamp": at, "calculation_duration_ms": 120, "result_value": 3.2,
            "dimension_breakdown": { "DISCOUNT": 3.2 }, "data_completeness_percentage": 99.5
        })),
        event("anomaly_detected", "system", "backend", json!({
            "anomaly_id": id(), "metric_id": "conversion_rate", "anomaly_type": "drop", "anomaly_severity": "warning",
            "expected_value": 0.05, "actual_value": 0.02, "percentage_deviation": -60.0, "affected_records": 300, "auto_remediation_applied": false
        })),
        event("model_inference_completed", "u-1", "backend", json!({
            "model_name": "uplift", "inference_timestamp": at, "input_record_id": id(), "prediction": 0.4, "confidence_score": 0.9,
            "inference_duration_ms": 12, "feature_importance_top_3": ["recency", "frequency", "spend"]
        })),
        event("user_action_recommended", "m-1", "backend", json!({
            "recommendation_id": id(), "recommendation_type": "reallocate_budget", "target_entity_id": campaign,
            "impact_projection": { "projected_roas_change_percent": 12.0, "projected_revenue_impact": 1500.0, "confidence_score": 0.75 },
            "confidence_level": "high", "expiration_time": (now + Duration::days(7)).to_rfc3339()
        })),
        event("consent_updated", "u-3", "mobile", json!({ "channel": "email", "status": "opted_in", "method": "double_opt_in", "source": "settings", "region": "US-CA" })),
        event("experiment_decided", "m-1", "admin_portal", json!({
            "test_id": id(), "campaign_id": tested_campaign, "decision": "shipped", "marketer_id": "m-1", "winner_creative_id": variant_b,
            "primary_metric": "click_rate", "p_value": 0.01, "automatic": false, "test_duration_days": 14
        })),
    ];
    assert_eq!(analytics::events::EVENT_TYPES.len(), 22, "a new event type needs an example here");
    let sent: Vec<&str> = examples.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(sent, analytics::events::EVENT_TYPES, "one example of each type, in order");

    let res = send(&app, &p.key, json!(examples)).await;
    assert_eq!(res.status(), 200);
    let result: IngestResult = res.json().await.unwrap();
    assert!(result.rejected.is_empty(), "rejected: {:#?}", result.rejected);
    assert_eq!((result.accepted, result.duplicates, result.corrections), (22, 0, 0), "{result:?}");

    // The producer's rows (the catalogue's own `campaign_created` is stored without a key).
    let rows = server::entities::events::Entity::find()
        .filter(server::entities::events::Column::KeyId.is_not_null())
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 22);
    let stored: BTreeSet<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(stored, analytics::events::EVENT_TYPES.iter().copied().collect::<BTreeSet<_>>());
}
