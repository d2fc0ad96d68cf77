//! The Action Center's recommendations (issue #9, docs/recommendations.md): one run gathers the
//! facts the engine reads (the catalogue, tests, consent refusals, approvals, data quality) and
//! the rollup's figures, lets `analytics::recommend` decide, and reconciles the result with what
//! is stored: a situation found again is refreshed in place, a new one opens, one no longer found
//! expires with the reason, and a dismissal keeps its situation quiet until it clears or lapses.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use analytics::events::{PauseReason, ReallocationReason};
use analytics::recommend::{self, Action, CampaignInput, ComplianceFacts, CreativeInput, Recommendation, RecommendationKind, SystemFacts, Thresholds};
use analytics::CampaignStatus;
use analytics::events::{ConfidenceLevel, Event, ImpactProjection, Payload, UserActionRecommended};
use app::access::{Capability, Role};
use app::wire::{CampaignPatch, CreativeStatus, DismissRequest, ExecuteRequest, RecommendationNotice, ReallocationRequest, RecommendationList, RecommendationRun, RecommendationStatus, RecommendationView, ScheduleRequest};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entities::{audit_log, consent_violations_hourly, experiments, quality_hourly, recommendations};
use crate::error::{AppError, Result};
use crate::services::catalogue::{self, Actor, field};
use crate::services::{audit, quality};
use crate::services::experiments as experiment_service;
use crate::state::AppState;

const PENDING: [&str; 3] = ["open", "scheduled", "awaiting_approval"];

/// One run of the engine at the server's `now`, reconciled with the stored recommendations.
pub async fn run(state: &AppState) -> Result<RecommendationRun> {
    let _turn = state.engine_turn.lock().await;
    let started = Instant::now();
    let now = state.clock.now();
    let thresholds = state.settings.recommendations.clone();
    let (campaigns, system) = inputs(&state.db, now, &thresholds).await?;
    let records = crate::services::recommendation_outcomes::track_records(&state.db).await?;
    let inputs_ms = started.elapsed().as_millis() as u64;
    let hub = state.metrics.clone();
    let config = state.settings.metrics.clone();
    let engine_thresholds = thresholds.clone();
    // The figures are computed under the rollup's read lock, off the async workers.
    let found = tokio::task::spawn_blocking(move || {
        hub.read(|store| {
            let facts = recommend::facts::gather(store, &config, now, campaigns, system);
            let mut found = recommend::evaluate(&facts, &engine_thresholds);
            recommend::outcome::apply_track_records(&mut found, &records, engine_thresholds.outcome_prior_weight, engine_thresholds.outcome_tolerance);
            found
        })
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("the recommendation engine stopped: {e}")))?;
    let measure_ms = started.elapsed().as_millis() as u64 - inputs_ms;
    let (mut counts, opened, automatic) = reconcile(&state.db, &found, now, &thresholds).await?;
    (counts.inputs_ms, counts.measure_ms) = (inputs_ms, measure_ms);
    counts.store_ms = started.elapsed().as_millis() as u64 - inputs_ms - measure_ms;
    // The data team hears of a data-quality problem at once.
    for notice in opened.iter().filter(|n| n.kind == RecommendationKind::ImproveDataQuality) {
        let rec = body_of(&find(&state.db, notice.id).await?)?;
        let message = format!("Data team: {}. {} ({})", rec.title, rec.primary_reason, rec.evidence.join("; "));
        crate::services::alerts::raise_for_recommendation(state, notice.id, &rec, analytics::events::Severity::Warning, message).await?;
    }
    if !opened.is_empty() {
        // Nobody listening is fine.
        let _ = state.new_recommendations.send(std::sync::Arc::new(opened));
    }
    // Compliance flags (by default) pause at once: the product acts, and the audit log says so.
    let system = Actor::system(state.audit.clone());
    for id in automatic {
        let row = find(&state.db, id).await?;
        let rec = body_of(&row)?;
        let plan = Plan { kind: rec.kind, action: rec.action.clone(), challenger: None, note: Some("executed automatically ([recommendations] auto_execute_compliance)".to_owned()), requested_by: "system".to_owned(), requested_role: "system".to_owned(), approved_by: None };
        match perform(state, row, plan, &system, true).await {
            Ok(_) => {
                counts.auto_executed += 1;
                // Compliance hears of it at once.
                let message = format!("Compliance: \"{}\" was paused automatically. {}", rec.target.name, rec.primary_reason);
                crate::services::alerts::raise_for_recommendation(state, id, &rec, analytics::events::Severity::Critical, message).await?;
            }
            Err(err) => tracing::warn!(recommendation = %id, error = %err.one_line(), "an automatic execution failed"),
        }
    }
    counts.took_ms = started.elapsed().as_millis() as u64;
    Ok(counts)
}

