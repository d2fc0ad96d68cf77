//! GDPR erasure (issue #7): after erasing a user, no row anywhere holds their id or contact
//! details, the metrics equal those of the same data set generated without them, and the audit
//! chain still verifies.

use analytics::simulator::{self, Faults, SimConfig, start_for};
use app::access::Role;
use chrono::Duration;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

use server::clock::Clock;

use crate::support::{TestApp, spawn_app_with};

/// The simulated world's events, handed over part by part as the simulator makes them.
fn world_events(config: &SimConfig) -> (simulator::World, Vec<Vec<Value>>) {
    let world = simulator::world(config);
    let mut parts = Vec::new();
    simulator::run(&world, |_, events| parts.push(events));
    (world, parts)
}

/// Loads the catalogue and the parts, in order, leaving out `without`'s events.
async fn load(app: &TestApp, world: &simulator::World, parts: &[Vec<Value>], without: Option<&str>) {
    server::services::simulate::load_catalogue(&app.state, world, app.state.clock.now()).await.unwrap();
    let producer = server::ingest::Producer { key_id: None, rules: analytics::events::Rules { allow_backfill: true } };
    for part in parts {
        let kept: Vec<Value> = part.iter().filter(|e| without.is_none_or(|u| e["user_id"] != u)).cloned().collect();
        for batch in kept.chunks(server::ingest::MAX_BATCH) {
            let result = server::ingest::ingest(&app.state, batch.to_vec(), producer).await.unwrap();
            assert!(result.rejected.is_empty(), "{:?}", result.rejected.first());
        }
    }
}

async fn json_of(app: &TestApp, cookie: &str, path: &str) -> Value {
    app.get_with_cookie(path, cookie).await.json().await.unwrap()
}

/// Every (table, column) whose text holds `needle`.
async fn rows_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let tables_sql = match backend {
        DatabaseBackend::Postgres => "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let tables: Vec<String> = db.query_all_raw(Statement::from_string(backend, tables_sql)).await.unwrap().iter().map(|r| r.try_get("", "name").unwrap()).collect();
    assert!(tables.len() > 15, "{tables:?}");
    let mut found = Vec::new();
    for table in tables {
        let columns_sql = match backend {
            DatabaseBackend::Postgres => format!("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}'"),
            _ => format!("SELECT name FROM pragma_table_info('{table}')"),
        };
        let columns: Vec<String> = db.query_all_raw(Statement::from_string(backend, columns_sql)).await.unwrap().iter().map(|r| r.try_get("", "name").unwrap()).collect();
        for column in columns {
            let sql = format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE '%{needle}%'");
            let n: i64 = db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap().try_get("", "n").unwrap();
            if n > 0 {
                found.push(format!("{table}.{column} ({n})"));
            }
        }
    }
    found
}

