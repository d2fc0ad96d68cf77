//! Alerts (issue #9, docs/alerts.md): the anomaly detector over a stream with a weekly peak and an
//! injected spike; a threshold rule that fires once, reaches a local webhook receiver signed (after
//! a refused first attempt, on the backoff), and is acknowledged.

use std::sync::{Arc, Mutex};

use app::access::{Role, Scope};
use app::wire::{AlertList, AlertRuleView, AlertView, ErrorBody};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use serde_json::{Value, json};
use server::clock::Clock;
use uuid::Uuid;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{campaign_request, spawn_app_with_clock_configured};

/// A receiver that answers each delivery with the next status of `answers` (then 200), keeping
/// what it got.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>,
    answers: Arc<Mutex<Vec<u16>>>,
}

async fn receiver(answers: Vec<u16>) -> (String, Receiver) {
    let r = Receiver { got: Default::default(), answers: Arc::new(Mutex::new(answers)) };
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let state = state.clone();
            async move {
                state.got.lock().unwrap().push((headers, body));
                let mut answers = state.answers.lock().unwrap();
                let code = if answers.is_empty() { 200 } else { answers.remove(0) };
                axum::http::StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), r)
}

#[tokio::test]
async fn a_rule_fires_once_reaches_the_webhook_signed_after_a_retry_and_is_acknowledged() {
    let (url, hook) = receiver(vec![500]).await;
    let secret = "test-webhook-secret";
    let (world, launched) = crate::recommendations::week_of_configured(&[("Losing", 50.0)], |s| {
        s.alerts.webhook_url = Some(url.clone());
        s.alerts.interval_minutes = 1_000_000;
        s.webhook_secret = Some(secret.to_owned().into());
    })
    .await;
    let losing = &launched[0];
    let app = &world.app;
    let cmo = &world.cmo;
    let send = |method: reqwest::Method, path: &str, body: Value| {
        app.client.request(method, app.url(path)).header("cookie", &cmo.cookie).header("origin", app.origin()).json(&body).send()
    };

    // Any user sets a rule: ROAS of the losing campaign below 2.5× for 2 days. Bad ones are named.
    let res = send(reqwest::Method::POST, "/api/v1/alert-rules", json!({ "name": "x", "metric": "roi", "filters": "campaign=nope", "comparison": "under", "threshold": 2.5, "for_days": 0 })).await.unwrap();
    assert_eq!(res.status(), 422);
    let fields: Vec<String> = res.json::<ErrorBody>().await.unwrap().error.fields.into_iter().map(|f| f.field).collect();
    assert_eq!(fields, ["name", "metric", "comparison", "for_days", "filters"]);
    let rule = json!({ "name": "Losing below 2.5x", "metric": "roas", "filters": format!("campaign={}", losing.id), "comparison": "below", "threshold": 2.5, "for_days": 2 });
    let res = send(reqwest::Method::POST, "/api/v1/alert-rules", rule).await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
    let rule: AlertRuleView = res.json().await.unwrap();

    // It holds: one alert, once.
    assert_eq!(server::services::alerts::evaluate_rules(&app.state).await.unwrap(), 1);
    assert_eq!(server::services::alerts::evaluate_rules(&app.state).await.unwrap(), 0, "fires once while it holds");
    let data_science = app.sign_in(Role::DataScience).await;
    let list: AlertList = app.get_with_cookie("/api/v1/alerts?source=threshold", &data_science.cookie).await.json().await.unwrap();
    assert_eq!(list.total, 1);
    let alert = &list.items[0];
    assert_eq!((alert.rule_id, alert.campaign_id, alert.kind.as_str()), (Some(rule.id), Some(losing.id), "below"));
    assert!(alert.message.contains("ROAS below 2.5×") && alert.message.contains("last 2 days"), "{}", alert.message);
    let rules: Vec<AlertRuleView> = app.get_with_cookie("/api/v1/alert-rules", &cmo.cookie).await.json().await.unwrap();
    assert_eq!(rules[0].firing, Some(alert.id));

    // The webhook: refused once (500), retried after the backoff (30 s by the server's clock), signed.
    server::services::webhook::deliver_due(&app.state).await.unwrap();
    for _ in 0..100 {
        if !hook.got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(hook.got.lock().unwrap().len(), 1);
    assert_eq!(server::services::webhook::deliver_due(&app.state).await.unwrap(), 0, "not before the backoff");
    app.state.clock.set(app.state.clock.now() + Duration::seconds(31));
    server::services::webhook::deliver_due(&app.state).await.unwrap();
    for _ in 0..100 {
        if hook.got.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let got = hook.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "a refused attempt and one retry");
    let (headers, body) = &got[1];
    let timestamp: i64 = headers["x-swipesavvy-timestamp"].to_str().unwrap().parse().unwrap();
    assert_eq!(headers["x-swipesavvy-signature"].to_str().unwrap(), server::services::webhook::sign(secret.as_bytes(), timestamp, body));
    let delivered: Value = serde_json::from_str(body).unwrap();
    assert_eq!(delivered["alert"]["id"], alert.id.to_string());
    assert_eq!(delivered["alert"]["source"], "threshold");
    server::services::webhook::deliver_due(&app.state).await.unwrap();
    assert_eq!(hook.got.lock().unwrap().len(), 2, "delivered once");
    let list: AlertList = app.get_with_cookie("/api/v1/alerts", &data_science.cookie).await.json().await.unwrap();
    assert_eq!(list.items.iter().find(|a| a.id == alert.id).unwrap().delivery.as_deref(), Some("delivered after 2 attempts"));

    // Acknowledged, once, by someone who sees System Health; audited.
    let ack = |who: &crate::support::Session, id: Uuid| {
        app.client.post(app.url(&format!("/api/v1/alerts/{id}/acknowledge"))).header("cookie", &who.cookie).header("origin", app.origin()).json(&json!({ "note": "looking into it" })).send()
    };
    assert_eq!(ack(cmo, alert.id).await.unwrap().status(), 403, "the CMO does not see Module 9");
    let res = ack(&data_science, alert.id).await.unwrap();
    assert_eq!(res.status(), 200);
    let acked: AlertView = res.json().await.unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some(data_science.email.as_str()));
    assert_eq!(ack(&data_science, alert.id).await.unwrap().status(), 409);
    let unacked: AlertList = app.get_with_cookie("/api/v1/alerts?status=unacknowledged", &data_science.cookie).await.json().await.unwrap();
    assert!(unacked.items.iter().all(|a| a.id != alert.id));

    // Only its author (or an administrator) deletes the rule; then its alert clears.
    let res = app.client.delete(app.url(&format!("/api/v1/alert-rules/{}", rule.id))).header("cookie", &data_science.cookie).header("origin", app.origin()).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = send(reqwest::Method::DELETE, &format!("/api/v1/alert-rules/{}", rule.id), json!({})).await.unwrap();
    assert_eq!(res.status(), 204);
    server::services::alerts::evaluate_rules(&app.state).await.unwrap();
    let open: AlertList = app.get_with_cookie("/api/v1/alerts", &data_science.cookie).await.json().await.unwrap();
    assert!(open.items.iter().all(|a| a.id != alert.id), "cleared");
}

