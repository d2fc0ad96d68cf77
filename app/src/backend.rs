//! What the rendered pages need from the server, as a trait the server implements.
//!
//! Server functions live in this crate (the browser needs their client halves), but the queries
//! live in the server crate; the server provides an implementation of [`Backend`] as Leptos
//! context, and server functions reach it through [`backend`]. This keeps the database out of
//! the browser build entirely. The request pipeline has already checked each server function's
//! declared access before its body runs; methods that act for a person take their [`Principal`].

use std::sync::Arc;

use leptos::prelude::*;
use uuid::Uuid;

use crate::access::{Caller, Principal, Role};
use crate::wire::{
    AdminOverview, AttributionResponse, CampaignPatch, CreateOutcome, NewCampaignRequest, CampaignPerformanceResponse, CampaignView, CreativePatch, EventVolume, FunnelResponse, HealthReport,
    HeatmapResponse, KpiBoard, LatencySample, LeaderboardRow, OneTimeSecret, RoiResponse, SegmentsResponse, TablePage, TokenRow,
};

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// A fresh health check (database round trip included).
    async fn health(&self) -> HealthReport;
    /// The recent periodic database probes, oldest first.
    async fn database_latency(&self) -> Vec<LatencySample>;
    /// Module 9's figures beyond the probe (`GET /api/v1/system`).
    async fn system_status(&self) -> Result<crate::wire::SystemStatus, ServerFnError>;
    /// Ingested events per hour for the `hours` hours ending now.
    async fn event_volume(&self, hours: u32) -> Result<EventVolume, ServerFnError>;

    /// The executive KPI cards for a query string of the metrics API's filters (`range=30d&…`),
    /// validated as the API validates them.
    async fn kpi_board(&self, query: String) -> Result<KpiBoard, ServerFnError>;
    /// One page of the campaign leaderboard for a query string of filters, sorting and paging.
    async fn leaderboard(&self, query: String) -> Result<TablePage<LeaderboardRow>, ServerFnError>;
    /// Module 3: every segment's figures (`GET /api/v1/segments`).
    async fn segments(&self, query: String) -> Result<SegmentsResponse, ServerFnError>;
    /// Modules 4 and 5: one campaign (`GET /api/v1/campaigns/{id}/performance`).
    async fn campaign_performance(&self, campaign_id: Uuid, query: String) -> Result<CampaignPerformanceResponse, ServerFnError>;
    /// Module 6 (`GET /api/v1/funnel`, `compare` included).
    async fn funnel(&self, query: String) -> Result<FunnelResponse, ServerFnError>;
    /// Module 7 (`GET /api/v1/heatmap`).
    async fn heatmap(&self, query: String) -> Result<HeatmapResponse, ServerFnError>;
    /// Module 8: treatment vs holdout (`GET /api/v1/roi`) and attribution (`GET /api/v1/attribution`).
    async fn roi(&self, query: String) -> Result<RoiResponse, ServerFnError>;
    async fn attribution(&self, query: String) -> Result<AttributionResponse, ServerFnError>;
    /// Creates a campaign for a person, as `POST /api/v1/campaigns` does; the catalogue's
    /// validation problems come back as field errors, not as a failure.
    async fn create_campaign(&self, actor: &Principal, request: NewCampaignRequest) -> Result<CreateOutcome, ServerFnError>;
    /// Module 5's bulk actions on a campaign's creatives, judged on their figures over the query's
    /// window; returns the names of the creatives changed.
    async fn bulk_creatives(&self, actor: &Principal, campaign_id: Uuid, query: String, action: crate::wire::CreativeBulk, reason: Option<String>) -> Result<Vec<String>, ServerFnError>;
    /// Pauses or resumes a creative for a person, as `PATCH /api/v1/creatives/{id}` does.
    async fn change_creative(&self, actor: &Principal, creative_id: Uuid, patch: CreativePatch) -> Result<CampaignView, ServerFnError>;
    /// Changes a campaign for a person (status, budget…), checked against their capabilities,
    /// audited and logged as marketer-action events, as `PATCH /api/v1/campaigns/{id}` does.
    async fn change_campaign(&self, actor: &Principal, campaign_id: Uuid, patch: CampaignPatch) -> Result<CampaignView, ServerFnError>;

    /// Experiments (`GET /api/v1/experiments`, `GET /api/v1/experiments/{id}`, the planner).
    async fn experiments(&self) -> Result<Vec<crate::wire::ExperimentSummary>, ServerFnError>;
    async fn experiment(&self, id: Uuid) -> Result<crate::wire::ExperimentView, ServerFnError>;
    async fn experiment_plan(&self, query: String) -> Result<analytics::experiment::analysis::Plan, ServerFnError>;
    /// Creates a draft test for a person; the validation problems come back as field errors.
    async fn create_experiment(&self, actor: &Principal, request: crate::wire::NewExperiment) -> Result<crate::wire::CreateExperimentOutcome, ServerFnError>;
    /// Changes a test for a person, as `PATCH /api/v1/experiments/{id}` does (extending it, say).
    async fn change_experiment(&self, actor: &Principal, id: Uuid, patch: crate::wire::ExperimentPatch) -> Result<(), ServerFnError>;
    /// Starts, stops or ships a test for a person, as the API's `start|stop|ship` do.
    async fn decide_experiment(&self, actor: &Principal, id: Uuid, action: crate::wire::ExperimentAction, request: crate::wire::ExperimentDecisionRequest) -> Result<(), ServerFnError>;

    /// Module 11: the compliance scan, the consent dashboard, retention, a page of the audit log
    /// (the query's `from`, `to`, `actor`, `action`, `campaign`, `status`, `q`, `page`; `range`
    /// for the consent window) and the audit chain's verification.
    async fn compliance_overview(&self, query: String) -> Result<crate::wire::ComplianceOverview, ServerFnError>;
    /// Writes a table downloaded from a page to the data-access and audit logs.
    async fn log_export(&self, actor: &Principal, name: String, query: String, rows: u64) -> Result<(), ServerFnError>;
    /// How much of a campaign's audience it may reach (`GET /api/v1/campaigns/{id}/consent`).
    async fn audience_consent(&self, campaign_id: Uuid) -> Result<crate::wire::AudienceConsent, ServerFnError>;
    /// A user's consent trail (`user_id=…` or `email=…`), logged as the person's read.
    async fn consent_trail(&self, actor: &Principal, query: String) -> Result<crate::wire::ConsentTrail, ServerFnError>;
    /// The privacy query (`segment`, `region`, `channel`, `from`, `to`), logged as the person's read.
    async fn privacy_query(&self, actor: &Principal, query: String) -> Result<crate::wire::PrivacyQueryResult, ServerFnError>;

    /// Accounts, live sessions and tokens, for administrators.
    async fn admin_overview(&self) -> Result<AdminOverview, ServerFnError>;
    /// Creates an account; with no password, generates one and returns it once.
    async fn create_account(
        &self,
        actor: &Principal,
        email: String,
        role: Role,
        password: Option<String>,
    ) -> Result<Option<OneTimeSecret>, ServerFnError>;
    async fn set_account_role(&self, actor: &Principal, account_id: Uuid, role: Role) -> Result<(), ServerFnError>;
    async fn set_account_disabled(&self, actor: &Principal, account_id: Uuid, disabled: bool) -> Result<(), ServerFnError>;
    async fn revoke_session(&self, actor: &Principal, session_id: Uuid) -> Result<(), ServerFnError>;

    /// Creates an API key with the given scopes; its secret is returned once.
    async fn create_api_key(&self, actor: &Principal, name: String, scopes: Vec<crate::access::Scope>) -> Result<OneTimeSecret, ServerFnError>;
    async fn revoke_api_key(&self, actor: &Principal, key_id: Uuid) -> Result<(), ServerFnError>;

    /// The Action Center's queue (`GET /api/v1/recommendations`'s query).
    async fn recommendations(&self, query: String) -> Result<crate::wire::RecommendationList, ServerFnError>;
    async fn recommendation(&self, id: Uuid) -> Result<crate::wire::RecommendationView, ServerFnError>;
    async fn alerts(&self, query: String) -> Result<crate::wire::AlertList, ServerFnError>;
    async fn alert_rules(&self) -> Result<Vec<crate::wire::AlertRuleView>, ServerFnError>;
    /// Acknowledges an alert, or creates or deletes a rule; answers what was done, in words.
    async fn change_alerts(&self, actor: &Principal, change: crate::wire::AlertChange) -> Result<String, ServerFnError>;
    /// The caller's report schedules with their deliveries.
    async fn report_schedules(&self, actor: &Principal) -> Result<Vec<crate::wire::ReportScheduleView>, ServerFnError>;
    /// Creates or deletes one of the caller's report schedules; answers what was done, in words.
    async fn change_report_schedule(&self, actor: &Principal, change: crate::wire::ReportScheduleChange) -> Result<String, ServerFnError>;
    async fn recommendation_outcomes(&self, query: String) -> Result<crate::wire::OutcomeReport, ServerFnError>;
    async fn refresh_recommendations(&self) -> Result<crate::wire::RecommendationRun, ServerFnError>;
    /// Executes, approves, schedules or dismisses, as the caller; the service checks the type.
    async fn act_on_recommendation(&self, actor: &Principal, id: Uuid, action: crate::wire::RecommendationAction) -> Result<crate::wire::RecommendationView, ServerFnError>;

    /// The caller's own personal tokens.
    async fn my_tokens(&self, actor: &Principal) -> Result<Vec<TokenRow>, ServerFnError>;
    /// Creates a personal read token for the caller; its secret is returned once.
    async fn create_token(&self, actor: &Principal, name: String) -> Result<OneTimeSecret, ServerFnError>;
    /// Revokes a token: the caller's own, or anyone's for an administrator.
    async fn revoke_token(&self, actor: &Principal, token_id: Uuid) -> Result<(), ServerFnError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// Who is calling: the server's pipeline stores it in the request's extensions, which Leptos
