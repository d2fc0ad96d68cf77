use std::time::Instant;

use app::access::{Me, Role};
use app::wire::ErrorBody;
use chrono::TimeZone;
use server::clock::Clock;

use crate::support::{captured_logs, session_cookie, spawn_app, spawn_app_with};

#[tokio::test]
async fn signing_in_sets_a_safe_session_cookie_and_me_describes_the_role() {
    let app = spawn_app().await;
    let (email, password) = app.create_account(Role::PerfLead).await;
    let res = app.login(&email.to_uppercase(), &password).await;
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = session_cookie(&res).unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["redirect"], "/campaigns", "the performance lead lands on the leaderboard");

    let me: Me = app.get_with_cookie("/api/v1/auth/me", &cookie).await.json().await.unwrap();
    assert_eq!(me.email, email);
    assert_eq!(me.role, Role::PerfLead);
    assert!(me.permissions.contains(&"pause_resume_campaigns".to_owned()));
    assert!(!me.permissions.contains(&"manage_users".to_owned()));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer_in_similar_time() {
    let app = spawn_app().await;
    // Two accounts, so five wrong passwords stay under one account's throttle.
    let emails = [app.create_account(Role::Cmo).await.0, app.create_account(Role::Cmo).await.0];
    // Warm up both paths once (first argon2 use, connection pool).
    app.login(&emails[0], "wrong password 0").await;
    app.login("nobody0@example.com", "wrong password 0").await;

    let mut wrong_password = Vec::new();
    let mut unknown_email = Vec::new();
    let mut bodies = Vec::new();
    for i in 1..=5 {
        let started = Instant::now();
        let res = app.login(&emails[i % 2], &format!("wrong password {i}")).await;
        wrong_password.push(started.elapsed());
        bodies.push((res.status(), res.text().await.unwrap()));
        let started = Instant::now();
        let res = app.login(&format!("nobody{i}@example.com"), "wrong password").await;
        unknown_email.push(started.elapsed());
        bodies.push((res.status(), res.text().await.unwrap()));
    }
    assert!(bodies.iter().all(|(status, _)| *status == 401));
    assert!(bodies.windows(2).all(|w| w[0].1 == w[1].1), "identical bodies: {bodies:?}");
    // Both paths do one argon2 verification (tens of milliseconds; skipping it would answer in
    // about one). The fastest of five is what the work costs: load on a shared machine only
    // ever adds time, so it does not make this flaky the way a median or mean would.
    let (a, b) = (wrong_password.iter().min().unwrap().as_secs_f64(), unknown_email.iter().min().unwrap().as_secs_f64());
    assert!(a / b < 3.0 && b / a < 3.0, "fastest wrong password {a:.3}s vs unknown email {b:.3}s");
}

#[tokio::test]
async fn repeated_failures_for_one_account_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    let (email, password) = app.create_account(Role::Cmo).await;
    for _ in 0..server::auth::throttle::MAX_FAILURES {
        assert_eq!(app.login(&email, "not the password").await.status(), 401);
    }
    let res = app.login(&email, &password).await;
    assert_eq!(res.status(), 429, "even the right password waits once throttled");
    let retry_after: i64 = res.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60, "{retry_after}");
    let body: ErrorBody = res.json().await.unwrap();
    assert_eq!(body.error.code, "throttled");
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app().await;
    for i in 0..server::auth::throttle::MAX_FAILURES_PER_ADDRESS {
        assert_eq!(app.login(&format!("guess{i}@example.com"), "not the password").await.status(), 401);
    }
    let (email, password) = app.create_account(Role::Cmo).await;
    assert_eq!(app.login(&email, &password).await.status(), 429, "the address is throttled");
}

