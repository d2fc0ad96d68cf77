//! Experiments over HTTP: `GET|POST /api/v1/experiments`, `GET|PATCH /api/v1/experiments/{id}`
//! (the GET carries the results), `POST /api/v1/experiments/{id}/{start|stop|ship}`,
//! `POST /api/v1/experiments/import` (a per-user CSV body) and `GET /api/v1/experiments/plan`.

use analytics::experiment::Metric;
use analytics::experiment::analysis::Plan;
use app::access::Caller;
use app::wire::{ExperimentDecisionRequest, ExperimentPatch, ExperimentSummary, ExperimentView, NewExperiment};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use uuid::Uuid;

use super::campaigns::body;
use crate::error::{AppError, Result};
use crate::services::catalogue::Actor;
use crate::services::experiments::{self, ImportRequest, OutcomeColumn};
use crate::state::AppState;

/// The path's id, or a 422 that says it is not one.
fn experiment_id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::invalid("id", format!("must be an experiment's UUID, got '{}'", text.chars().take(60).collect::<String>())))
}

fn actor(state: &AppState, caller: Caller) -> Actor {
    Actor::new(caller, state.audit.clone())
}

#[utoipa::path(get, path = "/api/v1/experiments", tag = "experiments", responses((status = 200, body = Vec<app::wire::ExperimentSummary>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ExperimentSummary>>> {
    Ok(Json(experiments::list(&state.db, &state.metrics, state.clock.now()).await?))
}

#[utoipa::path(post, path = "/api/v1/experiments", tag = "experiments", request_body = app::wire::NewExperiment, responses((status = 201, body = app::wire::ExperimentView), (status = 422, body = app::wire::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    payload: std::result::Result<Json<NewExperiment>, JsonRejection>,
) -> Result<(StatusCode, Json<ExperimentView>)> {
    let request = body(payload)?;
    let id = experiments::create(&state.db, request, &actor(&state, caller), state.clock.now()).await?;
    // A challenger creative is new to the catalogue.
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok((StatusCode::CREATED, Json(experiments::view(&state.db, &state.metrics, id, state.clock.now()).await?)))
}

#[utoipa::path(get, path = "/api/v1/experiments/{id}", tag = "experiments", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = app::wire::ExperimentView), (status = 404, body = app::wire::ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<ExperimentView>> {
    Ok(Json(experiments::view(&state.db, &state.metrics, experiment_id(&id)?, state.clock.now()).await?))
}

#[utoipa::path(patch, path = "/api/v1/experiments/{id}", tag = "experiments", params(("id" = uuid::Uuid, Path)), request_body = app::wire::ExperimentPatch, responses((status = 200, body = app::wire::ExperimentView), (status = 409, body = app::wire::ErrorBody, description = "The design of a started test is fixed")))]
pub async fn patch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: std::result::Result<Json<ExperimentPatch>, JsonRejection>,
) -> Result<Json<ExperimentView>> {
    let id = experiment_id(&id)?;
    let request = body(payload)?;
    experiments::patch(&state.db, &state.metrics, id, request, &actor(&state, caller), state.clock.now()).await?;
    Ok(Json(experiments::view(&state.db, &state.metrics, id, state.clock.now()).await?))
}

#[utoipa::path(post, path = "/api/v1/experiments/{id}/start", tag = "experiments", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = app::wire::ExperimentView), (status = 409, body = app::wire::ErrorBody)))]
pub async fn start(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Json<ExperimentView>> {
    let id = experiment_id(&id)?;
    experiments::start(&state.db, &state.metrics, id, &actor(&state, caller), state.clock.now()).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok(Json(experiments::view(&state.db, &state.metrics, id, state.clock.now()).await?))
}

/// An optional JSON body: none, or `{}`, means the defaults.
fn decision(payload: &[u8]) -> Result<ExperimentDecisionRequest> {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(ExperimentDecisionRequest::default());
    }
    serde_json::from_slice(payload).map_err(|e| AppError::BadRequest(format!("the body is not a decision ({{\"arm\": n, \"reason\": \"…\"}}): {e}")))
}

#[utoipa::path(post, path = "/api/v1/experiments/{id}/stop", tag = "experiments", params(("id" = uuid::Uuid, Path)), request_body = Option<app::wire::ExperimentDecisionRequest>, responses((status = 200, body = app::wire::ExperimentView), (status = 409, body = app::wire::ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> Result<Json<ExperimentView>> {
    let id = experiment_id(&id)?;
    experiments::stop(&state.db, &state.metrics, id, decision(&payload)?, &actor(&state, caller), state.clock.now()).await?;
    Ok(Json(experiments::view(&state.db, &state.metrics, id, state.clock.now()).await?))
}

