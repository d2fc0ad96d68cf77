//! The campaign catalogue and the spend ledger. Campaigns move through one lifecycle
//! (`analytics::CampaignStatus`); each change needs its own capability, and the marketer
//! actions the spec tracks (created, launched, paused) are written to the event log in the
//! same transaction as the change.

use analytics::events::{BudgetReallocated, CampaignCreated, CampaignLaunched, CampaignPaused, Context, Event, PauseReason, Payload};
use analytics::{CampaignStatus, CampaignType, DeliveryChannel, EventSource, SegmentType};
use app::access::{Capability, Caller};
use app::wire::{Assignment, CampaignPatch, CampaignView, CreativeInput, CreativeStatus, CreativeView, CreativePatch, FieldError, NewCampaignRequest, ReallocationRequest, ReallocationResult, SpendEntry, SpendRequest, SpendResult};
use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait};
use uuid::Uuid;

use crate::entities::{campaigns, creatives, spend};
use crate::error::{AppError, Result};
use crate::ingest;
use crate::services::audit::{self, Audit};

/// Who is changing the catalogue: a person (checked against the role's capabilities) or a
/// producer's API key with the `catalogue` scope (may do everything except approve).
pub struct Actor {
    /// `None`: the product itself (a scheduled job acting on a rule someone switched on).
    caller: Option<Caller>,
    audit: Audit,
}

impl Actor {
    pub fn new(caller: Caller, audit: Audit) -> Actor {
        Actor { caller: Some(caller), audit }
    }

    /// The product acting on its own (e.g. shipping an experiment's winner automatically).
    pub fn system(audit: Audit) -> Actor {
        Actor { caller: None, audit }
    }

    /// The audit log's key, for entries written beside a change.
    pub fn audit_key(&self) -> &Audit {
        &self.audit
    }

    /// How the actor appears in the audit log: (who, role).
    pub fn who(&self) -> (String, String) {
        match &self.caller {
            None => ("system".to_owned(), "system".to_owned()),
            Some(Caller::User(p)) => (p.email.clone(), p.role.to_string()),
            Some(Caller::Key(k)) => (format!("key:{}", k.name), "api_key".to_owned()),
            Some(Caller::Anonymous) => ("anonymous".to_owned(), "none".to_owned()),
        }
    }

    /// Writes the audit entry of a change to a campaign inside its transaction, with the consent
    /// facts the campaign carries after it and, when measured, the share of its audience it may
    /// reach.
    #[allow(clippy::too_many_arguments)]
    async fn audit_campaign(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        action: &str,
        before: Option<&CampaignView>,
        after: &CampaignView,
        reason: Option<String>,
        audience: Option<&app::wire::AudienceConsent>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (actor, role) = self.who();
        let mut consent = serde_json::json!({
            "consent_method": after.consent_method,
            "has_opt_out_link": after.has_opt_out_link,
            "shares_data_with_third_parties": after.shares_data_with_third_parties,
            "target_regions": after.target_regions,
        });
        if let Some(audience) = audience {
            consent["audience"] = serde_json::json!({
                "audience": audience.audience,
                "eligible": audience.eligible,
                "eligible_share": audience.share,
                "threshold": audience.threshold,
                "launch_allowed": audience.launch_allowed,
                "summary": audience.summary,
            });
        }
        let entry = audit::Entry {
            actor,
            role,
            action: action.to_owned(),
            target: format!("campaign:{}", after.id),
            before: before.map(|b| serde_json::to_value(b).unwrap_or_default()),
            after: Some(serde_json::to_value(after).unwrap_or_default()),
            reason,
            consent_check: Some(consent),
        };
        audit::record(txn, &self.audit, entry, now).await.map(|_| ())
    }

    /// Writes the audit entry of a change to one creative: its campaign before and after.
    #[allow(clippy::too_many_arguments)]
    async fn audit_creative(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        action: &str,
        creative_id: Uuid,
        before: &CampaignView,
        after: &CampaignView,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (actor, role) = self.who();
        let entry = audit::Entry {
            actor,
            role,
            action: action.to_owned(),
            target: format!("creative:{creative_id}"),
            before: Some(serde_json::to_value(before).unwrap_or_default()),
            after: Some(serde_json::to_value(after).unwrap_or_default()),
            reason,
            consent_check: None,
        };
        audit::record(txn, &self.audit, entry, now).await.map(|_| ())
    }

    /// How the actor appears in the log: an account id, or `key:<name>`.
    pub fn label(&self) -> String {
        match &self.caller {
            None => "system".to_owned(),
            Some(Caller::User(p)) => p.account_id.to_string(),
            Some(Caller::Key(k)) => format!("key:{}", k.name),
            Some(Caller::Anonymous) => "anonymous".to_owned(),
        }
    }

