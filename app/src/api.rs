//! Server functions: called directly while rendering on the server, over HTTP from the browser.
//! Each one only validates its input and delegates to the server's [`crate::backend::Backend`].
//! Each declares its access in [`SERVER_FN_ACCESS`]; the server refuses to start if one does not.

use leptos::prelude::*;
use leptos::server;

use crate::access::{Access, Capability, Me, Module};
use crate::wire::{EventVolume, HealthReport, LatencySample};

/// The longest window the event-volume chart may ask for: 30 days of hours.
pub const MAX_VOLUME_HOURS: u32 = 720;

/// Where server functions are mounted.
pub const PREFIX: &str = "/api/fn";

/// The access each server function requires, by its path. Checked by the request pipeline.
pub const SERVER_FN_ACCESS: &[(&str, Access)] = &[
    ("/api/fn/load_me", Access::SignedIn),
    ("/api/fn/load_health", Access::Requires(Capability::View(Module::SystemHealth))),
    ("/api/fn/load_database_latency", Access::Requires(Capability::View(Module::SystemHealth))),
    ("/api/fn/load_system_status", Access::Requires(Capability::View(Module::SystemHealth))),
    ("/api/fn/load_compliance", Access::Requires(Capability::View(Module::ComplianceAudit))),
    ("/api/fn/load_audience_consent", Access::Requires(Capability::View(Module::CampaignDetail))),
    ("/api/fn/log_export", Access::Requires(Capability::Export)),
    ("/api/fn/load_consent_trail", Access::Requires(Capability::ViewUserRows)),
    ("/api/fn/load_privacy_query", Access::Requires(Capability::View(Module::ComplianceAudit))),
    ("/api/fn/load_event_volume", Access::Requires(Capability::View(Module::KpiCards))),
    ("/api/fn/load_kpis", Access::Requires(Capability::View(Module::KpiCards))),
    ("/api/fn/load_leaderboard", Access::Requires(Capability::View(Module::Leaderboard))),
    ("/api/fn/load_segments", Access::Requires(Capability::View(Module::Segments))),
    ("/api/fn/load_campaign", Access::Requires(Capability::View(Module::CampaignDetail))),
    ("/api/fn/load_funnel", Access::Requires(Capability::View(Module::Funnel))),
    ("/api/fn/load_heatmap", Access::Requires(Capability::View(Module::Heatmap))),
    ("/api/fn/load_roi", Access::Requires(Capability::View(Module::RoiDeepDive))),
    ("/api/fn/load_attribution", Access::Requires(Capability::View(Module::RoiDeepDive))),
    // Pausing needs the pause capability, a new weight the budget one; the catalogue checks each.
    ("/api/fn/change_creative", Access::Requires(Capability::View(Module::Creatives))),
    ("/api/fn/pause_low_creatives", Access::Requires(Capability::PauseResumeCampaigns)),
    ("/api/fn/boost_top_creatives", Access::Requires(Capability::ChangeBudgets)),
    ("/api/fn/create_campaign", Access::Requires(Capability::CreateCampaigns)),
    // Everyone who may see a campaign may ask for a change; the catalogue checks each change
    // against its own capability (status transition, budget), as the PATCH API does.
    ("/api/fn/change_campaign", Access::Requires(Capability::View(Module::CampaignDetail))),
    ("/api/fn/load_experiments", Access::Requires(Capability::View(Module::Creatives))),
    ("/api/fn/load_experiment", Access::Requires(Capability::View(Module::Creatives))),
    ("/api/fn/load_experiment_plan", Access::Requires(Capability::View(Module::Creatives))),
    ("/api/fn/create_experiment", Access::Requires(Capability::RunExperiments)),
    ("/api/fn/extend_experiment", Access::Requires(Capability::RunExperiments)),
    ("/api/fn/decide_experiment", Access::Requires(Capability::RunExperiments)),
    // The Action Center: seeing needs the module; acting is checked per type by the service.
    ("/api/fn/load_recommendations", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/api/fn/load_recommendation", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/api/fn/load_recommendation_outcomes", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/api/fn/load_alerts", Access::Requires(Capability::View(Module::SystemHealth))),
    ("/api/fn/load_compliance_alerts", Access::Requires(Capability::View(Module::ComplianceAudit))),
    // Anyone sets rules; acknowledging checks Module 9 in the backend, deleting the rule's author.
    ("/api/fn/load_alert_rules", Access::SignedIn),
    ("/api/fn/change_alert", Access::SignedIn),
    // Anyone schedules reports; the service checks the report's own right and the owner.
    ("/api/fn/load_report_schedules", Access::SignedIn),
    ("/api/fn/change_report_schedule", Access::SignedIn),
    ("/api/fn/refresh_recommendations", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/api/fn/act_on_recommendation", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/api/fn/load_admin", Access::Requires(Capability::ManageUsers)),
    ("/api/fn/create_account", Access::Requires(Capability::ManageUsers)),
    ("/api/fn/set_account_role", Access::Requires(Capability::ManageUsers)),
    ("/api/fn/set_account_disabled", Access::Requires(Capability::ManageUsers)),
    ("/api/fn/revoke_session", Access::Requires(Capability::ManageUsers)),
    ("/api/fn/create_api_key", Access::Requires(Capability::ManageKeys)),
    ("/api/fn/revoke_api_key", Access::Requires(Capability::ManageKeys)),
    // Everyone manages their own tokens; the backend checks ownership (admins may revoke any).
    ("/api/fn/load_my_tokens", Access::SignedIn),
    ("/api/fn/create_token", Access::SignedIn),
    ("/api/fn/revoke_token", Access::SignedIn),
];

/// Who is signed in (pages ask for it to show the person and their navigation).
#[server(prefix = "/api/fn", endpoint = "load_me")]
pub async fn load_me() -> Result<Option<Me>, ServerFnError> {
    crate::backend::authorize("load_me")?;
    Ok(crate::backend::caller().principal().map(Me::of))
}

#[server(prefix = "/api/fn", endpoint = "load_health")]
pub async fn load_health() -> Result<HealthReport, ServerFnError> {
    crate::backend::authorize("load_health")?;
    Ok(crate::backend::backend()?.health().await)
}

#[server(prefix = "/api/fn", endpoint = "load_database_latency")]
pub async fn load_database_latency() -> Result<Vec<LatencySample>, ServerFnError> {
    crate::backend::authorize("load_database_latency")?;
    Ok(crate::backend::backend()?.database_latency().await)
}

/// Module 9: data arrival, the API's own latency and errors, system metrics, quality, alerts.
#[server(prefix = "/api/fn", endpoint = "load_system_status")]
pub async fn load_system_status() -> Result<crate::wire::SystemStatus, ServerFnError> {
    crate::backend::authorize("load_system_status")?;
    crate::backend::backend()?.system_status().await
}

/// Module 11's page: the scan, consent dashboard, retention, a page of the audit log and the
/// chain's verification, for the page's query string.
#[server(prefix = "/api/fn", endpoint = "load_compliance")]
pub async fn load_compliance(query: String) -> Result<crate::wire::ComplianceOverview, ServerFnError> {
    crate::backend::authorize("load_compliance")?;
    crate::backend::backend()?.compliance_overview(query).await
}

/// How much of a campaign's audience it may reach under the consent rules (shown at approval;
/// launch is refused below the threshold).
#[server(prefix = "/api/fn", endpoint = "load_audience_consent")]
pub async fn load_audience_consent(campaign_id: uuid::Uuid) -> Result<crate::wire::AudienceConsent, ServerFnError> {
    crate::backend::authorize("load_audience_consent")?;
    crate::backend::backend()?.audience_consent(campaign_id).await
}

/// Reports a table downloaded from the page (built in the browser) so it is logged like any
/// export: `name` is the file's name without `.csv`, `query` the page's query string.
#[server(prefix = "/api/fn", endpoint = "log_export")]
pub async fn log_export(name: String, query: String, rows: u64) -> Result<(), ServerFnError> {
    crate::backend::authorize("log_export")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.log_export(&actor, name, query, rows).await
}

/// A user's consent trail (`user_id=…` or `email=…`); the read is logged.
#[server(prefix = "/api/fn", endpoint = "load_consent_trail")]
pub async fn load_consent_trail(query: String) -> Result<crate::wire::ConsentTrail, ServerFnError> {
    crate::backend::authorize("load_consent_trail")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.consent_trail(&actor, query).await
}

/// The privacy query: campaigns that targeted a segment, region or channel in a period.
#[server(prefix = "/api/fn", endpoint = "load_privacy_query")]
pub async fn load_privacy_query(query: String) -> Result<crate::wire::PrivacyQueryResult, ServerFnError> {
    crate::backend::authorize("load_privacy_query")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.privacy_query(&actor, query).await
}

#[server(prefix = "/api/fn", endpoint = "load_event_volume")]
pub async fn load_event_volume(hours: u32) -> Result<EventVolume, ServerFnError> {
    crate::backend::authorize("load_event_volume")?;
    if hours == 0 || hours > MAX_VOLUME_HOURS {
        return Err(ServerFnError::new(format!(
            "hours must be between 1 and {MAX_VOLUME_HOURS}, got {hours}"
        )));
    }
    crate::backend::backend()?.event_volume(hours).await
}

// ----- dashboard modules -----

/// The executive KPI cards for the page's filters (`query`: `range=30d&segment=…`, the metrics
/// API's parameters, checked by the server as the API checks them).
#[server(prefix = "/api/fn", endpoint = "load_kpis")]
pub async fn load_kpis(query: String) -> Result<crate::wire::KpiBoard, ServerFnError> {
    crate::backend::authorize("load_kpis")?;
    crate::backend::backend()?.kpi_board(query).await
}

/// One page of the campaign leaderboard for the page's filters, sorting and paging.
#[server(prefix = "/api/fn", endpoint = "load_leaderboard")]
pub async fn load_leaderboard(query: String) -> Result<crate::wire::TablePage<crate::wire::LeaderboardRow>, ServerFnError> {
    crate::backend::authorize("load_leaderboard")?;
    crate::backend::backend()?.leaderboard(query).await
}

/// Module 3: the segments' figures for the page's filters.
#[server(prefix = "/api/fn", endpoint = "load_segments")]
pub async fn load_segments(query: String) -> Result<crate::wire::SegmentsResponse, ServerFnError> {
    crate::backend::authorize("load_segments")?;
    crate::backend::backend()?.segments(query).await
}

/// Modules 4 and 5: one campaign's figures, series and creatives for the page's filters.
#[server(prefix = "/api/fn", endpoint = "load_campaign")]
pub async fn load_campaign(campaign_id: uuid::Uuid, query: String) -> Result<crate::wire::CampaignPerformanceResponse, ServerFnError> {
    crate::backend::authorize("load_campaign")?;
    crate::backend::backend()?.campaign_performance(campaign_id, query).await
}

/// Module 6: the funnel, with `compare=segment:…,campaign:…` when the page compares.
#[server(prefix = "/api/fn", endpoint = "load_funnel")]
pub async fn load_funnel(query: String) -> Result<crate::wire::FunnelResponse, ServerFnError> {
    crate::backend::authorize("load_funnel")?;
    crate::backend::backend()?.funnel(query).await
}

/// Module 7: the engagement heatmap.
#[server(prefix = "/api/fn", endpoint = "load_heatmap")]
pub async fn load_heatmap(query: String) -> Result<crate::wire::HeatmapResponse, ServerFnError> {
    crate::backend::authorize("load_heatmap")?;
    crate::backend::backend()?.heatmap(query).await
}

/// Module 8: treatment vs holdout per campaign.
#[server(prefix = "/api/fn", endpoint = "load_roi")]
pub async fn load_roi(query: String) -> Result<crate::wire::RoiResponse, ServerFnError> {
    crate::backend::authorize("load_roi")?;
    crate::backend::backend()?.roi(query).await
}

/// Module 8: credit by attribution model.
#[server(prefix = "/api/fn", endpoint = "load_attribution")]
pub async fn load_attribution(query: String) -> Result<crate::wire::AttributionResponse, ServerFnError> {
    crate::backend::authorize("load_attribution")?;
    crate::backend::backend()?.attribution(query).await
}

/// Pauses or resumes a creative (`status`: `active` or `paused`) or sets its weight (Boost);
/// `reason` goes to the audit log.
/// Answers with the creative as it now stands.
#[server(prefix = "/api/fn", endpoint = "change_creative")]
pub async fn change_creative(
    creative_id: uuid::Uuid,
    status: Option<crate::wire::CreativeStatus>,
    weight_percent: Option<u32>,
    reason: Option<String>,
) -> Result<crate::wire::CreativeView, ServerFnError> {
    crate::backend::authorize("change_creative")?;
    let actor = crate::backend::principal()?;
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    let campaign = crate::backend::backend()?.change_creative(&actor, creative_id, crate::wire::CreativePatch { status, weight_percent, reason }).await?;
    campaign
        .creatives
        .into_iter()
        .find(|c| c.id == creative_id)
        .ok_or_else(|| ServerFnError::new(format!("creative {creative_id} is no longer in its campaign")))
}

/// Module 5's bulk action: pauses the campaign's active creatives whose ROAS over the page's
/// window (`query`) is below `below` (default 3.0×, the spec's "low performers"); answers with
/// the names of those paused.
#[server(prefix = "/api/fn", endpoint = "pause_low_creatives")]
pub async fn pause_low_creatives(campaign_id: uuid::Uuid, query: String, below: Option<f64>, reason: Option<String>) -> Result<Vec<String>, ServerFnError> {
    crate::backend::authorize("pause_low_creatives")?;
    let actor = crate::backend::principal()?;
    let below = below.unwrap_or(3.0);
    if !below.is_finite() || below <= 0.0 {
        return Err(ServerFnError::new(format!("below: {below} is not a ROAS above 0")));
    }
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    crate::backend::backend()?.bulk_creatives(&actor, campaign_id, query, crate::wire::CreativeBulk::PauseBelow(below), reason).await
}

/// Module 5's bulk action: raises the share of the campaign's two active creatives with the best
/// ROAS over the page's window by 30% each; answers with their names.
#[server(prefix = "/api/fn", endpoint = "boost_top_creatives")]
pub async fn boost_top_creatives(campaign_id: uuid::Uuid, query: String, reason: Option<String>) -> Result<Vec<String>, ServerFnError> {
    crate::backend::authorize("boost_top_creatives")?;
    let actor = crate::backend::principal()?;
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    crate::backend::backend()?.bulk_creatives(&actor, campaign_id, query, crate::wire::CreativeBulk::BoostTop(2), reason).await
}

/// One creative of the campaign form; all four fields empty means "no creative in this slot".
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CreativeFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub headline: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub call_to_action: String,
}