#[utoipa::path(post, path = "/api/v1/experiments/{id}/ship", tag = "experiments", params(("id" = uuid::Uuid, Path)), request_body = Option<app::wire::ExperimentDecisionRequest>, responses((status = 200, body = app::wire::ExperimentView), (status = 409, body = app::wire::ErrorBody, description = "No winner to ship and no arm named"), (status = 422, body = app::wire::ErrorBody, description = "An override without a reason")))]
pub async fn ship(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> Result<Json<ExperimentView>> {
    let id = experiment_id(&id)?;
    experiments::ship(&state.db, &state.metrics, id, decision(&payload)?, &actor(&state, caller), state.clock.now(), false).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok(Json(experiments::view(&state.db, &state.metrics, id, state.clock.now()).await?))
}

/// A query parameter's last non-empty value, trimmed.
fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A numeric query parameter (a trailing `%` allowed), `default` when absent, else a 422 naming it.
fn number(pairs: &[(String, String)], name: &str, default: f64) -> Result<f64> {
    match param(pairs, name) {
        None => Ok(default),
        Some(text) => text.trim_end_matches('%').trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| AppError::invalid(name, format!("must be a number, got '{text}'"))),
    }
}

/// The query of `POST /api/v1/experiments/import`, parsed by hand so each problem names its field.
pub fn import_request(pairs: &[(String, String)], source: &str) -> Result<ImportRequest> {
    let one = |name: &str| param(pairs, name);
    let mut errors = Vec::new();
    let outcomes: Vec<OutcomeColumn> = pairs
        .iter()
        .filter(|(k, _)| k == "outcome")
        .filter_map(|(_, v)| v.parse::<OutcomeColumn>().map_err(|e| errors.push(app::wire::FieldError { field: "outcome".to_owned(), reason: e })).ok())
        .collect();
    let mut planned = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "split") {
        match v.rsplit_once(':').and_then(|(label, share)| share.trim().parse::<f64>().ok().map(|s| (label.trim().to_owned(), s))) {
            Some(pair) => planned.push(pair),
            None => errors.push(app::wire::FieldError { field: "split".to_owned(), reason: format!("write a planned share as label:percent, got '{v}'") }),
        }
    }
    let control = one("control");
    if control.is_none() {
        errors.push(app::wire::FieldError { field: "control".to_owned(), reason: "name the control arm's label".to_owned() });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(ImportRequest {
        name: one("name").unwrap_or_else(|| format!("Imported: {source}")),
        source: source.to_owned(),
        arm_column: one("arm_column").unwrap_or_else(|| "arm".to_owned()),
        control: control.unwrap_or_default(),
        outcomes,
        planned,
        alpha: number(pairs, "alpha", 0.05)?,
        minimum_effect: number(pairs, "minimum_effect_percent", 10.0)? / 100.0,
        duration_days: number(pairs, "duration_days", 14.0)?.round().clamp(0.0, 10_000.0) as u32,
    })
}