    pub fn require(&self, capability: Capability) -> Result<()> {
        match &self.caller {
            Some(Caller::User(p)) if p.role.allows(capability) => Ok(()),
            Some(Caller::User(p)) => Err(AppError::Forbidden(format!("your role ({}) may not {}", p.role, capability.describe()))),
            // Approval is a person's decision, never a system's.
            None | Some(Caller::Key(_)) if capability == Capability::ApproveCampaigns => {
                Err(AppError::Forbidden("approve campaigns with an API key: approval needs a person".to_owned()))
            }
            None | Some(Caller::Key(_)) => Ok(()),
            Some(Caller::Anonymous) => Err(AppError::Unauthenticated),
        }
    }
}

/// PostgreSQL cannot store a NUL character in text.
const NUL_REASON: &str = "contains a NUL character (\\u0000), which cannot be stored";

pub(crate) fn field(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), reason: reason.into() }
}

fn join<T: Copy>(items: &[T], name: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|i| name(*i)).collect::<Vec<_>>().join(",")
}

fn split<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.split(',').filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect()
}

fn holdout_bp(percent: f64) -> i32 {
    (percent * 100.0).round() as i32
}

/// The rule for a piece of text people type (a name, a headline): 1 to `max` characters once
/// trimmed, and no NUL (which PostgreSQL cannot store).
pub(crate) fn check_text(field_name: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let len = value.trim().chars().count();
    if len == 0 || len > max {
        errors.push(field(field_name, format!("must be 1 to {max} characters")));
    } else if value.contains('\0') {
        errors.push(field(field_name, NUL_REASON));
    }
}

/// The rule for a change's reason (kept in the audit log), as a field error when it breaks it.
pub(crate) fn reason_problem(reason: Option<&str>) -> Option<FieldError> {
    reason.is_some_and(|r| r.contains('\0') || r.chars().count() > 2_000).then(|| field("reason", "must be at most 2,000 characters without NUL characters"))
}

/// A creative's copy rules; `at` names it in the errors (`creatives[0]`, `arms[1].new_creative`).
pub(crate) fn check_creative(at: &str, creative: &CreativeInput, errors: &mut Vec<FieldError>) {
    for (name, value, max) in [
        ("name", &creative.name, 200),
        ("headline", &creative.headline, 200),
        ("body", &creative.body, 5_000),
        ("call_to_action", &creative.call_to_action, 100),
    ] {
        check_text(&format!("{at}.{name}"), value, max, errors);
    }
}

/// The most deliveries per user per week a cap may allow.
pub const MAX_FREQUENCY_CAP: u32 = 50;

/// The rules shared by create and patch.
fn check_common(
    name: Option<&str>,
    budget_cents: Option<i64>,
    channels: Option<&[DeliveryChannel]>,
    regions: Option<&[String]>,
    holdout_percent: Option<f64>,
    window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    errors: &mut Vec<FieldError>,
) {
    if let Some(name) = name {
        check_text("name", name, 200, errors);
    }
    if budget_cents.is_some_and(|b| b < 0) {
        errors.push(field("budget_cents", "must be ≥ 0"));
    }
    if channels.is_some_and(|c| c.is_empty()) {
        errors.push(field("channels", "give at least one of push, email, sms, in_app"));
    }
    if let Some(regions) = regions {
        if regions.iter().any(|r| r.trim().is_empty() || r.len() > 32 || r.contains(',') || r.contains('\0')) {
            errors.push(field("target_regions", "each region is a code of 1 to 32 characters without commas, e.g. US-CA"));
        }
    }
    if holdout_percent.is_some_and(|h| !(0.0..=50.0).contains(&h) || !h.is_finite()) {
        errors.push(field("holdout_percent", "must be between 0 and 50"));
    }
    if let (Some(starts), Some(ends)) = window {
        if ends <= starts {
            errors.push(field("ends_at", "must be after starts_at"));
        }
    }
}

/// A marketer action as an event of the log.
pub(crate) fn marketer_event(actor: &Actor, now: DateTime<Utc>, payload: Payload) -> Event {
    Event {
        event_id: Uuid::new_v4(),
        occurred_at: now,
        user_id: actor.label(),
        session_id: None,
        source: EventSource::AdminPortal,
        context: Context::default(),
        payload,
        late_arrival: false,
        backfilled: false,
    }
}

