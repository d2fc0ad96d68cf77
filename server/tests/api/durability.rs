//! What was acknowledged is never lost, and the derived tables can always be rebuilt from the
//! raw log. The crash test runs the real binary and kills it with SIGKILL mid-load.

use std::process::{Child, Stdio};
use std::time::Duration;

use app::access::Scope;
use app::wire::IngestResult;
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{fresh_database_url, spawn_app};


fn purchases(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "event_id": Uuid::new_v4().to_string(), "event_type": "user_purchased", "timestamp": Utc::now().to_rfc3339(),
                "user_id": format!("u-{i}"), "source": "backend",
                "properties": { "order_id": Uuid::new_v4().to_string(), "order_value": 10.0 + i as f64 }
            })
        })
        .collect()
}

fn start_server(url: &str, port: u16) -> Child {
    crate::support::swipesavvy()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database-url", url, "--log", "warn"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server")
}

async fn wait_healthy(client: &reqwest::Client, port: u16) {
    for _ in 0..100 {
        if let Ok(res) = client.get(format!("http://127.0.0.1:{port}/health")).send().await {
            if res.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become healthy");
}

/// Rows stored per event id (version 1 only: the first arrival).
async fn stored_once(url: &str, ids: &[String]) -> Vec<(String, i64)> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(url).await.unwrap();
    let mut counts = Vec::new();
    for id in ids {
        let backend = db.get_database_backend();
        let uuid: Uuid = id.parse().unwrap();
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => "SELECT COUNT(*) AS n FROM events WHERE event_id = $1",
            _ => "SELECT COUNT(*) AS n FROM events WHERE event_id = ?",
        };
        let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [uuid.into()])).await.unwrap().unwrap();
        counts.push((id.clone(), row.try_get::<i64>("", "n").unwrap()));
    }
    db.close().await.ok();
    counts
}

#[tokio::test]
async fn acknowledged_events_survive_a_sigkill_and_retries_store_them_once() {
    let (url, _file) = fresh_database_url().await;
    // A key, through the command line as an operator would.
    let out = crate::support::swipesavvy()
        .args(["apikey", "create", "--name", "crash test", "--scope", "events", "--database-url", &url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.lines().find_map(|l| l.strip_prefix("key (shown once): ")).expect("a key").to_owned();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut server = start_server(&url, port);
    wait_healthy(&client, port).await;

    let batches: Vec<Vec<Value>> = (0..30).map(|_| purchases(200)).collect();
    let endpoint = format!("http://127.0.0.1:{port}/api/v1/events");
    // Send batches two at a time; kill the server after the fifth acknowledgement, with more in flight.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<usize>(64);
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(2));
    for (i, batch) in batches.iter().cloned().enumerate() {
        let (client, endpoint, key, tx, semaphore) = (client.clone(), endpoint.clone(), key.clone(), tx.clone(), semaphore.clone());
        tokio::spawn(async move {
            let _permit = semaphore.acquire().await;
            if let Ok(res) = client.post(&endpoint).bearer_auth(&key).json(&batch).send().await {
                if res.status() == 200 && res.json::<IngestResult>().await.is_ok_and(|r| r.accepted == 200) {
                    let _ = tx.send(i).await;
                }
            }
        });
    }
    drop(tx);
    let mut acknowledged = Vec::new();
    while let Some(i) = rx.recv().await {
        acknowledged.push(i);
        if acknowledged.len() == 5 {
            server.kill().expect("SIGKILL");
            server.wait().ok();
            break;
        }
    }
    while let Ok(Some(i)) = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
        acknowledged.push(i); // answered just before the kill landed
    }
    assert!(acknowledged.len() >= 5 && acknowledged.len() < batches.len(), "the kill came mid-load: {acknowledged:?}");

    // Every acknowledged event is there exactly once, after the crash.
    let acked_ids: Vec<String> =
        acknowledged.iter().flat_map(|i| batches[*i].iter().map(|e| e["event_id"].as_str().unwrap().to_owned())).collect();
    let counts = stored_once(&url, &acked_ids).await;
    assert!(counts.iter().all(|(_, n)| *n == 1), "acknowledged but not stored exactly once: {:?}", counts.iter().find(|(_, n)| *n != 1));

    // The producer retries everything; nothing is stored twice.
    let mut server = start_server(&url, port);
    wait_healthy(&client, port).await;
    let mut duplicates = 0;
    for batch in &batches {
        let result: IngestResult = client.post(&endpoint).bearer_auth(&key).json(batch).send().await.unwrap().json().await.unwrap();
        assert_eq!(result.accepted + result.duplicates, 200, "{result:?}");
        duplicates += result.duplicates;
    }
    server.kill().ok();
    server.wait().ok();
    assert!(duplicates >= acknowledged.len() * 200, "acknowledged events are recognised as retries");
    let all_ids: Vec<String> = batches.iter().flatten().map(|e| e["event_id"].as_str().unwrap().to_owned()).collect();
    let counts = stored_once(&url, &all_ids).await;
    assert!(counts.iter().all(|(_, n)| *n == 1), "after retries every event is stored exactly once");
}

