//! Signing in and out: `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`,
//! `GET /api/v1/auth/me`. Login and logout take JSON (API clients) or a form post (the sign-in
//! page works without JavaScript); forms are answered with redirects, JSON with JSON.

use std::net::SocketAddr;

use app::access::{Caller, Me};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

use super::pipeline::header_value;
use crate::auth::throttle::ThrottleKey;
use crate::auth::{self, accounts, password, sessions};
use crate::error::{AppError, Result};
use crate::state::AppState;

#[derive(utoipa::ToSchema)]
#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Where the sign-in page should go afterwards (a path on this site).
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(utoipa::ToSchema)]
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    pub account: Me,
    /// The page to open: `next` when given and safe, else the role's landing view.
    pub redirect: String,
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Only paths on this site: `/x`, never `//host`, `https://…`, backslashes or control
/// characters (browsers drop tabs and newlines, turning `/\t/host` into `//host`).
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/') && !n.starts_with("//") && n.chars().all(|c| c.is_ascii_graphic() && c != '\\')
    })
    .map(str::to_owned)
}

/// Whether the session cookie gets `Secure`: always when configured, else when the proxy in
/// front says the browser used HTTPS.
fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.secure_cookies
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn session_cookie(secret: &str, max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}", sessions::COOKIE)
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses((status = 200, body = LoginResponse, description = "Sets the session cookie"), (status = 401, body = app::wire::ErrorBody), (status = 429, body = app::wire::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let form = is_form(&headers);
    let body = if form {
        Form::<LoginRequest>::from_request(req, &state).await.map(|Form(b)| b).map_err(|e| e.body_text())
    } else {
        Json::<LoginRequest>::from_request(req, &state).await.map(|Json(b)| b).map_err(|e| e.body_text())
    };
    let body = match body {
        Ok(body) => body,
        Err(reason) => return AppError::BadRequest(format!("cannot read the sign-in request: {reason}")).into_response(),
    };
    let next = safe_next(body.next.as_deref());
    let outcome = sign_in(&state, &body, peer, &headers).await;
    audit_sign_in(&state, &body.email, &outcome, peer).await;
    match outcome {
        Ok((me, new_session)) => {
            let redirect = next.unwrap_or_else(|| me.landing_path.clone());
            let max_age = (new_session.expires_at - state.clock.now()).num_seconds().max(0);
            let cookie = session_cookie(&new_session.secret, max_age, is_https(&state, &headers));
            let mut response = if form {
                Redirect::to(&redirect).into_response()
            } else {
                Json(LoginResponse { account: me, redirect }).into_response()
            };
            response.headers_mut().append(header::SET_COOKIE, header_value(&cookie));
            response
        }
        Err(err) if form => {
            let reason = match err {
                AppError::Throttled(seconds) => format!("throttled&retry_after={seconds}"),
                AppError::BadCredentials => "credentials".to_owned(),
                other => return other.into_response(),
            };
            let next = next.map(|n| format!("&next={}", url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()));
            Redirect::to(&format!("/login?error={reason}{}", next.unwrap_or_default())).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// Every sign-in and every refused one goes to the audit log (who tried, from where, and why it
/// was refused). A failure to write it is logged, never shown to the person signing in.
///
/// What was typed is kept as typed only when it is a staff account's email (staff identities
/// belong in the log); anything else may be a customer's address or a password typed in the
/// wrong box, and the log is kept for years, so it is masked. Attempts refused by the throttle
/// (which checks no credentials) go to the server log instead: anyone can send them without
/// limit, and each would otherwise grow a table nothing may delete.
async fn audit_sign_in(state: &AppState, email: &str, outcome: &Result<(Me, sessions::NewSession)>, peer: SocketAddr) {
    // What was typed, made safe to store: no control characters, at most 254 characters.
    let typed: String = email.trim().chars().filter(|c| !c.is_control()).take(254).collect::<String>().to_lowercase();
    let known = matches!(outcome, Ok(_)) || crate::auth::accounts::find_by_email(&state.db, &typed).await.ok().flatten().is_some();
    let typed = if known {
        typed
    } else if typed.contains('@') {
        crate::services::customers::mask_email(&typed)
    } else {
        "(not an email address)".to_owned()
    };
    let (role, action, reason) = match outcome {
        Ok((me, _)) => (me.role.to_string(), "auth.login", None),
        Err(AppError::Throttled(seconds)) => {
            tracing::warn!(client_ip = %peer.ip(), account = %typed, retry_after_seconds = seconds, "sign-in refused by the throttle");
            return;
        }
        Err(_) => ("none".to_owned(), "auth.login_failed", Some("wrong email or password".to_owned())),
    };
    let entry = crate::services::audit::Entry {
        actor: typed.clone(),
        role,
        action: action.to_owned(),
        target: format!("account:{typed}"),
        after: Some(serde_json::json!({ "client_ip": peer.ip().to_string() })),
        reason,
        ..Default::default()
    };
    if let Err(err) = crate::services::audit::record_alone(&state.db, &state.audit, entry, state.clock.now()).await {
        tracing::error!(error = %err.one_line(), "sign-in not written to the audit log");
    }
}

/// Throttle, verify, open a session. Every failure is the same `BadCredentials`, after the same
/// argon2 work, whether the email is unknown, the password wrong or the account disabled.
async fn sign_in(
    state: &AppState,
    body: &LoginRequest,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<(Me, sessions::NewSession)> {
    let now = state.clock.now();
    let email = body.email.trim().to_lowercase();
    let account_key = ThrottleKey::Account(email.clone());
    let keys = [account_key, ThrottleKey::address(peer.ip())];
    state.login_throttle.begin(&keys, now).map_err(AppError::Throttled)?;

    let model = accounts::find_by_email(&state.db, &email).await?;
    let password = body.password.clone();
    let stored = model.as_ref().map(|m| m.password_hash.clone());
    // argon2 is CPU-bound: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || password::verify(&password, stored.as_deref()))
        .await
        .map_err(|err| AppError::Internal(err.into()))?;
    let account = match model {
        Some(model) if verified => Some(accounts::from_model(&model)?).filter(|a| a.is_active()),
        _ => None,
    };
    let Some(account) = account else {
        tracing::info!(reason = "bad credentials", "sign-in refused");
        return Err(AppError::BadCredentials);
    };
    state.login_throttle.succeeded(&keys, now);
    let lifetime = chrono::Duration::minutes(state.settings.session_lifetime_minutes);
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let session = sessions::create(&state.db, account.id, now, lifetime, Some(peer.ip().to_string()), user_agent).await?;
    tracing::info!(account_id = %account.id, role = %account.role, "signed in");
    let principal = app::access::Principal {
        account_id: account.id,
        email: account.email,
        role: account.role,
        via: app::access::AuthMethod::Session,
    };
    Ok((Me::of(&principal), session))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if let Some(secret) = auth::cookie(&headers, sessions::COOKIE) {
        sessions::revoke_by_secret(&state.db, &secret, state.clock.now()).await?;
    }
    let cleared = session_cookie("", 0, is_https(&state, &headers));
    let mut response =
        if is_form(&headers) { Redirect::to("/login?signed_out=1").into_response() } else { StatusCode::NO_CONTENT.into_response() };
    response.headers_mut().append(header::SET_COOKIE, header_value(&cleared));
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = app::access::Me)))]
pub async fn me(Extension(caller): Extension<Caller>) -> Result<Json<Me>> {
    caller.principal().map(|p| Json(Me::of(p))).ok_or(AppError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/campaigns?x=1")).as_deref(), Some("/campaigns?x=1"));
        for bad in ["//evil.example", "https://evil.example", "campaigns", "/\\evil", "/\t/evil.example", "/\n/evil"] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_over_https() {
        let cookie = session_cookie("sss_abc", 60, true);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.ends_with("; Secure"));
        assert!(!session_cookie("sss_abc", 60, false).contains("Secure"));
    }
}
