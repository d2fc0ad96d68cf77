//! Every registered route × every kind of caller, checked against the permission matrix. The
//! route list comes from the application's own inventory, so a new route is walked automatically
//! (and a page or server function without declared access stops the application from starting).

use app::access::{Access, Role};
use app::wire::ErrorBody;
use reqwest::Method;
use server::http::pipeline::RouteKind;

use crate::support::{Session, TestApp, spawn_app};

#[derive(Debug, Clone)]
enum Who {
    Anonymous,
    Role(Role),
    RevokedSession,
    RevokedToken,
    /// A live personal token of a CMO.
    Token,
    /// A live API key with every scope.
    Key,
    RevokedKey,
}

/// What the pipeline answered: let through, or refused as unauthenticated or forbidden.
#[derive(Debug, PartialEq)]
enum Outcome {
    Allowed,
    Unauthenticated,
    Forbidden,
}

fn concrete(path: &str) -> String {
    path.replace("{*path}", "no-such-route").replace("{id}", "00000000-0000-0000-0000-000000000000")
}

async fn outcome(app: &TestApp, method: &Method, path: &str, kind: RouteKind, credential: Option<(&str, &str)>) -> (Outcome, u16) {
    let mut req = app.client.request(method.clone(), app.url(path)).header("accept", "application/json");
    if *method != Method::GET {
        req = req.header("origin", app.origin());
    }
    if let Some((name, value)) = credential {
        req = req.header(name, value);
    }
    req = match (kind, path) {
        (_, "/api/v1/auth/login") => req.json(&serde_json::json!({ "email": "walker@example.com", "password": "walker-password-1" })),
        (RouteKind::ServerFunction, _) => req.header("content-type", "application/x-www-form-urlencoded").body(""),
        _ => req,
    };
    let res = req.send().await.unwrap_or_else(|err| panic!("{method} {path}: {err}"));
    let status = res.status().as_u16();
    let code = res.json::<ErrorBody>().await.map(|b| b.error.code).unwrap_or_default();
    let outcome = match (status, code.as_str()) {
        (401, "unauthenticated") => Outcome::Unauthenticated,
        (403, "forbidden") => Outcome::Forbidden,
        _ => Outcome::Allowed,
    };
    (outcome, status)
}

