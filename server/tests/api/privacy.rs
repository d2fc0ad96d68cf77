//! Personal data (issue #7): the customer directory is masked except to a role that may unmask,
//! with a reason; every read of it, every consent-trail lookup and privacy query is in the
//! append-only data-access log, which names users only by a pseudonym.

use app::access::{Role, Scope};
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app};

async fn get(app: &TestApp, cookie: &str, path: &str) -> (u16, Value) {
    let res = app.get_with_cookie(path, cookie).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_directory_is_masked_unmasking_needs_a_role_and_a_reason_and_every_read_is_logged() {
    let app = spawn_app().await;
    let admin = app.sign_in(Role::Admin).await.cookie;
    let customers = json!([
        { "user_id": "dir-1", "email": "sarah.jones@example.com", "phone": "+1 (415) 555-0167", "name": "Sarah Jones" },
        { "user_id": "dir-2", "email": "mike@shop.io" },
    ]);
    let res = app.client.post(app.url("/api/v1/customers")).header("cookie", &admin).header("origin", app.origin()).json(&customers).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "created": 2, "updated": 0 }));

    // A CRM sync with a customers key sends CSV; a value left out keeps what is stored.
    let (_, key) = server::auth::api_keys::create(&app.state.db, "crm", &[Scope::Customers], None, app.state.clock.now()).await.unwrap();
    let csv = "user_id,email,phone\ndir-2,,+44 20 7946 0958\ndir-3,ana@example.org,\n";
    let res = app.client.post(app.url("/api/v1/customers")).bearer_auth(&key).header("content-type", "text/csv").body(csv).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "created": 1, "updated": 1 }));
    // An events key may not write contact details.
    let (_, events_key) = server::auth::api_keys::create(&app.state.db, "events only", &[Scope::Events], None, app.state.clock.now()).await.unwrap();
    let res = app.client.post(app.url("/api/v1/customers")).bearer_auth(&events_key).json(&customers).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // Bad details are named by row and field, never echoed.
    let res = app.client.post(app.url("/api/v1/customers")).bearer_auth(&key).json(&json!([{ "user_id": "dir-4", "email": "secret-not-an-email" }, { "user_id": "" }])).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("customers[0].email") && body.contains("customers[1].user_id") && !body.contains("secret-not-an-email"), "{body}");

    // Roles without user-level rows are refused; others see the masked row.
    let perf = app.sign_in(Role::PerfLead).await.cookie;
    assert_eq!(get(&app, &perf, "/api/v1/customers/dir-1").await.0, 403);
    let lifecycle = app.sign_in(Role::LifecycleLead).await.cookie;
    let (status, row) = get(&app, &lifecycle, "/api/v1/customers/dir-1").await;
    assert_eq!(status, 200);
    assert_eq!(row["email"], "s***@e***.com");
    assert_eq!((row["phone"].as_str(), row["name"].as_str(), row["masked"].as_bool()), (Some("***67"), Some("S***"), Some(true)));
    assert_eq!(get(&app, &lifecycle, "/api/v1/customers/dir-1?unmask=true&reason=campaign%20check").await.0, 403, "lifecycle may not unmask");
    let compliance = app.sign_in(Role::Compliance).await.cookie;
    let (status, body) = get(&app, &compliance, "/api/v1/customers/dir-1?unmask=true").await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("reason")), "{body}");
    let (status, row) = get(&app, &compliance, "/api/v1/customers/dir-1?unmask=true&reason=subject%20access%20request%20SAR-17").await;
    assert_eq!(status, 200);
    assert_eq!((row["email"].as_str(), row["phone"].as_str(), row["masked"].as_bool()), (Some("sarah.jones@example.com"), Some("+14155550167"), Some(false)));
    assert_eq!(get(&app, &compliance, "/api/v1/customers/nobody").await.0, 404);

    // The log: who, what, why, and the user only as a pseudonym.
    let (status, log) = get(&app, &compliance, "/api/v1/access-log?user_id=dir-1").await;
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["unmask", "read_user_rows"], "newest first; refused requests read nothing: {log}");
    assert_eq!(entries[0]["reason"], "subject access request SAR-17");
    assert_eq!(entries[0]["actor_role"], "compliance");
    let subject = entries[0]["subject"].as_str().unwrap();
    assert!(subject.starts_with("customer:user#") && !subject.contains("dir-1"), "{subject}");
    assert_eq!(get(&app, &lifecycle, "/api/v1/access-log").await.0, 403, "only compliance and admin read the log");

    // The audit entry of the import names counts, not people.
    let audit = server::entities::audit_log::Entity::find().all(&app.state.db).await.unwrap();
    let import = audit.iter().find(|e| e.action == "customers.import").expect("audited");
    assert!(!format!("{import:?}").contains("sarah"), "{import:?}");

    // The log refuses change, as the audit log does.
    let db = &app.state.db;
    for statement in ["UPDATE data_access_log SET reason = 'x'", "DELETE FROM data_access_log"] {
        let refused = db.execute_unprepared(statement).await;
        assert!(refused.is_err_and(|e| e.to_string().contains("append-only")), "{statement}");
    }
}