#[tokio::test]
async fn a_session_expires_when_the_clock_passes_its_lifetime() {
    let clock = Clock::fixed(chrono::Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap());
    let app = spawn_app_with(clock.clone()).await;
    let session = app.sign_in(Role::Cmo).await;
    assert_eq!(app.get_with_cookie("/api/v1/auth/me", &session.cookie).await.status(), 200);

    clock.advance(chrono::Duration::minutes(59));
    assert_eq!(app.get_with_cookie("/api/v1/auth/me", &session.cookie).await.status(), 200);

    clock.advance(chrono::Duration::minutes(2));
    assert_eq!(app.get_with_cookie("/api/v1/auth/me", &session.cookie).await.status(), 401, "past the 60-minute lifetime");
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::RewardsPm).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &session.cookie)
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    // The old cookie is dead even if a client kept it.
    assert_eq!(app.get_with_cookie("/api/v1/auth/me", &session.cookie).await.status(), 401);
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_everywhere_at_once() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::LifecycleLead).await;
    let account = server::auth::accounts::get_by_email(&app.state.db, &session.email).await.unwrap();
    server::auth::accounts::set_disabled(&app.state.db, account.id, true, app.state.clock.now()).await.unwrap();
    assert_eq!(app.get_with_cookie("/api/v1/auth/me", &session.cookie).await.status(), 401);
    assert_eq!(app.login(&session.email, &session.password).await.status(), 401, "and cannot sign in again");
}

#[tokio::test]
async fn the_sign_in_form_redirects_to_the_landing_view_or_back_with_an_error() {
    let app = spawn_app().await;
    let (email, password) = app.create_account(Role::Compliance).await;
    let form = |email: &str, password: &str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("origin", app.origin())
            .form(&[("email", email), ("password", password), ("next", "")])
    };
    let res = form(&email, &password).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get("location").unwrap(), "/compliance");
    assert!(session_cookie(&res).is_some());

    let res = form(&email, "wrong password!").send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get("location").unwrap(), "/login?error=credentials");
}

#[tokio::test]
async fn an_anonymous_browser_is_sent_to_the_sign_in_page_and_back() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/campaigns?status=active")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get("location").unwrap(), "/login?next=%2Fcampaigns%3Fstatus%3Dactive");
    let login = app.get("/login").await;
    assert_eq!(login.status(), 200);
    assert!(login.text().await.unwrap().contains(r#"action="/api/v1/auth/login""#));
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused_even_with_a_valid_session() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::Cmo).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &session.cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app.client.post(app.url("/api/v1/auth/logout")).header("cookie", &session.cookie).send().await.unwrap();
    assert_eq!(res.status(), 403, "no Origin at all");
    assert_eq!(app.get_with_cookie("/api/v1/auth/me", &session.cookie).await.status(), 200, "still signed in");
}

#[tokio::test]
async fn a_malformed_sign_in_body_is_a_400_naming_the_problem() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("origin", app.origin())
        .header("content-type", "application/json")
        .body(r#"{"email": "a@b.co"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: ErrorBody = res.json().await.unwrap();
    assert!(body.error.message.contains("password"), "{}", body.error.message);
}