fn expected(access: Access, kind: RouteKind, method: &Method, who: &Who) -> Outcome {
    if access == Access::Public {
        return Outcome::Allowed;
    }
    if let Access::Key(_) = access {
        return match who {
            Who::Key => Outcome::Allowed,
            Who::Anonymous | Who::RevokedSession | Who::RevokedToken | Who::RevokedKey => Outcome::Unauthenticated,
            Who::Role(_) | Who::Token => Outcome::Forbidden,
        };
    }
    let role = match who {
        Who::Anonymous | Who::RevokedSession | Who::RevokedToken | Who::RevokedKey => return Outcome::Unauthenticated,
        // The walk's key has every scope, so it passes wherever a key is accepted at all.
        Who::Key if matches!(access, Access::UserOrKey(..)) => return Outcome::Allowed,
        Who::Key => return Outcome::Forbidden,
        Who::Token if !(kind == RouteKind::Api && *method == Method::GET) => return Outcome::Forbidden,
        Who::Token => Role::Cmo,
        Who::Role(role) => *role,
    };
    if access.roles().contains(&role) { Outcome::Allowed } else { Outcome::Forbidden }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_permission_matrix_says() {
    let app = spawn_app().await;
    // The login route is walked with a real account, so its answer is about access, not credentials.
    server::auth::accounts::create(&app.state.db, "walker@example.com", Role::Cmo, "walker-password-1", app.state.clock.now())
        .await
        .unwrap();

    let mut sessions: Vec<(Role, Session)> = Vec::new();
    for role in Role::ALL {
        sessions.push((role, app.sign_in(role).await));
    }
    let revoked = app.sign_in(Role::Admin).await;
    server::auth::sessions::revoke_by_secret(&app.state.db, revoked.cookie.trim_start_matches("ss_session="), app.state.clock.now())
        .await
        .unwrap();
    let cmo = server::auth::accounts::get_by_email(&app.state.db, &sessions[0].1.email).await.unwrap();
    let (_, live_token) = server::auth::tokens::create(&app.state.db, cmo.id, "walk", app.state.clock.now()).await.unwrap();
    let (dead, dead_token) = server::auth::tokens::create(&app.state.db, cmo.id, "walk-revoked", app.state.clock.now()).await.unwrap();
    server::auth::tokens::revoke(&app.state.db, dead.id, app.state.clock.now()).await.unwrap();

    let all_scopes = app::access::Scope::ALL;
    let (_, live_key) = server::auth::api_keys::create(&app.state.db, "walk", &all_scopes, None, app.state.clock.now()).await.unwrap();
    let (dead_key_row, dead_key) =
        server::auth::api_keys::create(&app.state.db, "walk-revoked", &all_scopes, None, app.state.clock.now()).await.unwrap();
    server::auth::api_keys::revoke(&app.state.db, dead_key_row.id, app.state.clock.now()).await.unwrap();

    let mut callers: Vec<Who> =
        vec![Who::Anonymous, Who::RevokedSession, Who::RevokedToken, Who::Token, Who::Key, Who::RevokedKey];
    callers.extend(Role::ALL.into_iter().map(Who::Role));

    let entries = app.inventory.entries().to_vec();
    assert!(entries.len() >= 20, "the inventory lists pages, server functions and API routes");
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for entry in &entries {
        let method = entry.method.clone().unwrap_or(Method::GET);
        let path = concrete(&entry.path);
        for who in &callers {
            // Signing out ends the session it is sent with: give it a session of its own.
            let fresh;
            let credential: Option<(&str, String)> = match who {
                Who::Anonymous => None,
                Who::Role(role) if entry.path == "/api/v1/auth/logout" => {
                    fresh = app.sign_in(*role).await;
                    Some(("cookie", fresh.cookie.clone()))
                }
                Who::Role(role) => Some(("cookie", sessions.iter().find(|(r, _)| r == role).unwrap().1.cookie.clone())),
                Who::RevokedSession => Some(("cookie", revoked.cookie.clone())),
                Who::RevokedToken => Some(("authorization", format!("Bearer {dead_token}"))),
                Who::Token => Some(("authorization", format!("Bearer {live_token}"))),
                Who::Key => Some(("authorization", format!("Bearer {live_key}"))),
                Who::RevokedKey => Some(("authorization", format!("Bearer {dead_key}"))),
            };
            let sent = std::time::Instant::now();
            let (got, status) = outcome(&app, &method, &path, entry.kind, credential.as_ref().map(|(n, v)| (*n, v.as_str()))).await;
            if sent.elapsed() > std::time::Duration::from_secs(2) {
                eprintln!("slow: {method} {path} as {who:?} took {:.1?} ({status})", sent.elapsed());
            }
            let want = expected(entry.access, entry.kind, &method, who);
            checked += 1;
            // Let through must mean answered: no server error, except server functions walked
            // with an empty body (Leptos answers their missing arguments with a 500).
            if got == Outcome::Allowed && status >= 500 && entry.kind != RouteKind::ServerFunction {
                mismatches.push(format!("{method} {path} as {who:?}: let through but answered {status}"));
            }
            if got != want {
                mismatches.push(format!("{method} {path} as {who:?}: expected {want:?}, got {got:?} ({status})"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} of {checked} checks differ from the matrix:\n{}", mismatches.len(), mismatches.join("\n"));
}

#[tokio::test]
async fn the_generated_documents_match_the_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let permissions = std::fs::read_to_string(root.join("docs/permissions.md")).unwrap_or_default();
    assert_eq!(permissions, app::access::permissions_markdown(), "docs/permissions.md is stale: run `swipesavvy docs`");
    let routes = std::fs::read_to_string(root.join("docs/routes.md")).unwrap_or_default();
    assert_eq!(routes, server::http::routes_markdown(), "docs/routes.md is stale: run `swipesavvy docs`");
}

#[tokio::test]
async fn only_health_sign_in_the_api_description_and_static_assets_are_public() {
    // An independent list: the walk above trusts each route's declaration; this pins which
    // declarations may be public at all.
    let app = spawn_app().await;
    let mut public: Vec<String> = app
        .inventory
        .entries()
        .iter()
        .filter(|e| e.access == Access::Public)
        .map(|e| format!("{} {}", e.method.as_ref().map_or("any".to_owned(), |m| m.to_string()), e.path))
        .collect();
    public.sort();
    // The OpenAPI document describes the API's shape, never its data.
    assert_eq!(public, vec!["GET /api/v1/health", "GET /api/v1/openapi.json", "GET /health", "GET /login", "POST /api/v1/auth/login"]);
    // And the pages every persona must not reach without the capability.
    let admin = app.inventory.entries().iter().find(|e| e.path == "/admin").unwrap();
    assert_eq!(admin.access, Access::Requires(app::access::Capability::ManageUsers));
}

#[tokio::test]
async fn a_trailing_slash_or_an_odd_path_does_not_get_around_the_access_check() {
    let app = spawn_app().await;
    let cmo = app.sign_in(Role::Cmo).await;
    for path in ["/admin/", "/admin//", "/compliance/"] {
        let res = app.client.get(app.url(path)).header("accept", "application/json").send().await.unwrap();
        assert_eq!(res.status(), 401, "anonymous {path}");
        let res =
            app.client.get(app.url(path)).header("accept", "application/json").header("cookie", &cmo.cookie).send().await.unwrap();
        assert_eq!(res.status(), 403, "cmo {path}");
    }
    // Unknown paths get the plain 404 page, never a rendered application page.
    let res = app.get("/admin/extra").await;
    assert_eq!(res.status(), 404);
    assert!(!res.text().await.unwrap().contains("Administration"));
}

#[tokio::test]
async fn a_page_rendered_for_a_role_never_carries_data_it_may_not_read() {
    // Server functions are also called directly while a page renders on the server; they check
    // the caller themselves, so rendering cannot be used to read around the pipeline.
    let app = spawn_app().await;
    let cmo = app.sign_in(Role::Cmo).await;
    let html = app.get_with_cookie("/account", &cmo.cookie).await.text().await.unwrap();
    assert!(html.contains(&cmo.email));
    assert!(!html.contains("Live sessions"), "no admin data on a CMO's page");
}
