//! The metrics API's queries: bad filters are named, unknown metrics are 404, and no data means
//! null with a reason. The values themselves are checked against an oracle in `metrics_oracle`.

use app::access::Role;
use serde_json::Value;

use crate::support::spawn_app;

#[tokio::test]
async fn metric_queries_name_a_bad_filter_and_unknown_metrics_are_404() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::Cmo).await;
    for (query, field) in [("segment=BIG_SPENDER", "segment"), ("from=yesterday", "from"), ("colour=red", "colour"), ("campaign=42", "campaign")] {
        let res = app.get_with_cookie(&format!("/api/v1/metrics?{query}"), &session.cookie).await;
        assert_eq!(res.status(), 422, "{query}");
        let body = res.text().await.unwrap();
        assert!(body.contains(field), "{query}: {body}");
    }
    let res = app.get_with_cookie("/api/v1/metrics/roi", &session.cookie).await;
    assert_eq!(res.status(), 404);

    // With no data every metric is null and says why; none is a made-up number.
    let body: Value = app.get_with_cookie("/api/v1/metrics", &session.cookie).await.json().await.unwrap();
    for m in body["metrics"].as_array().unwrap() {
        if !matches!(m["id"].as_str(), Some("impressions" | "uptime" | "cost_per_query")) {
            assert!(m["value"].is_null() && m["reason"].is_string(), "{m}");
        }
    }
    let one: Value = app.get_with_cookie("/api/v1/metrics/ctr?granularity=hour", &session.cookie).await.json().await.unwrap();
    assert_eq!(one["series"].as_array().unwrap().len(), 24, "a day of hourly points: {one}");
    let seed: Value = app.get_with_cookie("/metrics/roas?campaign_id=00000000-0000-4000-8000-000000000000", &session.cookie).await.json().await.unwrap();
    assert!(seed["roas"].is_null() && seed["confidence"].is_number(), "{seed}");
}
