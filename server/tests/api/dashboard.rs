//! What the dashboard's pages read and do: the KPI cards (`/api/fn/load_kpis`) equal the metrics
//! API for the same filters, with seven days of history; the leaderboard's `roas_below` drill-down
//! and the `range` presets follow the API's rules; the CSV export lists the same rows; and a row
//! action (`/api/fn/change_campaign`) pauses a campaign as the PATCH API would, audited.

use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use chrono::{Duration, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

use crate::support::{TestApp, spawn_app_with};

async fn get(app: &TestApp, cookie: &str, path: &str) -> Value {
    let res = app.get_with_cookie(path, cookie).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn call(app: &TestApp, cookie: &str, function: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/fn/{function}")))
        .header("cookie", cookie)
        .header("origin", app.origin())
        .form(form)
        .send()
        .await
        .unwrap()
}

fn metric<'a>(metrics: &'a Value, id: &str) -> &'a Value {
    metrics["metrics"].as_array().unwrap().iter().find(|m| m["id"] == id).unwrap_or_else(|| panic!("{id} missing"))
}

#[tokio::test]
async fn the_dashboards_cards_table_export_and_row_actions_agree_with_the_api() {
    // A fixed clock, so "the last 7 days" means the same thing to every request.
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    let app = spawn_app_with(server::clock::Clock::fixed(now)).await;
    let days = 12;
    let config = SimConfig { seed: 31, users: 500, days, campaigns: 5, start: start_for(now, days), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    server::services::simulate::to_db(&app.state, config, |_, _| {}).await.unwrap();
    let cmo = app.sign_in(Role::Cmo).await.cookie;

    // `range=30d` is the same window as an explicit `from` thirty days back.
    let from = (now - Duration::days(30)).to_rfc3339_opts(SecondsFormat::Secs, true).replace('+', "%2B");
    let by_range = get(&app, &cmo, "/api/v1/metrics?range=30d&type=DISCOUNT,CASHBACK").await;
    let by_from = get(&app, &cmo, &format!("/api/v1/metrics?from={from}&type=DISCOUNT,CASHBACK")).await;
    // Cost per query counts the queries themselves, so it moves between two requests.
    let values = |m: &Value| -> Vec<Value> { m["metrics"].as_array().unwrap().iter().filter(|m| m["id"] != "cost_per_query").map(|m| m["value"].clone()).collect() };
    assert_eq!(values(&by_range), values(&by_from));
    assert!(metric(&by_range, "roas")["value"].is_number(), "the window holds data: {}", metric(&by_range, "roas"));
    let ytd = get(&app, &cmo, "/api/v1/metrics?range=ytd").await;
    assert_eq!(metric(&ytd, "roas")["from"], "2026-01-01T00:00:00Z");
    // Empty form fields set no filter; bad ranges and a range with a `from` are named.
    let empty = get(&app, &cmo, "/api/v1/metrics?range=7d&segment=&type=&status=").await;
    assert_eq!(empty["scope"]["filter"]["segments"], serde_json::json!([]));
    for (query, field) in [("range=week", "range"), (&format!("range=30d&from={from}")[..], "range"), ("range=0d", "range")] {
        let res = app.get_with_cookie(&format!("/api/v1/metrics?{query}"), &cmo).await;
        assert_eq!(res.status(), 422, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], field, "{body}");
    }

    // The KPI cards: the five primary metrics as the API has them, and seven days of history
    // whose last point is the value shown.
    let res = call(&app, &cmo, "load_kpis", &[("query", "range=30d&type=DISCOUNT,CASHBACK")]).await;
    assert_eq!(res.status(), 200);
    let board: app::wire::KpiBoard = res.json().await.unwrap();
    let api = get(&app, &cmo, "/api/v1/metrics?range=30d&type=DISCOUNT,CASHBACK").await;
    let ids: Vec<&str> = board.cards.iter().map(|c| c.metric.id.as_str()).collect();
    assert_eq!(ids, ["roas", "incrementality", "ltv", "cac", "open_rate"]);
    for card in &board.cards {
        let expected = metric(&api, card.metric.id.as_str());
        assert_eq!(card.metric.value, expected["value"].as_f64(), "{}", card.metric.id.as_str());
        assert_eq!(card.history.len(), 7);
        let last = card.history.last().unwrap();
        assert_eq!((last.value, last.status), (card.metric.value, card.metric.status));
        let off = card.history.iter().rev().take_while(|p| p.status == Some(analytics::metrics::Status::OffTarget)).count() as u32;
        assert_eq!(card.off_target_days, off);
        assert!(card.history.windows(2).all(|w| w[1].at - w[0].at == Duration::days(1)), "one point a day");
    }
    // Each earlier point is the same 30-day window, ending that many days earlier.
    let two_days_back = (now - Duration::days(2)).to_rfc3339_opts(SecondsFormat::Secs, true).replace('+', "%2B");
    let earlier = get(&app, &cmo, &format!("/api/v1/metrics?range=30d&to={two_days_back}&type=DISCOUNT,CASHBACK")).await;
    assert_eq!(board.cards[0].history[4].value, metric(&earlier, "roas")["value"].as_f64());
    // A bad filter in the page's URL is refused with the parameter named.
    let res = call(&app, &cmo, "load_kpis", &[("query", "segment=WHALES")]).await;
    assert_eq!(res.status(), 500, "server functions answer errors with 500 and the message");
    assert!(res.text().await.unwrap().contains("segment"));

    // The leaderboard's drill-down: only campaigns whose ROAS is known and below the limit.
    let perf = app.sign_in(Role::PerfLead).await.cookie;
    let all = get(&app, &perf, "/api/v1/campaigns?range=30d&per_page=500").await;
    let roas: Vec<f64> = all["rows"].as_array().unwrap().iter().filter_map(|r| r["roas"].as_f64()).collect();
    let limit = roas.iter().copied().fold(0.0_f64, f64::max);
    let below = get(&app, &perf, &format!("/api/v1/campaigns?range=30d&roas_below={limit}&sort=roas&order=asc")).await;
    let kept: Vec<f64> = below["rows"].as_array().unwrap().iter().map(|r| r["roas"].as_f64().unwrap()).collect();
    assert_eq!(kept.len(), roas.iter().filter(|r| **r < limit).count());
    assert!(kept.iter().all(|r| *r < limit) && kept.windows(2).all(|w| w[0] <= w[1]), "{kept:?}");
    assert_eq!(below["total"], kept.len());
    let res = app.get_with_cookie("/api/v1/campaigns?roas_below=-1", &perf).await;
    assert_eq!(res.status(), 422);

    // The dashboard's table is the API's page.
    let res = call(&app, &perf, "load_leaderboard", &[("query", "sort=ctr&order=asc&per_page=2&page=2")]).await;
    let page: app::wire::TablePage<app::wire::LeaderboardRow> = res.json().await.unwrap();
    let api_page = get(&app, &perf, "/api/v1/campaigns?sort=ctr&order=asc&per_page=2&page=2").await;
    let ids: Vec<String> = page.rows.iter().map(|r| r.campaign_id.to_string()).collect();
    let api_ids: Vec<String> = api_page["rows"].as_array().unwrap().iter().map(|r| r["campaign_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!((ids, page.total, page.pages()), (api_ids, 5, 3));

    // The CSV export: every row, in the same order, the same figures.
    let res = app.get_with_cookie("/api/v1/exports/campaigns.csv?sort=revenue", &perf).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    // The leaderboard's default window: the 7 days to now, by the dates it touches.
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("campaigns_2026-11-13_to_2026-11-20.csv"), "{:?}", res.headers()["content-disposition"]);
    let text = res.text().await.unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let by_revenue = get(&app, &perf, "/api/v1/campaigns?sort=revenue&per_page=500").await;
    let api_rows = by_revenue["rows"].as_array().unwrap();
    assert_eq!(records.len(), api_rows.len());
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (record, row) in records.iter().zip(api_rows) {
        assert_eq!(&record[column("campaign_id")], row["campaign_id"].as_str().unwrap());
        assert_eq!(record[column("revenue_usd")].parse::<f64>().unwrap(), (row["revenue"].as_f64().unwrap() * 100.0).round() / 100.0);
    }
    let res = app.get_with_cookie("/api/v1/exports/campaigns.csv?sort=bogus", &perf).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.get("/api/v1/exports/campaigns.csv").await.status(), 401, "signed-in people only");

    // Row actions through the dashboard's server function, each checked against its role: submit,
    // approve (compliance only), launch, then pause with a reason.
    let campaign = crate::support::create_campaign(&app, "Dashboard pause").await;
    let id = &campaign.id.to_string();
    let compliance = app.sign_in(Role::Compliance).await.cookie;
    for (cookie, status) in [(&perf, "pending_approval"), (&compliance, "scheduled"), (&perf, "active")] {
        let res = call(&app, cookie, "change_campaign", &[("campaign_id", id), ("status", status)]).await;
        assert_eq!(res.status(), 200, "{status}: {}", res.text().await.unwrap());
    }
    let res = call(&app, &compliance, "change_campaign", &[("campaign_id", id), ("status", "paused")]).await;
    assert_ne!(res.status(), 200, "compliance may not pause: {}", res.text().await.unwrap());
    assert_eq!(get(&app, &perf, &format!("/api/v1/campaigns/{id}")).await["status"], "active", "the refused pause changed nothing");
    let res = call(&app, &perf, "change_campaign", &[("campaign_id", id), ("status", "paused"), ("reason", "ROAS below target")]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let campaign = get(&app, &perf, &format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(campaign["status"], "paused");
    let board = get(&app, &perf, &format!("/api/v1/campaigns?campaign={id}")).await;
    assert_eq!(board["rows"][0]["status"], "paused", "the leaderboard shows it at once");
    let audit = server::services::audit::verify(&app.state.db, &app.state.audit).await.unwrap();
    assert!(audit.entries > 0);
    // A budget typed with too many decimals is refused with the reason; nothing changes.
    let res = call(&app, &perf, "change_campaign", &[("campaign_id", id), ("budget", "12.345")]).await;
    assert!(res.text().await.unwrap().contains("two decimals"));
    let res = call(&app, &perf, "change_campaign", &[("campaign_id", id), ("budget", "25,000")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(get(&app, &perf, &format!("/api/v1/campaigns/{id}")).await["budget_cents"], 2_500_000);
}

#[tokio::test]
async fn the_module_pages_read_the_apis_figures_and_render_them_on_the_server() {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    let app = spawn_app_with(server::clock::Clock::fixed(now)).await;
    let days = 12;
    let config = SimConfig { seed: 7, users: 400, days, campaigns: 4, start: start_for(now, days), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    server::services::simulate::to_db(&app.state, config, |_, _| {}).await.unwrap();
    let cmo = app.sign_in(Role::Cmo).await.cookie;
    let query = "range=30d";

    // Each page's server function answers exactly what its API answers for the same filters.
    for (function, path, extra) in [
        ("load_segments", "/api/v1/segments", ""),
        ("load_funnel", "/api/v1/funnel", "&compare=segment:HIGH_SPENDER,segment:NEW_SHOPPER"),
        ("load_heatmap", "/api/v1/heatmap", "&segment=SEASONAL_SPENDER"),
        ("load_roi", "/api/v1/roi", ""),
        ("load_attribution", "/api/v1/attribution", ""),
    ] {
        let q = format!("{query}{extra}");
        let res = call(&app, &cmo, function, &[("query", &q)]).await;
        assert_eq!(res.status(), 200, "{function}");
        let page: Value = res.json().await.unwrap();
        assert_eq!(page, get(&app, &cmo, &format!("{path}?{q}")).await, "{function} = {path}");
    }
    let leaderboard = get(&app, &cmo, &format!("/api/v1/campaigns?{query}")).await;
    let top = &leaderboard["rows"][0];
    let id = top["campaign_id"].as_str().unwrap();
    let res = call(&app, &cmo, "load_campaign", &[("campaign_id", id), ("query", query)]).await;
    assert_eq!(res.status(), 200);
    let detail: app::wire::CampaignPerformanceResponse = res.json().await.unwrap();
    let api: app::wire::CampaignPerformanceResponse = serde_json::from_value(get(&app, &cmo, &format!("/api/v1/campaigns/{id}/performance?{query}")).await).unwrap();
    assert_eq!(detail, api);
    assert!(!detail.creatives.is_empty(), "the campaign's creatives come with it");
    assert!(detail.creatives.iter().all(|c| c.status == app::wire::CreativeStatus::Active));

    // The first paint already has the numbers (server-rendered), not placeholders.
    let html = |path: String| {
        let app = &app;
        let cmo = cmo.clone();
        async move {
            let res = app.get_with_cookie(&path, &cmo).await;
            assert_eq!(res.status(), 200, "{path}");
            res.text().await.unwrap()
        }
    };
    let page = html(format!("/campaigns/{id}?{query}")).await;
    assert!(page.contains(&detail.campaign.name), "the campaign's name");
    assert!(page.contains(&app::format::money(detail.totals.revenue)), "its revenue");
    for creative in &detail.creatives {
        assert!(page.contains(&creative.headline), "creative {}", creative.headline);
    }
    let segments: app::wire::SegmentsResponse = serde_json::from_value(get(&app, &cmo, &format!("/api/v1/segments?{query}")).await).unwrap();
    let page = html(format!("/segments?{query}")).await;
    for s in &segments.segments {
        assert!(page.contains(&app::format::money(s.revenue)), "{} revenue", s.segment.as_str());
    }
    let funnel: app::wire::FunnelResponse = serde_json::from_value(get(&app, &cmo, &format!("/api/v1/funnel?{query}")).await).unwrap();
    let page = html(format!("/funnel?{query}")).await;
    assert!(page.contains(&funnel.funnel.insight.replace('\'', "&#x27;")) || page.contains(&funnel.funnel.insight), "the funnel's reading");
    let roi: app::wire::RoiResponse = serde_json::from_value(get(&app, &cmo, &format!("/api/v1/roi?{query}")).await).unwrap();
    let page = html(format!("/insights?{query}")).await;
    assert!(roi.campaigns.iter().all(|r| page.contains(&r.name)), "every campaign of the ROI table");
    // Over time: each day's first assignments, which add up to the period's.
    assert!(!roi.over_time.is_empty() && page.contains("Incrementality over time"));
    assert_eq!(roi.over_time.iter().map(|d| d.treated_users).sum::<u64>(), roi.campaigns.iter().map(|r| r.treated_users).sum::<u64>());
    assert_eq!(roi.over_time.iter().map(|d| d.holdout_converted).sum::<u64>(), roi.campaigns.iter().map(|r| r.holdout_converted).sum::<u64>());
    assert!(roi.over_time.windows(2).all(|w| w[0].to == w[1].from));
    let within_a_second = |a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>| (a - b).num_milliseconds().abs() <= 1_000;
    assert!(within_a_second(roi.over_time[0].from, roi.from) && within_a_second(roi.over_time.last().unwrap().to, roi.to));

    // An unknown campaign is a clear error on the page, not a blank.
    let page = html(format!("/campaigns/{}?{query}", uuid::Uuid::new_v4())).await;
    assert!(page.contains("campaign") && page.contains("not found"), "names the missing campaign");

    // The bulk action pauses exactly the active creatives under the threshold, each audited.
    let roas: Vec<f64> = detail.creatives.iter().filter_map(|c| c.performance.roas).collect();
    let below = roas.iter().copied().fold(0.0_f64, f64::max);
    let expected: Vec<String> = detail.creatives.iter().filter(|c| c.performance.roas.is_some_and(|r| r < below)).map(|c| c.name.clone()).collect();
    let perf = app.sign_in(Role::PerfLead).await.cookie;
    let res = call(&app, &perf, "pause_low_creatives", &[("campaign_id", id), ("query", query), ("below", &below.to_string()), ("reason", "Low ROAS")]).await;
    assert_eq!(res.status(), 200);
    let paused: Vec<String> = res.json().await.unwrap();
    assert_eq!(paused, expected);
    let stored = get(&app, &perf, &format!("/api/v1/campaigns/{id}")).await;
    for c in stored["creatives"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap().to_owned();
        assert_eq!(c["status"], if expected.contains(&name) { "paused" } else { "active" }, "{name}");
    }
    // Boosting raises the two best remaining creatives' weights by 30%.
    let res = call(&app, &perf, "boost_top_creatives", &[("campaign_id", id), ("query", query)]).await;
    assert_eq!(res.status(), 200);
    let boosted: Vec<String> = res.json().await.unwrap();
    let stored = get(&app, &perf, &format!("/api/v1/campaigns/{id}")).await;
    for c in stored["creatives"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap().to_owned();
        assert_eq!(c["weight_percent"], if boosted.contains(&name) { 130 } else { 100 }, "{name}");
    }
    assert!(boosted.len() <= 2 && boosted.iter().all(|n| !expected.contains(n)), "paused creatives are never boosted: {boosted:?}");
    // A role that may not pause campaigns may not use it.
    let analyst = app.sign_in(Role::DataScience).await.cookie;
    let res = call(&app, &analyst, "pause_low_creatives", &[("campaign_id", id), ("query", query)]).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_visit_to_a_dashboard_section_is_stored_as_dashboard_accessed_and_bad_visits_are_named() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    let app = spawn_app_with(server::clock::Clock::fixed(now)).await;
    let cmo = app.sign_in(Role::Cmo).await;
    // As the browser's beacon sends it: JSON as plain text, from this site.
    let beacon = |body: &str| {
        app.client
            .post(app.url("/api/v1/dashboard-visits"))
            .header("cookie", &cmo.cookie)
            .header("origin", app.origin())
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body.to_owned())
            .send()
    };
    let res = beacon(r#"{"section":"campaigns","time_spent_seconds":95,"filters":{"range":"30d","segment":"HIGH_SPENDER"},"export_requested":true}"#).await.unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap_or_default());
    let stored = server::entities::events::Entity::find().filter(server::entities::events::Column::EventType.eq("dashboard_accessed")).all(&app.state.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    let event = &stored[0];
    assert_eq!(event.occurred_at, now - Duration::seconds(95), "the visit began 95 s ago");
    assert_eq!(event.source, "admin_portal");
    let me: Value = get(&app, &cmo.cookie, "/api/v1/auth/me").await;
    assert_eq!(Some(event.user_id.as_str()), me["account_id"].as_str().or(me["id"].as_str()));
    let p = &event.properties;
    assert_eq!((p["user_role"].as_str(), p["dashboard_section"].as_str(), p["time_spent_seconds"].as_i64(), p["export_requested"].as_bool()), (Some("cmo"), Some("campaigns"), Some(95), Some(true)));
    assert_eq!(p["filters_applied"], serde_json::json!({ "range": "30d", "segment": "HIGH_SPENDER" }));

    // Each problem is named; nothing is stored for them.
    let res = beacon(r#"{"section":"kpi","time_spent_seconds":90000}"#).await.unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<app::wire::ErrorBody>().await.unwrap().error.fields[0].field, "time_spent_seconds");
    let res = beacon(r#"{"section":"lobby","time_spent_seconds":3}"#).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("unknown variant `lobby`"));
    let long = format!(r#"{{"section":"kpi","time_spent_seconds":3,"filters":{{"segment":"{}"}}}}"#, "x".repeat(201));
    let res = beacon(&long).await.unwrap();
    assert_eq!(res.status(), 422);
    // Only a signed-in person reports visits.
    let res = app.client.post(app.url("/api/v1/dashboard-visits")).header("origin", app.origin()).body(r#"{"section":"kpi","time_spent_seconds":3}"#).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let count = server::entities::events::Entity::find().filter(server::entities::events::Column::EventType.eq("dashboard_accessed")).all(&app.state.db).await.unwrap().len();
    assert_eq!(count, 1);
}
