//! Alerts (issue #9, docs/alerts.md): anomalies the detector finds each complete hour
//! (`analytics::anomaly`) and thresholds people set on any metric and filter ("ROAS of campaign X
//! below 2.5× for 2 days"). Either opens at most one alert per key while its condition holds,
//! clears it when the condition stops, is listed in Module 9 for acknowledgement, and goes to the
//! webhook (`services::webhook`). An anomaly also emits the spec's `anomaly_detected` event.

use std::collections::HashMap;

use analytics::anomaly;
use analytics::events::{Payload, Severity};
use analytics::metrics::{MetricId, Query as MetricQuery};
use app::access::{Caller, Capability, Module, Role};
use app::wire::{AcknowledgeRequest, AlertList, AlertRuleInput, AlertRuleView, AlertView};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use crate::entities::{alert_rules, alerts};
use crate::error::{AppError, Result};
use crate::services::catalogue::{Actor, field};
use crate::services::{audit, system_log, webhook};
use crate::state::AppState;

const HOUR: i64 = 3_600;

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Critical => 3,
        Severity::Warning => 2,
        Severity::Info => 1,
    }
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// What the webhook receives for an alert.
fn payload(alert: &alerts::Model) -> serde_json::Value {
    serde_json::json!({
        "type": "alert",
        "alert": {
            "id": alert.id,
            "source": alert.source,
            "rule_id": alert.rule_id,
            "metric": alert.metric,
            "campaign_id": alert.campaign_id,
            "severity": alert.severity,
            "kind": alert.kind,
            "message": alert.message,
            "observed": alert.observed,
            "expected": alert.expected,
            "fired_at": alert.fired_at,
            "details": alert.details,
        }
    })
}

struct NewAlert {
    source: &'static str,
    key: String,
    rule_id: Option<Uuid>,
    metric: String,
    campaign_id: Option<Uuid>,
    severity: String,
    kind: String,
    message: String,
    observed: Option<f64>,
    expected: Option<f64>,
    details: serde_json::Value,
}

async fn open(db: &impl ConnectionTrait, new: NewAlert, now: DateTime<Utc>) -> Result<alerts::Model> {
    Ok(alerts::ActiveModel {
        id: Set(Uuid::new_v4()),
        source: Set(new.source.to_owned()),
        key: Set(new.key.chars().take(200).collect()),
        rule_id: Set(new.rule_id),
        metric: Set(new.metric.chars().take(40).collect()),
        campaign_id: Set(new.campaign_id),
        severity: Set(new.severity),
        kind: Set(new.kind),
        message: Set(new.message),
        observed: Set(new.observed),
        expected: Set(new.expected),
        details: Set(new.details),
        fired_at: Set(now),
        last_seen_at: Set(now),
        cleared_at: Set(None),
        acknowledged_by: Set(None),
        acknowledged_at: Set(None),
        acknowledge_note: Set(None),
    }
    .insert(db)
    .await?)
}

async fn open_alerts(db: &impl ConnectionTrait, source: &str) -> Result<HashMap<String, alerts::Model>> {
    Ok(alerts::Entity::find()
        .filter(alerts::Column::Source.eq(source))
        .filter(alerts::Column::ClearedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.key.clone(), a))
        .collect())
}

async fn touch(db: &impl ConnectionTrait, alert: &alerts::Model, now: DateTime<Utc>) -> Result<()> {
    let mut active: alerts::ActiveModel = alert.clone().into();
    active.last_seen_at = Set(now);
    active.update(db).await?;
    Ok(())
}

async fn clear(db: &impl ConnectionTrait, alert: alerts::Model, now: DateTime<Utc>) -> Result<()> {
    let mut active: alerts::ActiveModel = alert.into();
    active.cleared_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}

