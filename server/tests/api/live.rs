//! `GET /api/v1/live`: subscribe, ingest through the API, receive the changed KPI cards.

use std::time::Duration;

use app::access::{Role, Scope};
use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use uuid::Uuid;

use crate::support::{TestApp, spawn_app};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn connect(app: &TestApp, cookie: &str, origin: &str) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}/api/v1/live", app.address).into_client_request().unwrap();
    request.headers_mut().insert("cookie", HeaderValue::from_str(cookie).unwrap());
    request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

/// The next JSON message, failing the test after `within`.
#[track_caller]
pub(crate) fn next(socket: &mut Socket, within: Duration) -> impl std::future::Future<Output = Value> + '_ {
    let caller = std::panic::Location::caller();
    async move {
    loop {
        let message = tokio::time::timeout(within, socket.next()).await.unwrap_or_else(|_| panic!("no message within {within:?} (awaited at {caller})")).expect("open").expect("readable");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
    }
}

fn event(kind: &str, user: &str, properties: Value) -> Value {
    json!({
        "event_id": Uuid::new_v4().to_string(), "event_type": kind, "timestamp": Utc::now().to_rfc3339(), "user_id": user,
        "source": "mobile", "properties": properties,
        "context": { "platform": "iOS", "user_segment": "HIGH_SPENDER", "region": "US-CA" }
    })
}