/// hands to pages and server functions as `http::request::Parts`.
pub fn caller() -> Caller {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .unwrap_or(Caller::Anonymous)
}

/// The signed-in caller, or the error a server function returns without one.
pub fn principal() -> Result<Principal, ServerFnError> {
    caller().principal().cloned().ok_or_else(|| ServerFnError::new("sign in to use this"))
}

/// Checks the caller against the access `SERVER_FN_ACCESS` declares for `endpoint`. The
/// pipeline already did for HTTP calls; this covers server functions called directly while a
/// page renders on the server, so a page can never read more than its caller may.
pub fn authorize(endpoint: &str) -> Result<(), ServerFnError> {
    let path = format!("{}/{endpoint}", crate::api::PREFIX);
    let access = crate::api::SERVER_FN_ACCESS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, access)| *access)
        .ok_or_else(|| ServerFnError::new(format!("server function {path} declares no access")))?;
    access.check(&caller()).map_err(|denied| match denied {
        crate::access::Denied::Unauthenticated => ServerFnError::new("sign in to use this"),
        crate::access::Denied::Forbidden(reason) => ServerFnError::new(reason),
    })
}

/// The server's [`Backend`], from context.
pub fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>()
        .ok_or_else(|| ServerFnError::new("the server did not provide its backend to the page"))
}
