//! `POST /api/v1/admin/clock`: mounted only with `serve --clock-control`, for the administrator
//! only, forward only, and audited.

use app::access::Role;
use serde_json::json;

use crate::support::{TestApp, spawn_app, spawn_app_configured};

async fn advance(app: &TestApp, cookie: &str, body: serde_json::Value) -> reqwest::Response {
    app.client.post(app.url("/api/v1/admin/clock")).header("cookie", cookie).header("origin", app.origin()).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn without_clock_control_the_route_does_not_exist() {
    let app = spawn_app().await;
    let admin = app.sign_in(Role::Admin).await;
    let before = app.state.clock.now();
    let res = advance(&app, &admin.cookie, json!({ "advance_seconds": 3600 })).await;
    assert_eq!(res.status(), 404);
    assert!(app.state.clock.now() - before < chrono::Duration::minutes(5), "the clock stayed put");
}

#[tokio::test]
async fn the_administrator_moves_the_clock_forward_and_the_move_is_audited() {
    let app = spawn_app_configured(|s| s.clock_control = true).await;
    let admin = app.sign_in(Role::Admin).await;
    let lead = app.sign_in(Role::PerfLead).await;

    let res = advance(&app, &lead.cookie, json!({ "advance_seconds": 3600 })).await;
    assert_eq!(res.status(), 403, "only the administrator");
    for (body, named) in [
        (json!({ "advance_seconds": -60 }), "advance_seconds"),
        (json!({ "advance_seconds": 0 }), "advance_seconds"),
        (json!({ "advance_seconds": 400 * 86_400 }), "366 days"),
        (json!({ "seconds": 60 }), "advance_seconds"),
    ] {
        let res = advance(&app, &admin.cookie, body.clone()).await;
        assert_eq!(res.status(), 400, "{body}");
        let text = res.text().await.unwrap();
        assert!(text.contains(named), "{body}: {text}");
    }

    let before = app.state.clock.now();
    let res = advance(&app, &admin.cookie, json!({ "advance_seconds": 8 * 86_400 })).await;
    assert_eq!(res.status(), 200);
    let reading: app::wire::ClockReading = res.json().await.unwrap();
    let moved = reading.now - before;
    assert!(moved >= chrono::Duration::days(8) && moved < chrono::Duration::days(8) + chrono::Duration::minutes(5), "{moved}");
    assert!((reading.ahead_seconds - 8 * 86_400).abs() < 300, "{}", reading.ahead_seconds);
    assert!(app.state.clock.now() >= reading.now, "the server's own clock moved");

    // Sessions signed in before the move are over (12 hours), so a new one reads the log.
    let auditor = app.sign_in(Role::Compliance).await;
    let res = app.get_with_cookie("/api/v1/audit?action=clock.advance", &auditor.cookie).await;
    assert_eq!(res.status(), 200);
    let log: serde_json::Value = res.json().await.unwrap();
    let entries = log["rows"].as_array().unwrap_or_else(|| panic!("{log}"));
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["actor"], admin.email);
    assert_eq!(entries[0]["target"], "clock");
}
