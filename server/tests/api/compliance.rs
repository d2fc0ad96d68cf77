//! Retention and regulatory checks (issue #7): the retention job deletes raw events past the
//! configured age and records each run; the compliance scan judges each active or pending
//! campaign by the laws of the regions it targets, naming the fact each check used.

use app::access::Role;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::support::{campaign_request, create_campaign_from, spawn_app};

#[tokio::test]
async fn retention_deletes_old_raw_events_and_records_each_run() {
    let app = spawn_app().await;
    // The daily job runs once as the server starts: wait for it, so it cannot race this test.
    let started = std::time::Instant::now();
    while server::services::retention::latest(&app.state.db).await.unwrap().is_none() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the retention job ran at start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let event = |user: &str, days_ago: i64| {
        json!({
            "event_id": uuid::Uuid::new_v4().to_string(), "event_type": "user_purchased",
            "timestamp": (Utc::now() - Duration::days(days_ago)).to_rfc3339(), "user_id": user, "source": "backend",
            "properties": { "order_id": uuid::Uuid::new_v4().to_string(), "order_value": 20.0 }
        })
    };
    let producer = server::ingest::Producer { key_id: None, rules: analytics::events::Rules { allow_backfill: true } };
    let batch = vec![event("old-1", 800), event("old-2", 770), event("recent-1", 10)];
    let result = server::ingest::ingest(&app.state, batch, producer).await.unwrap();
    assert_eq!(result.accepted, 3, "{result:?}");

    let run = server::services::retention::run(&app.state).await.unwrap();
    assert_eq!((run.events_deleted, run.outcome.as_str()), (2, "ok"), "{run:?}");
    assert!((Utc::now() - Duration::days(760) - run.events_cutoff).num_seconds().abs() < 60);
    assert!(run.oldest_audit_entry.is_none() || run.oldest_audit_entry.unwrap() <= Utc::now());
    let compliance = app.sign_in(Role::Compliance).await.cookie;
    let status: Value = app.get_with_cookie("/api/v1/compliance/retention", &compliance).await.json().await.unwrap();
    assert_eq!((status["raw_event_retention_days"].as_u64(), status["log_retention_years"].as_u64()), (Some(760), Some(7)));
    let runs = status["runs"].as_array().unwrap();
    assert_eq!((runs.len(), runs[0]["events_deleted"].as_i64()), (2, Some(2)), "the job's run at start, then this one: {status}");
    // The metrics no longer see the deleted purchases.
    let users = app.state.metrics.read(|s| s.user_ids.clone());
    assert!(users.contains(&"recent-1".to_owned()) && !users.iter().any(|u| u.starts_with("old-")), "{users:?}");
    assert_eq!(app.get_with_cookie("/api/v1/compliance/retention", &app.sign_in(Role::PerfLead).await.cookie).await.status(), 403);
}

#[tokio::test]
async fn the_scan_judges_each_pending_or_live_campaign_by_the_laws_of_its_regions() {
    let app = spawn_app().await;
    server::services::retention::run(&app.state).await.unwrap();
    let mut eu = campaign_request("EU implied consent");
    eu.target_regions = vec!["EU-DE".into()];
    eu.consent_method = Some(analytics::events::ConsentMethod::Implied);
    eu.has_opt_out_link = false;
    let eu = create_campaign_from(&app, eu).await;
    let mut us = campaign_request("California sharing");
    us.shares_data_with_third_parties = true;
    let us = create_campaign_from(&app, us).await;
    let draft = create_campaign_from(&app, campaign_request("Still a draft")).await;
    let perf = app.sign_in(Role::PerfLead).await.cookie;
    for id in [eu.id, us.id] {
        let res = app.client.patch(app.url(&format!("/api/v1/campaigns/{id}"))).header("cookie", &perf).header("origin", app.origin()).json(&json!({ "status": "pending_approval" })).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }

    let compliance = app.sign_in(Role::Compliance).await.cookie;
    let scan: Value = app.get_with_cookie("/api/v1/compliance/checks", &compliance).await.json().await.unwrap();
    let campaigns = scan["campaigns"].as_array().unwrap();
    assert_eq!(campaigns.len(), 2, "drafts are not scanned: {scan}");
    let of = |id: uuid::Uuid| campaigns.iter().find(|c| c["campaign_id"] == id.to_string()).unwrap().clone();
    let eu_checks = of(eu.id);
    assert_eq!(eu_checks["overall"], "fail");
    let check = |c: &Value, law: &str, requirement: &str| {
        c["checks"].as_array().unwrap().iter().find(|x| x["law"] == law && x["requirement"].as_str().unwrap().starts_with(requirement)).unwrap_or_else(|| panic!("{law} {requirement}: {c}")).clone()
    };
    let consent = check(&eu_checks, "GDPR", "Express consent");
    assert_eq!(consent["status"], "fail");
    assert!(consent["fact"].as_str().unwrap().contains("implied") && consent["fact_at"].is_string(), "{consent}");
    assert_eq!(check(&eu_checks, "GDPR", "Right to object")["status"], "fail");
    assert_eq!(check(&eu_checks, "GDPR", "Data retention")["status"], "pass");
    assert!(eu_checks["checks"].as_array().unwrap().iter().all(|c| c["law"] == "GDPR"), "only the EU's law applies");

    let us_checks = of(us.id);
    assert_eq!(check(&us_checks, "CCPA/CPRA", "Sale or sharing")["status"], "warn");
    assert_eq!(us_checks["overall"], "warn", "{us_checks}");

    let one: Value = app.get_with_cookie(&format!("/api/v1/compliance/checks?campaign={}", draft.id), &compliance).await.json().await.unwrap();
    assert_eq!(one["campaigns"].as_array().unwrap().len(), 1, "one campaign on request, whatever its status");
    assert_eq!(app.get_with_cookie("/api/v1/compliance/checks?campaign=nope", &compliance).await.status(), 422);
    assert_eq!(app.get_with_cookie("/api/v1/compliance/checks", &perf).await.status(), 403);
}