/// Creates a campaign from the dashboard's form. Fields arrive as typed (checkbox lists as
/// `channels[i]`); each one that cannot be read, and each the catalogue refuses, comes back as a
/// field error for the form to show beside the field.
#[server(prefix = "/api/fn", endpoint = "create_campaign")]
#[allow(clippy::too_many_arguments)]
pub async fn create_campaign(
    name: String,
    campaign_type: String,
    channels: Option<Vec<String>>,
    target_segments: Option<Vec<String>>,
    target_regions: String,
    budget: String,
    starts_at: String,
    ends_at: String,
    holdout_percent: String,
    consent_method: String,
    has_opt_out_link: Option<String>,
    shares_data_with_third_parties: Option<String>,
    frequency_cap_per_week: String,
    creatives: Option<Vec<CreativeFields>>,
) -> Result<crate::wire::CreateOutcome, ServerFnError> {
    crate::backend::authorize("create_campaign")?;
    let actor = crate::backend::principal()?;
    let form = crate::campaign_form::CampaignForm {
        name,
        campaign_type,
        channels: channels.unwrap_or_default(),
        target_segments: target_segments.unwrap_or_default(),
        target_regions,
        budget,
        starts_at,
        ends_at,
        holdout_percent,
        consent_method,
        has_opt_out_link: has_opt_out_link.is_some(),
        shares_data_with_third_parties: shares_data_with_third_parties.is_some(),
        frequency_cap_per_week,
        creatives: creatives.unwrap_or_default(),
    };
    match form.into_request() {
        Ok(request) => crate::backend::backend()?.create_campaign(&actor, request).await,
        Err(fields) => Ok(crate::wire::CreateOutcome::Invalid(fields)),
    }
}