/// What the engine reads from the database.
async fn inputs(db: &DatabaseConnection, now: DateTime<Utc>, t: &Thresholds) -> Result<(Vec<CampaignInput>, SystemFacts)> {
    let campaigns = catalogue::all(db).await?;
    let testing: HashSet<Uuid> = experiments::Entity::find()
        .filter(experiments::Column::Status.eq("running"))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|e| e.campaign_id)
        .collect();
    let mut refusals: HashMap<Uuid, i64> = HashMap::new();
    for row in consent_violations_hourly::Entity::find().filter(consent_violations_hourly::Column::HourStart.gte(now - Duration::days(7))).all(db).await? {
        *refusals.entry(row.campaign_id).or_default() += row.violations;
    }
    // Which campaigns were created, and which approved, in the product.
    let mut created = HashSet::new();
    let mut approved = HashSet::new();
    let mut launched: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for row in audit_log::Entity::find().filter(audit_log::Column::Action.is_in(["campaign.create", "campaign.approve", "campaign.launch"])).all(db).await? {
        let Some(id) = row.target.strip_prefix("campaign:").and_then(|id| Uuid::parse_str(id).ok()) else { continue };
        match row.action.as_str() {
            "campaign.create" => {
                created.insert(id);
            }
            "campaign.approve" => {
                approved.insert(id);
            }
            _ => {
                let first = launched.entry(id).or_insert(row.at);
                *first = (*first).min(row.at);
            }
        }
    }
    let events_expected = campaigns.iter().any(|c| c.status == CampaignStatus::Active);
    let inputs = campaigns
        .into_iter()
        .filter(|c| !matches!(c.status, CampaignStatus::Draft | CampaignStatus::Archived | CampaignStatus::PendingApproval))
        .map(|c| CampaignInput {
            compliance: ComplianceFacts {
                refusals_week: refusals.get(&c.id).copied().unwrap_or(0),
                missing_consent_method: c.consent_method.is_none(),
                missing_opt_out: !c.has_opt_out_link,
                no_approval: created.contains(&c.id) && !approved.contains(&c.id),
            },
            running_experiment: testing.contains(&c.id),
            creatives: c.creatives.iter().map(|k| CreativeInput { id: k.id, name: k.name.clone(), active: k.status == CreativeStatus::Active }).collect(),
            id: c.id,
            name: c.name,
            campaign_type: c.campaign_type,
            status: c.status,
            target_segments: c.target_segments,
            budget_cents: c.budget_cents,
            holdout_percent: c.holdout_percent,
            frequency_cap_per_week: c.frequency_cap_per_week,
            starts_at: c.starts_at,
            launched_at: launched.get(&c.id).copied(),
            ends_at: c.ends_at,
        })
        .collect();

    let report = quality::report(db, now, 1).await?;
    let freshness_minutes = report.overall.data_freshness_minutes;
    let hour = |t: DateTime<Utc>| t - Duration::seconds(t.timestamp().rem_euclid(3600));
    let mut by_hour: HashMap<DateTime<Utc>, (i64, i64)> = HashMap::new();
    for row in quality_hourly::Entity::find().filter(quality_hourly::Column::HourStart.gte(hour(now) - Duration::hours(5))).all(db).await? {
        let e = by_hour.entry(row.hour_start).or_default();
        e.0 += row.received;
        e.1 += row.valid;
    }
    let bad_hours = by_hour.values().filter(|(received, valid)| *received >= t.validation_min_events as i64 && 100.0 * (received - valid) as f64 / *received as f64 > t.validation_errors_above_percent).count() as u32;
    let stale_hours = freshness_minutes.filter(|f| *f > t.freshness_minutes_above).map_or(0, |f| ((f / 60.0).ceil() as u32).min(6));
    let system = SystemFacts {
        freshness_minutes,
        events_expected,
        received_last_hour: report.counts.received.max(0) as u64,
        rejected_last_hour: (report.counts.received - report.counts.valid).max(0) as u64,
        hours_affected: bad_hours.max(stale_hours),
        anomalies: crate::services::alerts::open_anomalies(db).await?,
    };
    Ok((inputs, system))
}

fn status_of(row: &recommendations::Model) -> RecommendationStatus {
    RecommendationStatus::parse(&row.status).unwrap_or(RecommendationStatus::Open)
}

pub(crate) fn body_of(row: &recommendations::Model) -> Result<Recommendation> {
    serde_json::from_value(row.body.clone()).map_err(|e| AppError::Internal(anyhow::anyhow!("recommendation {} cannot be read: {e}", row.id)))
}

pub fn view(row: recommendations::Model) -> Result<RecommendationView> {
    Ok(RecommendationView {
        recommendation: body_of(&row)?,
        id: row.id,
        status: status_of(&row),
        created_at: row.created_at,
        updated_at: row.updated_at,
        closed_reason: row.closed_reason,
        closed_at: row.closed_at,
        dismissed_by: row.dismissed_by,
        dismissed_reason: row.dismissed_reason,
        suppress_until: row.suppress_until,
        scheduled_for: row.scheduled_for,
        scheduled_by: row.scheduled_by,
        executed_by: row.executed_by,
        executed_at: row.executed_at,
        outcome: row.outcome.and_then(|o| serde_json::from_value(o).ok()),
        evaluated_at: row.evaluated_at,
        execution: row.execution,
    })
}

fn to_json(rec: &Recommendation) -> serde_json::Value {
    serde_json::to_value(rec).unwrap_or_default()
}

