//! Experiments (issue #8; the rules and their reasons are in `docs/experiments.md`): drafts,
//! start, stop, ship and extend, each audited and emitted as an event in the same transaction;
//! results read from the metrics store with the statistics of `analytics::experiment`; imported
//! per-user files analysed the same way.

use analytics::events::{CreativeVariantTested, ExperimentDecided, ExperimentDecision, PauseReason, Payload, TestMetric};
use analytics::experiment::analysis::{Analysis, Design, Plan, PlanRequest};
use analytics::experiment::observe::{self, Scope};
use analytics::experiment::{self as exp, Covariate, Metric, Outcome, OutcomeKind, Results};
use analytics::metrics::store::Store;
use analytics::stats::Moments;
use analytics::CampaignStatus;
use app::access::Capability;
use app::wire::{
    CreativeStatus, ExperimentArm, ExperimentDecisionRequest, ExperimentKind, ExperimentPatch, ExperimentStatus, ExperimentSummary, ExperimentView,
    FieldError, NewExperiment,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entities::{audit_log, campaigns, creatives, experiments};
use crate::error::{AppError, Result};
use crate::ingest;
use crate::services::audit;
use crate::services::catalogue::{self, Actor, field, marketer_event};
use crate::services::metrics::MetricsHub;

/// Most arms in one test.
pub const MAX_ARMS: usize = 6;
/// Longest planned duration, days.
pub const MAX_DURATION_DAYS: u32 = 90;
/// How far back a draft's baseline and traffic are measured.
pub const HISTORY_DAYS: i64 = 28;

/// One arm as stored (the `arms` column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSpec {
    pub label: String,
    pub share_bp: u32,
    pub creative_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
}

/// An imported test's data (the `imported` column): per arm, per outcome, the sufficient
/// statistics, so the file itself need not be kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedData {
    pub source: String,
    pub rows: u64,
    /// The arms' labels, the control first.
    pub labels: Vec<String>,
    pub outcomes: Vec<Outcome>,
    pub users: Vec<u64>,
    /// `moments[outcome][arm]`.
    pub moments: Vec<Vec<Moments>>,
    pub covariate: bool,
    /// Whether the planned split was given (else the observed one stands in, and the
    /// sample-ratio check is not run).
    #[serde(default)]
    pub planned_split: bool,
}

fn status_of(model: &experiments::Model) -> Result<ExperimentStatus> {
    model.status.parse().map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))
}

fn kind_of(model: &experiments::Model) -> ExperimentKind {
    match model.kind.as_str() {
        "campaign" => ExperimentKind::Campaign,
        "imported" => ExperimentKind::Imported,
        _ => ExperimentKind::Creative,
    }
}

fn arms_of(model: &experiments::Model) -> Result<Vec<ArmSpec>> {
    serde_json::from_value(model.arms.clone()).map_err(|e| AppError::Internal(anyhow::anyhow!("experiment {} has unreadable arms: {e}", model.id)))
}

fn metrics_of(model: &experiments::Model) -> Result<(Metric, Vec<Metric>)> {
    let parse = |s: &str| s.parse::<Metric>().map_err(|e| AppError::Internal(anyhow::anyhow!(e)));
    let primary = parse(&model.primary_metric)?;
    let guardrails = model.guardrails.split(',').filter(|s| !s.is_empty()).map(parse).collect::<Result<Vec<_>>>()?;
    Ok((primary, guardrails))
}

fn covariate_of(model: &experiments::Model) -> Covariate {
    model.covariate.parse().unwrap_or(Covariate::None)
}

fn test_metric(metric: Metric) -> TestMetric {
    match metric {
        Metric::ClickRate | Metric::UnsubscribeRate => TestMetric::ClickRate,
        Metric::ConversionRate => TestMetric::ConversionRate,
        Metric::RevenuePerUser => TestMetric::RevenuePerUser,
        Metric::Roas => TestMetric::Roas,
    }
}

/// The planned end.
fn ends_at(model: &experiments::Model) -> Option<DateTime<Utc>> {
    model.started_at.map(|s| s + Duration::days(i64::from(model.duration_days)))
}

/// The campaigns an experiment's deliveries come from.
fn campaigns_of(model: &experiments::Model, arms: &[ArmSpec]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = match kind_of(model) {
        ExperimentKind::Campaign => arms.iter().filter_map(|a| a.campaign_id).collect(),
        _ => model.campaign_id.into_iter().collect(),
    };
    ids.sort();
    ids.dedup();
    ids
}

// ----- results -----

/// What the store says about a native experiment between its start and `to`.
fn observe_native(store: &Store, model: &experiments::Model, arms: &[ArmSpec], to: DateTime<Utc>) -> Option<observe::Observed> {
    let from = model.started_at?;
    let kind = kind_of(model);
    let mut targets = Vec::new();
    for arm in arms {
        let target = match kind {
            ExperimentKind::Campaign => (store.campaign_index(arm.campaign_id?)?, None),
            _ => (store.campaign_index(model.campaign_id?)?, Some(store.creative_index(arm.creative_id?)?)),
        };
        targets.push(target);
    }
    let scope = Scope {
        experiment: model.id,
        shares_bp: arms.iter().map(|a| a.share_bp).collect(),
        arms: targets,
        from: from.timestamp(),
        to: to.timestamp(),
        covariate: covariate_of(model),
    };
    Some(observe::observe(store, &scope))
}

fn design_of(model: &experiments::Model, arms: &[ArmSpec], outcomes: Vec<Outcome>, guardrails: usize, elapsed_days: f64) -> Design {
    Design {
        arms: arms.iter().map(|a| (a.label.clone(), f64::from(a.share_bp) / 10_000.0)).collect(),
        control: model.control.max(0) as usize,
        outcomes,
        guardrails,
        alpha: model.alpha,
        power: model.power,
        minimum_effect: model.minimum_effect,
        baseline: model.baseline,
        duration_days: f64::from(model.duration_days),
        elapsed_days,
    }
}

/// A campaign's last 28 days as the planner sees them: traffic per day and the primary metric's
/// baseline (a rate, or a mean and its standard deviation).
#[allow(clippy::too_many_arguments)]
fn history_plan(store: &Store, campaign: Uuid, metric: Metric, minimum_effect: f64, alpha: f64, power: f64, shares: Vec<f64>, now: DateTime<Utc>) -> Plan {
    let (daily, observed) = match store.campaign_index(campaign) {
        Some(index) => {
            let (daily, observed) = observe::history(store, index, (now - Duration::days(HISTORY_DAYS)).timestamp(), now.timestamp());
            (Some(daily).filter(|d| *d > 0.0), Some(observed))
        }
        None => (None, None),
    };
    let (baseline, sd) = match observed.as_ref().map(|o| o.analysis(&[metric], Covariate::None)) {
        Some(Analysis { outcomes, .. }) => match outcomes.into_iter().next() {
            // A zero rate is no baseline: there is nothing to scale the effect by.
            Some(Ok(moments)) if moments[0].n > 0 && moments[0].summary().mean > 0.0 => {
                let s = moments[0].summary();
                (Some(s.mean), (s.n > 1).then(|| s.variance.sqrt()))
            }
            _ => (None, None),
        },
        None => (None, None),
    };
    exp::plan(&PlanRequest { kind: metric.outcome().kind, baseline, sd, minimum_effect, alpha, power, shares, daily_users: daily })
}