/// Pauses, resumes or otherwise moves a campaign's status, or sets its budget (`budget`: dollars
/// as typed, at most two decimals); `reason` is kept with the change in the audit log.
#[server(prefix = "/api/fn", endpoint = "change_campaign")]
pub async fn change_campaign(
    campaign_id: uuid::Uuid,
    status: Option<analytics::CampaignStatus>,
    budget: Option<String>,
    reason: Option<String>,
) -> Result<crate::wire::CampaignView, ServerFnError> {
    crate::backend::authorize("change_campaign")?;
    let actor = crate::backend::principal()?;
    let budget_cents = match budget.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(text) => Some(crate::format::parse_dollars(text).map_err(|reason| ServerFnError::new(format!("budget: {reason}")))?),
        None => None,
    };
    if status.is_none() && budget_cents.is_none() {
        return Err(ServerFnError::new("nothing to change: give a status or a budget"));
    }
    let patch = crate::wire::CampaignPatch {
        status,
        budget_cents,
        reason: reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()),
        ..Default::default()
    };
    crate::backend::backend()?.change_campaign(&actor, campaign_id, patch).await
}

// ----- accounts, sessions and tokens -----

#[server(prefix = "/api/fn", endpoint = "load_admin")]
pub async fn load_admin() -> Result<crate::wire::AdminOverview, ServerFnError> {
    crate::backend::authorize("load_admin")?;
    crate::backend::backend()?.admin_overview().await
}