#[tokio::test]
async fn personal_tokens_read_the_api_as_their_owner_and_nothing_else() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::DataScience).await;
    let account = server::auth::accounts::get_by_email(&app.state.db, &session.email).await.unwrap();
    let (token, secret) = server::auth::tokens::create(&app.state.db, account.id, "notebook", app.state.clock.now()).await.unwrap();
    let bearer = format!("Bearer {secret}");

    let me: Me = app.client.get(app.url("/api/v1/auth/me")).header("authorization", &bearer).send().await.unwrap().json().await.unwrap();
    assert_eq!(me.role, Role::DataScience);
    // Not pages, not mutations.
    let page = app.client.get(app.url("/system-health")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(page.status(), 403);
    let logout = app.client.post(app.url("/api/v1/auth/logout")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(logout.status(), 403);

    server::auth::tokens::revoke(&app.state.db, token.id, app.state.clock.now()).await.unwrap();
    let res = app.client.get(app.url("/api/v1/auth/me")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(res.status(), 401, "a revoked token is nobody");
}

#[tokio::test]
async fn no_password_session_or_token_ever_reaches_the_logs() {
    let app = spawn_app().await;
    let (email, password) = app.create_account(Role::Admin).await;
    let wrong = format!("wrong-{}", uuid::Uuid::new_v4().simple());
    app.login(&email, &wrong).await;
    let res = app.login(&email, &password).await;
    let cookie = session_cookie(&res).unwrap();
    // A token created through the UI's server function, then used.
    let res = app
        .client
        .post(app.url("/api/fn/create_token"))
        .header("cookie", &cookie)
        .header("origin", app.origin())
        .form(&[("name", "leak check")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let created: app::wire::OneTimeSecret = res.json().await.unwrap();
    app.client.get(app.url("/api/v1/auth/me")).header("authorization", format!("Bearer {}", created.secret)).send().await.unwrap();
    // An account created with a generated password (shown once in the response only).
    let res = app
        .client
        .post(app.url("/api/fn/create_account"))
        .header("cookie", &cookie)
        .header("origin", app.origin())
        .form(&[("email", "leak-check@example.com"), ("role", "cmo"), ("password", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let generated: Option<app::wire::OneTimeSecret> = res.json().await.unwrap();
    let generated = generated.expect("a generated password").secret;
    // An API key created in the admin UI, then used to send a (rejected) event.
    let res = app
        .client
        .post(app.url("/api/fn/create_api_key"))
        .header("cookie", &cookie)
        .header("origin", app.origin())
        .form(&[("name", "leak check"), ("scope_events", "on")])
        .send()
        .await
        .unwrap();
    let key: app::wire::OneTimeSecret = res.json().await.unwrap();
    app.client.post(app.url("/api/v1/events")).bearer_auth(&key.secret).json(&serde_json::json!([{}])).send().await.unwrap();

    let logs = captured_logs();
    assert!(logs.contains("signed in"), "the capture works and saw this test's sign-in");
    let session_secret = cookie.trim_start_matches("ss_session=");
    for (what, secret) in
        [("password", password.as_str()), ("wrong password", wrong.as_str()), ("session", session_secret), ("token", created.secret.as_str()), ("generated password", generated.as_str()), ("API key", key.secret.as_str())]
    {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
    // The audit log records each of these actions by the administrator, and no secret.
    use sea_orm::EntityTrait;
    let entries = server::entities::audit_log::Entity::find().all(&app.state.db).await.unwrap();
    for action in ["auth.login_failed", "auth.login", "token.create", "account.create", "api_key.create"] {
        let entry = entries.iter().find(|e| e.action == action).unwrap_or_else(|| panic!("{action} is audited"));
        assert_eq!(entry.actor, email, "{action}");
    }
    let everything = format!("{entries:?}");
    for secret in [password.as_str(), wrong.as_str(), session_secret, created.secret.as_str(), generated.as_str(), key.secret.as_str()] {
        assert!(!everything.contains(secret), "a secret reached the audit log");
    }
}

#[tokio::test]
async fn demo_accounts_are_created_once_on_an_empty_database_only() {
    let app = spawn_app().await;
    server::commands::create_demo_accounts(&app.state.db, app.state.clock.now()).await.unwrap();
    let accounts = server::auth::accounts::list(&app.state.db).await.unwrap();
    assert_eq!(accounts.len(), Role::ALL.len());
    let roles: Vec<Role> = accounts.iter().map(|a| a.role).collect();
    for role in Role::ALL {
        assert!(roles.contains(&role), "{role}");
    }
    server::commands::create_demo_accounts(&app.state.db, app.state.clock.now()).await.unwrap();
    assert_eq!(server::auth::accounts::list(&app.state.db).await.unwrap().len(), Role::ALL.len(), "never twice");
}

#[tokio::test]
async fn a_bearer_request_is_never_authenticated_by_the_cookie_it_carries() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::Admin).await;
    let res = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &session.cookie)
        .header("authorization", "Bearer not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // And a non-bearer Authorization (a browser behind basic auth) still needs the same origin.
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &session.cookie)
        .header("authorization", "Basic dTpw")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn api_keys_only_send_data_and_stop_working_when_revoked() {
    let app = spawn_app().await;
    let (key, secret) =
        server::auth::api_keys::create(&app.state.db, "producer", &[app::access::Scope::Events], None, app.state.clock.now()).await.unwrap();
    let me = app.client.get(app.url("/api/v1/auth/me")).header("authorization", format!("Bearer {secret}")).send().await.unwrap();
    assert_eq!(me.status(), 403, "a key is not a person");
    server::auth::api_keys::revoke(&app.state.db, key.id, app.state.clock.now()).await.unwrap();
    let me = app.client.get(app.url("/api/v1/auth/me")).header("authorization", format!("Bearer {secret}")).send().await.unwrap();
    assert_eq!(me.status(), 401, "a revoked key is nobody");
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_an_https_proxy() {
    let app = spawn_app().await;
    let (email, password) = app.create_account(Role::Cmo).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("origin", app.origin())
        .header("x-forwarded-proto", "https")
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    let res = app.login(&email, &password).await;
    assert!(!res.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Secure"), "plain HTTP stays usable");
}
