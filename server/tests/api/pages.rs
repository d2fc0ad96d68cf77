use app::access::Role;
use chrono::TimeZone;
use server::clock::Clock;
use server::services::event_volume;

use crate::support::{spawn_app, spawn_app_with};

#[tokio::test]
async fn the_overview_renders_on_the_server_with_navigation_and_landmarks() {
    let app = spawn_app().await;
    let admin = app.sign_in(Role::Admin).await;
    let res = app.get_with_cookie("/", &admin.cookie).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("SwipeSavvy Analytics"));
    for section in ["Overview", "Campaigns", "Segments", "Funnel", "Insights", "Action Center", "Compliance", "Health", "Admin"] {
        assert!(html.contains(&format!(">{section}</a>")), "navigation lacks {section}");
    }
    assert!(html.contains("<main"), "main landmark");
    assert!(html.contains(r#"aria-label="Sections""#), "navigation landmark");
    assert!(html.contains("No events in the last 48 hours"), "empty state on an empty database");
    assert!(html.contains(&admin.email), "the signed-in person is shown");
    assert!(html.contains(r#"href="/api/v1/reports/board.pdf""#), "the board report's download");
}

#[tokio::test]
async fn the_report_downloads_and_schedules_are_on_their_pages() {
    let app = spawn_app().await;
    let compliance = app.sign_in(Role::Compliance).await;
    let html = app.get_with_cookie("/compliance", &compliance.cookie).await.text().await.unwrap();
    assert!(html.contains(r#"href="/api/v1/reports/compliance.pdf?range=30d""#), "the compliance report's download");
    let cmo = app.sign_in(Role::Cmo).await;
    let html = app.get_with_cookie("/account", &cmo.cookie).await.text().await.unwrap();
    for text in ["Scheduled reports", "No scheduled report", "Schedule report", r#"name="time_zone""#] {
        assert!(html.contains(text), "{text} on the account page");
    }
    // Compliance has no ROI deep dive, so no board report link on its overview.
    let html = app.get_with_cookie("/", &compliance.cookie).await.text().await.unwrap();
    assert!(!html.contains("/api/v1/reports/board.pdf"));
}

#[tokio::test]
async fn the_overview_counts_ingested_events_from_the_hourly_rollup() {
    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 10, 30, 0).unwrap();
    let app = spawn_app_with(Clock::fixed(now)).await;
    let db = &app.state.db;
    event_volume::record(db, now, "campaign_viewed", 3).await.unwrap();
    event_volume::record(db, now - chrono::Duration::hours(1), "campaign_clicked", 2).await.unwrap();
    event_volume::record(db, now - chrono::Duration::hours(1), "campaign_clicked", 1_000).await.unwrap();
    // Outside the 48-hour window: not counted.
    event_volume::record(db, now - chrono::Duration::hours(49), "campaign_viewed", 7).await.unwrap();

    let volume = event_volume::hourly(db, now, 48).await.unwrap();
    assert_eq!(volume.hours.len(), 48);
    assert_eq!(volume.hours[47].count, 3);
    assert_eq!(volume.hours[46].count, 1_002);
    assert_eq!(volume.total, 1_005);

    let cmo = app.sign_in(Role::Cmo).await;
    let html = app.get_with_cookie("/", &cmo.cookie).await.text().await.unwrap();
    assert!(html.contains("1,005"), "the total, formatted, is on the page");
    assert!(html.contains(r#"id="event-volume-chart""#), "the chart's element is rendered");
}

#[tokio::test]
async fn every_section_of_the_layout_has_a_page() {
    let app = spawn_app().await;
    let admin = app.sign_in(Role::Admin).await;
    for path in ["/campaigns", "/segments", "/funnel", "/insights", "/actions", "/actions/outcomes", "/compliance", "/system-health", "/admin", "/account"] {
        let res = app.get_with_cookie(path, &admin.cookie).await;
        assert_eq!(res.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn the_health_page_shows_the_live_status() {
    let app = spawn_app().await;
    let data_science = app.sign_in(Role::DataScience).await;
    let html = app.get_with_cookie("/system-health", &data_science.cookie).await.text().await.unwrap();
    let status = html.split(r#"data-testid="health-status""#).nth(1).expect("the status element");
    let text = status.split("</p>").next().unwrap_or_default();
    assert!(text.ends_with("healthy") && !text.contains("unhealthy"), "{text}");
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page() {
    let app = spawn_app().await;
    let res = app.get("/no-such-page").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn the_saved_dark_theme_is_rendered_on_the_first_paint() {
    let app = spawn_app().await;
    let cmo = app.sign_in(Role::Cmo).await;
    let with_theme = format!("ss_theme=dark; {}", cmo.cookie);
    let html = app.get_with_cookie("/", &with_theme).await.text().await.unwrap();
    assert!(html.contains(r#"data-theme="dark""#), "html element carries the theme");
    let html = app.get_with_cookie("/", &cmo.cookie).await.text().await.unwrap();
    assert!(!html.contains("data-theme="), "no cookie: the browser's preference decides");
}