/// An alert for a recommendation people must hear of at once: a compliance flag carried out
/// automatically (compliance), a data-quality problem (the data team). Listed in Module 9 (and, for
/// compliance flags, on the Compliance page), sent to the webhook; open until acknowledged.
pub async fn raise_for_recommendation(state: &AppState, recommendation_id: Uuid, rec: &analytics::recommend::Recommendation, severity: Severity, message: String) -> Result<()> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let key = format!("recommendation/{recommendation_id}");
    if open_alerts(&txn, "recommendation").await?.contains_key(&key) {
        return Ok(());
    }
    let alert = open(
        &txn,
        NewAlert {
            source: "recommendation",
            key,
            rule_id: None,
            metric: rec.trigger.clone(),
            campaign_id: rec.target.campaign_id.or_else(|| Uuid::parse_str(&rec.target.id).ok()),
            severity: name_of(&severity),
            kind: rec.kind.as_str().to_owned(),
            message,
            observed: None,
            expected: None,
            details: serde_json::json!({ "recommendation_id": recommendation_id, "title": rec.title, "primary_reason": rec.primary_reason, "evidence": rec.evidence }),
        },
        now,
    )
    .await?;
    webhook::enqueue(&txn, state, alert.id, &payload(&alert), now).await?;
    txn.commit().await?;
    Ok(())
}

/// The anomalies open now, as the recommendation engine reads them.
pub async fn open_anomalies(db: &impl ConnectionTrait) -> Result<Vec<analytics::recommend::facts::OpenAnomaly>> {
    let mut open: Vec<_> = open_alerts(db, "anomaly")
        .await?
        .into_values()
        .map(|a| analytics::recommend::facts::OpenAnomaly { metric: a.metric, campaign_id: a.campaign_id, kind: a.kind, message: a.message })
        .collect();
    open.sort_by(|a, b| (a.campaign_id, &a.metric).cmp(&(b.campaign_id, &b.metric)));
    Ok(open)
}

/// The last complete hour by the server's clock: the one the detector judges.
pub fn judged_hour(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(HOUR) * HOUR - HOUR
}

/// Judges the hour starting at `at` for anomalies: a new one opens an alert (and emits
/// `anomaly_detected`; the webhook hears of those of `webhook_anomaly_severity` or worse), one
/// found again is kept open, one no longer found clears. Answers the anomalies found.
pub async fn judge_anomalies(state: &AppState, at: i64) -> Result<Vec<anomaly::Found>> {
    let now = state.clock.now();
    let config = state.settings.alerts.anomaly.clone();
    let hub = state.metrics.clone();
    let found = tokio::task::spawn_blocking(move || {
        hub.read(|store| {
            let hourly = anomaly::hourly(store, &hub.config, at - config.history_hours() * HOUR, at + HOUR);
            anomaly::detect_all(&hourly, at, &config)
        })
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("the anomaly detector stopped: {e}")))?;

    let txn = state.db.begin().await?;
    let mut open_now = open_alerts(&txn, "anomaly").await?;
    let mut to_send = Vec::new();
    for f in &found {
        let id = Uuid::new_v4();
        let event = f.event(id);
        let key = format!("anomaly/{}", event.metric_id);
        if let Some(existing) = open_now.remove(&key) {
            touch(&txn, &existing, now).await?;
            continue;
        }
        let a = &f.anomaly;
        let hour = DateTime::from_timestamp(at, 0).unwrap_or(now);
        let scope = f.campaign.map_or_else(|| "all campaigns".to_owned(), |c| format!("campaign {c}"));
        let message = format!(
            "{} of {} in the hour from {}: {} against {:.1} expected ({:+.1}σ; {})",
            f.metric.label(),
            scope,
            hour.format("%Y-%m-%d %H:00 UTC"),
            a.observed.map_or_else(|| "no value".to_owned(), |o| format!("{o:.1}")),
            a.expected,
            a.z_score,
            a.baseline
        );
        let alert = open(
            &txn,
            NewAlert {
                source: "anomaly",
                key,
                rule_id: None,
                metric: f.metric.as_str().to_owned(),
                campaign_id: f.campaign,
                severity: name_of(&a.severity),
                kind: name_of(&a.kind),
                message,
                observed: a.observed,
                expected: Some(a.expected),
                details: serde_json::to_value(f).unwrap_or_default(),
            },
            now,
        )
        .await?;
        crate::ingest::append(&txn, &crate::ingest::system_event(now, Payload::AnomalyDetected(event)), now).await?;
        if severity_rank(a.severity) >= severity_rank(state.settings.alerts.webhook_anomaly_severity) {
            to_send.push(alert);
        }
    }
    for (_, gone) in open_now {
        clear(&txn, gone, now).await?;
    }
    for alert in &to_send {
        webhook::enqueue(&txn, state, alert.id, &payload(alert), now).await?;
    }
    txn.commit().await?;
    Ok(found)
}

