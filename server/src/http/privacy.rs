//! Personal data over HTTP: the customer directory (`/api/v1/customers`), a user's consent trail
//! and the privacy query (`/api/v1/privacy/…`), and the data-access log (`/api/v1/access-log`).
//! Every read of user-level or personal data is written to the data-access log.

use app::access::Caller;
use app::wire::{AccessLogPage, ConsentTrail, CustomerInput, CustomerView, CustomersResult, FieldError, PrivacyQueryResult};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};

use crate::error::{AppError, Result};
use crate::services::access_log::{self, Read};
use crate::services::catalogue::Actor;
use crate::services::{consent, customers};
use crate::state::AppState;

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// Adds or updates customers: a JSON array of `{user_id, email, phone, name}`, or CSV
/// (`Content-Type: text/csv`) with that header. All or nothing; problems are named by row and
/// field, never echoing the contact details.
#[utoipa::path(post, path = "/api/v1/customers", tag = "privacy", request_body = Vec<CustomerInput>, responses((status = 200, body = CustomersResult), (status = 422, body = app::wire::ErrorBody)))]
pub async fn upsert(State(state): State<AppState>, Extension(caller): Extension<Caller>, headers: HeaderMap, body: Bytes) -> Result<Json<CustomersResult>> {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let inputs = if content_type.starts_with("text/csv") {
        customers::parse_csv(&body)?
    } else {
        let mut deserializer = serde_json::Deserializer::from_slice(&body);
        serde_path_to_error::deserialize::<_, Vec<CustomerInput>>(&mut deserializer).map_err(|err| {
            let path = err.path().to_string();
            // serde's message may quote the offending value, which may be personal data.
            let reason = match err.inner().classify() {
                serde_json::error::Category::Data => "has the wrong type or an unknown field; give user_id, email, phone, name as strings".to_owned(),
                _ => "is not a JSON array of customers".to_owned(),
            };
            AppError::invalid(if path == "." { "customers" } else { &path }, reason)
        })?
    };
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(customers::upsert(&state.db, inputs, &actor, &state.audit, state.clock.now()).await?))
}

/// One customer, masked unless `unmask=true` with a `reason` from a role that may unmask.
#[utoipa::path(get, path = "/api/v1/customers/{user_id}", tag = "privacy", params(("user_id" = String, Path), ("unmask" = Option<bool>, Query), ("reason" = Option<String>, Query, description = "Required to unmask; kept in the data-access log")), responses((status = 200, body = CustomerView), (status = 403, body = app::wire::ErrorBody), (status = 404, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<CustomerView>> {
    let unmask = match value(&pairs, "unmask") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(AppError::invalid("unmask", format!("'{other}' is not true or false"))),
    };
    let reason = value(&pairs, "reason").unwrap_or_default();
    let lookup = customers::Lookup { user_id: &user_id, unmask: unmask.then_some(reason) };
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(customers::view(&state.db, lookup, &actor, &state.audit, state.clock.now()).await?))
}

/// A user's consent history and where it leaves them on each channel, by `user_id` or by `email`
/// (looked up in the directory); the lookup is logged.
#[utoipa::path(get, path = "/api/v1/privacy/consent-trail", tag = "privacy", params(("user_id" = Option<String>, Query), ("email" = Option<String>, Query, description = "Found through the customer directory")), responses((status = 200, body = ConsentTrail), (status = 404, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn consent_trail(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<ConsentTrail>> {
    Ok(Json(consent_trail_view(&state, caller, &pairs).await?))
}

/// A consent trail for a query string (`user_id=…` or `email=…`), logged for `caller`; the API
/// and the dashboard share it.
pub async fn consent_trail_view(state: &AppState, caller: Caller, pairs: &[(String, String)]) -> Result<ConsentTrail> {
    let now = state.clock.now();
    if let Some((key, _)) = pairs.iter().find(|(k, _)| k != "user_id" && k != "email") {
        return Err(AppError::invalid(key, "unknown parameter; use user_id or email"));
    }
    let (user_id, by) = match (value(pairs, "user_id"), value(pairs, "email")) {
        (Some(user), None) => (Some(user.to_owned()), serde_json::json!({ "by": "user_id" })),
        (None, Some(email)) => (customers::user_for_email(&state.db, email).await?, serde_json::json!({ "by": "email", "email": customers::mask_email(email) })),
        _ => return Err(AppError::invalid("user_id", "give either user_id or email")),
    };
    let subject = match &user_id {
        Some(user) => format!("consent_trail:{}", state.audit.subject_ref(user)?),
        None => "consent_trail:(no customer with that email)".to_owned(),
    };
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    let trail = match &user_id {
        Some(user) => Some(consent::trail(&state.db, user, now).await?),
        None => None,
    };
    let rows = trail.as_ref().map_or(0, |t| t.history.len() as i64);
    access_log::record(&state.db, (&who, &role), Read { action: "consent_trail", subject, filter: Some(by), reason: None, rows: Some(rows) }, now).await?;
    trail.ok_or_else(|| AppError::NotFound("a customer with that email in the directory".to_owned()))
}