#[tokio::test]
async fn rebuild_recomputes_the_rollups_from_the_log_with_only_latest_versions() {
    let app = spawn_app().await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "k", &[Scope::Events], None, app.state.clock.now()).await.unwrap();
    let mut batch = purchases(20);
    let send = |body: Value| app.client.post(app.url("/api/v1/events")).bearer_auth(&key).json(&body).send();
    send(json!(batch)).await.unwrap();
    // A correction that moves one event to an earlier hour.
    batch[0]["timestamp"] = json!((Utc::now() - chrono::Duration::hours(3)).to_rfc3339());
    let corrected: IngestResult = send(json!([batch[0]])).await.unwrap().json().await.unwrap();
    assert_eq!(corrected.corrections, 1);

    let before = server::services::event_volume::hourly(&app.state.db, Utc::now(), 6).await.unwrap();
    assert_eq!(before.total, 20);
    use sea_orm::EntityTrait;
    server::entities::event_volume_hourly::Entity::delete_many().exec(&app.state.db).await.unwrap();
    assert_eq!(server::services::event_volume::hourly(&app.state.db, Utc::now(), 6).await.unwrap().total, 0);

    let summary = server::services::rebuild::rebuild(&app.state.db, |_| {}).await.unwrap();
    assert_eq!(summary.events, 20, "21 rows, 20 events: the corrected one counts once");
    let after = server::services::event_volume::hourly(&app.state.db, Utc::now(), 6).await.unwrap();
    assert_eq!(after.hours, before.hours, "the rebuilt rollup equals the one kept at ingestion");

    // Rebuilds while batches arrive lose no batch's counts and count none twice.
    let batches = (0..12).map(|_| send(json!(purchases(25))));
    let rebuilds = (0..3).map(|_| server::services::rebuild::rebuild(&app.state.db, |_| {}));
    let (sent, rebuilt) = tokio::join!(futures_util::future::join_all(batches), futures_util::future::join_all(rebuilds));
    assert!(sent.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == 200)));
    assert!(rebuilt.iter().all(Result::is_ok), "{rebuilt:?}");
    let total = server::services::event_volume::hourly(&app.state.db, Utc::now(), 6).await.unwrap().total;
    assert_eq!(total, 20 + 12 * 25, "every stored event counted once");
}

#[tokio::test]
async fn the_simulator_loads_every_event_through_ingestion_and_reruns_add_nothing() {
    let (url, _file) = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("swipesavvy-sim-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let simulate = |truth: &std::path::Path| {
        let out = crate::support::swipesavvy()
            .args(["simulate", "--to-db", "--seed", "5", "--users", "300", "--days", "10", "--campaigns", "3", "--truth"])
            .arg(truth)
            .args(["--database-url", &url])
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        text
    };
    let first = simulate(&dir.join("truth-1.json"));
    let summary = |text: &str| -> (u64, u64, u64, u64) {
        let nums: Vec<u64> = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        // "simulated U users over D days with C campaigns: E events (S stored, A already there, R rejected)"
        (nums[3], nums[4], nums[5], nums[6])
    };
    let (events, stored, already, rejected) = summary(&first);
    assert!(events > 1_000, "{first}");
    assert_eq!((stored, already, rejected), (events, 0, 0), "every simulated event is valid and stored: {first}");
    let second = simulate(&dir.join("truth-2.json"));
    assert_eq!(summary(&second), (events, 0, events, 0), "a rerun stores nothing twice: {second}");
    let truth_1 = std::fs::read(dir.join("truth-1.json")).unwrap();
    assert_eq!(truth_1, std::fs::read(dir.join("truth-2.json")).unwrap(), "the same seed gives the same truth, byte for byte");
    let truth: analytics::simulator::Truth = serde_json::from_slice(&truth_1).unwrap();
    assert_eq!(truth.campaigns.len(), 3);
    assert_eq!(truth.events, events);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn simulated_faults_show_up_in_the_quality_counters() {
    let (url, _file) = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("swipesavvy-faults-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let truth_path = dir.join("truth.json");
    let out = crate::support::swipesavvy()
        .args(["simulate", "--to-db", "--seed", "9", "--users", "200", "--days", "10", "--campaigns", "2"])
        .args(["--invalid-rate", "0.05", "--duplicate-rate", "0.05", "--truth"])
        .arg(&truth_path)
        .args(["--database-url", &url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    let truth: analytics::simulator::Truth = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
    assert!(truth.faults.invalid > 0 && truth.faults.duplicates > 0);
    // "… E events (S stored, A already there, R rejected)"
    let expected = format!("{} already there, {} rejected", truth.faults.duplicates, truth.faults.invalid);
    assert!(text.contains(&expected), "{expected} in {text}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn the_simulator_can_produce_through_the_public_api_like_any_producer() {
    let app = spawn_app().await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "simulator", &Scope::ALL, None, app.state.clock.now()).await.unwrap();
    let base = app.url("");
    let run = move || {
        crate::support::swipesavvy()
            .args(["simulate", "--to-url", &base, "--api-key", &key, "--seed", "3", "--users", "150", "--days", "10", "--campaigns", "2"])
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("already there, 0 rejected"), "{text}");
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(server::entities::campaigns::Entity::find().count(&app.state.db).await.unwrap(), 2);
    assert_eq!(server::entities::spend::Entity::find().count(&app.state.db).await.unwrap(), 2);
    // A rerun creates nothing new: the campaigns are there (409, accepted) and every event is a duplicate.
    let again = tokio::task::spawn_blocking(run).await.unwrap();
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success() && text.contains("(0 stored"), "{text}");
    assert_eq!(server::entities::spend::Entity::find().count(&app.state.db).await.unwrap(), 2, "spend is not recorded twice");
}