/// A stream of one campaign's deliveries: `per_hour(hour)` each hour from `start`.
async fn stream(app: &crate::support::TestApp, key: &str, campaign: &app::wire::CampaignView, start: DateTime<Utc>, hours: i64, per_hour: impl Fn(DateTime<Utc>) -> u32) {
    let mut events = Vec::new();
    for h in 0..hours {
        let hour = start + Duration::hours(h);
        for i in 0..per_hour(hour) {
            let at = hour + Duration::seconds(i64::from(i) * 7 % 3_600);
            events.push(json!({
                "event_id": Uuid::new_v4().to_string(), "event_type": "campaign_delivered", "timestamp": at.to_rfc3339(), "user_id": format!("u{}", (h * 31 + i64::from(i)) % 500),
                "source": "backend",
                "properties": { "campaign_id": campaign.id, "campaign_type": "DISCOUNT", "creative_id": campaign.creatives[0].id, "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false },
                "context": { "platform": "iOS", "user_segment": "HIGH_SPENDER", "region": "US-CA" }
            }));
        }
    }
    for batch in events.chunks(1_000) {
        let res = app.client.post(app.url("/api/v1/events")).bearer_auth(key).json(&batch).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["rejected"].as_array().map(Vec::len), Some(0), "{}", body["rejected"][0]);
    }
}