/// Creates an account; leave `password` empty to have one generated (shown once).
#[server(prefix = "/api/fn", endpoint = "create_account")]
pub async fn create_account(
    email: String,
    role: crate::access::Role,
    password: Option<String>,
) -> Result<Option<crate::wire::OneTimeSecret>, ServerFnError> {
    crate::backend::authorize("create_account")?;
    let actor = crate::backend::principal()?;
    let password = password.filter(|p| !p.is_empty());
    crate::backend::backend()?.create_account(&actor, email, role, password).await
}

#[server(prefix = "/api/fn", endpoint = "set_account_role")]
pub async fn set_account_role(account_id: uuid::Uuid, role: crate::access::Role) -> Result<(), ServerFnError> {
    crate::backend::authorize("set_account_role")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.set_account_role(&actor, account_id, role).await
}

#[server(prefix = "/api/fn", endpoint = "set_account_disabled")]
pub async fn set_account_disabled(account_id: uuid::Uuid, disabled: bool) -> Result<(), ServerFnError> {
    crate::backend::authorize("set_account_disabled")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.set_account_disabled(&actor, account_id, disabled).await
}

#[server(prefix = "/api/fn", endpoint = "revoke_session")]
pub async fn revoke_session(session_id: uuid::Uuid) -> Result<(), ServerFnError> {
    crate::backend::authorize("revoke_session")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.revoke_session(&actor, session_id).await
}