/// Analyses a test run elsewhere. Either the body is the per-user CSV (`text/csv`) and the query
/// names the arm column, the control, each outcome (`outcome=clicked:binary`,
/// `outcome=revenue:numeric:pre_revenue`, `:lower` when lower is better; the first is primary) and
/// optionally the planned split (`split=A:50&split=B:50`); or it is the dashboard's upload form
/// (`multipart/form-data`: `file`, `name`, `arm_column`, `control`, `outcomes` and `splits`
/// comma-separated), which is answered with a redirect to the new test, or back to the list with
/// the reason.
#[utoipa::path(post, path = "/api/v1/experiments/import", tag = "experiments", request_body(content = String, content_type = "text/csv"), responses((status = 201, body = app::wire::ExperimentView), (status = 303, description = "From the upload form: to the new test, or to /experiments?import_error=…"), (status = 422, body = app::wire::ErrorBody)))]
pub async fn import(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(pairs): Query<Vec<(String, String)>>, request: axum::extract::Request) -> Result<axum::response::Response> {
    use axum::extract::FromRequest;
    use axum::response::IntoResponse;
    let is_form = request.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_form {
        let csv = axum::body::Bytes::from_request(request, &state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
        let source = pairs.iter().find(|(k, _)| k == "source").map(|(_, v)| v.clone()).unwrap_or_else(|| "upload".to_owned());
        let request = import_request(&pairs, &source)?;
        let id = experiments::import(&state.db, csv.as_ref(), request, &actor(&state, caller), state.clock.now()).await?;
        return Ok((StatusCode::CREATED, Json(experiments::view(&state.db, &state.metrics, id, state.clock.now()).await?)).into_response());
    }
    let back = |reason: String| {
        let reason: String = url::form_urlencoded::byte_serialize(reason.as_bytes()).collect();
        axum::response::Redirect::to(&format!("/experiments?import_error={reason}")).into_response()
    };
    let mut multipart = match axum::extract::Multipart::from_request(request, &state).await {
        Ok(m) => m,
        Err(e) => return Ok(back(e.body_text())),
    };
    let (mut file, mut source, mut fields) = (None, "upload".to_owned(), Vec::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Ok(back(format!("the upload could not be read: {}", e.body_text()))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if let Some(file_name) = field.file_name().filter(|n| !n.is_empty()) {
                source = file_name.chars().take(200).collect();
            }
            match field.bytes().await {
                Ok(bytes) => file = Some(bytes),
                Err(e) => return Ok(back(format!("the file could not be read: {}", e.body_text()))),
            }
            continue;
        }
        let text = match field.text().await {
            Ok(text) => text,
            Err(e) => return Ok(back(format!("the field {name} could not be read: {}", e.body_text()))),
        };
        // The form's comma-separated lists become the query's repeated pairs.
        match name.as_str() {
            "outcomes" => fields.extend(text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| ("outcome".to_owned(), t.to_owned()))),
            "splits" => fields.extend(text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| ("split".to_owned(), t.to_owned()))),
            _ => fields.push((name, text)),
        }
    }
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Ok(back("choose the CSV file to import".to_owned()));
    };
    let outcome = async {
        let request = import_request(&fields, &source)?;
        experiments::import(&state.db, file.as_ref(), request, &actor(&state, caller), state.clock.now()).await
    }
    .await;
    Ok(match outcome {
        Ok(id) => axum::response::Redirect::to(&format!("/experiments/{id}")).into_response(),
        Err(err) => back(err.one_line()),
    })
}

/// The planner for a new test: the campaign's last 28 days give the traffic and the baseline.
#[utoipa::path(get, path = "/api/v1/experiments/plan", tag = "experiments", params(("campaign_id" = uuid::Uuid, Query), ("metric" = String, Query), ("minimum_effect_percent" = Option<f64>, Query), ("alpha" = Option<f64>, Query), ("power" = Option<f64>, Query), ("arms" = Option<u32>, Query)), responses((status = 200, body = analytics::experiment::analysis::Plan), (status = 422, body = app::wire::ErrorBody)))]
pub async fn plan(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Plan>> {
    Ok(Json(plan_view(&state, &pairs)?))
}

/// The planner's answer for a query (the API and the dashboard's form).
pub fn plan_view(state: &AppState, pairs: &[(String, String)]) -> Result<Plan> {
    let campaign = param(pairs, "campaign_id").ok_or_else(|| AppError::invalid("campaign_id", "name the campaign"))?;
    let campaign = Uuid::parse_str(&campaign).map_err(|_| AppError::invalid("campaign_id", "must be a UUID"))?;
    let metric: Metric = param(pairs, "metric").unwrap_or_else(|| "click_rate".to_owned()).parse().map_err(|e: String| AppError::invalid("metric", e))?;
    let effect = number(pairs, "minimum_effect_percent", 10.0)?;
    let alpha = number(pairs, "alpha", 0.05)?;
    let power = number(pairs, "power", 0.8)?;
    let arms = number(pairs, "arms", 2.0)?;
    // Each out-of-range value named on its own.
    let mut errors = Vec::new();
    for (name, ok, rule) in [
        ("minimum_effect_percent", effect > 0.0 && effect <= 1_000.0, "must be above 0 and at most 1,000"),
        ("alpha", alpha > 0.0 && alpha <= 0.5, "must be above 0 and at most 0.5"),
        ("power", (0.5..=0.999).contains(&power), "must be between 0.5 and 0.999"),
        ("arms", (2.0..=6.0).contains(&arms) && arms.fract() == 0.0, "must be a whole number from 2 to 6"),
    ] {
        if !ok {
            errors.push(app::wire::FieldError { field: name.to_owned(), reason: rule.to_owned() });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(experiments::plan_for(&state.metrics, campaign, metric, effect / 100.0, alpha, power, arms as usize, state.clock.now()))
}

/// The largest per-user file an upload takes (a CLI import has no limit: it streams).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