/// An experiment's results as of `now` (`None` for a draft), the off-arm deliveries, and a
/// draft's plan.
fn results_of(store: &Store, model: &experiments::Model, now: DateTime<Utc>) -> Result<(Option<Results>, u64, Option<Plan>)> {
    let arms = arms_of(model)?;
    let status = status_of(model)?;
    if let Some(imported) = &model.imported {
        let data: ImportedData = serde_json::from_value(imported.clone()).map_err(|e| AppError::Internal(anyhow::anyhow!("imported data of {}: {e}", model.id)))?;
        let analysis = Analysis { users: data.users.clone(), outcomes: data.moments.iter().cloned().map(Ok).collect(), covariate: data.covariate };
        // A finished test: the fixed-horizon reading applies.
        // Every declared column after the primary is a guardrail.
        let guardrails = data.outcomes.len().saturating_sub(1);
        let design = design_of(model, &arms, data.outcomes.clone(), guardrails, f64::from(model.duration_days));
        let mut results = exp::analyse(&design, &analysis);
        if !data.planned_split {
            // The observed split stood in for the plan: there is nothing to check it against.
            results.sample_ratio = None;
            results.balanced = true;
        }
        return Ok((Some(results), 0, None));
    }
    let (primary, guardrails) = metrics_of(model)?;
    if status == ExperimentStatus::Draft {
        let shares = arms.iter().map(|a| f64::from(a.share_bp) / 10_000.0).collect();
        let plan = model
            .campaign_id
            .map(|c| history_plan(store, c, primary, model.minimum_effect, model.alpha, model.power, shares, now))
            .map(|mut p| {
                if let Some(b) = model.baseline {
                    p.baseline = Some(b);
                }
                p
            });
        return Ok((None, 0, plan));
    }
    // The analysis ends at the stop, or now, and never after the planned end: at the planned
    // end the fixed-horizon test takes its one look, and later data would make every later
    // read another look.
    let to = model.stopped_at.unwrap_or(now).min(now).min(ends_at(model).unwrap_or(now));
    let Some(observed) = observe_native(store, model, &arms, to) else {
        return Ok((None, 0, None));
    };
    // The primary and the guardrails are judged; every other metric is reported per arm with the
    // same statistics (users, conversions, rates, revenue per user, ROAS for every test).
    let guardrail_count = guardrails.len();
    let mut metrics: Vec<Metric> = std::iter::once(primary).chain(guardrails).collect();
    let reported: Vec<Metric> = Metric::ALL.into_iter().filter(|m| *m != Metric::UnsubscribeRate && !metrics.contains(m)).collect();
    metrics.extend(reported);
    let analysis = observed.analysis(&metrics, covariate_of(model));
    let outcomes = metrics.iter().map(|m| m.outcome()).collect();
    let elapsed = model.started_at.map_or(0.0, |s| (to - s).num_seconds().max(0) as f64 / 86_400.0);
    let design = design_of(model, &arms, outcomes, guardrail_count, elapsed);
    Ok((Some(exp::analyse(&design, &analysis)), observed.off_arm, None))
}

async fn campaign_names(db: &impl ConnectionTrait) -> Result<std::collections::HashMap<Uuid, String>> {
    Ok(campaigns::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.name)).collect())
}

fn view_of(model: &experiments::Model, names: &std::collections::HashMap<Uuid, String>, store: &Store, now: DateTime<Utc>) -> Result<ExperimentView> {
    let arms = arms_of(model)?;
    let (results, off_arm, plan) = results_of(store, model, now)?;
    Ok(ExperimentView {
        id: model.id,
        name: model.name.clone(),
        kind: kind_of(model),
        status: status_of(model)?,
        campaign_id: model.campaign_id,
        campaign_name: model.campaign_id.and_then(|c| names.get(&c).cloned()),
        arms: arms
            .iter()
            .map(|a| ExperimentArm { label: a.label.clone(), share_percent: f64::from(a.share_bp) / 100.0, creative_id: a.creative_id, campaign_id: a.campaign_id })
            .collect(),
        control: model.control.max(0) as usize,
        primary_metric: model.primary_metric.clone(),
        guardrails: model.guardrails.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        covariate: model.covariate.clone(),
        minimum_effect_percent: model.minimum_effect * 100.0,
        alpha: model.alpha,
        power: model.power,
        duration_days: model.duration_days.max(0) as u32,
        baseline: model.baseline,
        auto_ship: model.auto_ship,
        started_at: model.started_at,
        ends_at: ends_at(model),
        stopped_at: model.stopped_at,
        winner_arm: model.winner_arm.map(|w| w.max(0) as usize),
        decision: model.decision.clone(),
        created_by: model.created_by.clone(),
        created_at: model.created_at,
        results,
        plan,
        off_arm_deliveries: off_arm,
        as_of: now,
        history: Vec::new(),
    })
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<experiments::Model> {
    experiments::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("experiment {id}")))
}