fn parse_rule(input: &AlertRuleInput, now: DateTime<Utc>) -> Result<(MetricId, crate::http::metrics::Scope)> {
    let mut errors = Vec::new();
    let name = input.name.trim();
    if !(3..=200).contains(&name.chars().count()) {
        errors.push(field("name", "must be 3 to 200 characters"));
    }
    let metric = input.metric.parse::<MetricId>();
    if let Err(e) = &metric {
        errors.push(field("metric", e.to_string()));
    }
    if !matches!(input.comparison.as_str(), "below" | "above") {
        errors.push(field("comparison", format!("must be below or above, got '{}'", input.comparison)));
    }
    if !input.threshold.is_finite() {
        errors.push(field("threshold", "must be a number"));
    }
    if !(1..=30).contains(&input.for_days) {
        errors.push(field("for_days", "must be 1 to 30"));
    }
    let pairs = crate::backend::query_pairs(&input.filters);
    let scope = match crate::http::metrics::parse_scope(&pairs, &[], now) {
        Ok(scope) if scope.from.is_none() && scope.to.is_none() => Some(scope),
        Ok(_) => {
            errors.push(field("filters", "must not fix a period (range, from, to): the rule reads the last for_days days"));
            None
        }
        Err(AppError::Validation(problems)) => {
            errors.extend(problems.into_iter().map(|p| field("filters", format!("{}: {}", p.field, p.reason))));
            None
        }
        Err(other) => return Err(other),
    };
    match (metric, scope) {
        (Ok(metric), Some(scope)) if errors.is_empty() => Ok((metric, scope)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// The rule's metric over each of the last `for_days` days ending at `now`, newest first.
async fn daily_values(state: &AppState, rule: &alert_rules::Model, system: &analytics::metrics::SystemStats, now: DateTime<Utc>) -> Result<(MetricId, Vec<Option<f64>>)> {
    let input = AlertRuleInput { name: rule.name.clone(), metric: rule.metric.clone(), filters: rule.filters.clone(), comparison: rule.comparison.clone(), threshold: rule.threshold, for_days: rule.for_days as u32 };
    let (metric, scope) = parse_rule(&input, now)?;
    let system = system.clone();
    let days = rule.for_days;
    let values = crate::http::metrics::compute(state, move |store, config| {
        (0..days)
            .map(|k| {
                let to = now - Duration::days(i64::from(k));
                let query = MetricQuery { store, system: &system, filter: &scope.filter, config, from: Some(to - Duration::days(1)), to: Some(to), now };
                query.some(&[metric]).remove(0).value
            })
            .collect::<Vec<_>>()
    })
    .await?;
    Ok((metric, values))
}

/// Evaluates every rule at the server's `now`: a rule whose metric crossed its threshold on each
/// of its last `for_days` days fires once (an alert, and the webhook) and stays firing, without
/// firing again, until a day does not cross it. Answers how many fired now.
pub async fn evaluate_rules(state: &AppState) -> Result<usize> {
    let now = state.clock.now();
    let rules = alert_rules::Entity::find().all(&state.db).await?;
    let mut open_now = open_alerts(&state.db, "threshold").await?;
    // The system figures (system metrics) are read once for every rule of the evaluation.
    let system = system_log::stats(&state.db).await?;
    let mut fired = 0;
    for rule in rules {
        let key = format!("rule/{}", rule.id);
        let (metric, values) = match daily_values(state, &rule, &system, now).await {
            Ok(v) => v,
            Err(err) => {
                tracing::warn!(rule = %rule.id, error = %err.one_line(), "an alert rule could not be evaluated");
                continue;
            }
        };
        let crosses = |v: f64| if rule.comparison == "below" { v < rule.threshold } else { v > rule.threshold };
        let holds = values.iter().all(|v| v.is_some_and(crosses));
        match (holds, open_now.remove(&key)) {
            (true, Some(existing)) => touch(&state.db, &existing, now).await?,
            (false, Some(existing)) => clear(&state.db, existing, now).await?,
            (false, None) => {}
            (true, None) => {
                let definition = metric.definition();
                let shown = |v: f64| app::format::metric(v, definition.unit, false);
                let message = format!(
                    "{}: {} {} {} on each of the last {} day{} ({}){}",
                    rule.name,
                    definition.name,
                    rule.comparison,
                    shown(rule.threshold),
                    rule.for_days,
                    if rule.for_days == 1 { "" } else { "s" },
                    values.iter().flatten().map(|v| shown(*v)).collect::<Vec<_>>().join(", "),
                    if rule.filters.is_empty() { String::new() } else { format!(" for {}", rule.filters) }
                );
                let campaign_id = url::form_urlencoded::parse(rule.filters.as_bytes()).find(|(k, _)| k == "campaign" || k == "campaign_id").and_then(|(_, v)| Uuid::parse_str(&v).ok());
                let txn = state.db.begin().await?;
                let alert = open(
                    &txn,
                    NewAlert {
                        source: "threshold",
                        key,
                        rule_id: Some(rule.id),
                        metric: rule.metric.clone(),
                        campaign_id,
                        severity: "warning".to_owned(),
                        kind: rule.comparison.clone(),
                        message,
                        observed: values.first().copied().flatten(),
                        expected: Some(rule.threshold),
                        details: serde_json::json!({ "rule": rule.name, "filters": rule.filters, "daily_values_newest_first": values, "for_days": rule.for_days }),
                    },
                    now,
                )
                .await?;
                webhook::enqueue(&txn, state, alert.id, &payload(&alert), now).await?;
                txn.commit().await?;
                fired += 1;
            }
        }
    }
    // Rules deleted meanwhile: their alerts clear.
    for (_, orphan) in open_now {
        clear(&state.db, orphan, now).await?;
    }
    Ok(fired)
}

async fn views(db: &DatabaseConnection, rows: Vec<alerts::Model>) -> Result<Vec<AlertView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let deliveries = webhook::states(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| AlertView {
            delivery: deliveries.get(&r.id).cloned(),
            id: r.id,
            source: r.source,
            rule_id: r.rule_id,
            metric: r.metric,
            campaign_id: r.campaign_id,
            severity: r.severity,
            kind: r.kind,
            message: r.message,
            observed: r.observed,
            expected: r.expected,
            details: r.details,
            fired_at: r.fired_at,
            last_seen_at: r.last_seen_at,
            cleared_at: r.cleared_at,
            acknowledged_by: r.acknowledged_by,
            acknowledged_at: r.acknowledged_at,
            acknowledge_note: r.acknowledge_note,
        })
        .collect())
}

/// `GET /api/v1/alerts`: `status` is `open` (default: not cleared), `unacknowledged`, `cleared`
/// or `all`; `source` is `threshold` or `anomaly`; at most `limit` (default 100, at most 500).
pub async fn list(db: &DatabaseConnection, pairs: &[(String, String)], now: DateTime<Utc>) -> Result<AlertList> {
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut errors = Vec::new();
    let mut select = alerts::Entity::find();
    match get("status").as_deref() {
        None | Some("open") => select = select.filter(alerts::Column::ClearedAt.is_null()),
        Some("unacknowledged") => select = select.filter(alerts::Column::AcknowledgedAt.is_null()),
        Some("cleared") => select = select.filter(alerts::Column::ClearedAt.is_not_null()),
        Some("all") => {}
        Some(other) => errors.push(field("status", format!("'{other}' is not open, unacknowledged, cleared or all"))),
    }
    match get("source").as_deref() {
        None => {}
        Some(s @ ("threshold" | "anomaly" | "recommendation")) => select = select.filter(alerts::Column::Source.eq(s)),
        Some(other) => errors.push(field("source", format!("'{other}' is not threshold, anomaly or recommendation"))),
    }
    if let Some(kind) = get("kind") {
        select = select.filter(alerts::Column::Kind.eq(kind));
    }
    let limit = match get("limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(l @ 1..=500)) => l,
        Some(_) => {
            errors.push(field("limit", "must be 1 to 500"));
            0
        }
    };
    if let Some((key, _)) = pairs.iter().find(|(k, _)| !["status", "source", "kind", "limit"].contains(&k.as_str())) {
        errors.push(field(key, "unknown parameter: expected status, source, kind, limit"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut rows = select.all(db).await?;
    rows.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then(a.id.cmp(&b.id)));
    let total = rows.len() as u64;
    rows.truncate(limit);
    Ok(AlertList { as_of: now, total, items: views(db, rows).await? })
}

/// `POST /api/v1/alerts/{id}/acknowledge`: someone has it in hand; audited. Once.
pub async fn acknowledge(state: &AppState, id: Uuid, request: AcknowledgeRequest, actor: &Actor) -> Result<AlertView> {
    let note = request.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::invalid("note", "must be at most 500 characters"));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let row = alerts::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::NotFound(format!("alert {id}")))?;
    // The list is Module 9's: whoever may open it acknowledges; compliance acknowledges the
    // compliance flags it is alerted to on its own page.
    if !(row.kind == "compliance_flag" && actor.require(Capability::View(Module::ComplianceAudit)).is_ok()) {
        actor.require(Capability::View(Module::SystemHealth))?;
    }
    if let Some(by) = &row.acknowledged_by {
        return Err(AppError::Conflict(format!("the alert was already acknowledged by {by}")));
    }
    let (who, role) = actor.who();
    let mut active: alerts::ActiveModel = row.clone().into();
    active.acknowledged_by = Set(Some(who.clone()));
    active.acknowledged_at = Set(Some(now));
    active.acknowledge_note = Set(note.clone());
    // A recommendation's alert has no condition of its own to clear it: acknowledged, it is done.
    if row.source == "recommendation" {
        active.cleared_at = Set(Some(now));
    }
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor.audit_key(),
        audit::Entry {
            actor: who,
            role,
            action: "alert.acknowledge".to_owned(),
            target: format!("alert:{id}"),
            before: Some(serde_json::json!({ "message": row.message, "severity": row.severity })),
            after: Some(serde_json::json!({ "acknowledged_at": now })),
            reason: note,
            consent_check: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(views(&state.db, vec![after]).await?.remove(0))
}

fn rule_view(rule: alert_rules::Model, firing: Option<Uuid>) -> AlertRuleView {
    let metric_name = rule.metric.parse::<MetricId>().map(|m| m.definition().name.to_owned()).unwrap_or_default();
    AlertRuleView {
        id: rule.id,
        name: rule.name,
        metric: rule.metric,
        metric_name,
        filters: rule.filters,
        comparison: rule.comparison,
        threshold: rule.threshold,
        for_days: rule.for_days as u32,
        created_by: rule.created_by,
        created_at: rule.created_at,
        firing,
    }
}

/// Every rule, newest first, each with the alert it has open.
pub async fn rules(db: &DatabaseConnection) -> Result<Vec<AlertRuleView>> {
    let open = open_alerts(db, "threshold").await?;
    let mut rows = alert_rules::Entity::find().all(db).await?;
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok(rows
        .into_iter()
        .map(|r| {
            let firing = open.get(&format!("rule/{}", r.id)).map(|a| a.id);
            rule_view(r, firing)
        })
        .collect())
}

/// `POST /api/v1/alert-rules`: any signed-in user; checked by name; audited.
pub async fn create_rule(state: &AppState, input: AlertRuleInput, actor: &Actor) -> Result<AlertRuleView> {
    let now = state.clock.now();
    let (metric, _) = parse_rule(&input, now)?;
    let (who, role) = actor.who();
    let txn = state.db.begin().await?;
    let rule = alert_rules::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(input.name.trim().to_owned()),
        metric: Set(metric.as_str().to_owned()),
        filters: Set(input.filters.trim().trim_start_matches('?').to_owned()),
        comparison: Set(input.comparison.clone()),
        threshold: Set(input.threshold),
        for_days: Set(input.for_days as i32),
        created_by: Set(who.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor.audit_key(),
        audit::Entry { actor: who, role, action: "alert_rule.create".to_owned(), target: format!("alert_rule:{}", rule.id), before: None, after: serde_json::to_value(&input).ok(), reason: None, consent_check: None },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(rule_view(rule, None))
}

/// `DELETE /api/v1/alert-rules/{id}`: its author or an administrator; audited. Its open alert
/// clears at the next evaluation.
pub async fn delete_rule(state: &AppState, id: Uuid, caller: &Caller, actor: &Actor) -> Result<()> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let rule = alert_rules::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::NotFound(format!("alert rule {id}")))?;
    let (who, role) = actor.who();
    let admin = matches!(caller, Caller::User(p) if p.role == Role::Admin);
    if rule.created_by != who && !admin {
        return Err(AppError::Forbidden(format!("only its author ({}) or an administrator may delete this rule", rule.created_by)));
    }
    alert_rules::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor.audit_key(),
        audit::Entry { actor: who, role, action: "alert_rule.delete".to_owned(), target: format!("alert_rule:{id}"), before: Some(serde_json::json!({ "name": rule.name, "metric": rule.metric, "filters": rule.filters })), after: None, reason: None, consent_check: None },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
