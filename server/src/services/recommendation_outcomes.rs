//! Outcome tracking (issue #9, docs/recommendations.md "Outcomes"): once an executed
//! recommendation's evaluation window (`[recommendations] outcome_window_days`) has passed by the
//! server's clock, what really happened is measured from the events that followed and kept beside
//! the projection (`analytics::recommend::outcome`). Per type, the uptake (executed ÷ shown) and
//! the track record, which the engine's confidences learn from.

use std::collections::{BTreeMap, HashMap};

use analytics::recommend::outcome::{self, Outcome, Subject, TrackRecord};
use analytics::recommend::{Action, RecommendationKind};
use app::wire::{Acceptance, KindOutcomes, OutcomeItem, OutcomeReport};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use crate::entities::{experiments, recommendations};
use crate::error::{AppError, Result};
use crate::services::catalogue::field;
use crate::services::recommendations::{body_of, plan_in};
use crate::state::AppState;

/// The spec's target for executed ÷ shown.
pub const ACCEPTANCE_TARGET: f64 = 0.30;

fn window(state: &AppState) -> Duration {
    Duration::days(i64::from(state.settings.recommendations.outcome_window_days))
}

/// Measures every executed recommendation whose evaluation window has passed and that has no
/// outcome yet, once each; answers how many were measured. One that cannot be measured is logged
/// and tried again at the next turn.
pub async fn evaluate_due(state: &AppState) -> Result<usize> {
    let now = state.clock.now();
    let due = recommendations::Entity::find()
        .filter(recommendations::Column::Status.eq("executed"))
        .filter(recommendations::Column::EvaluatedAt.is_null())
        .filter(recommendations::Column::ExecutedAt.lte(now - window(state)))
        .all(&state.db)
        .await?;
    let mut done = 0;
    for row in due {
        let id = row.id;
        let measured = match evaluate(state, &row).await {
            Ok(measured) => measured,
            Err(err) => {
                tracing::warn!(recommendation = %id, error = %err.one_line(), "an outcome could not be measured; trying again");
                continue;
            }
        };
        let json = serde_json::to_value(&measured).map_err(|e| AppError::Internal(e.into()))?;
        // Only if nobody measured it meanwhile (two servers on one database).
        let updated = recommendations::Entity::update_many()
            .col_expr(recommendations::Column::Outcome, Expr::value(json))
            .col_expr(recommendations::Column::EvaluatedAt, Expr::value(now))
            .filter(recommendations::Column::Id.eq(id))
            .filter(recommendations::Column::EvaluatedAt.is_null())
            .exec(&state.db)
            .await?;
        done += updated.rows_affected as usize;
    }
    Ok(done)
}

/// The 7 days before the execution against the window after it, for what the executed plan touched.
async fn evaluate(state: &AppState, row: &recommendations::Model) -> Result<Outcome> {
    let rec = body_of(row)?;
    let plan = plan_in(row)?;
    let executed_at = row.executed_at.ok_or_else(|| AppError::Internal(anyhow::anyhow!("recommendation {} is executed with no time", row.id)))?;
    let mut subject = Subject::of(&plan.action);
    if let Action::TestCreative { creative_id, .. } = plan.action {
        subject.creative = challenger(&state.db, row, creative_id).await?;
    }
    let at = executed_at.timestamp();
    let (from, to) = (at - 7 * 86_400, at + window(state).num_seconds());
    let hub = state.metrics.clone();
    let config = state.settings.metrics.clone();
    let tolerance = state.settings.recommendations.outcome_tolerance;
    tokio::task::spawn_blocking(move || {
        hub.read(|store| {
            let before = outcome::measure(store, &config, &subject, from, at);
            let after = outcome::measure(store, &config, &subject, at, to);
            outcome::compare(&rec, &plan.action, &before, &after, config.default_margin_rate, tolerance)
        })
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("measuring an outcome stopped: {e}")))
}

/// The challenger creative of the test an executed "test creative" started.
async fn challenger(db: &impl ConnectionTrait, row: &recommendations::Model, challenged: Uuid) -> Result<Option<Uuid>> {
    let Some(experiment_id) = row.execution.as_ref().and_then(|e| e.pointer("/result/experiment_id")).and_then(|v| v.as_str()).and_then(|v| Uuid::parse_str(v).ok()) else {
        return Ok(None);
    };
    let Some(experiment) = experiments::Entity::find_by_id(experiment_id).one(db).await? else { return Ok(None) };
    let arms: Vec<crate::services::experiments::ArmSpec> = serde_json::from_value(experiment.arms).unwrap_or_default();
    Ok(arms.into_iter().filter_map(|a| a.creative_id).find(|c| *c != challenged))
}

/// Each type's judged outcomes so far, for the engine's confidences.
pub async fn track_records(db: &impl ConnectionTrait) -> Result<HashMap<RecommendationKind, TrackRecord>> {
    let rows = recommendations::Entity::find().filter(recommendations::Column::Outcome.is_not_null()).all(db).await?;
    let mut out: HashMap<RecommendationKind, TrackRecord> = HashMap::new();
    for row in rows {
        let (Some(kind), Some(hit)) = (RecommendationKind::parse(&row.kind), outcome_of(&row).and_then(|o| o.hit)) else { continue };
        let record = out.entry(kind).or_default();
        record.evaluated += 1;
        record.hits += u32::from(hit);
    }
    Ok(out)
}

