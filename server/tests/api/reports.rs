//! `GET /api/v1/reports/*.pdf`: the text of each PDF (extracted with `pdftotext`) carries the same
//! figures as the API for the same filters; its pages, rendered with `pdftoppm`, are kept in
//! `target/test-artifacts/reports/` for a person to look at.

use std::path::PathBuf;
use std::process::Command;

use analytics::metrics::{KPI_CARDS, MetricValue};
use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use app::format;
use chrono::{TimeZone, Utc};
use serde_json::Value;

use crate::support::spawn_app_with;

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts/reports");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The PDF's text (layout kept, so a table row stays on one line) and its page count; the pages
/// are rendered to PNG beside it.
fn read_pdf(name: &str, bytes: &[u8]) -> (String, usize) {
    let dir = artifacts();
    // Pages of an earlier run go first, so the folder shows this run's pages only.
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with(&format!("{name}-")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("pdftotext").arg("-layout").arg(&file).arg("-").output().expect("pdftotext (poppler-utils; cargo xtask test installs it)");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let pages = text.matches('\u{c}').count();
    let rendered = Command::new("pdftoppm").args(["-png", "-r", "60"]).arg(&file).arg(dir.join(name)).status().expect("pdftoppm");
    assert!(rendered.success(), "pdftoppm renders every page");
    (text, pages)
}

#[tokio::test]
async fn the_board_report_pdf_carries_the_apis_kpis_campaigns_and_lifts_for_the_same_filters() {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    let app = spawn_app_with(server::clock::Clock::fixed(now)).await;
    let days = 14;
    let config = SimConfig { seed: 8, users: 800, days, campaigns: 12, start: start_for(now, days), holdout_share: 0.1, faults: Faults::default(), experiments: 1 };
    server::services::simulate::to_db(&app.state, config, |_, _| {}).await.unwrap();
    let cmo = app.sign_in(Role::Cmo).await.cookie;
    let period = "from=2026-11-06T00:00:00Z&to=2026-11-20T15:30:00Z";

    let res = app.get_with_cookie(&format!("/api/v1/reports/board.pdf?{period}"), &cmo).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"board-report_2026-11-06_to_2026-11-20.pdf\"");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let (text, pages) = read_pdf("board-report", &bytes);
    assert!(pages >= 3, "a cover and the sections: {pages} pages");
    assert!(text.contains(&format!("Page 1 of {pages}")) && text.contains(&format!("Page {pages} of {pages}")), "page numbers");
    assert!(text.contains("06 Nov 2026 00:00 to 20 Nov 2026 15:30 UTC"), "the period on the cover");
    assert!(text.contains("Generated") && text.contains("20 Nov 2026 15:30 UTC"));

    // The KPI cards: the API's values for the same period, as the cards show them.
    let api: Value = app.get_with_cookie(&format!("/api/v1/metrics?{period}"), &cmo).await.json().await.unwrap();
    let metrics: Vec<MetricValue> = serde_json::from_value(api["metrics"].clone()).unwrap();
    for id in KPI_CARDS {
        let m = metrics.iter().find(|m| m.id == id).unwrap();
        // A card's name may wrap onto a second line.
        let start: String = m.name.split(' ').take(2).collect::<Vec<_>>().join(" ");
        assert!(text.contains(&start), "{}", m.name);
        if let Some(v) = m.value {
            let shown = format::metric(v, m.unit, true);
            assert!(text.contains(&shown), "{} = {shown} is in the report", m.name);
        }
    }

    // The top campaign by ROAS, with its spend and revenue as the leaderboard gives them.
    let board: Value = app.get_with_cookie(&format!("/api/v1/campaigns?{period}&sort=roas&order=desc&per_page=500"), &cmo).await.json().await.unwrap();
    let rows = board["rows"].as_array().unwrap();
    let best = rows.iter().find(|r| r["roas"].is_number()).expect("a campaign with spend");
    let line = text.lines().find(|l| l.contains(best["name"].as_str().unwrap()) && l.contains('$')).unwrap_or_else(|| panic!("the top campaign's row: {text}"));
    for field in ["spend", "revenue"] {
        let shown = format::money(best[field].as_f64().unwrap());
        assert!(line.contains(&shown), "{field} {shown} in {line}");
    }
    assert!(line.contains(&format::ratio(best["roas"].as_f64().unwrap())), "{line}");

    // Each campaign's lift, in plain words with its interval, as the ROI API measures it.
    let roi: Value = app.get_with_cookie(&format!("/api/v1/roi?{period}"), &cmo).await.json().await.unwrap();
    let compared: Vec<&Value> = roi["campaigns"].as_array().unwrap().iter().filter(|r| r["absolute_lift"].is_number()).collect();
    assert!(!compared.is_empty(), "the world has holdouts");
    for r in &compared {
        let name = r["name"].as_str().unwrap();
        let lift = format!("{:+.2} pp", 100.0 * r["absolute_lift"].as_f64().unwrap());
        let interval = &r["absolute_lift_interval"];
        let interval = format!("{:+.2} to {:+.2} pp", 100.0 * interval["low"].as_f64().unwrap(), 100.0 * interval["high"].as_f64().unwrap());
        let row = text.lines().find(|l| l.contains(name) && l.contains(" to ") && l.contains(" pp")).unwrap_or_else(|| panic!("{name}'s lift row"));
        assert!(row.contains(&lift) && row.contains(&interval), "{lift}, {interval} in {row}");
    }
    for section in ["Segment economics", "Conversion funnel", "Experiments concluded", "Recommendations executed", "Data quality and caveats"] {
        assert!(text.contains(section), "{section}");
    }
    // The bottom campaign, each segment's economics and the funnel's steps, as their APIs give them.
    let worst = rows.iter().filter(|r| r["roas"].is_number()).last().unwrap();
    assert!(text.lines().any(|l| l.contains(worst["name"].as_str().unwrap()) && l.contains(&format::money(worst["spend"].as_f64().unwrap()))), "the weakest campaign's row");
    let segments: Value = app.get_with_cookie(&format!("/api/v1/segments?{period}"), &cmo).await.json().await.unwrap();
    for s in segments["segments"].as_array().unwrap() {
        let row = text.lines().find(|l| l.trim_start().starts_with(s["segment"].as_str().unwrap())).unwrap_or_else(|| panic!("{} row", s["segment"]));
        assert!(row.contains(&format::count(s["size"].as_i64().unwrap())), "{row}");
        if let Some(cac) = s["cac"].as_f64() {
            assert!(row.contains(&format::money(cac)), "CAC in {row}");
        }
    }
    let funnel: Value = app.get_with_cookie(&format!("/api/v1/funnel?{period}"), &cmo).await.json().await.unwrap();
    for step in funnel["funnel"]["steps"].as_array().unwrap() {
        let users = format::count(step["users"].as_i64().unwrap());
        assert!(text.lines().any(|l| l.contains(step["label"].as_str().unwrap()) && l.contains(&users)), "{} {users}", step["label"]);
    }

    // Logged as an export; bad filters are named; compliance has no ROI deep dive, so no board report.
    use sea_orm::EntityTrait;
    let logged = server::entities::data_access_log::Entity::find().all(&app.state.db).await.unwrap();
    assert!(logged.iter().any(|e| e.subject == "export:board-report"), "{logged:?}");
    let res = app.get_with_cookie("/api/v1/reports/board.pdf?segment=NOPE&colour=red", &cmo).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["segment", "colour"]);
    let compliance = app.sign_in(Role::Compliance).await.cookie;
    assert_eq!(app.get_with_cookie("/api/v1/reports/board.pdf", &compliance).await.status(), 403);

    // The campaign report (Module 4): the detail API's figures for the same period.
    let id = best["campaign_id"].as_str().unwrap();
    let res = app.get_with_cookie(&format!("/api/v1/reports/campaign/{id}.pdf?{period}"), &cmo).await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"campaign-report_") && disposition.ends_with("_2026-11-06_to_2026-11-20.pdf\""), "{disposition}");
    let (text, pages) = read_pdf("campaign-report", &res.bytes().await.unwrap());
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    let detail: Value = app.get_with_cookie(&format!("/api/v1/campaigns/{id}/performance?{period}"), &cmo).await.json().await.unwrap();
    let totals = &detail["totals"];
    let figure = |label: &str| text.lines().find(|l| l.contains(label)).unwrap_or_else(|| panic!("{label}: {text}")).to_owned();
    assert!(figure("Attributed revenue").contains(&format::money(totals["revenue"].as_f64().unwrap())));
    assert!(figure("Spend").contains(&format::money(totals["spend"].as_f64().unwrap())));
    assert!(figure("Impressions").contains(&format::count(totals["impressions"].as_i64().unwrap())));
    let roi: Value = app.get_with_cookie(&format!("/api/v1/roi?{period}&campaign={id}"), &cmo).await.json().await.unwrap();
    let treated = roi["campaigns"][0]["treated_users"].as_i64().unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("Of {} treated users", format::count(treated))), "the holdout comparison");
    for section in ["By segment", "By creative", "How often users saw it", "Sends, impressions and clicks by day"] {
        assert!(text.contains(section), "{section}");
    }
    assert_eq!(app.get_with_cookie(&format!("/api/v1/reports/campaign/{id}.txt"), &cmo).await.status(), 404);
    assert_eq!(app.get_with_cookie(&format!("/api/v1/reports/campaign/{}.pdf", uuid::Uuid::new_v4()), &cmo).await.status(), 404);

    // The compliance report (Module 11): the chain's verification, the checks, the erasures
    // handled and the period's audit log as the audit API lists it.
    let res = app
        .client
        .post(app.url("/api/v1/privacy/erasure"))
        .header("cookie", &compliance)
        .header("origin", app.origin())
        .json(&serde_json::json!({ "user_id": "user-000001", "reference": "DSR-2026-114" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    // One campaign live again, so the scan has a campaign to check.
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    server::entities::campaigns::Entity::update_many()
        .col_expr(server::entities::campaigns::Column::Status, Expr::value("active"))
        .filter(server::entities::campaigns::Column::Id.eq(uuid::Uuid::parse_str(id).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
    app.state.clock.set(now + chrono::Duration::minutes(1));
    let window = "from=2026-11-20T00:00:00Z&to=2026-11-20T15:31:00Z";
    // A checkpoint sealed now, so the report names it.
    let sealed = server::services::audit::checkpoint(&app.state.db, &app.state.audit, app.state.clock.now()).await.unwrap().expect("a checkpoint of a log with entries");
    // The chain as it stands when the report is made (the report's own entry follows it).
    let verify: Value = app.get_with_cookie("/api/v1/audit/verify", &compliance).await.json().await.unwrap();
    assert_eq!(verify["ok"], true);
    let res = app.get_with_cookie(&format!("/api/v1/reports/compliance.pdf?{window}"), &compliance).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"compliance-report_2026-11-20_to_2026-11-20.pdf\"");
    let (text, _) = read_pdf("compliance-report", &res.bytes().await.unwrap());
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("Verified intact: every one of the {} entries", format::count(verify["entries"].as_i64().unwrap()))), "{flat}");
    assert_eq!(verify["last_checkpoint"]["seq"], sealed.seq);
    assert!(flat.contains(&format!("the newest sealing entry #{} at", sealed.seq)), "the checkpoint is named: {flat}");
    let audit: Value = app.get_with_cookie(&format!("/api/v1/audit?{window}&per_page=1"), &compliance).await.json().await.unwrap();
    assert!(flat.contains(&format!("{} entries, oldest first", format::count(audit["total"].as_i64().unwrap()))), "the period's audit log");
    assert!(text.contains("DSR-2026-114"), "the erasure request handled");
    assert!(text.contains("export.board-report"), "the board report's own audit entry");
    assert!(text.contains("Regulatory checks per campaign") && text.contains("Consent"));
    let checks: Value = app.get_with_cookie("/api/v1/compliance/checks", &compliance).await.json().await.unwrap();
    let checked = &checks["campaigns"][0];
    assert!(flat.contains(" checked as of 20 Nov 2026 15:31 UTC"), "the scan's time");
    let row = text.lines().find(|l| l.contains(checked["name"].as_str().unwrap())).expect("the checked campaign's row");
    // Campaigns that ran in the period and have ended are checked too, not only the live one.
    assert!(text.lines().any(|l| l.contains(" completed ") && (l.contains("pass") || l.contains("fail") || l.contains("warning"))), "an ended campaign's checks: {text}");
    assert!(row.contains(checked["overall"].as_str().unwrap().replace("warn", "warning").as_str()), "{row}");
    assert_eq!(app.get_with_cookie("/api/v1/reports/compliance.pdf", &cmo).await.status(), 403);
    assert_eq!(app.get_with_cookie("/api/v1/reports/compliance.pdf?segment=VIP", &compliance).await.status(), 422);
}

/// A local SMTP server that keeps each message it accepts; it answers the first `refusals`
/// messages with a temporary failure (451), as a busy relay would.
async fn smtp_sink(refusals: u32) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let refusals = std::sync::Arc::new(std::sync::Mutex::new(refusals));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kept = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let (got, refusals) = (kept.clone(), refusals.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                    let answer = match verb.as_str() {
                        "EHLO" | "HELO" => "250 sink".to_owned(),
                        "DATA" => {
                            write.write_all(b"354 end with a dot\r\n").await.unwrap();
                            let mut message = String::new();
                            while let Ok(Some(data)) = lines.next_line().await {
                                if data == "." {
                                    break;
                                }
                                message.push_str(&data);
                                message.push('\n');
                            }
                            let mut left = refusals.lock().unwrap();
                            if *left > 0 {
                                *left -= 1;
                                "451 busy, try again later".to_owned()
                            } else {
                                got.lock().unwrap().push(message);
                                "250 queued".to_owned()
                            }
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => "250 OK".to_owned(),
                    };
                    write.write_all(format!("{answer}\r\n").as_bytes()).await.unwrap();
                }
            });
        }
    });
    (port, got)
}

