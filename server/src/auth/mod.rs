//! Accounts and how people prove who they are: passwords (argon2id), browser sessions, personal
//! read tokens, and the throttle on failed sign-ins. Secrets are shown once and stored only as
//! digests; nothing here logs a secret.

pub mod accounts;
pub mod api_keys;
pub mod password;
pub mod rate_limit;
pub mod secret;
pub mod sessions;
pub mod throttle;
pub mod tokens;

use app::access::Caller;
use axum::http::{HeaderMap, header};

use crate::error::Result;
use crate::state::AppState;

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
}

/// Who sent the request: an API key (`Authorization: Bearer sskey_…`), a personal token
/// (`Bearer sspt_…`) or a session cookie. Anything unknown, expired, revoked or disabled is
/// anonymous.
pub async fn resolve_caller(state: &AppState, headers: &HeaderMap) -> Result<Caller> {
    let now = state.clock.now();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    // A request with a bearer credential is judged by it alone, never by a cookie the browser
    // may have added: that is what lets bearer requests skip the same-origin check.
    if let Some(secret) = bearer {
        if secret.starts_with(api_keys::PREFIX) {
            return Ok(api_keys::resolve(&state.db, secret, now).await?.map_or(Caller::Anonymous, Caller::Key));
        }
        if secret.starts_with(tokens::PREFIX) {
            return Ok(tokens::resolve(&state.db, secret, now).await?.map_or(Caller::Anonymous, Caller::User));
        }
        return Ok(Caller::Anonymous);
    }
    if let Some(secret) = cookie(headers, sessions::COOKIE) {
        return Ok(sessions::resolve(&state.db, &secret, now).await?.map_or(Caller::Anonymous, Caller::User));
    }
    Ok(Caller::Anonymous)
}