#[tokio::test]
async fn a_subscriber_receives_the_kpis_that_ingested_events_change() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::Cmo).await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "live producer", &[Scope::Events], None, app.state.clock.now()).await.unwrap();
    let campaign = crate::support::create_campaign(&app, "Live campaign").await;
    let (c, k) = (campaign.id.to_string(), campaign.creatives[0].id.to_string());

    let mut socket = connect(&app, &session.cookie, &app.origin()).await.expect("upgrade");
    socket.send(Message::Text(json!({"type": "subscribe", "filters": {}}).to_string().into())).await.unwrap();
    let snapshot = next(&mut socket, Duration::from_secs(10)).await;
    assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
    let open_rate = snapshot["metrics"].as_array().unwrap().iter().find(|m| m["id"] == "open_rate").unwrap();
    assert!(open_rate["value"].is_null(), "nothing sent yet: {open_rate}");
    assert_eq!(snapshot["leaderboard"][0]["campaign_id"], c.as_str());

    let batch = json!([
        event("campaign_delivered", "u-1", json!({"campaign_id": c, "campaign_type": "DISCOUNT", "creative_id": k, "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false})),
        event("campaign_delivered", "u-2", json!({"campaign_id": c, "campaign_type": "DISCOUNT", "creative_id": k, "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false})),
        event("campaign_viewed", "u-1", json!({"campaign_id": c, "creative_id": k})),
    ]);
    let sent = std::time::Instant::now();
    let res = app.client.post(app.url("/api/v1/events")).bearer_auth(&key).json(&batch).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let result: Value = res.json().await.unwrap();
    assert_eq!(result["accepted"], 3, "{result}");
    let update = next(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(update["type"], "update", "{update}");
    assert!(sent.elapsed() < Duration::from_secs(2), "pushed within a second or so of the commit: {:?}", sent.elapsed());
    let changed: Vec<&Value> = update["metrics"].as_array().unwrap().iter().collect();
    let open_rate = changed.iter().find(|m| m["id"] == "open_rate").expect("open rate changed");
    assert_eq!(open_rate["value"].as_f64(), Some(50.0), "one of two users sent to saw it");
    assert_eq!(update["leaderboard"][0]["impressions"], 1, "the leaderboard row moved too: {update}");

    // A bad subscription is answered with the named problem, and the socket stays usable.
    socket.send(Message::Text(json!({"type": "subscribe", "filters": {"segment": "WHALES"}}).to_string().into())).await.unwrap();
    let error = next(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["errors"][0]["field"], "segment", "{error}");
    socket.send(Message::Text(json!({"type": "subscribe", "filters": {"segment": "HIGH_SPENDER"}}).to_string().into())).await.unwrap();
    let again = next(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(again["type"], "snapshot", "a new subscription starts with a snapshot: {again}");
}

#[tokio::test]
async fn a_cross_site_or_anonymous_upgrade_is_refused() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::Cmo).await;
    let err = connect(&app, &session.cookie, "https://evil.example").await.expect_err("cross-site refused");
    assert!(err.to_string().contains("403"), "{err}");
    let err = connect(&app, "ss_session=nope", &app.origin()).await.expect_err("anonymous refused");
    assert!(err.to_string().contains("401"), "{err}");
}

/// Two server processes on one database: events ingested through one reach a live client of the
/// other (PostgreSQL: LISTEN/NOTIFY; SQLite: the log poll).
#[tokio::test]
async fn events_sent_to_one_process_reach_a_client_of_another() {
    let app = spawn_app().await;
    let (url, postgres) = match &app.state.settings.database {
        server::config::DatabaseTarget::Postgres { url } => (secrecy::ExposeSecret::expose_secret(url).to_owned(), true),
        server::config::DatabaseTarget::Sqlite { path } => (format!("sqlite://{}", path.display()), false),
    };
    let session = app.sign_in(Role::Cmo).await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "live producer", &[Scope::Events], None, app.state.clock.now()).await.unwrap();
    let campaign = crate::support::create_campaign(&app, "Shared campaign").await;
    let (c, k) = (campaign.id.to_string(), campaign.creatives[0].id.to_string());

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut other = crate::support::swipesavvy()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database-url", &url, "--log", "warn"])
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the second server");
    let other_origin = format!("http://127.0.0.1:{port}");
    let mut healthy = false;
    for _ in 0..100 {
        if app.client.get(format!("{other_origin}/health")).send().await.is_ok_and(|r| r.status() == 200) {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the second server started");

    // The session lives in the shared database, so it is good on either process.
    let mut request = format!("ws://127.0.0.1:{port}/api/v1/live").into_client_request().unwrap();
    request.headers_mut().insert("cookie", HeaderValue::from_str(&session.cookie).unwrap());
    request.headers_mut().insert("origin", HeaderValue::from_str(&other_origin).unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade on the second process");
    socket.send(Message::Text(json!({"type": "subscribe", "filters": {}}).to_string().into())).await.unwrap();
    let snapshot = next(&mut socket, Duration::from_secs(10)).await;
    assert_eq!(snapshot["type"], "snapshot", "{snapshot}");

    let batch = json!([
        event("campaign_delivered", "u-1", json!({"campaign_id": c, "campaign_type": "DISCOUNT", "creative_id": k, "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false})),
        event("campaign_viewed", "u-1", json!({"campaign_id": c, "creative_id": k})),
    ]);
    let sent = std::time::Instant::now();
    let res = app.client.post(app.url("/api/v1/events")).bearer_auth(&key).json(&batch).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let update = next(&mut socket, Duration::from_secs(12)).await;
    let elapsed = sent.elapsed();
    other.kill().ok();
    other.wait().ok();
    assert_eq!(update["type"], "update", "{update}");
    let open_rate = update["metrics"].as_array().unwrap().iter().find(|m| m["id"] == "open_rate").expect("open rate changed").clone();
    assert_eq!(open_rate["value"].as_f64(), Some(100.0), "{open_rate}");
    if postgres {
        assert!(elapsed < Duration::from_secs(2), "NOTIFY carried it at once: {elapsed:?}");
    }
}

#[tokio::test]
async fn a_cached_view_is_computed_again_as_soon_as_events_arrive() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::PerfLead).await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "producer", &[Scope::Events], None, app.state.clock.now()).await.unwrap();
    let campaign = crate::support::create_campaign(&app, "Cached campaign").await;
    let (c, k) = (campaign.id.to_string(), campaign.creatives[0].id.to_string());
    let path = format!("/api/v1/campaigns/{c}/performance?range=1d");
    let impressions = || async {
        let body: Value = app.get_with_cookie(&path, &session.cookie).await.json().await.unwrap();
        body["totals"]["impressions"].as_u64().unwrap()
    };
    assert_eq!(impressions().await, 0);
    // Asked again at once: the same answer (from the cache).
    assert_eq!(impressions().await, 0);
    let batch = json!([
        event("campaign_delivered", "u-1", json!({"campaign_id": c, "campaign_type": "DISCOUNT", "creative_id": k, "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false})),
        event("campaign_viewed", "u-1", json!({"campaign_id": c, "creative_id": k})),
    ]);
    let res = app.client.post(app.url("/api/v1/events")).bearer_auth(&key).json(&batch).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Within the cache's few seconds, yet the new impression shows: the store moved on.
    assert_eq!(impressions().await, 1);
}