#[server(prefix = "/api/fn", endpoint = "load_my_tokens")]
pub async fn load_my_tokens() -> Result<Vec<crate::wire::TokenRow>, ServerFnError> {
    crate::backend::authorize("load_my_tokens")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.my_tokens(&actor).await
}

#[server(prefix = "/api/fn", endpoint = "create_token")]
pub async fn create_token(name: String) -> Result<crate::wire::OneTimeSecret, ServerFnError> {
    crate::backend::authorize("create_token")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.create_token(&actor, name).await
}

#[server(prefix = "/api/fn", endpoint = "revoke_token")]
pub async fn revoke_token(token_id: uuid::Uuid) -> Result<(), ServerFnError> {
    crate::backend::authorize("revoke_token")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.revoke_token(&actor, token_id).await
}

// ----- API keys -----

/// Creates an API key; each scope is a checkbox (present when ticked).
#[server(prefix = "/api/fn", endpoint = "create_api_key")]
pub async fn create_api_key(
    name: String,
    scope_events: Option<String>,
    scope_catalogue: Option<String>,
    scope_backfill: Option<String>,
) -> Result<crate::wire::OneTimeSecret, ServerFnError> {
    crate::backend::authorize("create_api_key")?;
    use crate::access::Scope;
    let actor = crate::backend::principal()?;
    let scopes: Vec<Scope> = [(scope_events, Scope::Events), (scope_catalogue, Scope::Catalogue), (scope_backfill, Scope::Backfill)]
        .into_iter()
        .filter_map(|(ticked, scope)| ticked.map(|_| scope))
        .collect();
    crate::backend::backend()?.create_api_key(&actor, name, scopes).await
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key_id: uuid::Uuid) -> Result<(), ServerFnError> {
    crate::backend::authorize("revoke_api_key")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.revoke_api_key(&actor, key_id).await
}

// ----- experiments -----

/// Every experiment, newest first, with the running ones' verdicts.
#[server(prefix = "/api/fn", endpoint = "load_experiments")]
pub async fn load_experiments() -> Result<Vec<crate::wire::ExperimentSummary>, ServerFnError> {
    crate::backend::authorize("load_experiments")?;
    crate::backend::backend()?.experiments().await
}

/// One experiment with its results.
#[server(prefix = "/api/fn", endpoint = "load_experiment")]
pub async fn load_experiment(id: uuid::Uuid) -> Result<crate::wire::ExperimentView, ServerFnError> {
    crate::backend::authorize("load_experiment")?;
    crate::backend::backend()?.experiment(id).await
}

/// The planner for a campaign's next test (`campaign_id`, `metric`, `minimum_effect_percent`,
/// `alpha`, `power`, `arms`, as `GET /api/v1/experiments/plan`).
#[server(prefix = "/api/fn", endpoint = "load_experiment_plan")]
pub async fn load_experiment_plan(query: String) -> Result<analytics::experiment::analysis::Plan, ServerFnError> {
    crate::backend::authorize("load_experiment_plan")?;
    crate::backend::backend()?.experiment_plan(query).await
}