fn outcome_of(row: &recommendations::Model) -> Option<Outcome> {
    row.outcome.as_ref().and_then(|o| serde_json::from_value(o.clone()).ok())
}

/// `GET /api/v1/recommendations/outcomes`'s filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutcomeQuery {
    /// One type, e.g. `pause_campaign`.
    pub kind: Option<String>,
    /// Recommendations first shown from this time (RFC 3339)…
    pub from: Option<DateTime<Utc>>,
    /// …and before this one.
    pub to: Option<DateTime<Utc>>,
}

impl OutcomeQuery {
    /// From a page's query pairs: `from` and `to` as RFC 3339 times or `YYYY-MM-DD` dates (UTC
    /// midnight); empty values are absent, other keys ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<OutcomeQuery> {
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty());
        let time = |key: &str| -> Result<Option<DateTime<Utc>>> {
            let Some(text) = get(key) else { return Ok(None) };
            if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
                return Ok(Some(at.with_timezone(&Utc)));
            }
            chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(|d| Some(d.and_time(chrono::NaiveTime::MIN).and_utc()))
                .map_err(|_| AppError::invalid(key, format!("'{text}' is neither a date (YYYY-MM-DD) nor an RFC 3339 time")))
        };
        Ok(OutcomeQuery { kind: get("kind"), from: time("from")?, to: time("to")? })
    }
}

/// Whether a row was put to a person: compliance flags carried out automatically were not.
fn shown(row: &recommendations::Model) -> bool {
    !(row.status == "executed" && plan_in(row).is_ok_and(|p| p.requested_by == "system"))
}

fn add(acceptance: &mut Acceptance, status: &str) {
    acceptance.shown += 1;
    match status {
        "executed" => acceptance.executed += 1,
        "dismissed" => acceptance.dismissed += 1,
        "expired" => acceptance.expired += 1,
        "failed" => acceptance.failed += 1,
        _ => acceptance.pending += 1,
    }
    acceptance.rate = Some(acceptance.executed as f64 / acceptance.shown as f64);
}

pub async fn report(state: &AppState, query: &OutcomeQuery) -> Result<OutcomeReport> {
    let now = state.clock.now();
    let mut errors = Vec::new();
    let kind = query.kind.as_deref().map(|k| RecommendationKind::parse(k).ok_or(k));
    if let Some(Err(k)) = kind {
        errors.push(field("kind", format!("unknown type '{k}': expected one of {}", RecommendationKind::ALL.map(|k| k.as_str()).join(", "))));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        errors.push(field("to", "must be after from"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut select = recommendations::Entity::find();
    if let Some(Ok(kind)) = kind {
        select = select.filter(recommendations::Column::Kind.eq(kind.as_str()));
    }
    if let Some(from) = query.from {
        select = select.filter(recommendations::Column::CreatedAt.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(recommendations::Column::CreatedAt.lt(to));
    }
    let rows = select.all(&state.db).await?;
    let window = window(state);

    let mut total = Acceptance::default();
    let mut kinds: BTreeMap<RecommendationKind, (Acceptance, u64, TrackRecord, Vec<f64>)> = BTreeMap::new();
    let mut items = Vec::new();
    for row in &rows {
        let Some(kind) = RecommendationKind::parse(&row.kind) else { continue };
        let entry = kinds.entry(kind).or_default();
        if shown(row) {
            add(&mut total, &row.status);
            add(&mut entry.0, &row.status);
        }
        let Some(executed_at) = row.executed_at.filter(|_| row.status == "executed") else { continue };
        let measured = outcome_of(row);
        match &measured {
            None => entry.1 += 1,
            Some(o) => {
                if let Some(hit) = o.hit {
                    entry.2.evaluated += 1;
                    entry.2.hits += u32::from(hit);
                }
                entry.3.extend(o.error_percent.map(f64::abs));
            }
        }
        let rec = body_of(row)?;
        items.push(OutcomeItem {
            id: row.id,
            kind,
            title: rec.title,
            target: rec.target,
            executed_by: row.executed_by.clone(),
            executed_at,
            due_at: executed_at + window,
            evaluated_at: row.evaluated_at,
            outcome: measured,
        });
    }
    items.sort_by(|a, b| b.executed_at.cmp(&a.executed_at).then(a.id.cmp(&b.id)));
    let by_kind = kinds
        .into_iter()
        .map(|(kind, (acceptance, awaiting_evaluation, track_record, errors))| KindOutcomes {
            kind,
            acceptance,
            awaiting_evaluation,
            track_record,
            mean_absolute_error_percent: (!errors.is_empty()).then(|| errors.iter().sum::<f64>() / errors.len() as f64),
        })
        .collect();
    let t = &state.settings.recommendations;
    Ok(OutcomeReport {
        as_of: now,
        from: query.from,
        to: query.to,
        window_days: t.outcome_window_days,
        tolerance: t.outcome_tolerance,
        acceptance: total,
        acceptance_target: ACCEPTANCE_TARGET,
        by_kind,
        items,
    })
}