#[tokio::test]
async fn an_injected_spike_is_an_anomaly_and_the_weekly_peak_is_not() {
    // Five weeks from a Monday: 10 deliveries an hour, 60 every Monday 09:00; on the last Monday
    // 14:00, 150 (the spike).
    let start = Utc.with_ymd_and_hms(2026, 9, 28, 0, 0, 0).unwrap();
    assert_eq!(start.weekday(), Weekday::Mon);
    let monday = start + Duration::weeks(5);
    let (peak, spike) = (monday + Duration::hours(9), monday + Duration::hours(14));
    let app = spawn_app_with_clock_configured(Clock::fixed(monday + Duration::hours(16)), |_| {}).await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "sender", &[Scope::Events, Scope::Catalogue, Scope::Backfill], None, start).await.unwrap();
    let res = app.client.post(app.url("/api/v1/campaigns")).bearer_auth(&key).json(&campaign_request("Steady")).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let campaign: app::wire::CampaignView = res.json().await.unwrap();
    // Running (the detector judges active campaigns); the approval workflow is tested elsewhere.
    use sea_orm::{ActiveModelTrait, Set};
    let row = server::entities::campaigns::Entity::find_by_id(campaign.id).one(&app.state.db).await.unwrap().unwrap();
    let mut active: server::entities::campaigns::ActiveModel = row.into();
    active.status = Set("active".to_owned());
    active.starts_at = Set(Some(start));
    active.update(&app.state.db).await.unwrap();
    app.state.metrics.after_catalogue_change(&app.state.db).await.unwrap();
    stream(&app, &key, &campaign, start, 5 * 168 + 16, |hour| {
        if hour == spike {
            150
        } else if hour.weekday() == Weekday::Mon && hour.time().format("%H").to_string() == "09" {
            60
        } else {
            10
        }
    })
    .await;

    let sends = |found: &[analytics::anomaly::Found]| found.iter().filter(|f| f.campaign == Some(campaign.id) && f.metric == analytics::anomaly::Metric::Sends).cloned().collect::<Vec<_>>();
    let at_peak = server::services::alerts::judge_anomalies(&app.state, peak.timestamp()).await.unwrap();
    assert!(sends(&at_peak).is_empty(), "a normal Monday morning: {at_peak:#?}");
    let at_spike = server::services::alerts::judge_anomalies(&app.state, spike.timestamp()).await.unwrap();
    let found = sends(&at_spike);
    assert_eq!(found.len(), 1, "{at_spike:#?}");
    assert_eq!(found[0].anomaly.kind, analytics::events::AnomalyType::Spike);
    assert!(found[0].anomaly.z_score > 3.0);

    // An alert for Module 9, and the spec's event.
    let admin = app.sign_in(Role::Admin).await;
    let list: AlertList = app.get_with_cookie("/api/v1/alerts?source=anomaly", &admin.cookie).await.json().await.unwrap();
    let alert = list.items.iter().find(|a| a.campaign_id == Some(campaign.id) && a.metric == "sends").expect("the spike's alert");
    assert_eq!((alert.kind.as_str(), alert.observed), ("spike", Some(150.0)));
    let events = server::entities::events::Entity::find().filter(server::entities::events::Column::EventType.eq("anomaly_detected")).all(&app.state.db).await.unwrap();
    assert!(events.iter().any(|e| e.properties["metric_id"] == format!("campaign/{}/sends", campaign.id)), "{events:?}");

    // The engine reads it: a recommendation about the campaign carries it as evidence.
    server::services::recommendations::run(&app.state).await.unwrap();
    let queue = server::services::recommendations::list(&app.state.db, &Default::default(), app.state.clock.now()).await.unwrap();
    let about = queue.items.iter().find(|i| i.recommendation.target.id == campaign.id.to_string()).expect("a recommendation about the campaign (it has no holdout)");
    assert!(about.recommendation.evidence.iter().any(|e| e.starts_with("Anomaly detected: Deliveries")), "{:?}", about.recommendation.evidence);
    assert!(queue.items.iter().all(|i| i.recommendation.kind.as_str() != "improve_data_quality"), "a spike is no data problem");

    // The next ordinary hour is normal again: the alert clears.
    server::services::alerts::judge_anomalies(&app.state, (spike + Duration::hours(1)).timestamp()).await.unwrap();
    let open: AlertList = app.get_with_cookie("/api/v1/alerts?source=anomaly", &admin.cookie).await.json().await.unwrap();
    assert!(open.items.iter().all(|a| a.id != alert.id));

    // Then the events stop for the hour from 17:00, where ten are usual, and one arrives at 18:00.
    // (The hour from 16:00 holds the detector's own `anomaly_detected` events.) The data is fresh,
    // yet the events overall are missing data, and the engine asks the data team to look
    // (docs/recommendations.md, `event_anomaly`).
    let quiet = monday + Duration::hours(17);
    app.state.clock.set(quiet + Duration::minutes(65));
    stream(&app, &key, &campaign, quiet + Duration::hours(1), 1, |_| 1).await;
    let fell = server::services::alerts::judge_anomalies(&app.state, quiet.timestamp()).await.unwrap();
    // Events are expected while a campaign is live: Steady is set live again (the engine's run
    // above paused it, as it went live with no approval in the audit log).
    let row = server::entities::campaigns::Entity::find_by_id(campaign.id).one(&app.state.db).await.unwrap().unwrap();
    let mut active: server::entities::campaigns::ActiveModel = row.into();
    active.status = Set("active".to_owned());
    active.update(&app.state.db).await.unwrap();
    assert!(fell.iter().any(|f| f.campaign.is_none() && f.metric == analytics::anomaly::Metric::Events), "{fell:#?}");
    server::services::recommendations::run(&app.state).await.unwrap();
    let queue = server::services::recommendations::list(&app.state.db, &Default::default(), app.state.clock.now()).await.unwrap();
    let data: Vec<(&str, &str)> = queue.items.iter().filter(|i| i.recommendation.kind.as_str() == "improve_data_quality").map(|i| (i.recommendation.trigger.as_str(), i.recommendation.target.id.as_str())).collect();
    assert_eq!(data, [("event_anomaly", "system")]);
}

