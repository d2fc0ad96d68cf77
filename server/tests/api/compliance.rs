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

#[tokio::test]
async fn the_audit_table_filters_and_exports_and_the_consent_dashboard_counts() {
    let app = spawn_app().await;
    let campaign = create_campaign_from(&app, campaign_request("Summer Sale")).await;
    let perf = app.sign_in(Role::PerfLead).await.cookie;
    let compliance = app.sign_in(Role::Compliance).await.cookie;
    for (cookie, status) in [(&perf, "pending_approval"), (&compliance, "scheduled")] {
        let res = app.client.patch(app.url(&format!("/api/v1/campaigns/{}", campaign.id))).header("cookie", cookie).header("origin", app.origin()).json(&json!({ "status": status, "reason": "weekly review" })).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let page: Value = app.get_with_cookie("/api/v1/audit?action=campaign", &compliance).await.json().await.unwrap();
    let rows = page["rows"].as_array().unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["campaign.approve", "campaign.submit", "campaign.create"], "newest first: {page}");
    let approve = &rows[0];
    assert_eq!((approve["campaign_name"].as_str(), approve["status"].as_str(), approve["actor_role"].as_str()), (Some("Summer Sale"), Some("scheduled"), Some("compliance")));
    assert_eq!(approve["target_segments"], json!(["HIGH_SPENDER"]));
    assert!(approve["consent_check"].as_str().unwrap().contains("no audience yet") || approve["consent_check"].as_str().unwrap().contains("reachable"), "{approve}");
    assert_eq!(rows[2]["consent_check"], "double opt in, opt-out link");
    assert_eq!(rows[2]["consent_ok"], true);

    let scheduled: Value = app.get_with_cookie("/api/v1/audit?status=scheduled", &compliance).await.json().await.unwrap();
    assert_eq!(scheduled["total"], 1, "{scheduled}");
    let search: Value = app.get_with_cookie("/api/v1/audit?q=weekly%20review&per_page=1", &compliance).await.json().await.unwrap();
    assert_eq!((search["total"].as_u64(), search["rows"].as_array().unwrap().len()), (Some(2), 1));
    let bad = app.get_with_cookie("/api/v1/audit?status=bogus&page=0", &compliance).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(app.get_with_cookie("/api/v1/audit", &perf).await.status(), 403);

    let csv = app.get_with_cookie(&format!("/api/v1/exports/audit.csv?campaign={}", campaign.id), &compliance).await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.headers().unwrap().iter().next(), Some("seq"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3, "oldest first: {text}");
    assert_eq!(&records[0][4], "campaign.create");
    let log: Value = app.get_with_cookie("/api/v1/access-log?action=export", &compliance).await.json().await.unwrap();
    assert_eq!((log["entries"][0]["subject"].as_str(), log["entries"][0]["rows"].as_i64()), (Some("export:audit"), Some(3)), "{log}");

    // The consent dashboard: reach by channel and region, unsubscribes by campaign and reason.
    let (_, key) = server::auth::api_keys::create(&app.state.db, "producer", &[app::access::Scope::Events], None, app.state.clock.now()).await.unwrap();
    let event = |kind: &str, user: &str, region: &str, properties: Value| {
        json!({ "event_id": uuid::Uuid::new_v4().to_string(), "event_type": kind, "timestamp": (Utc::now() - Duration::hours(1)).to_rfc3339(), "user_id": user, "source": "backend", "properties": properties, "context": { "region": region } })
    };
    let batch = json!([
        event("consent_updated", "c-1", "EU-DE", json!({ "channel": "email", "status": "opted_in", "method": "double_opt_in", "region": "EU-DE" })),
        event("consent_updated", "c-2", "US-CA", json!({ "channel": "email", "status": "opted_out", "method": "unsubscribe", "region": "US-CA" })),
        event("user_unsubscribed", "c-2", "US-CA", json!({ "unsubscribe_type": "all_campaigns", "unsubscribe_reason": "too_many_campaigns", "campaign_id": campaign.id })),
    ]);
    let res = app.client.post(app.url("/api/v1/events")).bearer_auth(&key).json(&batch).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["accepted"], 3);
    let overview: Value = app.get_with_cookie("/api/v1/compliance/consent?range=7d", &compliance).await.json().await.unwrap();
    assert_eq!(overview["users"], 2, "{overview}");
    let email = overview["by_channel"].as_array().unwrap().iter().find(|c| c["channel"] == "email").unwrap();
    assert_eq!((email["eligible"].as_u64(), email["share"].as_f64()), (Some(1), Some(0.5)));
    let germany = overview["by_region"].as_array().unwrap().iter().find(|r| r["region"] == "EU-DE").unwrap();
    assert_eq!((germany["regime"].as_str(), germany["eligible"].as_u64()), (Some("GDPR"), Some(1)));
    assert_eq!(overview["unsubscribes_by_campaign"][0], json!({ "label": "Summer Sale", "count": 1 }));
    assert_eq!(overview["unsubscribes_by_reason"][0]["label"], "too_many_campaigns");
    assert_eq!(overview["unsubscribes_by_day"].as_array().unwrap().iter().map(|d| d["count"].as_u64().unwrap()).sum::<u64>(), 1);
    assert_eq!(app.get_with_cookie("/api/v1/compliance/consent?segment=X", &compliance).await.status(), 422);
}