/// A draft test from the dashboard's form: a creative test (Module 5's "A/B test (clone +
/// modify)": the control, ticked variants, a new challenger) or a campaign test. Checkbox lists
/// arrive as `variant_creatives[i]`, `variant_campaigns[i]`, `guardrails[i]`; unreadable fields
/// come back as field errors.
#[server(prefix = "/api/fn", endpoint = "create_experiment")]
#[allow(clippy::too_many_arguments)]
pub async fn create_experiment(
    name: String,
    kind: String,
    campaign_id: String,
    control_creative_id: Option<String>,
    variant_creatives: Option<Vec<String>>,
    with_challenger: Option<String>,
    challenger_name: Option<String>,
    challenger_headline: Option<String>,
    challenger_body: Option<String>,
    challenger_cta: Option<String>,
    variant_campaigns: Option<Vec<String>>,
    split: String,
    primary_metric: String,
    guardrails: Option<Vec<String>>,
    minimum_effect_percent: String,
    duration_days: String,
    auto_ship: Option<String>,
) -> Result<crate::wire::CreateExperimentOutcome, ServerFnError> {
    crate::backend::authorize("create_experiment")?;
    let actor = crate::backend::principal()?;
    let form = crate::experiment_form::ExperimentForm {
        name,
        kind,
        campaign_id,
        control_creative_id: control_creative_id.unwrap_or_default(),
        variant_creatives: variant_creatives.unwrap_or_default(),
        with_challenger: with_challenger.is_some(),
        challenger_name: challenger_name.unwrap_or_default(),
        challenger_headline: challenger_headline.unwrap_or_default(),
        challenger_body: challenger_body.unwrap_or_default(),
        challenger_cta: challenger_cta.unwrap_or_default(),
        variant_campaigns: variant_campaigns.unwrap_or_default(),
        split,
        primary_metric,
        guardrails: guardrails.unwrap_or_default(),
        minimum_effect_percent,
        duration_days,
        auto_ship: auto_ship.is_some(),
    };
    match form.into_request() {
        Ok(request) => crate::backend::backend()?.create_experiment(&actor, request).await,
        Err(fields) => Ok(crate::wire::CreateExperimentOutcome::Invalid(fields)),
    }
}

/// Extends a running test to a new planned duration (a decision: audited and emitted).
#[server(prefix = "/api/fn", endpoint = "extend_experiment")]
pub async fn extend_experiment(id: uuid::Uuid, duration_days: String, reason: Option<String>) -> Result<(), ServerFnError> {
    crate::backend::authorize("extend_experiment")?;
    let actor = crate::backend::principal()?;
    let days = duration_days.trim().parse::<u32>().map_err(|_| ServerFnError::new(format!("the duration must be a whole number of days, got '{}'", duration_days.trim())))?;
    let patch = crate::wire::ExperimentPatch { duration_days: Some(days), reason: reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()), ..Default::default() };
    crate::backend::backend()?.change_experiment(&actor, id, patch).await
}

/// Starts, stops or ships a test from its page; shipping another arm than the verdict's needs a
/// reason (`arm` is the arm's index).
#[server(prefix = "/api/fn", endpoint = "decide_experiment")]
pub async fn decide_experiment(id: uuid::Uuid, action: crate::wire::ExperimentAction, arm: Option<String>, reason: Option<String>) -> Result<(), ServerFnError> {
    crate::backend::authorize("decide_experiment")?;
    let actor = crate::backend::principal()?;
    let arm = match arm.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => Some(text.parse::<usize>().map_err(|_| ServerFnError::new(format!("the arm must be a number, got '{text}'")))?),
    };
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    crate::backend::backend()?.decide_experiment(&actor, id, action, crate::wire::ExperimentDecisionRequest { arm, reason }).await
}

/// The Action Center's queue for a query string (`kind`, `priority`, `status`, `max_age_days`,
/// as `GET /api/v1/recommendations`).
#[server(prefix = "/api/fn", endpoint = "load_recommendations")]
pub async fn load_recommendations(query: String) -> Result<crate::wire::RecommendationList, ServerFnError> {
    crate::backend::authorize("load_recommendations")?;
    crate::backend::backend()?.recommendations(query).await
}

/// One recommendation with everything the detail view shows.
#[server(prefix = "/api/fn", endpoint = "load_recommendation")]
pub async fn load_recommendation(id: uuid::Uuid) -> Result<crate::wire::RecommendationView, ServerFnError> {
    crate::backend::authorize("load_recommendation")?;
    crate::backend::backend()?.recommendation(id).await
}

/// What executed recommendations did against their projections, and the uptake
/// (`GET /api/v1/recommendations/outcomes`'s query: kind, from, to).
#[server(prefix = "/api/fn", endpoint = "load_recommendation_outcomes")]
pub async fn load_recommendation_outcomes(query: String) -> Result<crate::wire::OutcomeReport, ServerFnError> {
    crate::backend::authorize("load_recommendation_outcomes")?;
    crate::backend::backend()?.recommendation_outcomes(query).await
}

/// Module 9's alerts (`GET /api/v1/alerts`'s query: status, source, limit).
#[server(prefix = "/api/fn", endpoint = "load_alerts")]
pub async fn load_alerts(query: String) -> Result<crate::wire::AlertList, ServerFnError> {
    crate::backend::authorize("load_alerts")?;
    crate::backend::backend()?.alerts(query).await
}

/// The alerts of compliance flags carried out automatically (Module 11).
#[server(prefix = "/api/fn", endpoint = "load_compliance_alerts")]
pub async fn load_compliance_alerts() -> Result<crate::wire::AlertList, ServerFnError> {
    crate::backend::authorize("load_compliance_alerts")?;
    crate::backend::backend()?.alerts("source=recommendation&kind=compliance_flag&status=all&limit=20".to_owned()).await
}