#[tokio::test]
async fn an_erased_user_leaves_no_trace_and_the_numbers_are_as_if_they_had_never_been() {
    // One fixed time for both: an event's lateness depends on when it arrives.
    let now = chrono::Utc::now();
    let (full, without) = (spawn_app_with(Clock::fixed(now)).await, spawn_app_with(Clock::fixed(now)).await);
    let days = 12;
    let config = SimConfig { seed: 77, users: 250, days, campaigns: 3, start: start_for(now, days), holdout_share: 0.2, faults: Faults::default(), experiments: 0 };
    let (world, parts) = world_events(&config);
    // A user who was sent campaigns and bought something: they fed many numbers.
    let all: Vec<&Value> = parts.iter().flatten().collect();
    let person = world
        .users
        .iter()
        .map(|u| u.id.as_str())
        .find(|id| {
            let mine = |kind: &str| all.iter().any(|e| e["user_id"] == *id && e["event_type"] == kind && e["properties"]["is_holdout"] != true);
            mine("campaign_delivered") && mine("campaign_viewed") && mine("user_purchased")
        })
        .expect("a user with deliveries, views and purchases")
        .to_owned();
    load(&full, &world, &parts, None).await;
    load(&without, &world, &parts, Some(&person)).await;

    let admin = full.sign_in(Role::Admin).await.cookie;
    let directory = json!([{ "user_id": person, "email": "erase.me@example.net", "phone": "+1 555 010 9999" }, { "user_id": "kept-1", "email": "kept@example.net" }]);
    let res = full.client.post(full.url("/api/v1/customers")).header("cookie", &admin).header("origin", full.origin()).json(&directory).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let compliance = full.sign_in(Role::Compliance).await.cookie;
    // The person is looked at first, so the access log holds a pseudonym of theirs.
    assert_eq!(full.get_with_cookie(&format!("/api/v1/privacy/consent-trail?user_id={person}"), &compliance).await.status(), 200);
    assert!(!rows_holding(&full, &person).await.is_empty(), "the person is there before");

    let erase = |cookie: String, body: Value| {
        let full = &full;
        async move {
            let res = full.client.post(full.url("/api/v1/privacy/erasure")).header("cookie", cookie).header("origin", full.origin()).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let perf = full.sign_in(Role::PerfLead).await.cookie;
    assert_eq!(erase(perf, json!({ "user_id": person, "reference": "DSR-1" })).await.0, 403);
    let (status, body) = erase(compliance.clone(), json!({ "email": "erase.me@example.net", "reference": format!("request from {person}") })).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("reference")), "the reference may not name the person: {body}");
    let (status, body) = erase(compliance.clone(), json!({ "email": "ERASE.ME@example.net", "reference": "DSR-2026-0042" })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["events_deleted"].as_u64().unwrap() > 5 && body["consent_facts_deleted"].as_u64() == Some(4) && body["directory_entry_deleted"] == true, "{body}");

    // No row anywhere holds their id or contact details.
    for needle in [person.as_str(), "erase.me", "5550109999"] {
        assert_eq!(rows_holding(&full, needle).await, Vec::<String>::new(), "{needle}");
    }
    assert!(!rows_holding(&full, "kept@example.net").await.is_empty(), "others stay");

    // The numbers equal those of the world without them (the time-bound system metrics aside).
    let (a, b) = (full.sign_in(Role::DataScience).await.cookie, without.sign_in(Role::DataScience).await.cookie);
    let windows = [
        format!("from={}&to={}", config.start.format("%Y-%m-%d"), (config.start + Duration::days(i64::from(days))).format("%Y-%m-%d")),
        "range=7d".to_owned(),
    ];
    let time_bound = ["data_freshness", "uptime", "cost_per_query"];
    let mut compared = 0;
    for window in &windows {
        let after = json_of(&full, &a, &format!("/api/v1/metrics?{window}")).await["metrics"].as_array().unwrap().clone();
        let never = json_of(&without, &b, &format!("/api/v1/metrics?{window}")).await["metrics"].as_array().unwrap().clone();
        for (x, y) in after.iter().zip(&never) {
            assert_eq!(x["id"], y["id"]);
            if time_bound.contains(&x["id"].as_str().unwrap()) {
                continue;
            }
            assert_eq!((&x["value"], &x["breakdown"]), (&y["value"], &y["breakdown"]), "{window}: {}", x["id"]);
            compared += usize::from(!x["value"].is_null());
        }
        let q1 = json_of(&full, &a, &format!("/api/v1/quality?{window}")).await;
        let q2 = json_of(&without, &b, &format!("/api/v1/quality?{window}")).await;
        assert_eq!(q1["overall"], q2["overall"], "{window}: the ingestion counters lost exactly the person's rows");
    }
    assert!(compared >= 20, "{compared} non-null metrics compared");

    // The chain still verifies, and the entry names the request, not the person.
    let verify: Value = full.get_with_cookie("/api/v1/audit/verify", &compliance).await.json().await.unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
    let (status, again) = erase(compliance, json!({ "user_id": person, "reference": "DSR-2026-0042" })).await;
    assert_eq!((status, again["events_deleted"].as_u64()), (200, Some(0)), "erasing again finds nothing: {again}");
}