#[tokio::test]
async fn a_consent_trail_by_user_or_email_and_the_privacy_query_are_logged() {
    let app = spawn_app().await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "producer", &[Scope::Events, Scope::Customers], None, app.state.clock.now()).await.unwrap();
    let consent = |channel: &str, status: &str, method: &str, minutes: i64| {
        json!({
            "event_id": uuid::Uuid::new_v4().to_string(), "event_type": "consent_updated",
            "timestamp": (Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339(), "user_id": "trail-1", "source": "backend",
            "properties": { "channel": channel, "status": status, "method": method, "source": "settings", "region": "EU-DE" }
        })
    };
    let batch = json!([consent("email", "opted_in", "double_opt_in", 60), consent("email", "opted_out", "unsubscribe", 30), consent("push", "opted_in", "single_opt_in", 10)]);
    assert_eq!(app.client.post(app.url("/api/v1/events")).bearer_auth(&key).json(&batch).send().await.unwrap().status(), 200);
    app.client.post(app.url("/api/v1/customers")).bearer_auth(&key).json(&json!([{ "user_id": "trail-1", "email": "Trail.One@Example.com" }])).send().await.unwrap();

    let compliance = app.sign_in(Role::Compliance).await.cookie;
    let (status, trail) = get(&app, &compliance, "/api/v1/privacy/consent-trail?user_id=trail-1").await;
    assert_eq!(status, 200, "{trail}");
    assert_eq!(trail["history"].as_array().unwrap().len(), 3);
    assert_eq!((trail["region"].as_str(), trail["regime"].as_str()), (Some("EU-DE"), Some("GDPR")));
    let channel = |name: &str| trail["channels"].as_array().unwrap().iter().find(|c| c["channel"] == name).unwrap().clone();
    assert_eq!(channel("email")["eligible"], false);
    assert_eq!(channel("push")["eligible"], true);
    assert_eq!(channel("sms")["eligible"], false, "no consent under GDPR");

    let (status, by_email) = get(&app, &compliance, "/api/v1/privacy/consent-trail?email=trail.one%40example.com").await;
    assert_eq!((status, by_email["user_id"].as_str()), (200, Some("trail-1")));
    assert_eq!(get(&app, &compliance, "/api/v1/privacy/consent-trail?email=nobody%40example.com").await.0, 404);
    assert_eq!(get(&app, &compliance, "/api/v1/privacy/consent-trail").await.0, 422);

    let campaign = crate::support::create_campaign(&app, "Privacy query").await;
    let (status, found) = get(&app, &compliance, "/api/v1/privacy/campaigns?segment=HIGH_SPENDER&region=US-CA&channel=push").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["campaigns"][0]["campaign_id"], campaign.id.to_string());
    let (_, none) = get(&app, &compliance, "/api/v1/privacy/campaigns?region=EU-DE").await;
    assert!(none["campaigns"].as_array().unwrap().is_empty(), "a campaign for US-CA did not target the EU");
    let (status, bad) = get(&app, &compliance, "/api/v1/privacy/campaigns?segment=NOPE&from=yesterday").await;
    assert_eq!(status, 422);
    assert_eq!(bad["error"]["fields"].as_array().unwrap().len(), 2, "{bad}");

    let (_, log) = get(&app, &compliance, "/api/v1/access-log?per_page=10").await;
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["privacy_query", "privacy_query", "consent_trail", "consent_trail", "consent_trail"], "{log}");
    let asked: Vec<&str> = entries.iter().filter(|e| e["filter"]["by"] == "email").map(|e| e["filter"]["email"].as_str().unwrap()).collect();
    assert_eq!(asked, ["n***@e***.com", "t***@e***.com"], "the emails asked are kept masked");
    assert!(!log.to_string().contains("trail.one"), "{log}");
}