pub async fn create(db: &DatabaseConnection, request: NewCampaignRequest, actor: &Actor, now: DateTime<Utc>) -> Result<CampaignView> {
    actor.require(Capability::CreateCampaigns)?;
    let mut errors = Vec::new();
    check_common(
        Some(&request.name),
        Some(request.budget_cents),
        Some(&request.channels),
        Some(&request.target_regions),
        request.holdout_percent,
        (request.starts_at, request.ends_at),
        &mut errors,
    );
    if request.creatives.is_empty() {
        errors.push(field("creatives", "give at least one creative (headline, body, call to action)"));
    }
    if request.frequency_cap_per_week.is_some_and(|cap| !(1..=MAX_FREQUENCY_CAP).contains(&cap)) {
        errors.push(field("frequency_cap_per_week", format!("must be 1 to {MAX_FREQUENCY_CAP} deliveries per user per week (leave it out for no cap)")));
    }
    for (i, creative) in request.creatives.iter().enumerate() {
        check_creative(&format!("creatives[{i}]"), creative, &mut errors);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut channels = request.channels.clone();
    channels.sort();
    channels.dedup();
    let id = request.id.unwrap_or_else(Uuid::new_v4);
    if campaigns::Entity::find_by_id(id).one(db).await?.is_some() {
        return Err(AppError::Conflict(format!("campaign {id} already exists")));
    }
    let txn = db.begin().await?;
    campaigns::ActiveModel {
        id: Set(id),
        name: Set(request.name.trim().to_owned()),
        campaign_type: Set(request.campaign_type.as_str().to_owned()),
        status: Set(CampaignStatus::Draft.as_str().to_owned()),
        budget_cents: Set(request.budget_cents),
        holdout_share_bp: Set(holdout_bp(request.holdout_percent.unwrap_or(10.0))),
        channels: Set(join(&channels, DeliveryChannel::as_str)),
        target_segments: Set(join(&request.target_segments, SegmentType::as_str)),
        target_regions: Set(request.target_regions.iter().map(|r| r.trim()).collect::<Vec<_>>().join(",")),
        consent_method: Set(request.consent_method.map(crate::services::consent::wire_name)),
        has_opt_out_link: Set(request.has_opt_out_link),
        shares_data_with_third_parties: Set(request.shares_data_with_third_parties),
        frequency_cap_per_week: Set(request.frequency_cap_per_week.map(|cap| cap as i32)),
        starts_at: Set(request.starts_at),
        ends_at: Set(request.ends_at),
        created_by: Set(actor.label()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for creative in &request.creatives {
        creatives::ActiveModel {
            id: Set(creative.id.unwrap_or_else(Uuid::new_v4)),
            campaign_id: Set(id),
            name: Set(creative.name.trim().to_owned()),
            headline: Set(creative.headline.trim().to_owned()),
            body: Set(creative.body.trim().to_owned()),
            call_to_action: Set(creative.call_to_action.trim().to_owned()),
            status: Set(CreativeStatus::Active.as_str().to_owned()),
            weight_percent: Set(100),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let created = Payload::CampaignCreated(CampaignCreated {
        campaign_id: id,
        marketer_id: actor.label(),
        campaign_type: request.campaign_type,
        target_segment_id: request.target_segments.first().copied(),
        initial_budget: request.budget_cents as f64 / 100.0,
        template_used: None,
        time_to_completion_minutes: None,
    });
    ingest::append(&txn, &marketer_event(actor, now, created), now).await?;
    let view = get(&txn, id).await?;
    actor.audit_campaign(&txn, "campaign.create", None, &view, None, None, now).await?;
    txn.commit().await?;
    Ok(view)
}

/// What moving from `from` to `to` requires of the actor.
fn transition_capability(from: CampaignStatus, to: CampaignStatus) -> Capability {
    use CampaignStatus::*;
    match (from, to) {
        (PendingApproval, Scheduled | Draft) => Capability::ApproveCampaigns,
        (_, Active | Paused | Completed) => Capability::PauseResumeCampaigns,
        _ => Capability::CreateCampaigns,
    }
}

/// What the caller measured for a change, which the catalogue (holding no metrics) cannot.
#[derive(Debug, Default)]
pub struct Measured {
    /// What the campaign did lately, kept in a pause's `pause_metrics_snapshot` beside the reason.
    pub figures: Option<serde_json::Value>,
    /// How much of its audience it may reach: shown in the audit entry of a submission, approval
    /// or launch, and launch is refused below the threshold.
    pub audience: Option<app::wire::AudienceConsent>,
}

/// Changes a campaign.
pub async fn patch(db: &DatabaseConnection, id: Uuid, patch: CampaignPatch, actor: &Actor, now: DateTime<Utc>, measured: Measured) -> Result<CampaignView> {
    let txn = db.begin().await?;
    // Refusals end the transaction at once rather than leaving a lazy rollback to the pool.
    match apply_patch(&txn, id, patch, actor, now, measured).await {
        Ok(()) => txn.commit().await?,
        Err(err) => {
            let _ = txn.rollback().await;
            return Err(err);
        }
    }
    get(db, id).await
}

async fn apply_patch(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
    patch: CampaignPatch,
    actor: &Actor,
    now: DateTime<Utc>,
    measured: Measured,
) -> Result<()> {
    let Measured { figures, audience } = measured;
    let model = campaigns::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| AppError::NotFound(format!("campaign {id}")))?;
    let before = get(txn, id).await?;
    let current: CampaignStatus = model
        .status
        .parse()
        .map_err(|e: analytics::UnknownName| AppError::Internal(anyhow::anyhow!("campaign {id}: {e}")))?;

    // Every kind of change needs its own capability.
    let edits_fields = patch.name.is_some()
        || patch.channels.is_some()
        || patch.target_segments.is_some()
        || patch.target_regions.is_some()
        || patch.starts_at.is_some()
        || patch.ends_at.is_some()
        || patch.holdout_percent.is_some()
        || patch.consent_method.is_some()
        || patch.has_opt_out_link.is_some()
        || patch.shares_data_with_third_parties.is_some()
        || patch.frequency_cap_per_week.is_some();
    if edits_fields {
        actor.require(Capability::CreateCampaigns)?;
    }
    if patch.budget_cents.is_some() {
        actor.require(Capability::ChangeBudgets)?;
    }
    if let Some(to) = patch.status {
        if to != current {
            if !current.can_move_to(to) {
                let allowed: Vec<&str> = current.next().iter().map(|s| s.as_str()).collect();
                let allowed = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
                return Err(AppError::Conflict(format!(
                    "a campaign cannot move from {current} to {to}; from {current} it may move to: {allowed}"
                )));
            }
            actor.require(transition_capability(current, to))?;
        }
    }
    // Going live (a launch or a resume), or changing the targeting of a live campaign, needs
    // enough of the (new) audience to be reachable under the consent rules: a campaign retargeted
    // while paused is judged when it resumes.
    let after_status = patch.status.unwrap_or(current);
    let going_live = current != CampaignStatus::Active && after_status == CampaignStatus::Active;
    let retargeting_live = after_status == CampaignStatus::Active
        && (patch.channels.is_some() || patch.target_segments.is_some() || patch.target_regions.is_some());
    if going_live || retargeting_live {
        if let Some(audience) = audience.as_ref().filter(|a| !a.launch_allowed) {
            let what = match current {
                CampaignStatus::Scheduled => "launch",
                CampaignStatus::Paused => "resume",
                _ => "run with this targeting",
            };
            return Err(AppError::Conflict(format!("the campaign cannot {what}: {}", audience.summary)));
        }
    }

    let mut errors = Vec::new();
    check_common(
        patch.name.as_deref(),
        patch.budget_cents,
        patch.channels.as_deref(),
        patch.target_regions.as_deref(),
        patch.holdout_percent,
        (patch.starts_at.or(model.starts_at), patch.ends_at.or(model.ends_at)),
        &mut errors,
    );
    errors.extend(reason_problem(patch.reason.as_deref()));
    if patch.frequency_cap_per_week.is_some_and(|cap| cap > MAX_FREQUENCY_CAP) {
        errors.push(field("frequency_cap_per_week", format!("must be 1 to {MAX_FREQUENCY_CAP} deliveries per user per week, or 0 to remove the cap")));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    let started_at = model.starts_at;
    let created_at = model.created_at;
    let mut active: campaigns::ActiveModel = model.into();
    if let Some(name) = &patch.name {
        active.name = Set(name.trim().to_owned());
    }
    if let Some(budget) = patch.budget_cents {
        active.budget_cents = Set(budget);
    }
    if let Some(channels) = &patch.channels {
        let mut channels = channels.clone();
        channels.sort();
        channels.dedup();
        active.channels = Set(join(&channels, DeliveryChannel::as_str));
    }
    if let Some(segments) = &patch.target_segments {
        active.target_segments = Set(join(segments, SegmentType::as_str));
    }
    if let Some(regions) = &patch.target_regions {
        active.target_regions = Set(regions.iter().map(|r| r.trim()).collect::<Vec<_>>().join(","));
    }
    if let Some(starts) = patch.starts_at {
        active.starts_at = Set(Some(starts));
    }
    if let Some(ends) = patch.ends_at {
        active.ends_at = Set(Some(ends));
    }
    if let Some(holdout) = patch.holdout_percent {
        active.holdout_share_bp = Set(holdout_bp(holdout));
    }
    if let Some(method) = patch.consent_method {
        active.consent_method = Set(Some(crate::services::consent::wire_name(method)));
    }
    if let Some(flag) = patch.has_opt_out_link {
        active.has_opt_out_link = Set(flag);
    }
    if let Some(flag) = patch.shares_data_with_third_parties {
        active.shares_data_with_third_parties = Set(flag);
    }
    if let Some(cap) = patch.frequency_cap_per_week {
        active.frequency_cap_per_week = Set((cap > 0).then_some(cap as i32));
    }
    if let Some(to) = patch.status.filter(|to| *to != current) {
        active.status = Set(to.as_str().to_owned());
        let budget = patch.budget_cents.map(|b| b as f64 / 100.0);
        let action = match to {
            CampaignStatus::Active if current == CampaignStatus::Scheduled => Some(Payload::CampaignLaunched(CampaignLaunched {
                campaign_id: id,
                marketer_id: actor.label(),
                actual_audience_size: None,
                scheduled_delivery_time: started_at,
                budget_approved: budget,
                ai_recommendation_applied: Some(false),
                ai_recommendation_score: None,
            })),
            CampaignStatus::Paused => Some(Payload::CampaignPaused(CampaignPaused {
                campaign_id: id,
                marketer_id: actor.label(),
                pause_reason: patch.pause_reason.unwrap_or(PauseReason::Manual),
                time_to_pause_hours: Some((now - started_at.unwrap_or(created_at)).num_hours().max(0)),
                pause_metrics_snapshot: pause_snapshot(patch.reason.as_deref(), figures.clone()),
            })),
            _ => None,
        };
        if let Some(action) = action {
            ingest::append(txn, &marketer_event(actor, now, action), now).await?;
        }
    }
    active.updated_at = Set(now);
    active.update(txn).await?;
    // One entry per change, named by what changed most: the status, else the budget, else fields.
    let action = match (patch.status.filter(|to| *to != current), patch.budget_cents) {
        (Some(to), _) => format!("campaign.{}", match to {
            CampaignStatus::PendingApproval => "submit",
            CampaignStatus::Scheduled => "approve",
            CampaignStatus::Draft => "return_to_draft",
            CampaignStatus::Active if current == CampaignStatus::Paused => "resume",
            CampaignStatus::Active => "launch",
            CampaignStatus::Paused => "pause",
            CampaignStatus::Completed => "complete",
            CampaignStatus::Archived => "archive",
        }),
        (None, Some(_)) => "campaign.budget_change".to_owned(),
        (None, None) => "campaign.edit".to_owned(),
    };
    let after = get(txn, id).await?;
    actor.audit_campaign(txn, &action, Some(&before), &after, patch.reason.clone(), audience.as_ref(), now).await?;
    Ok(())
}

/// A pause's snapshot: the reason and the campaign's recent figures, whichever are known.
fn pause_snapshot(reason: Option<&str>, figures: Option<serde_json::Value>) -> Option<serde_json::Value> {
    let mut snapshot = match figures {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if let Some(reason) = reason {
        snapshot.insert("reason".to_owned(), serde_json::Value::String(reason.to_owned()));
    }
    (!snapshot.is_empty()).then_some(serde_json::Value::Object(snapshot))
}

/// A stored creative's status (the column's check constraint allows only the two names).
pub fn creative_status(model: &creatives::Model) -> CreativeStatus {
    model.status.parse().unwrap_or(CreativeStatus::Active)
}

/// The lightest and heaviest weight a creative may have (percent of a normal share).
pub const CREATIVE_WEIGHTS: std::ops::RangeInclusive<u32> = 10..=1_000;

/// Changes one creative (Module 5): pauses or resumes it (the capability of pausing a campaign)
/// or sets its weight, its share of the treatment users (Boost; the capability of changing
/// budgets). Audited with its campaign before and after; paused creatives are never assigned.
/// Returns the campaign as it now stands.
pub async fn change_creative(db: &DatabaseConnection, id: Uuid, patch: CreativePatch, actor: &Actor, now: DateTime<Utc>) -> Result<CampaignView> {
    if patch.status.is_none() && patch.weight_percent.is_none() {
        return Err(AppError::Validation(vec![field("status", "give a status (active or paused) or a weight_percent")]));
    }
    if patch.status.is_some() {
        actor.require(Capability::PauseResumeCampaigns)?;
    }
    if patch.weight_percent.is_some() {
        actor.require(Capability::ChangeBudgets)?;
    }
    let mut errors = Vec::new();
    if patch.weight_percent.is_some_and(|w| !CREATIVE_WEIGHTS.contains(&w)) {
        errors.push(field("weight_percent", format!("must be {} to {} (percent of a normal share)", CREATIVE_WEIGHTS.start(), CREATIVE_WEIGHTS.end())));
    }
    errors.extend(reason_problem(patch.reason.as_deref()));
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // A running test decides who gets its arms; pausing or re-weighting one would break its split.
    if let Some(test) = crate::services::experiments::running_with_creative(db, id).await? {
        return Err(AppError::Conflict(format!("this creative is an arm of running experiment '{}' ({}): stop or ship the test first", test.name, test.id)));
    }
    let txn = db.begin().await?;
    let result = async {
        let model = creatives::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::NotFound(format!("creative {id}")))?;
        let campaign_id = model.campaign_id;
        let status = patch.status.filter(|s| *s != creative_status(&model));
        let weight = patch.weight_percent.filter(|w| i64::from(*w) != i64::from(model.weight_percent));
        if status.is_none() && weight.is_none() {
            return Ok(campaign_id);
        }
        let before = get(&txn, campaign_id).await?;
        let mut active: creatives::ActiveModel = model.into();
        if let Some(status) = status {
            active.status = Set(status.as_str().to_owned());
        }
        if let Some(weight) = weight {
            active.weight_percent = Set(weight as i32);
        }
        active.update(&txn).await?;
        campaigns::ActiveModel { id: Set(campaign_id), updated_at: Set(now), ..Default::default() }.update(&txn).await?;
        let after = get(&txn, campaign_id).await?;
        let action = match status {
            Some(CreativeStatus::Paused) => "creative.pause",
            Some(CreativeStatus::Active) => "creative.resume",
            None => "creative.weight",
        };
        actor.audit_creative(&txn, action, id, &before, &after, patch.reason.clone(), now).await?;
        Ok(campaign_id)
    }
    .await;
    match result {
        Ok(campaign_id) => {
            txn.commit().await?;
            get(db, campaign_id).await
        }
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<CampaignView> {
    let model = campaigns::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("campaign {id}")))?;
    let creatives = creatives::Entity::find()
        .filter(creatives::Column::CampaignId.eq(id))
        .order_by_asc(creatives::Column::CreatedAt)
        .order_by_asc(creatives::Column::Name)
        .all(db)
        .await?;
    view_of(model, creatives)
}

/// Every campaign of the catalogue, oldest first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<CampaignView>> {
    let models = campaigns::Entity::find().order_by_asc(campaigns::Column::CreatedAt).all(db).await?;
    let mut creatives_of: std::collections::HashMap<Uuid, Vec<creatives::Model>> = std::collections::HashMap::new();
    let all = creatives::Entity::find().order_by_asc(creatives::Column::CreatedAt).order_by_asc(creatives::Column::Name).all(db).await?;
    for creative in all {
        creatives_of.entry(creative.campaign_id).or_default().push(creative);
    }
    models.into_iter().map(|m| { let c = creatives_of.remove(&m.id).unwrap_or_default(); view_of(m, c) }).collect()
}

fn view_of(model: campaigns::Model, creatives: Vec<creatives::Model>) -> Result<CampaignView> {
    let id = model.id;
    let status: CampaignStatus = model.status.parse().map_err(|e: analytics::UnknownName| AppError::Internal(e.into()))?;
    let campaign_type: CampaignType = model.campaign_type.parse().map_err(|e: analytics::UnknownName| AppError::Internal(e.into()))?;
    Ok(CampaignView {
        id,
        name: model.name,
        campaign_type,
        status,
        next_statuses: status.next().to_vec(),
        channels: split(&model.channels),
        target_segments: split(&model.target_segments),
        target_regions: model.target_regions.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        budget_cents: model.budget_cents,
        holdout_percent: f64::from(model.holdout_share_bp) / 100.0,
        starts_at: model.starts_at,
        ends_at: model.ends_at,
        consent_method: model.consent_method.as_deref().and_then(crate::services::consent::from_wire_name),
        has_opt_out_link: model.has_opt_out_link,
        shares_data_with_third_parties: model.shares_data_with_third_parties,
        frequency_cap_per_week: model.frequency_cap_per_week.map(|cap| cap as u32),
        creatives: creatives
            .into_iter()
            .map(|c| CreativeView { status: creative_status(&c), weight_percent: c.weight_percent.max(0) as u32, id: c.id, name: c.name, headline: c.headline, body: c.body, call_to_action: c.call_to_action })
            .collect(),
        created_by: model.created_by,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Moves budget from one campaign to another in one transaction and logs `budget_reallocated`.
pub async fn reallocate(db: &DatabaseConnection, request: ReallocationRequest, actor: &Actor, now: DateTime<Utc>) -> Result<ReallocationResult> {
    actor.require(Capability::ChangeBudgets)?;
    let mut errors = Vec::new();
    if request.from_campaign_id == request.to_campaign_id {
        errors.push(field("to_campaign_id", "must be another campaign than from_campaign_id"));
    }
    if request.amount_cents <= 0 {
        errors.push(field("amount_cents", "must be more than 0"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = db.begin().await?;
    let result = async {
        let find = |id: Uuid| campaigns::Entity::find_by_id(id).one(&txn);
        let from = find(request.from_campaign_id).await?.ok_or_else(|| AppError::NotFound(format!("campaign {}", request.from_campaign_id)))?;
        let to = find(request.to_campaign_id).await?.ok_or_else(|| AppError::NotFound(format!("campaign {}", request.to_campaign_id)))?;
        if request.amount_cents > from.budget_cents {
            return Err(AppError::Validation(vec![field(
                "amount_cents",
                format!("is more than the budget of campaign {} ({} cents)", from.id, from.budget_cents),
            )]));
        }
        let (from_budget, to_budget) = (from.budget_cents - request.amount_cents, to.budget_cents + request.amount_cents);
        let mut giving: campaigns::ActiveModel = from.into();
        giving.budget_cents = Set(from_budget);
        giving.updated_at = Set(now);
        giving.update(&txn).await?;
        let mut receiving: campaigns::ActiveModel = to.into();
        receiving.budget_cents = Set(to_budget);
        receiving.updated_at = Set(now);
        receiving.update(&txn).await?;
        let reallocation_id = Uuid::new_v4();
        let moved = Payload::BudgetReallocated(BudgetReallocated {
            reallocation_id,
            marketer_id: actor.label(),
            from_campaign_id: request.from_campaign_id,
            to_campaign_id: request.to_campaign_id,
            amount: request.amount_cents as f64 / 100.0,
            reallocation_reason: request.reason,
            ai_recommendation_id: request.recommendation_id,
        });
        ingest::append(&txn, &marketer_event(actor, now, moved), now).await?;
        // A move a recommendation made names it first, as its other changes do.
        let by = request.recommendation_id.map(|id| format!("Recommendation {id}: ")).unwrap_or_default();
        let reason = Some(format!("{by}reallocation {reallocation_id}: {} cents from {} ({:?})", request.amount_cents, request.from_campaign_id, request.reason));
        let (from_view, to_view) = (get(&txn, request.from_campaign_id).await?, get(&txn, request.to_campaign_id).await?);
        for (view, old_budget) in [(&from_view, from_budget + request.amount_cents), (&to_view, to_budget - request.amount_cents)] {
            let before = CampaignView { budget_cents: old_budget, ..view.clone() };
            actor.audit_campaign(&txn, "campaign.budget_reallocate", Some(&before), view, reason.clone(), None, now).await?;
        }
        Ok(reallocation_id)
    }
    .await;
    match result {
        Ok(reallocation_id) => {
            txn.commit().await?;
            Ok(ReallocationResult { reallocation_id, from: get(db, request.from_campaign_id).await?, to: get(db, request.to_campaign_id).await? })
        }
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

/// Which group the pinned holdout hash puts a user in for a campaign.
pub async fn assignment(db: &DatabaseConnection, id: Uuid, request: AssignmentRequest<'_>, now: DateTime<Utc>) -> Result<Assignment> {
    let AssignmentRequest { user_id, channel, region } = request;
    if user_id.trim().is_empty() || user_id.len() > 100 {
        return Err(AppError::Validation(vec![field("user_id", "give the user id (1 to 100 characters)")]));
    }
    let channel = match channel.map(str::trim).filter(|c| !c.is_empty()) {
        Some(name) => Some(name.parse::<DeliveryChannel>().map_err(|err| AppError::Validation(vec![field("channel", &err.to_string())]))?),
        None => None,
    };
    let region = region.map(str::trim).filter(|r| !r.is_empty());
    let campaign = campaigns::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("campaign {id}")))?;
    let view = get(db, id).await?;
    let channel = match channel {
        Some(channel) => channel,
        None => *view.channels.first().ok_or_else(|| AppError::Validation(vec![field("channel", "the campaign has no channel; say which one")]))?,
    };
    let (regime, verdict) = crate::services::consent::check(db, user_id, channel, region, now).await?;
    let share = f64::from(campaign.holdout_share_bp) / 10_000.0;
    let position = analytics::holdout::position(id, user_id);
    let deliverable: Vec<CreativeView> = view.creatives.into_iter().filter(|c| c.status == CreativeStatus::Active).collect();
    let weights: Vec<u32> = deliverable.iter().map(|c| c.weight_percent).collect();
    let mut creative_id = analytics::holdout::creative_slot(position, share, &weights).map(|slot| deliverable[slot].id).filter(|_| verdict.eligible);
    let mut group = if !verdict.eligible {
        "ineligible"
    } else if position < share {
        "holdout"
    } else {
        "treatment"
    };
    // A running experiment takes the campaign's treatment users: its pinned hash picks the arm.
    let mut experiment = None;
    if group == "treatment" {
        if let Some((test, _, arm)) = crate::services::experiments::arm_for_user(db, id, user_id).await? {
            match (arm.creative_id, arm.campaign_id) {
                (Some(creative), _) => creative_id = deliverable.iter().any(|c| c.id == creative).then_some(creative),
                (None, Some(campaign)) if campaign != id => {
                    group = "other_arm";
                    creative_id = None;
                }
                _ => {}
            }
            experiment = Some((test.id, arm.label));
        }
    }
    Ok(Assignment {
        creative_id,
        campaign_id: id,
        user_id: user_id.to_owned(),
        group: group.to_owned(),
        channel,
        eligible: verdict.eligible,
        eligibility: verdict.reason,
        regime: regime.map(|r| r.name),
        position,
        holdout_percent: share * 100.0,
        experiment_id: experiment.as_ref().map(|(id, _)| *id),
        experiment_arm: experiment.map(|(_, label)| label),
    })
}

/// What a sender asks `GET /api/v1/campaigns/{id}/assignment`: the user, and optionally the
/// channel and the user's region (else the region their consent facts name).
pub struct AssignmentRequest<'a> {
    pub user_id: &'a str,
    pub channel: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// Records spend lines, all or nothing: every line must name a known campaign, a whole day or
/// hour, and an amount ≥ 0.
pub async fn record_spend(db: &DatabaseConnection, request: SpendRequest, actor: &Actor, now: DateTime<Utc>) -> Result<SpendResult> {
    actor.require(Capability::ChangeBudgets)?;
    if request.entries.is_empty() || request.entries.len() > 10_000 {
        return Err(AppError::Validation(vec![field("entries", "give 1 to 10,000 spend lines")]));
    }
    let errors: Vec<FieldError> = check_spend(db, &request.entries, now)
        .await?
        .into_iter()
        .map(|(i, name, reason)| field(&format!("entries[{i}].{name}"), reason))
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (who, role) = actor.who();
    insert_spend(db, &request.entries, &actor.audit, (&who, &role), now).await
}

/// The spend ledger's rules, shared by `POST /api/v1/spend` and `swipesavvy import-spend`:
/// each problem as (the entry's index, its field, the reason).
pub async fn check_spend(db: &impl ConnectionTrait, entries: &[SpendEntry], now: DateTime<Utc>) -> Result<Vec<(usize, &'static str, String)>> {
    let mut errors = Vec::new();
    let ids: Vec<Uuid> = entries.iter().map(|e| e.campaign_id).collect::<std::collections::HashSet<_>>().into_iter().collect();
    let mut known = std::collections::HashSet::new();
    // Chunks keep the `IN (…)` list under SQLite's bound-parameter limit.
    for chunk in ids.chunks(500) {
        let found: Vec<Uuid> = campaigns::Entity::find()
            .select_only()
            .column(campaigns::Column::Id)
            .filter(campaigns::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(found);
    }
    for (i, entry) in entries.iter().enumerate() {
        if !known.contains(&entry.campaign_id) {
            errors.push((i, "campaign_id", format!("unknown campaign {}", entry.campaign_id)));
        }
        if entry.amount_cents < 0 {
            errors.push((i, "amount_cents", "must be ≥ 0".to_owned()));
        }
        let t = entry.period_start;
        let whole = match entry.granularity.as_str() {
            "hour" => t.minute() == 0 && t.second() == 0 && t.nanosecond() == 0,
            "day" => t.hour() == 0 && t.minute() == 0 && t.second() == 0 && t.nanosecond() == 0,
            _ => {
                errors.push((i, "granularity", "must be day or hour".to_owned()));
                true
            }
        };
        if !whole {
            errors.push((i, "period_start", format!("must be the start of a whole {} (UTC)", entry.granularity)));
        }
        if t > now + Duration::days(1) {
            errors.push((i, "period_start", "is in the future".to_owned()));
        }
    }
    Ok(errors)
}

/// Writes checked spend lines in one transaction, as recorded by `who` (who, role), with their
/// audit entry.
pub async fn insert_spend(db: &DatabaseConnection, entries: &[SpendEntry], audit: &Audit, who: (&str, &str), now: DateTime<Utc>) -> Result<SpendResult> {
    let recorded_by = who.0;
    let txn = db.begin().await?;
    let mut total = 0;
    for entry in entries {
        spend::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            campaign_id: Set(entry.campaign_id),
            channel: Set(entry.channel.as_str().to_owned()),
            period_start: Set(entry.period_start),
            granularity: Set(entry.granularity.clone()),
            amount_cents: Set(entry.amount_cents),
            recorded_by: Set(recorded_by.to_owned()),
            recorded_at: Set(now),
        }
        .insert(&txn)
        .await?;
        total += entry.amount_cents;
    }
    let campaigns: std::collections::BTreeSet<Uuid> = entries.iter().map(|e| e.campaign_id).collect();
    let entry = audit::Entry {
        actor: who.0.to_owned(),
        role: who.1.to_owned(),
        action: "spend.record".to_owned(),
        target: campaigns.iter().map(|c| format!("campaign:{c}")).collect::<Vec<_>>().join(","),
        after: Some(serde_json::json!({ "lines": entries.len(), "total_cents": total })),
        ..audit::Entry::default()
    };
    audit::record(&txn, audit, entry, now).await?;
    txn.commit().await?;
    Ok(SpendResult { recorded: entries.len(), total_cents: total })
}