/// Every campaign that targeted a segment, region or channel in a period.
#[utoipa::path(get, path = "/api/v1/privacy/campaigns", tag = "privacy", params(("segment" = Option<String>, Query), ("region" = Option<String>, Query), ("channel" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query)), responses((status = 200, body = PrivacyQueryResult), (status = 422, body = app::wire::ErrorBody)))]
pub async fn campaigns(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<PrivacyQueryResult>> {
    Ok(Json(privacy_query_view(&state, caller, &pairs).await?))
}

/// The privacy query for a query string, logged for `caller`; the API and the dashboard share it.
pub async fn privacy_query_view(state: &AppState, caller: Caller, pairs: &[(String, String)]) -> Result<PrivacyQueryResult> {
    let mut query = consent::PrivacyQuery::default();
    let mut errors = Vec::new();
    for (key, raw) in pairs {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let mut problem = |reason: String| errors.push(FieldError { field: key.clone(), reason });
        match key.as_str() {
            "segment" => match raw.parse() {
                Ok(s) => query.segment = Some(s),
                Err(e) => problem(format!("{e}")),
            },
            "channel" => match raw.parse() {
                Ok(c) => query.channel = Some(c),
                Err(e) => problem(format!("{e}")),
            },
            "region" if raw.len() <= 32 && !raw.contains(',') => query.region = Some(raw.to_owned()),
            "region" => problem("a region is a code of 1 to 32 characters, e.g. EU-DE".to_owned()),
            "from" | "to" => match crate::http::metrics::parse_time(raw) {
                Ok(t) if key == "from" => query.from = Some(t),
                Ok(t) => query.to = Some(t),
                Err(reason) => problem(reason),
            },
            other => problem(format!("unknown filter '{other}'; use segment, region, channel, from, to")),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let result = consent::campaigns_targeting(&state.db, &query).await?;
    let filter = access_log::masked_filter(pairs);
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    let read = Read { action: "privacy_query", subject: "campaigns".to_owned(), filter: Some(filter.into()), reason: None, rows: Some(result.campaigns.len() as i64) };
    access_log::record(&state.db, (&who, &role), read, state.clock.now()).await?;
    Ok(result)
}

/// The data-access log, newest first, with filters `from`, `to`, `actor`, `action`, `user_id`
/// (matched through its pseudonym), `subject`, `page`, `per_page`.
#[utoipa::path(get, path = "/api/v1/access-log", tag = "privacy", params(("from" = Option<String>, Query), ("to" = Option<String>, Query), ("actor" = Option<String>, Query), ("action" = Option<String>, Query), ("user_id" = Option<String>, Query), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)), responses((status = 200, body = AccessLogPage), (status = 422, body = app::wire::ErrorBody)))]
pub async fn access_log(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<AccessLogPage>> {
    let query = access_log::Query::parse(&pairs, |user| state.audit.subject_ref(user))?;
    Ok(Json(access_log::list(&state.db, &query).await?))
}

/// Erases one person's data (GDPR article 17): raw events, directory entry, consent history and
/// user-level rows; the derived numbers are corrected and the audit entry names only the request.
#[utoipa::path(post, path = "/api/v1/privacy/erasure", tag = "privacy", request_body = app::wire::ErasureRequest, responses((status = 200, body = app::wire::ErasureResult), (status = 404, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn erasure(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    payload: std::result::Result<Json<app::wire::ErasureRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<app::wire::ErasureResult>> {
    let request = payload.map_err(|err| AppError::invalid("body", format!("not an erasure request ({{\"user_id\" or \"email\", \"reference\"}}): {}", err.body_text())))?.0;
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(crate::services::erasure::erase(&state, request, &actor).await?))
}

/// The compliance scan: each active, scheduled or pending campaign's regulatory checks (or one
/// campaign's, with `campaign=…`), each naming the stored fact it used and its date.
#[utoipa::path(get, path = "/api/v1/compliance/checks", tag = "compliance", params(("campaign" = Option<uuid::Uuid>, Query)), responses((status = 200, body = app::wire::ComplianceScan), (status = 404, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn compliance_checks(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<app::wire::ComplianceScan>> {
    let mut campaign = None;
    for (key, raw) in &pairs {
        match key.as_str() {
            "campaign" if raw.trim().is_empty() => {}
            "campaign" => campaign = Some(raw.trim().parse::<uuid::Uuid>().map_err(|_| AppError::invalid("campaign", format!("'{raw}' is not a campaign id (a UUID)")))?),
            other => return Err(AppError::invalid(other, "unknown filter; use campaign")),
        }
    }
    Ok(Json(crate::services::regulatory::scan(&state, campaign).await?))
}

/// The retention policy and the latest runs of the retention job.
#[utoipa::path(get, path = "/api/v1/compliance/retention", tag = "compliance", responses((status = 200, body = app::wire::RetentionStatus)))]
pub async fn retention(State(state): State<AppState>) -> Result<Json<app::wire::RetentionStatus>> {
    Ok(Json(crate::services::retention::status(&state).await?))
}

/// Module 11's consent dashboard: reach by channel and region now, and the window's unsubscribes
/// (by day, campaign, region, reason) and refused deliveries. The window is `range` (default
/// 30d) or `from`/`to`.
#[utoipa::path(get, path = "/api/v1/compliance/consent", tag = "compliance", params(("range" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query)), responses((status = 200, body = app::wire::ConsentOverview), (status = 422, body = app::wire::ErrorBody)))]
pub async fn consent_overview(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<app::wire::ConsentOverview>> {
    Ok(Json(consent_overview_view(&state, &pairs).await?))
}

/// The consent dashboard for a query string (the API and the dashboard page share it).
pub async fn consent_overview_view(state: &AppState, pairs: &[(String, String)]) -> Result<app::wire::ConsentOverview> {
    let now = state.clock.now();
    let window: Vec<(String, String)> = pairs.iter().filter(|(k, _)| matches!(k.as_str(), "range" | "from" | "to")).cloned().collect();
    if let Some((key, _)) = pairs.iter().find(|(k, _)| !matches!(k.as_str(), "range" | "from" | "to")) {
        return Err(AppError::invalid(key, "unknown parameter; use range, from, to"));
    }
    let scope = crate::http::metrics::parse_scope(&window, &[], now)?;
    let to = scope.to.unwrap_or(now).min(now);
    let from = scope.from.unwrap_or(to - chrono::Duration::days(30));
    consent::overview(state, from, to).await
}