/// A webhook receiver that keeps each request's headers and bytes.
async fn pdf_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>) {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/reports",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push((headers, body.to_vec()));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/reports"), got)
}

#[tokio::test]
async fn a_scheduled_report_is_delivered_once_by_email_and_to_a_webhook_after_its_time_across_a_restart() {
    use app::wire::{ReportScheduleRequest, ReportScheduleView};
    let (port, mail) = smtp_sink(1).await;
    let (hook_url, hook) = pdf_receiver().await;
    let secret = "report-webhook-secret";
    // Tuesday 1 December 2026, 10:00 UTC.
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let app = crate::support::spawn_app_with_clock_configured(server::clock::Clock::fixed(now), |s| {
        s.reports.smtp_host = Some("127.0.0.1".to_owned());
        s.reports.smtp_port = port;
        s.reports.smtp_security = server::config::SmtpSecurity::None;
        s.reports.first_retry_seconds = 60;
        s.webhook_secret = Some(secret.to_owned().into());
    })
    .await;
    let config = SimConfig { seed: 5, users: 300, days: 10, campaigns: 4, start: start_for(now, 10), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    server::services::simulate::to_db(&app.state, config, |_, _| {}).await.unwrap();
    let cmo_account = app.sign_in(Role::Cmo).await;
    let cmo = cmo_account.cookie.clone();
    let post = |cookie: String, body: Value| {
        let app = &app;
        async move { app.client.post(app.url("/api/v1/report-schedules")).header("cookie", cookie).header("origin", app.origin()).json(&body).send().await.unwrap() }
    };
    let weekly = |channel: &str, destination: Vec<&str>| {
        serde_json::json!({ "name": format!("Weekly board report by {channel}"), "report": "board", "query": "range=7d", "frequency": "weekly", "weekday": 1, "hour": 8, "minute": 0, "time_zone": "Europe/Paris", "channel": channel, "destination": destination })
    };

    // Every Monday 08:00 in Paris: next Monday 7 December, 07:00 UTC.
    let res = post(cmo.clone(), weekly("email", vec!["cfo@example.com", "board@example.com"])).await;
    assert_eq!(res.status(), 200);
    let by_mail: ReportScheduleView = res.json().await.unwrap();
    assert_eq!(by_mail.next_run_at, Utc.with_ymd_and_hms(2026, 12, 7, 7, 0, 0).unwrap());
    let res = post(cmo.clone(), weekly("webhook", vec![&hook_url])).await;
    assert_eq!(res.status(), 200);
    let by_hook: ReportScheduleView = res.json().await.unwrap();

    // Bad requests name each field; a role without the report's right is refused.
    let bad = serde_json::json!({ "name": "x", "report": "board", "query": "from=2026-11-01", "frequency": "weekly", "hour": 25, "time_zone": "Mars/Olympus", "channel": "email", "destination": ["not an address"] });
    let res = post(cmo.clone(), bad).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["query", "weekday", "hour", "time_zone", "destination"]);
    let compliance_account = app.sign_in(Role::Compliance).await;
    assert_eq!(post(compliance_account.cookie.clone(), weekly("email", vec!["legal@example.com"])).await.status(), 403);
    let _: ReportScheduleRequest = serde_json::from_value(weekly("email", vec!["a@example.com"])).unwrap();

    // Before its time, nothing goes out.
    assert_eq!(server::services::report_schedules::run_due(&app.state).await.unwrap(), 0);

    // The server restarts; its clock passes Monday 08:00 Paris. Each report goes out once: the
    // mail after the relay's one refusal and a retry a minute later.
    let monday = Utc.with_ymd_and_hms(2026, 12, 7, 7, 5, 0).unwrap();
    let restarted = crate::support::restart(&app, server::clock::Clock::fixed(monday)).await;
    server::services::report_schedules::run_due(&restarted.state).await.unwrap();
    server::services::report_schedules::deliver_due(&restarted.state).await.unwrap();
    restarted.state.clock.set(monday + chrono::Duration::seconds(61));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while (mail.lock().unwrap().is_empty() || hook.lock().unwrap().is_empty()) && std::time::Instant::now() < deadline {
        server::services::report_schedules::deliver_due(&restarted.state).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for _ in 0..3 {
        server::services::report_schedules::run_due(&restarted.state).await.unwrap();
        server::services::report_schedules::deliver_due(&restarted.state).await.unwrap();
    }
    let messages = mail.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "one e-mail");
    let message = &messages[0];
    for expected in ["To: cfo@example.com, board@example.com", "Subject: Weekly board report by email: Board report", "Date: Mon, 07 Dec 2026 07:06", "Content-Type: application/pdf", "Content-Disposition: attachment", "\"board-report_2026-11-30_to_2026-12-07.pdf\""] {
        assert!(message.contains(expected), "{expected} in {message:.2000}");
    }
    let posts = hook.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "one webhook delivery");
    let (headers, bytes) = &posts[0];
    assert!(bytes.starts_with(b"%PDF-"));
    let timestamp: i64 = headers["x-swipesavvy-timestamp"].to_str().unwrap().parse().unwrap();
    assert_eq!(headers["x-swipesavvy-signature"].to_str().unwrap(), server::services::webhook::sign(secret.as_bytes(), timestamp, bytes));
    let (text, _) = read_pdf("scheduled-board-report", bytes);
    assert!(text.contains("30 Nov 2026 07:00 to 07 Dec 2026 07:00 UTC"), "the week ending at the scheduled time");

    // Each delivery is kept with its outcome; the schedule has moved on a week.
    // A week on, the sessions have expired: sign in again.
    let cookie_of = |res: reqwest::Response| res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let cmo = cookie_of(restarted.login(&cmo_account.email, &cmo_account.password).await);
    let compliance = cookie_of(restarted.login(&compliance_account.email, &compliance_account.password).await);
    let res = restarted.get_with_cookie("/api/v1/report-schedules", &cmo).await;
    assert_eq!(res.status(), 200);
    let seen: Vec<ReportScheduleView> = res.json().await.unwrap();
    assert_eq!(seen.len(), 2, "the CMO's two schedules");
    let mailed = seen.iter().find(|s| s.id == by_mail.id).unwrap();
    assert_eq!(mailed.next_run_at, Utc.with_ymd_and_hms(2026, 12, 14, 7, 0, 0).unwrap());
    assert_eq!(mailed.deliveries.len(), 1);
    let d = &mailed.deliveries[0];
    assert_eq!((d.status.as_str(), d.attempts, d.due_at), ("delivered", 2, by_mail.next_run_at));
    let hooked = seen.iter().find(|s| s.id == by_hook.id).unwrap();
    assert_eq!((hooked.deliveries[0].status.as_str(), hooked.deliveries[0].attempts), ("delivered", 1));
    use sea_orm::EntityTrait;
    let logged = server::entities::data_access_log::Entity::find().all(&restarted.state.db).await.unwrap();
    assert_eq!(logged.iter().filter(|e| e.subject == "export:scheduled-board-report").count(), 2, "each delivery in the data-access log");

    // Deleted: gone from the list; compliance cannot see or delete the CMO's.
    let delete = |cookie: String, id: uuid::Uuid| {
        let app = &restarted;
        async move { app.client.delete(app.url(&format!("/api/v1/report-schedules/{id}"))).header("cookie", cookie).header("origin", app.origin()).send().await.unwrap().status() }
    };
    assert_eq!(delete(compliance.clone(), by_hook.id).await, 404);
    assert_eq!(delete(cmo.clone(), by_hook.id).await, 204);
    let seen: Vec<ReportScheduleView> = restarted.get_with_cookie("/api/v1/report-schedules", &cmo).await.json().await.unwrap();
    assert_eq!(seen.iter().map(|s| s.id).collect::<Vec<_>>(), [by_mail.id]);
}