#[tokio::test]
async fn no_log_line_or_export_holds_a_customers_contact_details() {
    let app = spawn_app().await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "crm", &[Scope::Customers, Scope::Events], None, app.state.clock.now()).await.unwrap();
    let (email, phone, digits) = ("leak.check.7731@privacy-test.example", "+1 (202) 555-0199", "2025550199");
    let post = |body: Value| {
        let app = &app;
        let key = key.clone();
        async move { app.client.post(app.url("/api/v1/customers")).bearer_auth(key).json(&body).send().await.unwrap() }
    };
    assert_eq!(post(json!([{ "user_id": "leak-1", "email": email, "phone": phone, "name": "Leak Check" }])).await.status(), 200);
    // Refusals name the field, not the value.
    assert_eq!(post(json!([{ "user_id": "leak-2", "email": format!("{email} extra"), "phone": "12" }])).await.status(), 422);
    assert_eq!(post(json!([{ "user_id": "leak-3", "email": 42 }])).await.status(), 422);
    let csv = format!("user_id,email,phone\nleak-4,{email}x,{phone}\n");
    app.client.post(app.url("/api/v1/customers")).bearer_auth(&key).header("content-type", "text/csv").body(csv).send().await.unwrap();

    let compliance = app.sign_in(Role::Compliance).await.cookie;
    let encoded = email.replace('@', "%40");
    let mut exports = Vec::new();
    for path in [
        "/api/v1/customers/leak-1".to_owned(),
        "/api/v1/customers/leak-1?unmask=true&reason=leak%20test".to_owned(),
        format!("/api/v1/privacy/consent-trail?email={encoded}"),
        format!("/api/v1/privacy/consent-trail?email=nobody.{encoded}"),
        "/api/v1/privacy/campaigns?channel=email".to_owned(),
    ] {
        assert!(app.get_with_cookie(&path, &compliance).await.status().as_u16() < 500, "{path}");
    }
    let res = app.client.post(app.url("/api/v1/privacy/erasure")).header("cookie", &compliance).header("origin", app.origin()).json(&json!({ "email": email, "reference": "DSR-77" })).send().await.unwrap();
    assert_eq!(res.status(), 200);
    for path in ["/api/v1/exports/audit.csv", "/api/v1/exports/access-log.csv", "/api/v1/access-log?per_page=500", "/api/v1/audit?per_page=500"] {
        let res = app.get_with_cookie(path, &compliance).await;
        assert_eq!(res.status(), 200, "{path}");
        exports.push((path, res.text().await.unwrap()));
    }
    // The spreadsheets, every cell of every sheet as text.
    for path in ["/api/v1/exports/audit.xlsx", "/api/v1/exports/access-log.xlsx"] {
        use calamine::Reader;
        let res = app.get_with_cookie(path, &compliance).await;
        assert_eq!(res.status(), 200, "{path}");
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
        let mut text = String::new();
        for name in book.sheet_names() {
            for row in book.worksheet_range(&name).unwrap().rows() {
                for cell in row {
                    text.push_str(&cell.to_string());
                    text.push('\t');
                }
            }
        }
        exports.push((path, text));
    }
    let cmo = app.sign_in(Role::Cmo).await.cookie;
    exports.push(("/api/v1/exports/campaigns.csv", app.get_with_cookie("/api/v1/exports/campaigns.csv", &cmo).await.text().await.unwrap()));
    // The administrator reads the logs but may not unmask: the same files, and the compliance
    // report's text, hold no contact details either.
    let admin = app.sign_in(Role::Admin).await.cookie;
    for path in ["/api/v1/exports/audit.csv", "/api/v1/exports/access-log.csv"] {
        let res = app.get_with_cookie(path, &admin).await;
        assert_eq!(res.status(), 200, "{path}");
        exports.push((path, res.text().await.unwrap()));
    }
    for (path, who) in [("/api/v1/reports/compliance.pdf", &admin), ("/api/v1/reports/compliance.pdf?range=7d", &compliance)] {
        let res = app.get_with_cookie(path, who).await;
        assert_eq!(res.status(), 200, "{path}");
        let file = std::env::temp_dir().join(format!("swipesavvy-privacy-{}.pdf", uuid::Uuid::new_v4()));
        std::fs::write(&file, res.bytes().await.unwrap()).unwrap();
        let out = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils)");
        let _ = std::fs::remove_file(&file);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Erasure requests handled") && text.contains("DSR-77"), "the report lists the erasure by its reference");
        exports.push((path, text));
    }

    let logs = crate::support::captured_logs();
    assert!(!logs.is_empty());
    for (what, text) in std::iter::once(("the server's log", logs)).chain(exports.into_iter().map(|(p, t)| (p, t))) {
        for needle in ["leak.check.7731", "privacy-test.example", digits, "Leak Check"] {
            assert!(!text.contains(needle), "{what} holds {needle}");
        }
    }
}