/// The spec's `user_action_recommended` for a new recommendation.
fn recommended_event(id: Uuid, rec: &Recommendation, now: DateTime<Utc>) -> Event {
    let confidence = rec.projection.confidence;
    crate::ingest::system_event(
        now,
        Payload::UserActionRecommended(UserActionRecommended {
            recommendation_id: id,
            recommendation_type: rec.kind.as_str().to_owned(),
            target_entity_id: Uuid::parse_str(&rec.target.id).ok(),
            impact_projection: Some(ImpactProjection {
                projected_roas_change_percent: None,
                projected_revenue_impact: rec.projection.net_weekly_dollars,
                confidence_score: Some(confidence),
            }),
            confidence_level: Some(if confidence >= 0.85 {
                ConfidenceLevel::High
            } else if confidence >= 0.65 {
                ConfidenceLevel::Medium
            } else {
                ConfidenceLevel::Low
            }),
            supporting_data: Some(serde_json::json!({ "situation_key": rec.situation_key, "primary_reason": rec.primary_reason, "priority": rec.score.priority })),
            expiration_time: None,
        }),
    )
}

/// Stores what a run found (docs/recommendations.md, "Upkeep").
/// Answers with the run's counts, the new recommendations, and those to execute at once.
async fn reconcile(db: &DatabaseConnection, found: &[Recommendation], now: DateTime<Utc>, t: &Thresholds) -> Result<(RecommendationRun, Vec<RecommendationNotice>, Vec<Uuid>)> {
    let txn = db.begin().await?;
    let pending = recommendations::Entity::find().filter(recommendations::Column::Status.is_in(PENDING)).all(&txn).await?;
    let dismissed = recommendations::Entity::find()
        .filter(recommendations::Column::Status.eq("dismissed"))
        .filter(recommendations::Column::ClearedAt.is_null())
        .all(&txn)
        .await?;
    let mut counts = RecommendationRun { as_of: now, found: found.len(), opened: 0, refreshed: 0, expired: 0, suppressed: 0, auto_executed: 0, took_ms: 0, inputs_ms: 0, measure_ms: 0, store_ms: 0 };
    let mut automatic = Vec::new();
    let mut opened = Vec::new();
    let keys: HashSet<&str> = found.iter().map(|r| r.situation_key.as_str()).collect();
    for rec in found {
        if let Some(row) = pending.iter().find(|r| r.situation_key == rec.situation_key) {
            let mut active: recommendations::ActiveModel = row.clone().into();
            active.body = Set(to_json(rec));
            active.level = Set(rec.score.level.as_str().to_owned());
            active.priority = Set(rec.score.priority);
            active.confidence = Set(rec.projection.confidence);
            active.updated_at = Set(now);
            active.update(&txn).await?;
            counts.refreshed += 1;
        } else if dismissed.iter().any(|r| r.situation_key == rec.situation_key && r.suppress_until.is_some_and(|until| until > now)) {
            counts.suppressed += 1;
        } else {
            let id = Uuid::new_v4();
            recommendations::ActiveModel {
                id: Set(id),
                situation_key: Set(rec.situation_key.clone()),
                kind: Set(rec.kind.as_str().to_owned()),
                target_kind: Set(serde_json::to_value(rec.target.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
                target_id: Set(rec.target.id.chars().take(64).collect()),
                status: Set("open".to_owned()),
                level: Set(rec.score.level.as_str().to_owned()),
                priority: Set(rec.score.priority),
                confidence: Set(rec.projection.confidence),
                body: Set(to_json(rec)),
                created_at: Set(now),
                updated_at: Set(now),
                closed_reason: Set(None),
                closed_at: Set(None),
                dismissed_by: Set(None),
                dismissed_reason: Set(None),
                suppress_until: Set(None),
                cleared_at: Set(None),
                scheduled_for: Set(None),
                scheduled_by: Set(None),
                executed_by: Set(None),
                executed_at: Set(None),
                execution: Set(None),
                outcome: Set(None),
                evaluated_at: Set(None),
            }
            .insert(&txn)
            .await?;
            crate::ingest::append(&txn, &recommended_event(id, rec, now), now).await?;
            counts.opened += 1;
            opened.push(RecommendationNotice { id, kind: rec.kind, level: rec.score.level, title: rec.title.clone(), priority: rec.score.priority });
            if rec.auto_execute {
                automatic.push(id);
            }
        }
    }
    for row in pending.into_iter().filter(|r| !keys.contains(r.situation_key.as_str())) {
        let reason = match (RecommendationKind::parse(&row.kind), body_of(&row)) {
            (Some(kind), Ok(rec)) => format!("The trigger ({}) no longer holds.", recommend::describe_trigger(kind, &rec.trigger, t)),
            _ => "The trigger no longer holds.".to_owned(),
        };
        let mut active: recommendations::ActiveModel = row.into();
        active.status = Set("expired".to_owned());
        active.closed_reason = Set(Some(reason));
        active.closed_at = Set(Some(now));
        active.updated_at = Set(now);
        active.update(&txn).await?;
        counts.expired += 1;
    }
    // A dismissed situation the run no longer finds has cleared: if it comes back, it is new.
    for row in dismissed.into_iter().filter(|r| !keys.contains(r.situation_key.as_str())) {
        let mut active: recommendations::ActiveModel = row.into();
        active.cleared_at = Set(Some(now));
        active.update(&txn).await?;
    }
    txn.commit().await?;
    Ok((counts, opened, automatic))
}

/// `GET /api/v1/recommendations`'s filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One type, e.g. `pause_campaign`.
    pub kind: Option<String>,
    /// `critical`, `high`, `medium` or `low`.
    pub priority: Option<String>,
    /// Comma-separated statuses (default: `open,scheduled,awaiting_approval`), or `all`.
    pub status: Option<String>,
    /// Only those first found at most this many days ago.
    pub max_age_days: Option<u32>,
    /// Only the types this role may execute (`cmo`, `perf_lead`, …).
    pub role: Option<String>,
    /// Only those whose projection's confidence is at least this (0–1).
    pub min_confidence: Option<f64>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<u32>,
}

impl ListQuery {
    /// From a page's query pairs (empty values are absent; unknown keys are ignored, as the
    /// page's own filters share its URL).
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<ListQuery> {
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty());
        fn number<T: std::str::FromStr>(key: &str, value: Option<String>) -> Result<Option<T>> {
            value.map(|v| v.parse::<T>().map_err(|_| AppError::invalid(key, format!("'{v}' is not a number")))).transpose()
        }
        Ok(ListQuery {
            kind: get("kind"),
            priority: get("priority"),
            status: get("status"),
            max_age_days: number("max_age_days", get("max_age_days"))?,
            role: get("role"),
            min_confidence: number("min_confidence", get("min_confidence"))?,
            limit: number("limit", get("limit"))?,
        })
    }
}

