//! Metrics 24 and 25 come from the server's own measurements: its health probes and the compute
//! time of metrics queries, recorded per hour.

use app::access::Role;
use serde_json::Value;

use crate::support::spawn_app;

fn metric<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["metrics"].as_array().unwrap().iter().find(|m| m["id"] == id).unwrap()
}

#[tokio::test]
async fn uptime_comes_from_recorded_probes_and_cost_per_query_from_measured_queries() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::Cmo).await;
    // Tests probe every second; wait for a few.
    let mut probes = 0;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        probes = server::services::system_log::stats(&app.state.db).await.unwrap().probes.values().map(|(_, n)| n).sum::<u64>();
        if probes >= 2 {
            break;
        }
    }
    assert!(probes >= 2, "probes are recorded ({probes})");
    let first: Value = app.get_with_cookie("/api/v1/metrics", &session.cookie).await.json().await.unwrap();
    assert_eq!(metric(&first, "uptime")["value"].as_f64(), Some(100.0), "{}", metric(&first, "uptime"));
    // Another query (the same one again would come from the view cache, computing nothing).
    let second: Value = app.get_with_cookie("/api/v1/metrics?segment=HIGH_SPENDER", &session.cookie).await.json().await.unwrap();
    let cost = metric(&second, "cost_per_query");
    assert!(cost["value"].as_f64().is_some_and(|v| v >= 0.0), "the first query was measured: {cost}");
    let queries = server::services::system_log::stats(&app.state.db).await.unwrap().queries.values().map(|(n, _)| n).sum::<u64>();
    assert_eq!(queries, 2);
}

#[tokio::test]
async fn the_same_query_again_at_the_same_version_and_moment_is_answered_from_the_view_cache() {
    let now = chrono::Utc::now();
    let app = crate::support::spawn_app_with(server::clock::Clock::fixed(now)).await;
    let session = app.sign_in(Role::Cmo).await;
    let first: Value = app.get_with_cookie("/api/v1/metrics?range=30d", &session.cookie).await.json().await.unwrap();
    let again: Value = app.get_with_cookie("/api/v1/metrics?range=30d", &session.cookie).await.json().await.unwrap();
    assert_eq!(first, again);
    let queries = server::services::system_log::stats(&app.state.db).await.unwrap().queries.values().map(|(n, _)| n).sum::<u64>();
    assert_eq!(queries, 1, "computed once");
}
