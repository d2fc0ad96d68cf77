//! The leaderboard (`GET /api/v1/campaigns`) and the creative breakdown (`GET /api/v1/creatives`):
//! every row adds up to the metrics of the same window, sorting and paging work, bad parameters
//! are named.

use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use chrono::Duration;
use serde_json::Value;

use crate::support::spawn_app;

fn sum(rows: &[Value], field: &str) -> f64 {
    rows.iter().map(|r| r[field].as_f64().unwrap_or(0.0)).sum()
}

#[tokio::test]
async fn leaderboard_and_creatives_add_up_to_the_metrics_and_sort_and_page() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let days = 10;
    let config = SimConfig { seed: 23, users: 600, days, campaigns: 5, start: start_for(now, days), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    server::services::simulate::to_db(&app.state, config.clone(), |_, _| {}).await.unwrap();
    // The rollup knows each stored row's place in the log: reading the log again adds nothing.
    let facts = app.state.metrics.read(|s| s.fact_count());
    app.state.metrics.catch_up(&app.state.db).await.unwrap();
    assert_eq!(app.state.metrics.read(|s| s.fact_count()), facts, "no row applied twice");
    let session = app.sign_in(Role::PerfLead).await;
    let window = format!("from={}&to={}", config.start.format("%Y-%m-%d"), (config.start + Duration::days(i64::from(days))).format("%Y-%m-%d"));
    let get = |path: String| {
        let app = &app;
        let cookie = session.cookie.clone();
        async move {
            let res = app.get_with_cookie(&path, &cookie).await;
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };

    let board = get(format!("/api/v1/campaigns?{window}&per_page=500")).await;
    let rows = board["rows"].as_array().unwrap();
    assert_eq!((board["total"].as_u64(), rows.len()), (Some(5), 5), "every campaign is listed");
    let metrics = get(format!("/api/v1/metrics?{window}")).await;
    let metric = |id: &str| metrics["metrics"].as_array().unwrap().iter().find(|m| m["id"] == id).unwrap()["value"].as_f64();
    let (revenue, spend) = (sum(rows, "revenue"), sum(rows, "spend"));
    assert!((revenue / spend - metric("roas").unwrap()).abs() < 1e-9, "the rows add up to ROAS");
    assert_eq!(sum(rows, "impressions"), metric("impressions").unwrap());
    let roas: Vec<f64> = rows.iter().filter_map(|r| r["roas"].as_f64()).collect();
    assert!(roas.windows(2).all(|w| w[0] >= w[1]), "ROAS descending by default: {roas:?}");
    assert_eq!(rows[0]["rank"], 1);

    let page = get(format!("/api/v1/campaigns?{window}&sort=ctr&order=asc&per_page=2&page=2")).await;
    let all = get(format!("/api/v1/campaigns?{window}&sort=ctr&order=asc")).await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    assert_eq!(page["rows"][0]["campaign_id"], all["rows"][2]["campaign_id"], "page 2 continues page 1");
    let ctr: Vec<f64> = all["rows"].as_array().unwrap().iter().filter_map(|r| r["ctr"].as_f64()).collect();
    assert!(ctr.windows(2).all(|w| w[0] <= w[1]), "{ctr:?}");

    let creatives = get(format!("/api/v1/creatives?{window}&per_page=500")).await;
    let creative_rows = creatives["rows"].as_array().unwrap();
    assert!(creative_rows.len() >= 10, "2–4 creatives per campaign");
    assert_eq!(sum(creative_rows, "impressions"), metric("impressions").unwrap());
    assert!((sum(creative_rows, "spend") - spend).abs() < 1e-6, "creatives split their campaign's spend by sends");
    assert!(creative_rows.iter().any(|r| r["notes"].as_array().unwrap().iter().any(|n| n == "Best CTR")));
    assert!(creative_rows.iter().all(|r| r["headline"].is_string() && r["call_to_action"].is_string()));

    for (query, field) in [("sort=romance", "sort"), ("order=up", "order"), ("page=0", "page"), ("per_page=9999", "per_page"), ("status=sleeping", "status")] {
        let res = app.get_with_cookie(&format!("/api/v1/campaigns?{query}"), &session.cookie).await;
        assert_eq!(res.status(), 422, "{query}");
        assert!(res.text().await.unwrap().contains(field), "{query}");
    }
}