#[server(prefix = "/api/fn", endpoint = "load_alert_rules")]
pub async fn load_alert_rules() -> Result<Vec<crate::wire::AlertRuleView>, ServerFnError> {
    crate::backend::authorize("load_alert_rules")?;
    crate::backend::backend()?.alert_rules().await
}

/// The alert forms: `verb` is `acknowledge` (with `id`, `note`), `create_rule` (with the rule's
/// fields) or `delete_rule` (with `id`).
#[server(prefix = "/api/fn", endpoint = "change_alert")]
#[allow(clippy::too_many_arguments)]
pub async fn change_alert(
    verb: String,
    id: Option<String>,
    note: Option<String>,
    name: Option<String>,
    metric: Option<String>,
    filters: Option<String>,
    comparison: Option<String>,
    threshold: Option<String>,
    for_days: Option<String>,
) -> Result<String, ServerFnError> {
    use crate::wire::{AcknowledgeRequest, AlertChange, AlertRuleInput};
    crate::backend::authorize("change_alert")?;
    let actor = crate::backend::principal()?;
    let id = || -> Result<uuid::Uuid, ServerFnError> {
        let text = id.clone().unwrap_or_default();
        uuid::Uuid::parse_str(text.trim()).map_err(|_| ServerFnError::new(format!("'{text}' is not an id")))
    };
    let number = |label: &str, v: Option<String>| -> Result<f64, ServerFnError> {
        let text = v.unwrap_or_default();
        text.trim().parse::<f64>().map_err(|_| ServerFnError::new(format!("{label}: '{text}' is not a number")))
    };
    let change = match verb.as_str() {
        "acknowledge" => AlertChange::Acknowledge { id: id()?, request: AcknowledgeRequest { note } },
        "delete_rule" => AlertChange::DeleteRule(id()?),
        "create_rule" => AlertChange::CreateRule(AlertRuleInput {
            name: name.unwrap_or_default(),
            metric: metric.unwrap_or_default(),
            filters: filters.unwrap_or_default(),
            comparison: comparison.unwrap_or_default(),
            threshold: number("threshold", threshold)?,
            for_days: number("days", for_days)? as u32,
        }),
        other => return Err(ServerFnError::new(format!("unknown alert change '{other}'"))),
    };
    crate::backend::backend()?.change_alerts(&actor, change).await
}

#[server(prefix = "/api/fn", endpoint = "load_report_schedules")]
pub async fn load_report_schedules() -> Result<Vec<crate::wire::ReportScheduleView>, ServerFnError> {
    crate::backend::authorize("load_report_schedules")?;
    let actor = crate::backend::principal()?;
    crate::backend::backend()?.report_schedules(&actor).await
}

/// The account page's schedule forms: `verb` is `create` (with the schedule's fields; `time` as
/// `HH:MM`, `destination` addresses separated by commas or spaces) or `delete` (with `id`).
#[server(prefix = "/api/fn", endpoint = "change_report_schedule")]
#[allow(clippy::too_many_arguments)]
pub async fn change_report_schedule(
    verb: String,
    id: Option<String>,
    name: Option<String>,
    report: Option<String>,
    campaign_id: Option<String>,
    query: Option<String>,
    frequency: Option<String>,
    weekday: Option<String>,
    day_of_month: Option<String>,
    time: Option<String>,
    time_zone: Option<String>,
    channel: Option<String>,
    destination: Option<String>,
) -> Result<String, ServerFnError> {
    use crate::wire::{ReportScheduleChange, ReportScheduleRequest};
    crate::backend::authorize("change_report_schedule")?;
    let actor = crate::backend::principal()?;
    let small = |label: &str, v: Option<String>| -> Result<Option<u8>, ServerFnError> {
        match v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => t.parse::<u8>().map(Some).map_err(|_| ServerFnError::new(format!("{label}: '{t}' is not a number"))),
        }
    };
    let change = match verb.as_str() {
        "delete" => {
            let text = id.unwrap_or_default();
            ReportScheduleChange::Delete(uuid::Uuid::parse_str(text.trim()).map_err(|_| ServerFnError::new(format!("'{text}' is not an id")))?)
        }
        "create" => {
            let time = time.unwrap_or_default();
            let (hour, minute) = time.trim().split_once(':').ok_or_else(|| ServerFnError::new(format!("time: '{time}' is not HH:MM")))?;
            let campaign_id = match campaign_id.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()) {
                None => None,
                Some(c) => Some(uuid::Uuid::parse_str(&c).map_err(|_| ServerFnError::new(format!("campaign: '{c}' is not a campaign id")))?),
            };
            ReportScheduleChange::Create(ReportScheduleRequest {
                name: name.unwrap_or_default(),
                report: report.unwrap_or_default(),
                campaign_id,
                query: query.unwrap_or_default(),
                frequency: frequency.unwrap_or_default(),
                weekday: small("weekday", weekday)?,
                day_of_month: small("day of month", day_of_month)?,
                hour: small("hour", Some(hour.to_owned()))?.unwrap_or(0),
                minute: small("minute", Some(minute.to_owned()))?.unwrap_or(0),
                time_zone: time_zone.unwrap_or_default().trim().to_owned(),
                channel: channel.unwrap_or_default(),
                destination: destination.unwrap_or_default().split([',', ' ', '\n']).map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect(),
            })
        }
        other => return Err(ServerFnError::new(format!("unknown schedule change '{other}'"))),
    };
    crate::backend::backend()?.change_report_schedule(&actor, change).await
}