/// The queue, highest priority first.
pub async fn list(db: &impl ConnectionTrait, query: &ListQuery, now: DateTime<Utc>) -> Result<RecommendationList> {
    let rows = matching(db, query, now).await?;
    let total = rows.len() as u64;
    let items = rows.into_iter().take(query.limit.unwrap_or(50) as usize).map(view).collect::<Result<Vec<_>>>()?;
    Ok(RecommendationList { as_of: now, total, items })
}

/// Every recommendation the query's filters allow (its `limit` aside), highest priority first.
pub async fn matching(db: &impl ConnectionTrait, query: &ListQuery, now: DateTime<Utc>) -> Result<Vec<recommendations::Model>> {
    let mut errors = Vec::new();
    let kind = query.kind.as_deref().map(|k| RecommendationKind::parse(k).ok_or(k));
    if let Some(Err(k)) = kind {
        errors.push(field("kind", format!("unknown type '{k}': expected one of {}", RecommendationKind::ALL.map(|k| k.as_str()).join(", "))));
    }
    let level = query.priority.as_deref().map(|l| recommend::Level::parse(l).ok_or(l));
    if let Some(Err(l)) = level {
        errors.push(field("priority", format!("unknown priority '{l}': expected critical, high, medium or low")));
    }
    let statuses: Vec<&str> = match query.status.as_deref() {
        None => PENDING.to_vec(),
        Some("all") => RecommendationStatus::ALL.iter().map(|s| s.as_str()).collect(),
        Some(list) => list.split(',').map(str::trim).collect(),
    };
    for s in &statuses {
        if RecommendationStatus::parse(s).is_none() {
            errors.push(field("status", format!("unknown status '{s}': expected all or some of {}", RecommendationStatus::ALL.map(|s| s.as_str()).join(", "))));
        }
    }
    let role = query.role.as_deref().map(|r| r.parse::<Role>().map_err(|_| r));
    if let Some(Err(r)) = &role {
        errors.push(field("role", format!("unknown role '{r}': expected one of {}", Role::ALL.map(|r| r.as_str()).join(", "))));
    }
    if query.min_confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
        errors.push(field("min_confidence", "must be between 0 and 1"));
    }
    if query.limit.is_some_and(|l| !(1..=500).contains(&l)) {
        errors.push(field("limit", "must be 1 to 500"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut select = recommendations::Entity::find().filter(recommendations::Column::Status.is_in(statuses));
    if let Some(Ok(kind)) = kind {
        select = select.filter(recommendations::Column::Kind.eq(kind.as_str()));
    }
    if let Some(Ok(level)) = level {
        select = select.filter(recommendations::Column::Level.eq(level.as_str()));
    }
    if let Some(days) = query.max_age_days {
        select = select.filter(recommendations::Column::CreatedAt.gte(now - Duration::days(i64::from(days))));
    }
    if let Some(c) = query.min_confidence {
        select = select.filter(recommendations::Column::Confidence.gte(c));
    }
    let mut rows = select.all(db).await?;
    if let Some(Ok(role)) = role {
        rows.retain(|r| RecommendationKind::parse(&r.kind).is_some_and(|k| role.allows(Capability::Execute(k))));
    }
    rows.sort_by(|a, b| b.priority.total_cmp(&a.priority).then(b.created_at.cmp(&a.created_at)));
    Ok(rows)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<RecommendationView> {
    view(find(db, id).await?)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<recommendations::Model> {
    recommendations::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("recommendation {id}")))
}

/// Dismisses an open or scheduled recommendation with a reason: its situation stays quiet until
/// it clears or `dismissal_days` pass. Needs the right to execute its type; audited.
pub async fn dismiss(db: &DatabaseConnection, id: Uuid, request: DismissRequest, actor: &Actor, now: DateTime<Utc>, t: &Thresholds) -> Result<RecommendationView> {
    let reason = request.reason.trim().to_owned();
    if !(3..=500).contains(&reason.chars().count()) {
        return Err(AppError::invalid("reason", "say why in 3 to 500 characters (it is kept in the audit log)"));
    }
    let txn = db.begin().await?;
    let row = find(&txn, id).await?;
    let kind = RecommendationKind::parse(&row.kind).ok_or_else(|| AppError::Internal(anyhow::anyhow!("recommendation {id} has an unknown type {}", row.kind)))?;
    actor.require(Capability::Execute(kind))?;
    let status = status_of(&row);
    if !matches!(status, RecommendationStatus::Open | RecommendationStatus::Scheduled) {
        return Err(AppError::Conflict(format!("the recommendation is {}: only an open or scheduled one can be dismissed", status.as_str())));
    }
    let before = view(row.clone())?;
    let (who, role) = actor.who();
    let mut active: recommendations::ActiveModel = row.into();
    active.status = Set("dismissed".to_owned());
    active.dismissed_by = Set(Some(who.clone()));
    active.dismissed_reason = Set(Some(reason.clone()));
    active.suppress_until = Set(Some(now + Duration::days(i64::from(t.dismissal_days))));
    active.closed_at = Set(Some(now));
    active.scheduled_for = Set(None);
    active.updated_at = Set(now);
    let after = view(active.update(&txn).await?)?;
    audit::record(
        &txn,
        actor.audit_key(),
        audit::Entry {
            actor: who,
            role,
            action: "recommendation.dismiss".to_owned(),
            target: format!("recommendation:{id}"),
            before: Some(status_summary(&before)),
            after: Some(status_summary(&after)),
            reason: Some(reason),
            consent_check: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// What the audit log keeps of a recommendation: its identity and status, not the whole body.
fn status_summary(v: &RecommendationView) -> serde_json::Value {
    serde_json::json!({
        "status": v.status,
        "kind": v.recommendation.kind,
        "situation_key": v.recommendation.situation_key,
        "title": v.recommendation.title,
        "priority": v.recommendation.score.priority,
        "suppress_until": v.suppress_until,
        "scheduled_for": v.scheduled_for,
    })
}

// ---------------------------------------------------------------------------------------------
// Acting on a recommendation: execute now, after a second person's approval, or at a time.

/// What will be carried out, kept with the recommendation while it waits (approval or schedule).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub kind: RecommendationKind,
    pub action: Action,
    pub challenger: Option<app::wire::CreativeInput>,
    pub note: Option<String>,
    pub requested_by: String,
    pub requested_role: String,
    #[serde(default)]
    pub approved_by: Option<String>,
}

/// Whether a customised action touches the same things as the proposed one (only its numbers,
/// segments or subset of campaigns may change).
fn same_targets(proposed: &Action, custom: &Action) -> bool {
    use Action as A;
    match (proposed, custom) {
        (A::PauseCampaign { campaign_id: a }, A::PauseCampaign { campaign_id: b }) => a == b,
        (A::MoveBudget { from_campaign_id: f1, to_campaign_id: t1, .. }, A::MoveBudget { from_campaign_id: f2, to_campaign_id: t2, .. }) => f1 == f2 && t1 == t2,
        (A::TestCreative { campaign_id: c1, creative_id: k1 }, A::TestCreative { campaign_id: c2, creative_id: k2 }) => c1 == c2 && k1 == k2,
        (A::AddTargetSegment { campaign_id: a, .. }, A::AddTargetSegment { campaign_id: b, .. }) => a == b,
        (A::RemoveTargetSegment { campaign_ids: a, .. }, A::RemoveTargetSegment { campaign_ids: b, .. }) => !b.is_empty() && b.iter().all(|c| a.contains(c)),
        (A::SetFrequencyCap { campaign_id: a, .. }, A::SetFrequencyCap { campaign_id: b, .. }) => a == b,
        (A::SetBudget { campaign_id: a, .. }, A::SetBudget { campaign_id: b, .. }) => a == b,
        (A::SetTargetSegments { campaign_id: a, .. }, A::SetTargetSegments { campaign_id: b, .. }) => a == b,
        (A::SetHoldout { campaign_id: a, .. }, A::SetHoldout { campaign_id: b, .. }) => a == b,
        (A::RefreshData, A::RefreshData) => true,
        _ => false,
    }
}

/// The plan a request makes of a recommendation, checked: the caller may execute its type, the
/// alternative exists, a customisation keeps the targets, a creative test has its challenger.
fn plan_of(rec: &Recommendation, request: ExecuteRequest, actor: &Actor) -> Result<Plan> {
    let (kind, proposed) = match request.alternative {
        None => (rec.kind, rec.action.clone()),
        Some(i) => {
            let alternative = rec.alternatives.get(i).ok_or_else(|| AppError::invalid("alternative", format!("there {} {} alternative{} (0 to {})", if rec.alternatives.len() == 1 { "is" } else { "are" }, rec.alternatives.len(), if rec.alternatives.len() == 1 { "" } else { "s" }, rec.alternatives.len().saturating_sub(1))))?;
            (alternative.kind, alternative.action.clone())
        }
    };
    actor.require(Capability::Execute(kind))?;
    let action = match request.customize {
        Some(custom) if same_targets(&proposed, &custom) => custom,
        Some(_) => return Err(AppError::invalid("customize", "must be the same action on the same campaigns as proposed, with other parameters (the amount, cap, budget, share or segments)")),
        None => proposed,
    };
    let mut errors = Vec::new();
    if matches!(action, Action::TestCreative { .. }) {
        match &request.challenger {
            None => errors.push(field("challenger", "write the challenger's copy: name, headline, body and call to action")),
            Some(c) => {
                for (name, value) in [("challenger.name", &c.name), ("challenger.headline", &c.headline), ("challenger.body", &c.body), ("challenger.call_to_action", &c.call_to_action)] {
                    if value.trim().is_empty() {
                        errors.push(field(name, "must not be empty"));
                    }
                }
            }
        }
    }
    if request.note.as_deref().is_some_and(|n| n.chars().count() > 500) {
        errors.push(field("note", "must be at most 500 characters"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (requested_by, requested_role) = actor.who();
    Ok(Plan { kind, action, challenger: request.challenger, note: request.note, requested_by, requested_role, approved_by: None })
}

pub(crate) fn plan_in(row: &recommendations::Model) -> Result<Plan> {
    row.execution
        .as_ref()
        .and_then(|e| e.get("plan"))
        .and_then(|p| serde_json::from_value(p.clone()).ok())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("recommendation {} waits with no readable plan", row.id)))
}

/// The reason a change made for a recommendation carries into the campaign's audit entry.
fn change_reason(id: Uuid, rec: &Recommendation) -> String {
    let text = format!("Recommendation {id}: {}", rec.primary_reason);
    text.chars().take(480).collect()
}

/// Carries the plan out through the same services as the dashboard's own actions; answers with
/// what changed.
async fn carry_out(state: &AppState, actor: &Actor, id: Uuid, rec: &Recommendation, plan: &Plan) -> Result<serde_json::Value> {
    use crate::http::campaigns::change_campaign_as;
    let now = state.clock.now();
    let reason = Some(change_reason(id, rec));
    let patch = |campaign_patch: CampaignPatch| CampaignPatch { reason: reason.clone(), ..campaign_patch };
    let summary = |v: &app::wire::CampaignView| serde_json::json!({ "campaign_id": v.id, "name": v.name, "status": v.status, "budget_cents": v.budget_cents, "frequency_cap_per_week": v.frequency_cap_per_week, "holdout_percent": v.holdout_percent, "target_segments": v.target_segments });
    let result = match &plan.action {
        Action::PauseCampaign { campaign_id } => {
            // The spec's reasons: performance triggers and overspend say which; a compliance pause is the marketer's rule.
            let pause_reason = match (rec.kind, rec.trigger.as_str()) {
                (RecommendationKind::PauseCampaign, "overspend") => PauseReason::BudgetExceeded,
                (RecommendationKind::PauseCampaign, _) => PauseReason::LowPerformance,
                _ => PauseReason::Manual,
            };
            let view = change_campaign_as(state, actor, *campaign_id, patch(CampaignPatch { status: Some(CampaignStatus::Paused), pause_reason: Some(pause_reason), ..Default::default() })).await?;
            serde_json::json!({ "changed": [summary(&view)] })
        }
        Action::MoveBudget { from_campaign_id, to_campaign_id, amount_cents } => {
            let request = ReallocationRequest { from_campaign_id: *from_campaign_id, to_campaign_id: *to_campaign_id, amount_cents: *amount_cents, reason: ReallocationReason::AiRecommendation, recommendation_id: Some(id) };
            let moved = catalogue::reallocate(&state.db, request, actor, now).await?;
            state.metrics.after_catalogue_change(&state.db).await?;
            serde_json::json!({ "reallocation_id": moved.reallocation_id, "changed": [summary(&moved.from), summary(&moved.to)] })
        }
        Action::SetBudget { campaign_id, budget_cents } => {
            let view = change_campaign_as(state, actor, *campaign_id, patch(CampaignPatch { budget_cents: Some(*budget_cents), ..Default::default() })).await?;
            serde_json::json!({ "changed": [summary(&view)] })
        }
        Action::SetFrequencyCap { campaign_id, per_week } => {
            let view = change_campaign_as(state, actor, *campaign_id, patch(CampaignPatch { frequency_cap_per_week: Some(*per_week), ..Default::default() })).await?;
            serde_json::json!({ "changed": [summary(&view)] })
        }
        Action::SetHoldout { campaign_id, percent } => {
            let view = change_campaign_as(state, actor, *campaign_id, patch(CampaignPatch { holdout_percent: Some(*percent), ..Default::default() })).await?;
            serde_json::json!({ "changed": [summary(&view)] })
        }
        Action::SetTargetSegments { campaign_id, segments } => {
            let view = change_campaign_as(state, actor, *campaign_id, patch(CampaignPatch { target_segments: Some(segments.clone()), ..Default::default() })).await?;
            serde_json::json!({ "changed": [summary(&view)] })
        }
        Action::AddTargetSegment { campaign_id, segment } => {
            let campaign = catalogue::get(&state.db, *campaign_id).await?;
            if campaign.target_segments.is_empty() || campaign.target_segments.contains(segment) {
                return Err(AppError::Conflict(format!("\"{}\" already targets {segment}", campaign.name)));
            }
            let mut segments = campaign.target_segments.clone();
            segments.push(*segment);
            let view = change_campaign_as(state, actor, *campaign_id, patch(CampaignPatch { target_segments: Some(segments), ..Default::default() })).await?;
            serde_json::json!({ "changed": [summary(&view)] })
        }
        Action::RemoveTargetSegment { campaign_ids, segment } => {
            let mut changed = Vec::new();
            for campaign_id in campaign_ids {
                let campaign = catalogue::get(&state.db, *campaign_id).await?;
                let segments: Vec<_> = campaign.target_segments.iter().copied().filter(|s| s != segment).collect();
                // A campaign keeps at least one segment.
                if segments.is_empty() || segments.len() == campaign.target_segments.len() {
                    continue;
                }
                let view = change_campaign_as(state, actor, *campaign_id, patch(CampaignPatch { target_segments: Some(segments), ..Default::default() })).await?;
                changed.push(summary(&view));
            }
            serde_json::json!({ "changed": changed })
        }
        Action::TestCreative { campaign_id, creative_id } => {
            let challenger = plan.challenger.clone().ok_or_else(|| AppError::invalid("challenger", "write the challenger's copy"))?;
            let request = app::wire::NewExperiment {
                name: format!("Challenger for {}", rec.target.name).chars().take(200).collect(),
                kind: Default::default(),
                campaign_id: *campaign_id,
                arms: vec![
                    app::wire::ArmInput { label: None, creative_id: Some(*creative_id), new_creative: None, campaign_id: None, share_percent: None },
                    app::wire::ArmInput { label: None, creative_id: None, new_creative: Some(challenger), campaign_id: None, share_percent: None },
                ],
                control: None,
                primary_metric: analytics::experiment::Metric::ClickRate,
                guardrails: None,
                covariate: None,
                minimum_effect_percent: None,
                alpha: None,
                power: None,
                duration_days: None,
                baseline: None,
                auto_ship: false,
            };
            let experiment = experiment_service::create(&state.db, request, actor, now).await?;
            state.metrics.after_catalogue_change(&state.db).await?;
            experiment_service::start(&state.db, &state.metrics, experiment, actor, now).await?;
            state.metrics.after_catalogue_change(&state.db).await?;
            serde_json::json!({ "experiment_id": experiment })
        }
        Action::RefreshData => {
            // The pipeline refresh: every rollup recomputed from the durable event log.
            state.metrics.load(&state.db).await?;
            serde_json::json!({ "rollups_rebuilt_at": now, "store_version": state.metrics.version() })
        }
    };
    Ok(result)
}

async fn audit_decision(state: &AppState, actor: &Actor, action: &str, before: &RecommendationView, after: &RecommendationView, reason: Option<String>) -> Result<()> {
    let (who, role) = actor.who();
    let txn = state.db.begin().await?;
    audit::record(
        &txn,
        actor.audit_key(),
        audit::Entry {
            actor: who,
            role,
            action: action.to_owned(),
            target: format!("recommendation:{}", before.id),
            before: Some(status_summary(before)),
            after: Some(serde_json::json!({ "summary": status_summary(after), "execution": after.execution })),
            reason,
            consent_check: None,
        },
        state.clock.now(),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn acted_meanwhile() -> AppError {
    AppError::Conflict("the recommendation was acted on meanwhile: reload it".to_owned())
}

/// Moves a row from one of `from` to `to` only if nobody else did first.
async fn claim(db: &impl ConnectionTrait, id: Uuid, from: &[&str], to: &str, now: DateTime<Utc>) -> Result<bool> {
    let done = recommendations::Entity::update_many()
        .col_expr(recommendations::Column::Status, sea_orm::sea_query::Expr::value(to))
        .col_expr(recommendations::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
        .filter(recommendations::Column::Id.eq(id))
        .filter(recommendations::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Executes the plan now: the row is claimed first, so a double click, or a click and the
/// schedule, executes once. A refusal (a role, a rule of the catalogue) puts the row back as it
/// was and answers the error; `failures_close` records it as failed instead (the schedule's runs).
async fn perform(state: &AppState, row: recommendations::Model, plan: Plan, actor: &Actor, failures_close: bool) -> Result<RecommendationView> {
    let now = state.clock.now();
    let before = view(row.clone())?;
    let rec = body_of(&row)?;
    if !claim(&state.db, row.id, &[row.status.as_str()], "executed", now).await? {
        return Err(acted_meanwhile());
    }
    let outcome = carry_out(state, actor, row.id, &rec, &plan).await;
    let mut active: recommendations::ActiveModel = row.clone().into();
    active.updated_at = Set(now);
    match outcome {
        Ok(result) => {
            let (who, _) = actor.who();
            active.status = Set("executed".to_owned());
            active.executed_by = Set(Some(plan.approved_by.clone().map_or(who.clone(), |approver| format!("{} (approved by {approver})", plan.requested_by))));
            active.executed_at = Set(Some(now));
            active.closed_at = Set(Some(now));
            active.execution = Set(Some(serde_json::json!({ "plan": plan, "result": result })));
            let after = view(active.update(&state.db).await?)?;
            audit_decision(state, actor, "recommendation.execute", &before, &after, plan.note.clone()).await?;
            Ok(after)
        }
        Err(err) if failures_close => {
            active.status = Set("failed".to_owned());
            active.closed_reason = Set(Some(err.one_line()));
            active.closed_at = Set(Some(now));
            active.execution = Set(Some(serde_json::json!({ "plan": plan })));
            let after = view(active.update(&state.db).await?)?;
            audit_decision(state, actor, "recommendation.fail", &before, &after, Some(err.one_line())).await?;
            Err(err)
        }
        Err(err) => {
            active.status = Set(row.status.clone());
            // The refusal is the answer; a failure to put the row back is only logged.
            if let Err(put_back) = active.update(&state.db).await {
                tracing::warn!(recommendation = %row.id, error = %put_back, "a refused execution could not restore the recommendation's status");
            }
            Err(err)
        }
    }
}

/// `POST …/{id}/execute`: now, or (for a type that needs approval) once a second person approves.
pub async fn execute(state: &AppState, id: Uuid, request: ExecuteRequest, actor: &Actor) -> Result<RecommendationView> {
    let row = find(&state.db, id).await?;
    let status = status_of(&row);
    if !matches!(status, RecommendationStatus::Open | RecommendationStatus::Scheduled) {
        return Err(AppError::Conflict(format!("the recommendation is {}: only an open or scheduled one can be executed", status.as_str())));
    }
    let plan = plan_of(&body_of(&row)?, request, actor)?;
    if state.settings.recommendations.approval_required.contains(&plan.kind) {
        return wait_for_approval(state, row, plan, None, actor).await;
    }
    perform(state, row, plan, actor, false).await
}

/// Moves the row, claimed from the status it has, to a waiting status (`awaiting_approval` or
/// `scheduled`) with the plan and the time to run at; audited as `action`.
#[allow(clippy::too_many_arguments)]
async fn park(state: &AppState, row: recommendations::Model, to: &str, plan: Plan, at: Option<DateTime<Utc>>, actor: &Actor, action: &str, reason: Option<String>) -> Result<RecommendationView> {
    let now = state.clock.now();
    let before = view(row.clone())?;
    if !claim(&state.db, row.id, &[row.status.as_str()], to, now).await? {
        return Err(acted_meanwhile());
    }
    let mut active: recommendations::ActiveModel = row.into();
    active.status = Set(to.to_owned());
    active.scheduled_for = Set(at);
    active.scheduled_by = Set(at.map(|_| plan.requested_by.clone()));
    active.execution = Set(Some(serde_json::json!({ "plan": plan })));
    active.updated_at = Set(now);
    let after = view(active.update(&state.db).await?)?;
    audit_decision(state, actor, action, &before, &after, reason).await?;
    Ok(after)
}

/// Stores the plan and waits for a second person (optionally with a time to run at).
async fn wait_for_approval(state: &AppState, row: recommendations::Model, plan: Plan, at: Option<DateTime<Utc>>, actor: &Actor) -> Result<RecommendationView> {
    let note = plan.note.clone();
    park(state, row, "awaiting_approval", plan, at, actor, "recommendation.request_approval", note).await
}

/// `POST …/{id}/approve`: a second person who may execute the type approves the waiting plan;
/// it runs now, or at its scheduled time.
pub async fn approve(state: &AppState, id: Uuid, actor: &Actor) -> Result<RecommendationView> {
    let row = find(&state.db, id).await?;
    if status_of(&row) != RecommendationStatus::AwaitingApproval {
        return Err(AppError::Conflict(format!("the recommendation is {}: only one awaiting approval can be approved", row.status)));
    }
    let mut plan = plan_in(&row)?;
    actor.require(Capability::Execute(plan.kind))?;
    let (who, _) = actor.who();
    if who == plan.requested_by {
        return Err(AppError::Conflict("a second person must approve: you asked for this execution".to_owned()));
    }
    plan.approved_by = Some(who);
    let now = state.clock.now();
    match row.scheduled_for.filter(|at| *at > now) {
        Some(at) => park(state, row, "scheduled", plan, Some(at), actor, "recommendation.approve", None).await,
        None => perform(state, row, plan, actor, false).await,
    }
}

/// `POST …/{id}/schedule`: executes once at `at` (after an approval first, for the types that need
/// one). The time is stored, so a restart in between changes nothing.
pub async fn schedule(state: &AppState, id: Uuid, request: ScheduleRequest, actor: &Actor) -> Result<RecommendationView> {
    let now = state.clock.now();
    if request.at <= now || request.at > now + Duration::days(90) {
        return Err(AppError::invalid("at", format!("must be after now ({}) and at most 90 days ahead", now.to_rfc3339())));
    }
    let row = find(&state.db, id).await?;
    if status_of(&row) != RecommendationStatus::Open {
        return Err(AppError::Conflict(format!("the recommendation is {}: only an open one can be scheduled", row.status)));
    }
    let ScheduleRequest { at, alternative, customize, challenger, note } = request;
    let plan = plan_of(&body_of(&row)?, ExecuteRequest { alternative, customize, challenger, note }, actor)?;
    if state.settings.recommendations.approval_required.contains(&plan.kind) {
        return wait_for_approval(state, row, plan, Some(at), actor).await;
    }
    let note = plan.note.clone();
    park(state, row, "scheduled", plan, Some(at), actor, "recommendation.schedule", note).await
}

/// Executes every scheduled recommendation whose time has come, once each (the schedule job; the
/// product acts, on the plan the scheduler and any approver agreed).
pub async fn run_due(state: &AppState) -> Result<usize> {
    let now = state.clock.now();
    let due = recommendations::Entity::find()
        .filter(recommendations::Column::Status.eq("scheduled"))
        .filter(recommendations::Column::ScheduledFor.lte(now))
        .all(&state.db)
        .await?;
    let actor = Actor::system(state.audit.clone());
    let mut done = 0;
    for row in due {
        let id = row.id;
        let plan = match plan_in(&row) {
            Ok(plan) => plan,
            Err(err) => {
                tracing::warn!(recommendation = %id, error = %err.one_line(), "a scheduled recommendation has no plan");
                continue;
            }
        };
        match perform(state, row, plan, &actor, true).await {
            Ok(_) => done += 1,
            Err(err) => tracing::warn!(recommendation = %id, error = %err.one_line(), "a scheduled recommendation failed"),
        }
    }
    Ok(done)
}