/// `GET /api/v1/experiments/{id}`.
pub async fn view(db: &DatabaseConnection, hub: &MetricsHub, id: Uuid, now: DateTime<Utc>) -> Result<ExperimentView> {
    let model = find(db, id).await?;
    let names = campaign_names(db).await?;
    let mut view = hub.read(|store| view_of(&model, &names, store, now))?;
    view.history = audit_log::Entity::find()
        .filter(audit_log::Column::Target.eq(format!("experiment:{id}")))
        .order_by_asc(audit_log::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(|e| app::wire::ExperimentHistoryEntry { at: e.at, actor: e.actor, action: e.action, reason: e.reason })
        .collect();
    Ok(view)
}

/// `GET /api/v1/experiments`: newest first, running ones with their verdict.
pub async fn list(db: &DatabaseConnection, hub: &MetricsHub, now: DateTime<Utc>) -> Result<Vec<ExperimentSummary>> {
    let models = experiments::Entity::find().order_by_desc(experiments::Column::CreatedAt).all(db).await?;
    let names = campaign_names(db).await?;
    hub.read(|store| {
        models
            .iter()
            .map(|model| {
                let (results, _, _) = results_of(store, model, now)?;
                Ok(ExperimentSummary {
                    id: model.id,
                    name: model.name.clone(),
                    kind: kind_of(model),
                    status: status_of(model)?,
                    campaign_id: model.campaign_id,
                    campaign_name: model.campaign_id.and_then(|c| names.get(&c).cloned()),
                    primary_metric: model.primary_metric.clone(),
                    arms: arms_of(model)?.into_iter().map(|a| a.label).collect(),
                    started_at: model.started_at,
                    ends_at: ends_at(model),
                    stopped_at: model.stopped_at,
                    users: results.as_ref().map_or(0, |r| r.arms.iter().map(|a| a.users).sum()),
                    verdict: results.as_ref().map(|r| r.verdict.headline.clone()),
                    verdict_state: results.as_ref().map(|r| r.verdict.state),
                })
            })
            .collect()
    })
}

// ----- create and change -----

/// Checks the statistical design fields.
fn check_design(minimum_effect_percent: Option<f64>, alpha: Option<f64>, power: Option<f64>, duration: Option<u32>, baseline: Option<f64>, errors: &mut Vec<FieldError>) {
    if minimum_effect_percent.is_some_and(|m| !(m > 0.0 && m <= 1_000.0)) {
        errors.push(field("minimum_effect_percent", "must be above 0 and at most 1,000 (percent of the baseline)"));
    }
    if alpha.is_some_and(|a| !(a > 0.0 && a <= 0.5)) {
        errors.push(field("alpha", "must be above 0 and at most 0.5"));
    }
    if power.is_some_and(|p| !(0.5..=0.999).contains(&p)) {
        errors.push(field("power", "must be between 0.5 and 0.999"));
    }
    if duration.is_some_and(|d| d == 0 || d > MAX_DURATION_DAYS) {
        errors.push(field("duration_days", format!("must be 1 to {MAX_DURATION_DAYS} days")));
    }
    if baseline.is_some_and(|b| !(b.is_finite() && b >= 0.0)) {
        errors.push(field("baseline", "must be a number ≥ 0"));
    }
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    catalogue::check_text("name", name, 200, errors);
}

fn check_guardrails(primary: Metric, guardrails: &[Metric], errors: &mut Vec<FieldError>) {
    let mut seen = std::collections::HashSet::new();
    if guardrails.len() > 4 {
        errors.push(field("guardrails", "give at most 4 guardrail metrics"));
    }
    for g in guardrails {
        if *g == primary {
            errors.push(field("guardrails", format!("{} is the primary metric; a guardrail is another metric", g.as_str())));
        } else if !seen.insert(*g) {
            errors.push(field("guardrails", format!("{} is named twice", g.as_str())));
        }
    }
}

/// Shares in basis points from percents (all given, each above 0, summing to 100) or an even split.
fn shares_bp(given: &[Option<f64>], errors: &mut Vec<FieldError>, field_name: impl Fn(usize) -> String) -> Vec<u32> {
    let n = given.len().max(1);
    if given.iter().all(Option::is_none) {
        let even = 10_000 / n as u32;
        let mut shares = vec![even; n];
        shares[0] += 10_000 - even * n as u32;
        return shares;
    }
    let mut shares = Vec::new();
    for (i, share) in given.iter().enumerate() {
        match share {
            Some(s) if s.is_finite() && *s > 0.0 && *s < 100.0 => shares.push((s * 100.0).round() as u32),
            Some(_) => errors.push(field(&field_name(i), "must be above 0 and below 100 (percent)")),
            None => errors.push(field(&field_name(i), "give every arm's share, or none for an even split")),
        }
    }
    if shares.len() == given.len() && shares.iter().sum::<u32>() != 10_000 {
        errors.push(field(&field_name(0).replace("[0]", ""), "the shares must add up to 100 percent"));
    }
    shares
}

/// `POST /api/v1/experiments`: a draft. New challenger creatives are created paused (only the
/// test delivers them).
pub async fn create(db: &DatabaseConnection, request: NewExperiment, actor: &Actor, now: DateTime<Utc>) -> Result<Uuid> {
    actor.require(Capability::RunExperiments)?;
    let mut errors = Vec::new();
    check_name(&request.name, &mut errors);
    if request.kind == ExperimentKind::Imported {
        errors.push(field("kind", "an imported test is created by uploading its file (POST /api/v1/experiments/import)"));
    }
    if !(2..=MAX_ARMS).contains(&request.arms.len()) {
        errors.push(field("arms", format!("give 2 to {MAX_ARMS} arms: a control and at least one variant")));
    }
    let control = request.control.unwrap_or(0);
    if control >= request.arms.len().max(1) {
        errors.push(field("control", "must be the index of one of the arms"));
    }
    if request.primary_metric == Metric::UnsubscribeRate {
        errors.push(field("primary_metric", "unsubscribe rate is a guardrail; judge a test on click_rate, conversion_rate, revenue_per_user or roas"));
    }
    let guardrails = request.guardrails.clone().unwrap_or_else(|| if request.primary_metric == Metric::UnsubscribeRate { Vec::new() } else { vec![Metric::UnsubscribeRate] });
    check_guardrails(request.primary_metric, &guardrails, &mut errors);
    check_design(request.minimum_effect_percent, request.alpha, request.power, request.duration_days, request.baseline, &mut errors);
    let shares = shares_bp(&request.arms.iter().map(|a| a.share_percent).collect::<Vec<_>>(), &mut errors, |i| format!("arms[{i}].share_percent"));

    let campaign = campaigns::Entity::find_by_id(request.campaign_id).one(db).await?;
    if campaign.is_none() {
        errors.push(field("campaign_id", format!("no campaign {}", request.campaign_id)));
    }
    let own_creatives: Vec<creatives::Model> = creatives::Entity::find().filter(creatives::Column::CampaignId.eq(request.campaign_id)).all(db).await?;
    let mut seen = std::collections::HashSet::new();
    let mut labels = Vec::new();
    for (i, arm) in request.arms.iter().enumerate() {
        let at = format!("arms[{i}]");
        if let Some(label) = &arm.label {
            catalogue::check_text(&format!("{at}.label"), label, 100, &mut errors);
        }
        let default_label = match request.kind {
            ExperimentKind::Campaign => {
                if arm.creative_id.is_some() || arm.new_creative.is_some() {
                    errors.push(field(&at, "a campaign test's arms are campaigns: give campaign_id only"));
                }
                match arm.campaign_id {
                    None => {
                        errors.push(field(&format!("{at}.campaign_id"), "give the arm's campaign"));
                        String::new()
                    }
                    Some(id) => {
                        if !seen.insert(id) {
                            errors.push(field(&format!("{at}.campaign_id"), "each arm is another campaign"));
                        }
                        if i == control && id != request.campaign_id {
                            errors.push(field(&format!("{at}.campaign_id"), "the control arm is the experiment's campaign_id"));
                        }
                        match campaigns::Entity::find_by_id(id).one(db).await? {
                            Some(c) => c.name,
                            None => {
                                errors.push(field(&format!("{at}.campaign_id"), format!("no campaign {id}")));
                                String::new()
                            }
                        }
                    }
                }
            }
            _ => {
                if arm.campaign_id.is_some() {
                    errors.push(field(&format!("{at}.campaign_id"), "a creative test's arms are creatives of the campaign: give creative_id or new_creative"));
                }
                match (&arm.creative_id, &arm.new_creative) {
                    (Some(id), None) => match own_creatives.iter().find(|c| c.id == *id) {
                        Some(c) => {
                            if !seen.insert(*id) {
                                errors.push(field(&format!("{at}.creative_id"), "each arm is another creative"));
                            }
                            c.name.clone()
                        }
                        None => {
                            errors.push(field(&format!("{at}.creative_id"), format!("creative {id} is not one of the campaign's creatives")));
                            String::new()
                        }
                    },
                    (None, Some(new)) => {
                        // New copy joins the catalogue: the catalogue's own right to write it.
                        actor.require(Capability::CreateCampaigns)?;
                        catalogue::check_creative(&format!("{at}.new_creative"), new, &mut errors);
                        if new.id.is_some() {
                            errors.push(field(&format!("{at}.new_creative.id"), "a new creative gets its id from the catalogue"));
                        }
                        new.name.trim().to_owned()
                    }
                    _ => {
                        errors.push(field(&at, "give exactly one of creative_id (an existing creative) or new_creative (a challenger)"));
                        String::new()
                    }
                }
            }
        };
        labels.push(arm.label.as_deref().map(str::trim).map(str::to_owned).unwrap_or(default_label));
    }
    // A campaign test compares campaigns on one population: members join at a treatment
    // delivery, so arms with other audiences or holdout shares would not be comparable.
    if request.kind == ExperimentKind::Campaign && errors.is_empty() {
        let mut shapes = Vec::new();
        for arm in &request.arms {
            if let Some(c) = arm.campaign_id {
                if let Some(model) = campaigns::Entity::find_by_id(c).one(db).await? {
                    shapes.push((model.name, model.holdout_share_bp, model.target_segments, model.target_regions));
                }
            }
        }
        if let Some(first) = shapes.first().cloned() {
            for (name, holdout, segments, regions) in &shapes[1..] {
                if (*holdout, segments, regions) != (first.1, &first.2, &first.3) {
                    errors.push(field("arms", format!("'{name}' targets other segments or regions, or holds out another share, than '{}': a campaign test needs one audience and one holdout share", first.0)));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    let id = Uuid::new_v4();
    let txn = db.begin().await?;
    let result = async {
        let mut arms = Vec::new();
        for (i, (arm, label)) in request.arms.iter().zip(labels).enumerate() {
            let creative_id = match (&arm.creative_id, &arm.new_creative) {
                (Some(id), _) => Some(*id),
                (None, Some(new)) => Some(insert_challenger(&txn, request.campaign_id, new, now).await?),
                _ => None,
            };
            arms.push(ArmSpec { label, share_bp: shares[i], creative_id, campaign_id: arm.campaign_id });
        }
        let (who, _) = actor.who();
        let model = experiments::ActiveModel {
            id: Set(id),
            name: Set(request.name.trim().to_owned()),
            kind: Set(request.kind.as_str().to_owned()),
            campaign_id: Set(Some(request.campaign_id)),
            status: Set(ExperimentStatus::Draft.as_str().to_owned()),
            arms: Set(serde_json::to_value(&arms).map_err(|e| AppError::Internal(e.into()))?),
            control: Set(control as i32),
            primary_metric: Set(request.primary_metric.as_str().to_owned()),
            guardrails: Set(guardrails.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(",")),
            covariate: Set(request.covariate.unwrap_or_default().as_str().to_owned()),
            minimum_effect: Set(request.minimum_effect_percent.unwrap_or(10.0) / 100.0),
            alpha: Set(request.alpha.unwrap_or(0.05)),
            power: Set(request.power.unwrap_or(0.8)),
            duration_days: Set(request.duration_days.unwrap_or(14) as i32),
            baseline: Set(request.baseline),
            auto_ship: Set(request.auto_ship),
            started_at: Set(None),
            stopped_at: Set(None),
            winner_arm: Set(None),
            decision: Set(None),
            imported: Set(None),
            created_by: Set(who),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit_experiment(&txn, actor, "experiment.create", None, &model, None, None, now).await
    }
    .await;
    finish(txn, result).await?;
    Ok(id)
}

async fn insert_challenger(txn: &DatabaseTransaction, campaign_id: Uuid, new: &app::wire::CreativeInput, now: DateTime<Utc>) -> Result<Uuid> {
    let id = Uuid::new_v4();
    creatives::ActiveModel {
        id: Set(id),
        campaign_id: Set(campaign_id),
        name: Set(new.name.trim().to_owned()),
        headline: Set(new.headline.trim().to_owned()),
        body: Set(new.body.trim().to_owned()),
        call_to_action: Set(new.call_to_action.trim().to_owned()),
        status: Set(CreativeStatus::Paused.as_str().to_owned()),
        weight_percent: Set(100),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// Moves the test's status from one of `from` to `to` inside the decision's transaction, or
/// refuses when another decision came first (two people, or a person and the automatic job):
/// the conditional update is what makes each decision happen once.
async fn claim(txn: &DatabaseTransaction, id: Uuid, from: &[ExperimentStatus], to: ExperimentStatus, now: DateTime<Utc>) -> Result<()> {
    use sea_orm::sea_query::Expr;
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let claimed = experiments::Entity::update_many()
        .col_expr(experiments::Column::Status, Expr::value(to.as_str()))
        .col_expr(experiments::Column::UpdatedAt, Expr::value(now))
        .filter(experiments::Column::Id.eq(id))
        .filter(experiments::Column::Status.is_in(from))
        .exec(txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(AppError::Conflict("the experiment was changed meanwhile (another decision came first); reload it".to_owned()));
    }
    Ok(())
}

async fn finish<T>(txn: DatabaseTransaction, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

/// The audit entry of an experiment action: the row before and after, with the verdict when one
/// was read.
#[allow(clippy::too_many_arguments)]
async fn audit_experiment(
    txn: &DatabaseTransaction,
    actor: &Actor,
    action: &str,
    before: Option<&experiments::Model>,
    after: &experiments::Model,
    reason: Option<String>,
    verdict: Option<Value>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (who, role) = actor.who();
    let row = |m: &experiments::Model| {
        json!({
            "name": m.name, "kind": m.kind, "status": m.status, "campaign_id": m.campaign_id, "arms": m.arms, "control": m.control,
            "primary_metric": m.primary_metric, "guardrails": m.guardrails, "covariate": m.covariate, "minimum_effect": m.minimum_effect,
            "alpha": m.alpha, "power": m.power, "duration_days": m.duration_days, "baseline": m.baseline, "auto_ship": m.auto_ship,
            "started_at": m.started_at, "stopped_at": m.stopped_at, "winner_arm": m.winner_arm, "decision": m.decision,
        })
    };
    let mut after_value = row(after);
    if let Some(verdict) = verdict {
        after_value["results"] = verdict;
    }
    let entry = audit::Entry {
        actor: who,
        role,
        action: action.to_owned(),
        target: format!("experiment:{}", after.id),
        before: before.map(row),
        after: Some(after_value),
        reason,
        consent_check: None,
    };
    audit::record(txn, actor.audit_key(), entry, now).await.map(|_| ())
}

fn check_reason(reason: Option<&str>) -> Result<()> {
    match catalogue::reason_problem(reason) {
        Some(problem) => Err(AppError::Validation(vec![problem])),
        None => Ok(()),
    }
}

/// `PATCH /api/v1/experiments/{id}`.
pub async fn patch(db: &DatabaseConnection, hub: &MetricsHub, id: Uuid, patch: ExperimentPatch, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
    actor.require(Capability::RunExperiments)?;
    check_reason(patch.reason.as_deref())?;
    let model = find(db, id).await?;
    let status = status_of(&model)?;
    let design_change = patch.primary_metric.is_some()
        || patch.covariate.is_some()
        || patch.minimum_effect_percent.is_some()
        || patch.alpha.is_some()
        || patch.power.is_some()
        || patch.baseline.is_some()
        || patch.shares_percent.is_some()
        || patch.guardrails.is_some();
    if design_change && status != ExperimentStatus::Draft {
        return Err(AppError::Conflict(format!(
            "the experiment is {}: its design (metrics, split, effect, α, power, baseline, covariate) is fixed once it starts, so no member changes arm",
            status.as_str()
        )));
    }
    if !matches!(status, ExperimentStatus::Draft | ExperimentStatus::Running) && (patch.duration_days.is_some() || patch.auto_ship.is_some()) {
        return Err(AppError::Conflict(format!("the experiment is {}; only its name may change", status.as_str())));
    }
    // A running test's planned end only moves later: an earlier end would be a look chosen after
    // seeing the data.
    if status == ExperimentStatus::Running && patch.duration_days.is_some_and(|d| (d as i32) < model.duration_days) {
        return Err(AppError::Conflict(format!("a running test can be extended, not shortened ({} days planned); stop it instead", model.duration_days)));
    }
    let mut errors = Vec::new();
    if let Some(name) = &patch.name {
        check_name(name, &mut errors);
    }
    check_design(patch.minimum_effect_percent, patch.alpha, patch.power, patch.duration_days, patch.baseline, &mut errors);
    let arms = arms_of(&model)?;
    let (primary, guardrails) = if model.imported.is_none() { metrics_of(&model)? } else { (Metric::ClickRate, Vec::new()) };
    let primary = patch.primary_metric.unwrap_or(primary);
    let guardrails = patch.guardrails.clone().unwrap_or(guardrails);
    if patch.primary_metric.is_some() || patch.guardrails.is_some() {
        check_guardrails(primary, &guardrails, &mut errors);
    }
    let shares = match &patch.shares_percent {
        Some(given) if given.len() != arms.len() => {
            errors.push(field("shares_percent", format!("give one share per arm ({})", arms.len())));
            None
        }
        Some(given) => Some(shares_bp(&given.iter().map(|s| Some(*s)).collect::<Vec<_>>(), &mut errors, |i| format!("shares_percent[{i}]"))),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let extended = status == ExperimentStatus::Running && patch.duration_days.is_some_and(|d| d as i32 > model.duration_days);
    let txn = db.begin().await?;
    let result = async {
        let before = model.clone();
        let mut active: experiments::ActiveModel = model.into();
        if let Some(name) = &patch.name {
            active.name = Set(name.trim().to_owned());
        }
        if let Some(days) = patch.duration_days {
            active.duration_days = Set(days as i32);
        }
        if let Some(auto) = patch.auto_ship {
            active.auto_ship = Set(auto);
        }
        if patch.primary_metric.is_some() {
            active.primary_metric = Set(primary.as_str().to_owned());
        }
        if patch.guardrails.is_some() || patch.primary_metric.is_some() {
            active.guardrails = Set(guardrails.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(","));
        }
        if let Some(c) = patch.covariate {
            active.covariate = Set(c.as_str().to_owned());
        }
        if let Some(m) = patch.minimum_effect_percent {
            active.minimum_effect = Set(m / 100.0);
        }
        if let Some(a) = patch.alpha {
            active.alpha = Set(a);
        }
        if let Some(p) = patch.power {
            active.power = Set(p);
        }
        if let Some(b) = patch.baseline {
            active.baseline = Set(Some(b));
        }
        if let Some(shares) = &shares {
            let arms: Vec<ArmSpec> = arms.iter().zip(shares).map(|(a, s)| ArmSpec { share_bp: *s, ..a.clone() }).collect();
            active.arms = Set(serde_json::to_value(&arms).map_err(|e| AppError::Internal(e.into()))?);
        }
        if extended {
            active.decision = Set(Some(format!("Extended to {} days by {}", patch.duration_days.unwrap_or_default(), actor.who().0)));
        }
        active.updated_at = Set(now);
        let after = active.update(&txn).await?;
        if extended {
            let verdict = hub.read(|store| results_of(store, &after, now)).ok().and_then(|(r, _, _)| r);
            emit_decision(&txn, actor, &after, ExperimentDecision::Extended, None, verdict.as_ref(), false, now).await?;
            audit_experiment(&txn, actor, "experiment.extend", Some(&before), &after, patch.reason.clone(), verdict.map(|r| verdict_json(&r)), now).await
        } else {
            audit_experiment(&txn, actor, "experiment.update", Some(&before), &after, patch.reason.clone(), None, now).await
        }
    }
    .await;
    finish(txn, result).await
}

fn verdict_json(results: &Results) -> Value {
    json!({
        "verdict": results.verdict.headline,
        "state": results.verdict.state,
        "winner": results.verdict.winner,
        "users": results.arms.iter().map(|a| a.users).collect::<Vec<_>>(),
        "balanced": results.balanced,
        "primary": results.outcomes.first().map(|o| o.comparisons.iter().map(|c| json!({
            "arm": c.arm, "difference": c.adjusted_difference.or(c.difference), "p_value": c.holm_p_value, "sequential_p_value": c.sequential_holm_p_value,
        })).collect::<Vec<_>>()),
    })
}

/// The deciding p-value of an arm on the primary outcome (always-valid before the planned end).
fn deciding_p(results: &Results, arm: usize) -> Option<f64> {
    let c = results.outcomes.first()?.comparisons.iter().find(|c| c.arm == arm)?;
    if results.horizon_reached { c.holm_p_value } else { c.sequential_holm_p_value }
}

#[allow(clippy::too_many_arguments)]
async fn emit_decision(
    txn: &DatabaseTransaction,
    actor: &Actor,
    model: &experiments::Model,
    decision: ExperimentDecision,
    winner: Option<&ArmSpec>,
    results: Option<&Results>,
    automatic: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(campaign_id) = model.campaign_id else { return Ok(()) };
    let primary = model.primary_metric.parse::<Metric>().map(test_metric).unwrap_or(TestMetric::ClickRate);
    let winner_arm = model.winner_arm.map(|w| w.max(0) as usize);
    let payload = Payload::ExperimentDecided(ExperimentDecided {
        test_id: model.id,
        campaign_id,
        decision,
        marketer_id: actor.label(),
        winner_creative_id: winner.and_then(|w| w.creative_id),
        winner_campaign_id: winner.and_then(|w| w.campaign_id),
        primary_metric: primary,
        p_value: results.zip(winner_arm).and_then(|(r, arm)| deciding_p(r, arm)).map(|p| p.clamp(0.0, 1.0)),
        automatic,
        // Planned days when it starts or is extended; the days it ran when it stops or ships (up
        // to the planned end: the analysis reads no later data).
        test_duration_days: match decision {
            ExperimentDecision::Started | ExperimentDecision::Extended => Some(i64::from(model.duration_days)),
            _ => model.started_at.map(|s| {
                let end = model.stopped_at.unwrap_or(now).min(ends_at(model).unwrap_or(now));
                ((end - s).num_seconds().max(0) as f64 / 86_400.0).ceil() as i64
            }),
        },
    });
    ingest::append(txn, &marketer_event(actor, now, payload), now).await?;
    Ok(())
}

/// `POST /api/v1/experiments/{id}/start`: the baseline is measured from the campaign's history
/// when none was given; challenger creatives become deliverable; `creative_variant_tested` is
/// emitted per variant.
pub async fn start(db: &DatabaseConnection, hub: &MetricsHub, id: Uuid, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
    actor.require(Capability::RunExperiments)?;
    let model = find(db, id).await?;
    let status = status_of(&model)?;
    if status != ExperimentStatus::Draft {
        return Err(AppError::Conflict(format!("the experiment is {}; only a draft starts", status.as_str())));
    }
    let arms = arms_of(&model)?;
    let (primary, _) = metrics_of(&model)?;
    let campaign_ids = campaigns_of(&model, &arms);
    for campaign_id in &campaign_ids {
        if let Some(other) = running_on(db, *campaign_id).await? {
            return Err(AppError::Conflict(format!(
                "campaign {campaign_id} is already in running experiment '{}' ({}): stop or ship it first, so each delivery belongs to one test",
                other.name, other.id
            )));
        }
        let campaign = campaigns::Entity::find_by_id(*campaign_id).one(db).await?.ok_or_else(|| AppError::Conflict(format!("campaign {campaign_id} no longer exists")))?;
        let campaign_status: CampaignStatus = campaign.status.parse().map_err(|e: analytics::UnknownName| AppError::Internal(e.into()))?;
        if matches!(campaign_status, CampaignStatus::Completed | CampaignStatus::Archived) {
            return Err(AppError::Conflict(format!("campaign '{}' is {}: it delivers nothing, so the test would have no members", campaign.name, campaign_status.as_str())));
        }
    }
    let baseline = match model.baseline {
        Some(b) => Some(b),
        None => model.campaign_id.and_then(|c| hub.read(|store| history_plan(store, c, primary, model.minimum_effect, model.alpha, model.power, vec![0.5, 0.5], now).baseline)),
    };
    let txn = db.begin().await?;
    let result = async {
        claim(&txn, model.id, &[ExperimentStatus::Draft], ExperimentStatus::Running, now).await?;
        // Again inside the transaction, so two tests started at once cannot share a campaign.
        let others = experiments::Entity::find()
            .filter(experiments::Column::Status.eq(ExperimentStatus::Running.as_str()))
            .filter(experiments::Column::Id.ne(model.id))
            .all(&txn)
            .await?;
        for other in others {
            if campaigns_of(&other, &arms_of(&other)?).iter().any(|c| campaign_ids.contains(c)) {
                return Err(AppError::Conflict(format!("a campaign of this test is already in running experiment '{}' ({})", other.name, other.id)));
            }
        }
        let before = model.clone();
        let mut activated = Vec::new();
        if kind_of(&model) == ExperimentKind::Creative {
            for arm in &arms {
                let Some(creative_id) = arm.creative_id else { continue };
                let creative = creatives::Entity::find_by_id(creative_id).one(&txn).await?.ok_or_else(|| AppError::Conflict(format!("creative {creative_id} no longer exists")))?;
                if catalogue::creative_status(&creative) == CreativeStatus::Paused {
                    // Making a creative deliverable is the catalogue's resume right.
                    actor.require(Capability::PauseResumeCampaigns)?;
                    let mut active: creatives::ActiveModel = creative.into();
                    active.status = Set(CreativeStatus::Active.as_str().to_owned());
                    active.update(&txn).await?;
                    activated.push(creative_id);
                }
            }
        }
        let mut active: experiments::ActiveModel = model.into();
        active.status = Set(ExperimentStatus::Running.as_str().to_owned());
        active.started_at = Set(Some(now));
        active.baseline = Set(baseline);
        active.decision = Set(Some(format!("Started by {}", actor.who().0)));
        active.updated_at = Set(now);
        let after = active.update(&txn).await?;
        if let (ExperimentKind::Creative, Some(campaign_id)) = (kind_of(&after), after.campaign_id) {
            let control = &arms[after.control.max(0) as usize];
            for (_, arm) in arms.iter().enumerate().filter(|(i, _)| *i as i32 != after.control) {
                let (Some(a), Some(b)) = (control.creative_id, arm.creative_id) else { continue };
                let split = (f64::from(control.share_bp) / (f64::from(control.share_bp) + f64::from(arm.share_bp)) * 100.0).round() as i64;
                let payload = Payload::CreativeVariantTested(CreativeVariantTested {
                    test_id: after.id,
                    campaign_id,
                    variant_a_creative_id: a,
                    variant_b_creative_id: b,
                    split_percentage: split.clamp(1, 99),
                    test_duration_days: i64::from(after.duration_days),
                    primary_metric: test_metric(primary),
                    statistical_significance_threshold: 1.0 - after.alpha,
                });
                ingest::append(&txn, &marketer_event(actor, now, payload), now).await?;
            }
        }
        emit_decision(&txn, actor, &after, ExperimentDecision::Started, None, None, false, now).await?;
        let reason = (!activated.is_empty()).then(|| format!("challenger creatives made deliverable: {}", activated.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")));
        audit_experiment(&txn, actor, "experiment.start", Some(&before), &after, reason, None, now).await
    }
    .await;
    finish(txn, result).await
}

/// The running experiment a campaign's deliveries belong to, if any.
pub async fn running_on(db: &impl ConnectionTrait, campaign_id: Uuid) -> Result<Option<experiments::Model>> {
    let running = experiments::Entity::find().filter(experiments::Column::Status.eq(ExperimentStatus::Running.as_str())).all(db).await?;
    for model in running {
        let arms = arms_of(&model)?;
        if campaigns_of(&model, &arms).contains(&campaign_id) {
            return Ok(Some(model));
        }
    }
    Ok(None)
}

/// The running experiment a creative is an arm of, if any (its status and weight are then the
/// test's until it stops or ships).
pub async fn running_with_creative(db: &impl ConnectionTrait, creative_id: Uuid) -> Result<Option<experiments::Model>> {
    let running = experiments::Entity::find().filter(experiments::Column::Status.eq(ExperimentStatus::Running.as_str())).all(db).await?;
    for model in running {
        if arms_of(&model)?.iter().any(|a| a.creative_id == Some(creative_id)) {
            return Ok(Some(model));
        }
    }
    Ok(None)
}

/// The tests that own a batch's deliveries: every started native test of the batch's delivery
/// campaigns. Ingestion records each treatment delivery's test and arm from them (and refuses a
/// producer's claim that contradicts the pinned hash), so the arm is on every delivery.
pub struct DeliveryArms {
    /// Each test, its arms and its campaigns.
    tests: Vec<(experiments::Model, Vec<ArmSpec>, Vec<Uuid>)>,
}

impl DeliveryArms {
    /// The tests running, or stopped within the last 30 days (a later delivery is a backfill),
    /// on the campaigns the batch delivers.
    pub async fn load<'a>(db: &impl ConnectionTrait, events: impl Iterator<Item = &'a analytics::events::Event>, now: DateTime<Utc>) -> Result<DeliveryArms> {
        let delivered: std::collections::HashSet<Uuid> = events
            .filter_map(|e| match &e.payload {
                Payload::CampaignDelivered(p) => Some(p.campaign_id),
                _ => None,
            })
            .collect();
        let mut tests = Vec::new();
        if delivered.is_empty() {
            return Ok(DeliveryArms { tests });
        }
        let recent = sea_orm::Condition::any().add(experiments::Column::StoppedAt.is_null()).add(experiments::Column::StoppedAt.gt(now - Duration::days(30)));
        for model in experiments::Entity::find().filter(experiments::Column::StartedAt.is_not_null()).filter(recent).all(db).await? {
            // One unreadable test does not hold up the deliveries of the others.
            let arms = match arms_of(&model) {
                Ok(arms) => arms,
                Err(err) => {
                    tracing::warn!(experiment = %model.id, error = %err.one_line(), "cannot read a test's arms; its deliveries are stored without them");
                    continue;
                }
            };
            let campaigns = campaigns_of(&model, &arms);
            if campaigns.iter().any(|c| delivered.contains(c)) {
                tests.push((model, arms, campaigns));
            }
        }
        Ok(DeliveryArms { tests })
    }

    /// The test and arm a delivery is recorded under (a treatment delivery of a campaign whose
    /// test had started and not stopped by then), and, when the producer's claim contradicts
    /// them, the field and why (the product's reading is kept: the delivery itself happened).
    pub fn arm_of(&self, event: &analytics::events::Event) -> (Option<(Uuid, String)>, Option<(&'static str, String)>) {
        let Payload::CampaignDelivered(p) = &event.payload else { return (None, None) };
        if p.is_holdout {
            return (None, None);
        }
        let at = event.occurred_at;
        let covering = self.tests.iter().find(|(m, _, campaigns)| {
            campaigns.contains(&p.campaign_id) && m.started_at.is_some_and(|s| s <= at) && m.stopped_at.is_none_or(|s| at < s)
        });
        let Some((model, arms, _)) = covering else {
            let contradiction = p.experiment_id.map(|claimed| {
                ("properties.experiment_id", format!("test {claimed} does not run on campaign {} at {}; the delivery is stored in no test", p.campaign_id, at.to_rfc3339()))
            });
            return (None, contradiction);
        };
        let shares: Vec<u32> = arms.iter().map(|a| a.share_bp).collect();
        let Some(index) = exp::arm_for(exp::position(model.id, &event.user_id), &shares) else { return (None, None) };
        let label = &arms[index].label;
        let contradiction = if let Some(claimed) = p.experiment_id.filter(|c| *c != model.id) {
            Some(("properties.experiment_id", format!("the test running on campaign {} is {}, not {claimed}; stored in its arm '{label}'", p.campaign_id, model.id)))
        } else {
            p.experiment_arm.as_ref().filter(|given| *given != label).map(|given| {
                (
                    "properties.experiment_arm",
                    format!("user {} is in arm '{label}' of test {} by its pinned hash, not '{given}' (a user never switches arm); stored in '{label}'", event.user_id, model.id),
                )
            })
        };
        (Some((model.id, label.clone())), contradiction)
    }
}

/// A running experiment's arm for a user of one of its campaigns, for the assignment: the test,
/// the arm's index and spec.
pub async fn arm_for_user(db: &impl ConnectionTrait, campaign_id: Uuid, user_id: &str) -> Result<Option<(experiments::Model, usize, ArmSpec)>> {
    let Some(model) = running_on(db, campaign_id).await? else { return Ok(None) };
    let arms = arms_of(&model)?;
    let shares: Vec<u32> = arms.iter().map(|a| a.share_bp).collect();
    let Some(index) = exp::arm_for(exp::position(model.id, user_id), &shares) else { return Ok(None) };
    let arm = arms[index].clone();
    Ok(Some((model, index, arm)))
}

/// `POST /api/v1/experiments/{id}/stop`: ends the test without shipping anything.
pub async fn stop(db: &DatabaseConnection, hub: &MetricsHub, id: Uuid, request: ExperimentDecisionRequest, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
    actor.require(Capability::RunExperiments)?;
    check_reason(request.reason.as_deref())?;
    let model = find(db, id).await?;
    let status = status_of(&model)?;
    if status != ExperimentStatus::Running {
        return Err(AppError::Conflict(format!("the experiment is {}; only a running test stops", status.as_str())));
    }
    let results = hub.read(|store| results_of(store, &model, now))?.0;
    let txn = db.begin().await?;
    let result = async {
        claim(&txn, model.id, &[ExperimentStatus::Running], ExperimentStatus::Stopped, now).await?;
        let before = model.clone();
        let mut active: experiments::ActiveModel = model.into();
        active.status = Set(ExperimentStatus::Stopped.as_str().to_owned());
        active.stopped_at = Set(Some(now));
        active.decision = Set(Some(format!("Stopped by {}{}", actor.who().0, request.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())));
        active.updated_at = Set(now);
        let after = active.update(&txn).await?;
        emit_decision(&txn, actor, &after, ExperimentDecision::Stopped, None, results.as_ref(), false, now).await?;
        audit_experiment(&txn, actor, "experiment.stop", Some(&before), &after, request.reason.clone(), results.as_ref().map(verdict_json), now).await
    }
    .await;
    finish(txn, result).await
}

/// `POST /api/v1/experiments/{id}/ship`: rolls the winner out to 100% — in a creative test every
/// other creative of the campaign is paused; in a campaign test the other arms' campaigns are
/// paused. The arm defaults to the verdict's winner; another arm (or no clear winner) is a manual
/// override and needs a reason. `automatic` when the product ships on its own.
pub async fn ship(db: &DatabaseConnection, hub: &MetricsHub, id: Uuid, request: ExperimentDecisionRequest, actor: &Actor, now: DateTime<Utc>, automatic: bool) -> Result<()> {
    actor.require(Capability::RunExperiments)?;
    check_reason(request.reason.as_deref())?;
    let model = find(db, id).await?;
    // Rolling out pauses the losing creatives or campaigns: the catalogue's pause right.
    actor.require(Capability::PauseResumeCampaigns)?;
    let status = status_of(&model)?;
    if !matches!(status, ExperimentStatus::Running | ExperimentStatus::Stopped) {
        return Err(AppError::Conflict(format!("the experiment is {}; only a running or stopped test ships", status.as_str())));
    }
    let arms = arms_of(&model)?;
    let results = hub.read(|store| results_of(store, &model, now))?.0;
    let verdict = results.as_ref().map(|r| &r.verdict);
    // The verdict's arm: a ship-ready winner, or the control when it beat every variant.
    let recommended = verdict.filter(|v| v.ship_ready || v.state == exp::VerdictState::ControlWins).and_then(|v| v.winner);
    let arm = match (request.arm, recommended) {
        (Some(arm), _) if arm >= arms.len() => return Err(AppError::invalid("arm", format!("must be 0 to {}", arms.len() - 1))),
        (Some(arm), _) => arm,
        (None, Some(winner)) => winner,
        (None, None) => {
            return Err(AppError::Conflict(format!(
                "no winner to ship yet ({}); name the arm to ship with a reason to override",
                verdict.map_or("no results".to_owned(), |v| v.headline.clone())
            )));
        }
    };
    let overriding = recommended != Some(arm);
    if overriding && request.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::invalid(
            "reason",
            format!("shipping {} overrides the verdict ({}); say why", arms[arm].label, verdict.map_or("no results".to_owned(), |v| v.headline.clone())),
        ));
    }
    let txn = db.begin().await?;
    let result = async {
        claim(&txn, model.id, &[ExperimentStatus::Running, ExperimentStatus::Stopped], ExperimentStatus::Shipped, now).await?;
        let before = model.clone();
        let winner = arms[arm].clone();
        let mut paused = Vec::new();
        match kind_of(&model) {
            ExperimentKind::Creative => {
                let campaign_id = model.campaign_id.ok_or_else(|| AppError::Internal(anyhow::anyhow!("creative test without a campaign")))?;
                for creative in creatives::Entity::find().filter(creatives::Column::CampaignId.eq(campaign_id)).all(&txn).await? {
                    let wanted = if Some(creative.id) == winner.creative_id { CreativeStatus::Active } else { CreativeStatus::Paused };
                    if catalogue::creative_status(&creative) != wanted {
                        if wanted == CreativeStatus::Paused {
                            paused.push(format!("creative {}", creative.name));
                        }
                        let mut active: creatives::ActiveModel = creative.into();
                        active.status = Set(wanted.as_str().to_owned());
                        active.update(&txn).await?;
                    }
                }
                campaigns::ActiveModel { id: Set(campaign_id), updated_at: Set(now), ..Default::default() }.update(&txn).await?;
            }
            ExperimentKind::Campaign => {
                for other in arms.iter().filter(|a| a.campaign_id != winner.campaign_id) {
                    let Some(campaign_id) = other.campaign_id else { continue };
                    let Some(campaign) = campaigns::Entity::find_by_id(campaign_id).one(&txn).await? else { continue };
                    if campaign.status != CampaignStatus::Active.as_str() {
                        continue;
                    }
                    paused.push(format!("campaign {}", campaign.name));
                    let mut active: campaigns::ActiveModel = campaign.into();
                    active.status = Set(CampaignStatus::Paused.as_str().to_owned());
                    active.updated_at = Set(now);
                    active.update(&txn).await?;
                    let event = Payload::CampaignPaused(analytics::events::CampaignPaused {
                        campaign_id,
                        marketer_id: actor.label(),
                        pause_reason: PauseReason::LowPerformance,
                        time_to_pause_hours: None,
                        pause_metrics_snapshot: Some(json!({ "experiment_id": model.id, "lost_to": winner.label })),
                    });
                    ingest::append(&txn, &marketer_event(actor, now, event), now).await?;
                }
            }
            ExperimentKind::Imported => return Err(AppError::Conflict("an imported test has nothing to roll out here".to_owned())),
        }
        let mut active: experiments::ActiveModel = model.into();
        active.status = Set(ExperimentStatus::Shipped.as_str().to_owned());
        if before.stopped_at.is_none() {
            active.stopped_at = Set(Some(now));
        }
        active.winner_arm = Set(Some(arm as i32));
        let how = if automatic { "automatically" } else if overriding { "by manual override" } else { "on the verdict" };
        let rolled = if paused.is_empty() { String::new() } else { format!("; paused {}", paused.join(", ")) };
        active.decision = Set(Some(format!("{} shipped to 100% {how} by {}{rolled}", winner.label, actor.who().0)));
        active.updated_at = Set(now);
        let after = active.update(&txn).await?;
        emit_decision(&txn, actor, &after, ExperimentDecision::Shipped, Some(&winner), results.as_ref(), automatic, now).await?;
        let reason = request.reason.clone().or_else(|| verdict.map(|v| v.headline.clone()));
        audit_experiment(&txn, actor, "experiment.ship", Some(&before), &after, reason, results.as_ref().map(verdict_json), now).await
    }
    .await;
    finish(txn, result).await
}

/// The automatic-shipping rule, run by a job: each running test with `auto_ship` whose verdict
/// is ship-ready (a winner, no guardrail harmed, the split sound) ships. Returns the ids shipped.
pub async fn ship_ready_winners(db: &DatabaseConnection, hub: &MetricsHub, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
    let running = experiments::Entity::find()
        .filter(experiments::Column::Status.eq(ExperimentStatus::Running.as_str()))
        .filter(experiments::Column::AutoShip.eq(true))
        .all(db)
        .await?;
    let mut shipped = Vec::new();
    for model in running {
        // Only a winner the always-valid test found before the planned end: after it, the
        // fixed-horizon verdict is a person's to act on.
        // One test that cannot be read or shipped does not hold back the others.
        let ready = match hub.read(|store| results_of(store, &model, now)) {
            Ok(read) => read.0.is_some_and(|r| r.verdict.ship_ready && r.verdict.by_sequential),
            Err(err) => {
                tracing::warn!(experiment = %model.id, error = %err.one_line(), "cannot read the experiment's results for automatic shipping");
                false
            }
        };
        if !ready {
            continue;
        }
        match ship(db, hub, model.id, ExperimentDecisionRequest::default(), actor, now, true).await {
            Ok(_) => shipped.push(model.id),
            Err(err) => tracing::warn!(experiment = %model.id, error = %err.one_line(), "automatic shipping failed; trying again in a minute"),
        }
    }
    Ok(shipped)
}

// ----- imported tests -----

/// One outcome column of an imported file: its name, kind, and optionally the column of its
/// pre-period covariate.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeColumn {
    pub column: String,
    pub kind: OutcomeKind,
    pub covariate: Option<String>,
    pub higher_is_better: bool,
}

impl std::str::FromStr for OutcomeColumn {
    type Err = String;

    /// `name:binary`, `name:numeric`, with `:covariate_column` and/or `:lower` (lower is better).
    fn from_str(s: &str) -> std::result::Result<OutcomeColumn, String> {
        let parts: Vec<&str> = s.split(':').map(str::trim).collect();
        let (column, kind) = match parts.as_slice() {
            [column, kind, ..] if !column.is_empty() => (*column, *kind),
            _ => return Err(format!("'{s}': write an outcome as name:binary or name:numeric, optionally :covariate_column and :lower")),
        };
        let kind = match kind {
            "binary" => OutcomeKind::Binary,
            "numeric" => OutcomeKind::Numeric,
            other => return Err(format!("'{s}': the kind is binary or numeric, not '{other}'")),
        };
        let mut out = OutcomeColumn { column: column.to_owned(), kind, covariate: None, higher_is_better: true };
        for extra in &parts[2..] {
            match *extra {
                "lower" => out.higher_is_better = false,
                "" => return Err(format!("'{s}': an empty part")),
                covariate if out.covariate.is_none() => out.covariate = Some(covariate.to_owned()),
                _ => return Err(format!("'{s}': one covariate column per outcome")),
            }
        }
        Ok(out)
    }
}

/// What an import asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRequest {
    pub name: String,
    pub source: String,
    pub arm_column: String,
    pub control: String,
    pub outcomes: Vec<OutcomeColumn>,
    /// The planned shares by arm label in percent; default: the observed split is taken as planned
    /// only when none is given, so the SRM check then cannot fail — say so in the results.
    pub planned: Vec<(String, f64)>,
    pub alpha: f64,
    pub minimum_effect: f64,
    pub duration_days: u32,
}

/// Reads a per-user CSV (a header row, one row per user) into per-arm sufficient statistics:
/// constant memory whatever the file's length. Problems name the line and the column.
pub fn read_experiment_csv(reader: impl std::io::Read, request: &ImportRequest) -> Result<ImportedData> {
    let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(reader);
    let headers = csv.headers().map_err(|e| AppError::invalid("file", format!("unreadable header row: {e}")))?.clone();
    let column = |name: &str, what: &str| -> Result<usize> {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            AppError::invalid(what, format!("no column '{name}' in the header ({})", headers.iter().collect::<Vec<_>>().join(", ")))
        })
    };
    let arm_at = column(&request.arm_column, "arm_column")?;
    let mut outcome_at = Vec::new();
    for o in &request.outcomes {
        outcome_at.push((column(&o.column, "outcome")?, o.covariate.as_deref().map(|c| column(c, "outcome")).transpose()?));
    }
    if request.outcomes.is_empty() {
        return Err(AppError::invalid("outcome", "declare at least one outcome column (name:binary or name:numeric)"));
    }
    let mut labels: Vec<String> = Vec::new();
    let mut moments: Vec<Vec<Moments>> = vec![Vec::new(); request.outcomes.len()];
    let mut rows = 0u64;
    for (index, record) in csv.records().enumerate() {
        // The reader's own line count: blank lines and quoted line breaks would shift a count of records.
        let record = record.map_err(|e| AppError::invalid("file", format!("line {}: {e}", e.position().map_or(index + 2, |p| p.line() as usize))))?;
        let line = record.position().map_or(index + 2, |p| p.line() as usize);
        let label = record.get(arm_at).unwrap_or_default();
        if label.is_empty() {
            return Err(AppError::invalid("file", format!("line {line}: the arm column '{}' is empty", request.arm_column)));
        }
        let arm = match labels.iter().position(|l| l == label) {
            Some(i) => i,
            None => {
                if labels.len() == MAX_ARMS {
                    return Err(AppError::invalid("file", format!("line {line}: a {}th arm '{label}'; at most {MAX_ARMS} arms", MAX_ARMS + 1)));
                }
                labels.push(label.to_owned());
                for m in &mut moments {
                    m.push(Moments::default());
                }
                labels.len() - 1
            }
        };
        for ((outcome, (y_at, x_at)), per_arm) in request.outcomes.iter().zip(&outcome_at).zip(&mut moments) {
            let number = |at: usize, name: &str| -> Result<f64> {
                let text = record.get(at).unwrap_or_default();
                text.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| AppError::invalid("file", format!("line {line}: column '{name}' must be a number, got '{text}'")))
            };
            let y = number(*y_at, &outcome.column)?;
            if outcome.kind == OutcomeKind::Binary && y != 0.0 && y != 1.0 {
                return Err(AppError::invalid("file", format!("line {line}: column '{}' is declared binary, so it must be 0 or 1, got {y}", outcome.column)));
            }
            let x = match (x_at, &outcome.covariate) {
                (Some(at), Some(name)) => number(*at, name)?,
                _ => 0.0,
            };
            per_arm[arm].push(y, x);
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(AppError::invalid("file", "the file has a header but no rows"));
    }
    let control = labels.iter().position(|l| *l == request.control).ok_or_else(|| {
        AppError::invalid("control", format!("no arm is labelled '{}' (the file's arms: {})", request.control, labels.join(", ")))
    })?;
    if labels.len() < 2 {
        return Err(AppError::invalid("file", format!("only one arm ('{}') in the file; a test needs a control and a variant", labels[0])));
    }
    // The control first, then the variants in the order the file met them.
    let order: Vec<usize> = std::iter::once(control).chain((0..labels.len()).filter(|i| *i != control)).collect();
    let users: Vec<u64> = order.iter().map(|i| moments[0][*i].n).collect();
    let moments = moments.into_iter().map(|per_arm| order.iter().map(|i| per_arm[*i]).collect()).collect();
    let outcomes = request
        .outcomes
        .iter()
        .map(|o| Outcome { key: o.column.clone(), name: o.column.clone(), kind: o.kind, unit: if o.kind == OutcomeKind::Binary { "%".to_owned() } else { String::new() }, higher_is_better: o.higher_is_better })
        .collect();
    let labels = order.iter().map(|i| labels[*i].clone()).collect();
    Ok(ImportedData {
        source: request.source.clone(),
        rows,
        labels,
        outcomes,
        users,
        moments,
        covariate: request.outcomes.iter().any(|o| o.covariate.is_some()),
        planned_split: !request.planned.is_empty(),
    })
}

/// Stores an imported test (status `imported`) and returns its id.
pub async fn import(db: &DatabaseConnection, reader: impl std::io::Read, request: ImportRequest, actor: &Actor, now: DateTime<Utc>) -> Result<Uuid> {
    actor.require(Capability::RunExperiments)?;
    let mut errors = Vec::new();
    check_name(&request.name, &mut errors);
    check_design(Some(request.minimum_effect * 100.0), Some(request.alpha), None, Some(request.duration_days), None, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let data = read_experiment_csv(reader, &request)?;
    let labels = data.labels.clone();
    let total: u64 = data.users.iter().sum();
    let planned: Vec<u32> = if request.planned.is_empty() {
        data.users.iter().map(|u| (*u as f64 / total as f64 * 10_000.0).round() as u32).collect()
    } else {
        let mut shares = Vec::new();
        for label in &labels {
            let share = request.planned.iter().find(|(l, _)| l == label).map(|(_, s)| *s).ok_or_else(|| AppError::invalid("split", format!("no planned share for arm '{label}'")))?;
            shares.push((share * 100.0).round() as u32);
        }
        if shares.iter().sum::<u32>() != 10_000 {
            return Err(AppError::invalid("split", "the planned shares must add up to 100 percent"));
        }
        shares
    };
    let arms: Vec<ArmSpec> = labels.iter().zip(&planned).map(|(l, s)| ArmSpec { label: l.clone(), share_bp: *s, creative_id: None, campaign_id: None }).collect();
    let id = Uuid::new_v4();
    let txn = db.begin().await?;
    let result = async {
        let (who, _) = actor.who();
        let model = experiments::ActiveModel {
            id: Set(id),
            name: Set(request.name.trim().to_owned()),
            kind: Set(ExperimentKind::Imported.as_str().to_owned()),
            campaign_id: Set(None),
            status: Set(ExperimentStatus::Imported.as_str().to_owned()),
            arms: Set(serde_json::to_value(&arms).map_err(|e| AppError::Internal(e.into()))?),
            control: Set(0),
            primary_metric: Set(data.outcomes[0].key.clone()),
            guardrails: Set(data.outcomes[1..].iter().map(|o| o.key.as_str()).collect::<Vec<_>>().join(",")),
            covariate: Set(if data.covariate { "columns".to_owned() } else { "none".to_owned() }),
            minimum_effect: Set(request.minimum_effect),
            alpha: Set(request.alpha),
            power: Set(0.8),
            duration_days: Set(request.duration_days as i32),
            baseline: Set(None),
            auto_ship: Set(false),
            started_at: Set(None),
            stopped_at: Set(None),
            winner_arm: Set(None),
            decision: Set(Some(format!("Imported from {} ({} rows) by {who}", request.source, data.rows))),
            imported: Set(Some(serde_json::to_value(&data).map_err(|e| AppError::Internal(e.into()))?)),
            created_by: Set(who),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit_experiment(&txn, actor, "experiment.import", None, &model, None, None, now).await
    }
    .await;
    finish(txn, result).await?;
    Ok(id)
}

/// The planner for a campaign's next test (even split over `arms`).
pub fn plan_for(hub: &MetricsHub, campaign: Uuid, metric: Metric, minimum_effect: f64, alpha: f64, power: f64, arms: usize, now: DateTime<Utc>) -> Plan {
    let shares = vec![1.0 / arms.max(1) as f64; arms.max(1)];
    hub.read(|store| history_plan(store, campaign, metric, minimum_effect, alpha, power, shares, now))
}

/// The results as plain text, for the command line: the verdict, then per outcome each arm's
/// value and each variant against the control.
pub fn results_text(view: &ExperimentView) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "experiment {} — {}", view.id, view.name);
    let Some(results) = &view.results else {
        let _ = writeln!(out, "no results yet ({})", view.status.as_str());
        return out;
    };
    let _ = writeln!(out, "verdict: {}", results.verdict.headline);
    let users = results.arms.iter().map(|a| format!("{} {} ({:.1}% planned)", a.label, a.users, a.planned_share * 100.0)).collect::<Vec<_>>().join(", ");
    let srm = results.sample_ratio.map_or(String::new(), |t| format!("; sample ratio p = {:.4}{}", t.p_value, if results.balanced { "" } else { " — MISMATCH" }));
    let _ = writeln!(out, "users: {users}{srm}");
    let value = |o: &Outcome, v: f64| if o.kind == OutcomeKind::Binary { format!("{:.2}%", v * 100.0) } else { format!("{v:.4}") };
    for outcome in &results.outcomes {
        let role = if outcome.primary { "primary" } else if outcome.guardrail { "guardrail" } else { "reported" };
        let _ = writeln!(out, "\n{} ({role}, {})", outcome.outcome.name, if outcome.outcome.higher_is_better { "higher is better" } else { "lower is better" });
        if let Some(reason) = &outcome.unavailable {
            let _ = writeln!(out, "  cannot be measured: {reason}");
            continue;
        }
        for (arm, v) in results.arms.iter().zip(&outcome.arms) {
            let interval = v.interval.map_or(String::new(), |i| format!(" [{} to {}]", value(&outcome.outcome, i.low), value(&outcome.outcome, i.high)));
            let _ = writeln!(out, "  {:<24} n = {:>8}  {}{}", arm.label, v.n, v.mean.map_or("–".to_owned(), |m| value(&outcome.outcome, m)), interval);
        }
        if let Some(reduction) = outcome.variance_reduction {
            let _ = writeln!(out, "  CUPED: variance −{:.1}% (θ = {:.4})", reduction * 100.0, outcome.cuped_theta.unwrap_or_default());
        }
        for c in &outcome.comparisons {
            let label = results.arms.get(c.arm).map_or("?", |a| a.label.as_str());
            let d = c.adjusted_difference.or(c.difference).unwrap_or_default();
            let interval = c.adjusted_interval.or(c.interval).map_or(String::new(), |i| format!(" [{:+.4} to {:+.4}]", i.low, i.high));
            let _ = writeln!(
                out,
                "  {label} vs control: {:+.4}{interval}, relative {}, p = {}, Holm p = {}, always-valid p = {}, chance to beat {}",
                d,
                c.relative.map_or("–".to_owned(), |r| format!("{:+.1}%", r * 100.0)),
                c.p_value.map_or("–".to_owned(), |p| format!("{p:.4}")),
                c.holm_p_value.map_or("–".to_owned(), |p| format!("{p:.4}")),
                c.sequential_p_value.map_or("–".to_owned(), |p| format!("{p:.4}")),
                c.chance_to_beat.map_or("–".to_owned(), |p| format!("{:.1}%", p * 100.0)),
            );
        }
    }
    out
}