/// Runs the engine now (the Refresh button).
#[server(prefix = "/api/fn", endpoint = "refresh_recommendations")]
pub async fn refresh_recommendations() -> Result<crate::wire::RecommendationRun, ServerFnError> {
    crate::backend::authorize("refresh_recommendations")?;
    crate::backend::backend()?.refresh_recommendations().await
}

/// One decision on a recommendation from its confirm dialog: `verb` is execute, approve, schedule
/// or dismiss; `alternative` an alternative's index; `at` a schedule's time (`YYYY-MM-DDTHH:MM`,
/// UTC); `text` the note, or the dismissal's reason; the challenger's copy for a creative test;
/// Customize: `customize_value` replaces the adjustable number of `customize_base` (the action as
/// proposed, JSON) — the server still checks the result keeps the recommendation's targets.
#[server(prefix = "/api/fn", endpoint = "act_on_recommendation")]
#[allow(clippy::too_many_arguments)]
pub async fn act_on_recommendation(
    id: uuid::Uuid,
    verb: String,
    alternative: Option<String>,
    at: Option<String>,
    text: Option<String>,
    challenger_headline: Option<String>,
    challenger_body: Option<String>,
    challenger_call_to_action: Option<String>,
    customize_base: Option<String>,
    customize_value: Option<String>,
) -> Result<crate::wire::RecommendationView, ServerFnError> {
    crate::backend::authorize("act_on_recommendation")?;
    let actor = crate::backend::principal()?;
    let given = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let alternative = match given(alternative) {
        None => None,
        Some(t) => Some(t.parse::<usize>().map_err(|_| ServerFnError::new(format!("the alternative must be a number, got '{t}'")))?),
    };
    let text = given(text);
    let headline = given(challenger_headline);
    let challenger = headline.map(|headline| crate::wire::CreativeInput {
        id: None,
        name: format!("Challenger: {}", headline.chars().take(60).collect::<String>()),
        headline,
        body: given(challenger_body.clone()).unwrap_or_default(),
        call_to_action: given(challenger_call_to_action.clone()).unwrap_or_default(),
    });
    let customize = match (given(customize_base), given(customize_value)) {
        (Some(base), Some(value)) => {
            let base: analytics::recommend::Action = serde_json::from_str(&base).map_err(|_| ServerFnError::new("customize: the proposed action could not be read"))?;
            let number = value.parse::<f64>().map_err(|_| ServerFnError::new(format!("customize: '{value}' is not a number")))?;
            // Unchanged: executed as proposed.
            match base.adjustable() {
                Some((_, proposed)) if (proposed - number).abs() < 1e-9 => None,
                Some((label, _)) => Some(base.adjusted(number).ok_or_else(|| ServerFnError::new(format!("customize: {label} cannot be {value}")))?),
                None => None,
            }
        }
        _ => None,
    };
    let action = match verb.as_str() {
        "execute" => crate::wire::RecommendationAction::Execute(crate::wire::ExecuteRequest { alternative, customize, challenger, note: text }),
        "approve" => crate::wire::RecommendationAction::Approve,
        "dismiss" => crate::wire::RecommendationAction::Dismiss(crate::wire::DismissRequest { reason: text.unwrap_or_default() }),
        "schedule" => {
            let at = given(at).ok_or_else(|| ServerFnError::new("at: choose when to execute it"))?;
            let at = chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M")
                .map_err(|_| ServerFnError::new(format!("at: '{at}' is not a date and time such as 2026-12-01T09:00")))?
                .and_utc();
            crate::wire::RecommendationAction::Schedule(crate::wire::ScheduleRequest { at, alternative, customize, challenger, note: text })
        }
        other => return Err(ServerFnError::new(format!("unknown decision '{other}': expected execute, approve, schedule or dismiss"))),
    };
    crate::backend::backend()?.act_on_recommendation(&actor, id, action).await
}