#[tokio::test]
async fn a_spike_in_the_simulators_live_stream_is_an_anomaly_and_its_weekly_pattern_is_not() {
    use analytics::simulator::live::{LiveCampaign, LiveModel};
    use analytics::simulator::{Faults, SimConfig};
    // The product's simulator, live, hour by hour for five weeks from a Monday: about 12 events an
    // hour, 5× that every Monday 09:00, and once, on the last Monday at 15:00, 10× (the spike).
    let start = Utc.with_ymd_and_hms(2026, 9, 28, 0, 0, 0).unwrap();
    let monday = start + Duration::weeks(5);
    let (peak, spike) = (monday + Duration::hours(9), monday + Duration::hours(15));
    let app = spawn_app_with_clock_configured(Clock::fixed(monday + Duration::hours(17)), |_| {}).await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "sender", &[Scope::Events, Scope::Backfill], None, start).await.unwrap();
    let config = SimConfig { seed: 9, users: 400, days: 40, campaigns: 2, start, holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    let world = analytics::simulator::world(&config);
    server::services::simulate::load_catalogue(&app.state, &world, start).await.unwrap();
    app.state.metrics.after_catalogue_change(&app.state.db).await.unwrap();
    let campaigns: Vec<LiveCampaign> = world
        .campaigns
        .iter()
        .map(|c| LiveCampaign {
            id: c.id,
            campaign_type: c.campaign_type,
            channel: c.channel,
            target_segments: c.target_segments.clone(),
            creatives: c.creatives.iter().map(|k| k.id).collect(),
            status: analytics::CampaignStatus::Active,
            budget_cents: c.budget_cents,
            holdout_share: 0.1,
            frequency_cap_per_week: None,
            experiment: None,
        })
        .collect();
    let mut model = LiveModel::new(&world);
    let mut events = Vec::new();
    for h in 0..(5 * 168 + 17) {
        let hour = start + Duration::hours(h);
        let per_hour = if hour == spike {
            120
        } else if hour.weekday() == Weekday::Mon && hour.time().format("%H").to_string() == "09" {
            60
        } else {
            12
        };
        events.extend(model.tick(&campaigns, hour + Duration::minutes(59), Duration::minutes(59), per_hour));
    }
    let (mut accepted, mut sent) = (0, 0);
    for batch in events.chunks(1_000) {
        let res = app.client.post(app.url("/api/v1/events")).bearer_auth(&key).json(&batch).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        sent += batch.len();
        accepted += body["accepted"].as_u64().unwrap_or(0) as usize;
    }
    assert!(accepted * 10 >= sent * 8, "most of the stream is accepted ({accepted} of {sent})");

    let overall_events = |found: &[analytics::anomaly::Found]| found.iter().filter(|f| f.campaign.is_none() && f.metric == analytics::anomaly::Metric::Events).cloned().collect::<Vec<_>>();
    let at_peak = server::services::alerts::judge_anomalies(&app.state, peak.timestamp()).await.unwrap();
    assert!(overall_events(&at_peak).is_empty(), "the weekly Monday peak: {at_peak:#?}");
    let at_spike = server::services::alerts::judge_anomalies(&app.state, spike.timestamp()).await.unwrap();
    let found = overall_events(&at_spike);
    assert_eq!(found.len(), 1, "{at_spike:#?}");
    assert_eq!(found[0].anomaly.kind, analytics::events::AnomalyType::Spike);
    let admin = app.sign_in(Role::Admin).await;
    let list: AlertList = app.get_with_cookie("/api/v1/alerts?source=anomaly", &admin.cookie).await.json().await.unwrap();
    assert!(list.items.iter().any(|a| a.metric == "events" && a.campaign_id.is_none() && a.kind == "spike"), "{:?}", list.items.iter().map(|a| &a.message).collect::<Vec<_>>());
}
