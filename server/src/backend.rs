//! The server's side of `app::backend::Backend`: what rendered pages and server functions read
//! and change. The pipeline has already checked each server function's declared access.

use app::access::{Caller, Capability, Principal, Role};
use app::backend::Backend;
use app::wire::{
    AccountRow, AdminOverview, ApiKeyRow, AttributionResponse, CreateOutcome, NewCampaignRequest, CampaignPatch, CampaignPerformanceResponse, CampaignView, CreativePatch, FunnelResponse,
    HeatmapResponse, RoiResponse, SegmentsResponse, EventVolume, HealthReport, KpiBoard, LatencySample, LeaderboardRow, OneTimeSecret,
    SessionRow, TablePage, TokenRow,
};
use leptos::prelude::ServerFnError;
use uuid::Uuid;

use crate::auth::{accounts, api_keys, password, sessions, tokens};
use crate::error::{AppError, Result};
use crate::services;
use crate::services::audit;
use crate::state::AppState;
use sea_orm::{DatabaseTransaction, TransactionTrait};

pub struct ServerBackend {
    state: AppState,
}

impl ServerBackend {
    pub fn new(state: AppState) -> ServerBackend {
        ServerBackend { state }
    }
}

/// Server functions show the message of client errors; internal detail only goes to the log.
fn to_server_fn_error(err: AppError) -> ServerFnError {
    match err {
        AppError::Database(_) | AppError::Internal(_) | AppError::Config(_) => {
            tracing::error!(error = %err.one_line(), "server function failed");
            ServerFnError::new("something went wrong on our side; the error has been logged")
        }
        AppError::Validation(fields) => ServerFnError::new(
            fields.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect::<Vec<_>>().join("; "),
        ),
        other => ServerFnError::new(other.to_string()),
    }
}

fn lift<T>(result: Result<T>) -> Result<T, ServerFnError> {
    result.map_err(to_server_fn_error)
}

/// A page's query string (`a=1&b=2`, percent-encoded) as the pairs the API handlers take.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()).into_owned().collect()
}

impl ServerBackend {
    async fn token_rows(&self, owner: Option<Uuid>) -> Result<Vec<TokenRow>> {
        let emails: std::collections::HashMap<Uuid, String> =
            accounts::list(&self.state.db).await?.into_iter().map(|a| (a.id, a.email)).collect();
        Ok(tokens::list(&self.state.db, owner)
            .await?
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                owner_email: emails.get(&t.account_id).cloned().unwrap_or_default(),
                name: t.name,
                prefix: t.prefix,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                revoked: t.revoked_at.is_some(),
            })
            .collect())
    }

    async fn overview(&self) -> Result<AdminOverview> {
        let db = &self.state.db;
        let accounts = accounts::list(db).await?;
        let emails: std::collections::HashMap<Uuid, String> = accounts.iter().map(|a| (a.id, a.email.clone())).collect();
        let sessions = sessions::list_live(db, self.state.clock.now())
            .await?
            .into_iter()
            .map(|s| SessionRow {
                id: s.id,
                email: emails.get(&s.account_id).cloned().unwrap_or_default(),
                created_at: s.created_at,
                expires_at: s.expires_at,
                client_ip: s.client_ip,
                user_agent: s.user_agent,
            })
            .collect();
        let accounts = accounts
            .into_iter()
            .map(|a| AccountRow { id: a.id, email: a.email, role: a.role, disabled: a.disabled_at.is_some(), created_at: a.created_at })
            .collect();
        let api_keys = api_keys::list(db)
            .await?
            .into_iter()
            .map(|k| ApiKeyRow {
                id: k.id,
                scopes: api_keys::scopes_of(&k),
                name: k.name,
                prefix: k.prefix,
                created_at: k.created_at,
                last_used_at: k.last_used_at,
                revoked: k.revoked_at.is_some(),
            })
            .collect();
        Ok(AdminOverview { accounts, sessions, tokens: self.token_rows(None).await?, api_keys })
    }

    /// The audit entry of an account, key or token change, inside its transaction.
    async fn audit(&self, txn: &DatabaseTransaction, actor: &Principal, action: &str, target: String, after: serde_json::Value) -> Result<()> {
        let entry = audit::Entry {
            actor: actor.email.clone(),
            role: actor.role.to_string(),
            action: action.to_owned(),
            target,
            after: Some(after),
            ..Default::default()
        };
        audit::record(txn, &self.state.audit, entry, self.state.clock.now()).await.map(|_| ())
    }

    async fn add_account(&self, actor: &Principal, email: String, role: Role, password: Option<String>) -> Result<Option<OneTimeSecret>> {
        let generated = password.is_none().then(password::generate);
        let secret = password.or_else(|| generated.clone()).unwrap_or_default();
        let txn = self.state.db.begin().await?;
        let account = accounts::create(&txn, &email, role, &secret, self.state.clock.now()).await?;
        self.audit(&txn, actor, "account.create", format!("account:{}", account.email), serde_json::json!({ "role": role })).await?;
        txn.commit().await?;
        tracing::info!(actor = %actor.account_id, account_id = %account.id, role = %role, "account created");
        Ok(generated.map(|secret| OneTimeSecret { label: format!("password for {}", account.email), secret }))
    }

    /// An administrator may not lock themselves out by demoting or disabling their own account.
    fn refuse_self_lockout(actor: &Principal, account_id: Uuid) -> Result<()> {
        if actor.account_id == account_id {
            return Err(AppError::Forbidden("change your own role or status (ask another administrator)".to_owned()));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Backend for ServerBackend {
    async fn health(&self) -> HealthReport {
        services::health::check(&self.state).await
    }

    async fn database_latency(&self) -> Vec<LatencySample> {
        self.state.latency_history.snapshot()
    }

    async fn event_volume(&self, hours: u32) -> Result<EventVolume, ServerFnError> {
        lift(services::event_volume::hourly(&self.state.db, self.state.clock.now(), hours).await)
    }

    async fn system_status(&self) -> Result<app::wire::SystemStatus, ServerFnError> {
        lift(services::system_status::status(&self.state).await)
    }

    async fn kpi_board(&self, query: String) -> Result<KpiBoard, ServerFnError> {
        lift(crate::http::metrics::kpi_board(&self.state, &query_pairs(&query)).await)
    }

    async fn leaderboard(&self, query: String) -> Result<TablePage<LeaderboardRow>, ServerFnError> {
        lift(crate::http::metrics::leaderboard_page(&self.state, &query_pairs(&query)).await)
    }

    async fn segments(&self, query: String) -> Result<SegmentsResponse, ServerFnError> {
        lift(crate::http::views::segments_view(&self.state, &query_pairs(&query), &[]).await)
    }

    async fn campaign_performance(&self, campaign_id: Uuid, query: String) -> Result<CampaignPerformanceResponse, ServerFnError> {
        lift(crate::http::views::campaign_performance_view(&self.state, campaign_id, &query_pairs(&query)).await)
    }

    async fn funnel(&self, query: String) -> Result<FunnelResponse, ServerFnError> {
        lift(crate::http::views::funnel_view(&self.state, &query_pairs(&query)).await)
    }

    async fn heatmap(&self, query: String) -> Result<HeatmapResponse, ServerFnError> {
        lift(crate::http::views::heatmap_view(&self.state, &query_pairs(&query)).await)
    }

    async fn roi(&self, query: String) -> Result<RoiResponse, ServerFnError> {
        lift(crate::http::metrics::roi_view(&self.state, &query_pairs(&query)).await)
    }

    async fn attribution(&self, query: String) -> Result<AttributionResponse, ServerFnError> {
        lift(crate::http::views::attribution_view(&self.state, &query_pairs(&query)).await)
    }

    async fn create_campaign(&self, actor: &Principal, request: NewCampaignRequest) -> Result<CreateOutcome, ServerFnError> {
        let state = &self.state;
        let who = services::catalogue::Actor::new(Caller::User(actor.clone()), state.audit.clone());
        match services::catalogue::create(&state.db, request, &who, state.clock.now()).await {
            Ok(view) => {
                lift(state.metrics.after_catalogue_change(&state.db).await)?;
                Ok(CreateOutcome::Created(view))
            }
            Err(AppError::Validation(fields)) => Ok(CreateOutcome::Invalid(fields)),
            Err(err) => Err(to_server_fn_error(err)),
        }
    }

    async fn bulk_creatives(&self, actor: &Principal, campaign_id: Uuid, query: String, action: app::wire::CreativeBulk, reason: Option<String>) -> Result<Vec<String>, ServerFnError> {
        use app::wire::{BOOST_FACTOR, CreativeBulk, CreativeStatus};
        let state = &self.state;
        let detail = lift(crate::http::views::campaign_performance_view(state, campaign_id, &query_pairs(&query)).await)?;
        let mut active: Vec<&app::wire::CreativeRow> = detail.creatives.iter().filter(|c| c.status == CreativeStatus::Active).collect();
        let chosen: Vec<(&app::wire::CreativeRow, CreativePatch)> = match action {
            CreativeBulk::PauseBelow(below) => active
                .into_iter()
                .filter(|c| c.performance.roas.is_some_and(|r| r < below))
                .map(|c| (c, CreativePatch { status: Some(CreativeStatus::Paused), weight_percent: None, reason: reason.clone() }))
                .collect(),
            CreativeBulk::BoostTop(n) => {
                active.retain(|c| c.performance.roas.is_some());
                active.sort_by(|a, b| b.performance.roas.partial_cmp(&a.performance.roas).unwrap_or(std::cmp::Ordering::Equal));
                active
                    .into_iter()
                    .take(n)
                    .map(|c| {
                        let weight = ((f64::from(c.weight_percent) * BOOST_FACTOR).round() as u32).min(*services::catalogue::CREATIVE_WEIGHTS.end());
                        (c, CreativePatch { status: None, weight_percent: Some(weight), reason: reason.clone() })
                    })
                    .collect()
            }
        };
        let who = services::catalogue::Actor::new(Caller::User(actor.clone()), state.audit.clone());
        let mut changed = Vec::new();
        for (creative, patch) in chosen {
            lift(services::catalogue::change_creative(&state.db, creative.creative_id, patch, &who, state.clock.now()).await)?;
            changed.push(creative.name.clone());
        }
        if !changed.is_empty() {
            lift(state.metrics.after_catalogue_change(&state.db).await)?;
        }
        Ok(changed)
    }

    async fn change_creative(&self, actor: &Principal, creative_id: Uuid, patch: CreativePatch) -> Result<CampaignView, ServerFnError> {
        let state = &self.state;
        let who = services::catalogue::Actor::new(Caller::User(actor.clone()), state.audit.clone());
        let view = lift(services::catalogue::change_creative(&state.db, creative_id, patch, &who, state.clock.now()).await)?;
        lift(state.metrics.after_catalogue_change(&state.db).await)?;
        Ok(view)
    }

    async fn experiments(&self) -> Result<Vec<app::wire::ExperimentSummary>, ServerFnError> {
        lift(services::experiments::list(&self.state.db, &self.state.metrics, self.state.clock.now()).await)
    }

    async fn experiment(&self, id: Uuid) -> Result<app::wire::ExperimentView, ServerFnError> {
        lift(services::experiments::view(&self.state.db, &self.state.metrics, id, self.state.clock.now()).await)
    }

    async fn experiment_plan(&self, query: String) -> Result<analytics::experiment::analysis::Plan, ServerFnError> {
        lift(crate::http::experiments::plan_view(&self.state, &query_pairs(&query)))
    }

    async fn create_experiment(&self, actor: &Principal, request: app::wire::NewExperiment) -> Result<app::wire::CreateExperimentOutcome, ServerFnError> {
        let state = &self.state;
        let who = services::catalogue::Actor::new(Caller::User(actor.clone()), state.audit.clone());
        match services::experiments::create(&state.db, request, &who, state.clock.now()).await {
            Ok(id) => {
                lift(state.metrics.after_catalogue_change(&state.db).await)?;
                Ok(app::wire::CreateExperimentOutcome::Created(id))
            }
            Err(AppError::Validation(fields)) => Ok(app::wire::CreateExperimentOutcome::Invalid(fields)),
            Err(err) => Err(to_server_fn_error(err)),
        }
    }

    async fn change_experiment(&self, actor: &Principal, id: Uuid, patch: app::wire::ExperimentPatch) -> Result<(), ServerFnError> {
        let state = &self.state;
        let who = services::catalogue::Actor::new(Caller::User(actor.clone()), state.audit.clone());
        lift(services::experiments::patch(&state.db, &state.metrics, id, patch, &who, state.clock.now()).await)
    }

    async fn decide_experiment(&self, actor: &Principal, id: Uuid, action: app::wire::ExperimentAction, request: app::wire::ExperimentDecisionRequest) -> Result<(), ServerFnError> {
        use app::wire::ExperimentAction;
        let state = &self.state;
        let who = services::catalogue::Actor::new(Caller::User(actor.clone()), state.audit.clone());
        let now = state.clock.now();
        match action {
            ExperimentAction::Start => lift(services::experiments::start(&state.db, &state.metrics, id, &who, now).await)?,
            ExperimentAction::Stop => lift(services::experiments::stop(&state.db, &state.metrics, id, request, &who, now).await)?,
            ExperimentAction::Ship => lift(services::experiments::ship(&state.db, &state.metrics, id, request, &who, now, false).await)?,
        }
        if action != ExperimentAction::Stop {
            lift(state.metrics.after_catalogue_change(&state.db).await)?;
        }
        Ok(())
    }

    async fn compliance_overview(&self, query: String) -> Result<app::wire::ComplianceOverview, ServerFnError> {
        let state = &self.state;
        let pairs = query_pairs(&query);
        let (window, audit): (Vec<(String, String)>, Vec<(String, String)>) = pairs.into_iter().partition(|(k, _)| k == "range");
        let audit = lift(services::audit_query::Query::parse(&audit))?;
        let verification = lift(services::audit::verify(&state.db, &state.audit).await)?;
        Ok(app::wire::ComplianceOverview {
            scan: lift(services::regulatory::scan(state, None).await)?,
            consent: lift(crate::http::privacy::consent_overview_view(state, &window).await)?,
            retention: lift(services::retention::status(state).await)?,
            audit: lift(services::audit_query::page(&state.db, &audit).await)?,
            chain: app::wire::AuditChainStatus {
                ok: verification.ok,
                entries: verification.entries,
                checkpoints: verification.checkpoints,
                first_bad: verification.first_bad.map(|bad| format!("entry {}: {}", bad.seq, bad.reason)),
            },
        })
    }

    async fn log_export(&self, actor: &Principal, name: String, query: String, rows: u64) -> Result<(), ServerFnError> {
        if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ServerFnError::new("name: an export's name is 1 to 64 letters, digits, '-' or '_'"));
        }
        let pairs = query_pairs(&query);
        let role = actor.role.to_string();
        lift(services::access_log::record_export(&self.state.db, &self.state.audit, (&actor.email, &role), &name, &pairs, rows, self.state.clock.now()).await)
    }

    async fn audience_consent(&self, campaign_id: Uuid) -> Result<app::wire::AudienceConsent, ServerFnError> {
        let campaign = lift(services::catalogue::get(&self.state.db, campaign_id).await)?;
        lift(services::consent::audience(&self.state, &campaign, self.state.clock.now()).await)
    }

    async fn consent_trail(&self, actor: &Principal, query: String) -> Result<app::wire::ConsentTrail, ServerFnError> {
        lift(crate::http::privacy::consent_trail_view(&self.state, Caller::User(actor.clone()), &query_pairs(&query)).await)
    }

    async fn privacy_query(&self, actor: &Principal, query: String) -> Result<app::wire::PrivacyQueryResult, ServerFnError> {
        lift(crate::http::privacy::privacy_query_view(&self.state, Caller::User(actor.clone()), &query_pairs(&query)).await)
    }

    async fn recommendations(&self, query: String) -> Result<app::wire::RecommendationList, ServerFnError> {
        let query = lift(services::recommendations::ListQuery::from_pairs(&query_pairs(&query)))?;
        lift(services::recommendations::list(&self.state.db, &query, self.state.clock.now()).await)
    }

    async fn recommendation(&self, id: Uuid) -> Result<app::wire::RecommendationView, ServerFnError> {
        lift(services::recommendations::get(&self.state.db, id).await)
    }

    async fn alerts(&self, query: String) -> Result<app::wire::AlertList, ServerFnError> {
        lift(services::alerts::list(&self.state.db, &query_pairs(&query), self.state.clock.now()).await)
    }

    async fn alert_rules(&self) -> Result<Vec<app::wire::AlertRuleView>, ServerFnError> {
        lift(services::alerts::rules(&self.state.db).await)
    }

    async fn change_alerts(&self, actor: &Principal, change: app::wire::AlertChange) -> Result<String, ServerFnError> {
        use app::wire::AlertChange as C;
        let caller = Caller::User(actor.clone());
        let who = services::catalogue::Actor::new(caller.clone(), self.state.audit.clone());
        lift(match change {
            C::Acknowledge { id, request } => services::alerts::acknowledge(&self.state, id, request, &who).await.map(|a| format!("Acknowledged: {}", a.message)),
            C::CreateRule(input) => services::alerts::create_rule(&self.state, input, &who).await.map(|r| format!("Rule \"{}\" created: it is evaluated every few minutes.", r.name)),
            C::DeleteRule(id) => services::alerts::delete_rule(&self.state, id, &caller, &who).await.map(|()| "Rule deleted.".to_owned()),
        })
    }

    async fn report_schedules(&self, actor: &Principal) -> Result<Vec<app::wire::ReportScheduleView>, ServerFnError> {
        lift(services::report_schedules::list(&self.state, Caller::User(actor.clone())).await)
    }

    async fn change_report_schedule(&self, actor: &Principal, change: app::wire::ReportScheduleChange) -> Result<String, ServerFnError> {
        use app::wire::ReportScheduleChange as C;
        let caller = Caller::User(actor.clone());
        lift(match change {
            C::Create(request) => services::report_schedules::create(&self.state, caller, request)
                .await
                .map(|s| format!("Scheduled \"{}\": first delivery {} UTC.", s.schedule.name, s.next_run_at.format("%Y-%m-%d %H:%M"))),
            C::Delete(id) => services::report_schedules::delete(&self.state, caller, id).await.map(|()| "Schedule deleted.".to_owned()),
        })
    }

    async fn recommendation_outcomes(&self, query: String) -> Result<app::wire::OutcomeReport, ServerFnError> {
        let query = lift(services::recommendation_outcomes::OutcomeQuery::from_pairs(&query_pairs(&query)))?;
        lift(services::recommendation_outcomes::report(&self.state, &query).await)
    }

    async fn refresh_recommendations(&self) -> Result<app::wire::RecommendationRun, ServerFnError> {
        lift(services::recommendations::run(&self.state).await)
    }

    async fn act_on_recommendation(&self, actor: &Principal, id: Uuid, action: app::wire::RecommendationAction) -> Result<app::wire::RecommendationView, ServerFnError> {
        use app::wire::RecommendationAction as A;
        use services::recommendations as r;
        let state = &self.state;
        let who = services::catalogue::Actor::new(Caller::User(actor.clone()), state.audit.clone());
        lift(match action {
            A::Execute(request) => r::execute(state, id, request, &who).await,
            A::Approve => r::approve(state, id, &who).await,
            A::Schedule(request) => r::schedule(state, id, request, &who).await,
            A::Dismiss(request) => r::dismiss(&state.db, id, request, &who, state.clock.now(), &state.settings.recommendations).await,
        })
    }

    async fn change_campaign(&self, actor: &Principal, campaign_id: Uuid, patch: CampaignPatch) -> Result<CampaignView, ServerFnError> {
        lift(crate::http::campaigns::change_campaign(&self.state, Caller::User(actor.clone()), campaign_id, patch).await)
    }

    async fn admin_overview(&self) -> Result<AdminOverview, ServerFnError> {
        lift(self.overview().await)
    }

    async fn create_account(
        &self,
        actor: &Principal,
        email: String,
        role: Role,
        password: Option<String>,
    ) -> Result<Option<OneTimeSecret>, ServerFnError> {
        lift(self.add_account(actor, email, role, password).await)
    }

    async fn set_account_role(&self, actor: &Principal, account_id: Uuid, role: Role) -> Result<(), ServerFnError> {
        lift(async {
            Self::refuse_self_lockout(actor, account_id)?;
            let txn = self.state.db.begin().await?;
            let before = accounts::get(&txn, account_id).await?;
            let account = accounts::set_role(&txn, account_id, role, self.state.clock.now()).await?;
            let change = serde_json::json!({ "role": role, "previous_role": before.role });
            self.audit(&txn, actor, "account.set_role", format!("account:{}", account.email), change).await?;
            txn.commit().await?;
            tracing::info!(actor = %actor.account_id, %account_id, role = %role, "role changed");
            Ok(())
        }
        .await)
    }

    async fn set_account_disabled(&self, actor: &Principal, account_id: Uuid, disabled: bool) -> Result<(), ServerFnError> {
        lift(async {
            Self::refuse_self_lockout(actor, account_id)?;
            let txn = self.state.db.begin().await?;
            let account = accounts::set_disabled(&txn, account_id, disabled, self.state.clock.now()).await?;
            let action = if disabled { "account.disable" } else { "account.enable" };
            self.audit(&txn, actor, action, format!("account:{}", account.email), serde_json::json!({ "disabled": disabled })).await?;
            txn.commit().await?;
            tracing::info!(actor = %actor.account_id, %account_id, disabled, "account status changed");
            Ok(())
        }
        .await)
    }

    async fn revoke_session(&self, actor: &Principal, session_id: Uuid) -> Result<(), ServerFnError> {
        lift(async {
            let txn = self.state.db.begin().await?;
            sessions::revoke(&txn, session_id, self.state.clock.now()).await?;
            self.audit(&txn, actor, "session.revoke", format!("session:{session_id}"), serde_json::json!({ "revoked": true })).await?;
            txn.commit().await?;
            tracing::info!(actor = %actor.account_id, %session_id, "session revoked");
            Ok(())
        }
        .await)
    }

    async fn create_api_key(&self, actor: &Principal, name: String, scopes: Vec<app::access::Scope>) -> Result<OneTimeSecret, ServerFnError> {
        lift(async {
            let txn = self.state.db.begin().await?;
            let (key, secret) = api_keys::create(&txn, &name, &scopes, Some(actor.account_id), self.state.clock.now()).await?;
            let after = serde_json::json!({ "name": key.name, "scopes": key.scopes, "prefix": key.prefix });
            self.audit(&txn, actor, "api_key.create", format!("api_key:{}", key.id), after).await?;
            txn.commit().await?;
            tracing::info!(actor = %actor.account_id, key_id = %key.id, scopes = %key.scopes, "API key created");
            Ok(OneTimeSecret { label: format!("API key '{}'", key.name), secret })
        }
        .await)
    }

    async fn revoke_api_key(&self, actor: &Principal, key_id: Uuid) -> Result<(), ServerFnError> {
        lift(async {
            let txn = self.state.db.begin().await?;
            let key = api_keys::revoke(&txn, key_id, self.state.clock.now()).await?;
            self.audit(&txn, actor, "api_key.revoke", format!("api_key:{key_id}"), serde_json::json!({ "name": key.name })).await?;
            txn.commit().await?;
            tracing::info!(actor = %actor.account_id, %key_id, "API key revoked");
            Ok(())
        }
        .await)
    }

    async fn my_tokens(&self, actor: &Principal) -> Result<Vec<TokenRow>, ServerFnError> {
        lift(self.token_rows(Some(actor.account_id)).await)
    }

    async fn create_token(&self, actor: &Principal, name: String) -> Result<OneTimeSecret, ServerFnError> {
        lift(async {
            let txn = self.state.db.begin().await?;
            let (token, secret) = tokens::create(&txn, actor.account_id, &name, self.state.clock.now()).await?;
            self.audit(&txn, actor, "token.create", format!("token:{}", token.id), serde_json::json!({ "name": token.name, "prefix": token.prefix })).await?;
            txn.commit().await?;
            tracing::info!(actor = %actor.account_id, token_id = %token.id, "personal token created");
            Ok(OneTimeSecret { label: format!("token '{}'", token.name), secret })
        }
        .await)
    }

    async fn revoke_token(&self, actor: &Principal, token_id: Uuid) -> Result<(), ServerFnError> {
        lift(async {
            let owned = tokens::list(&self.state.db, Some(actor.account_id)).await?.iter().any(|t| t.id == token_id);
            if !owned && !actor.role.allows(Capability::ManageUsers) {
                // The same answer as for a token that does not exist: others' tokens stay unknown.
                return Err(AppError::NotFound(format!("token {token_id}")));
            }
            let txn = self.state.db.begin().await?;
            let token = tokens::revoke(&txn, token_id, self.state.clock.now()).await?;
            self.audit(&txn, actor, "token.revoke", format!("token:{token_id}"), serde_json::json!({ "name": token.name })).await?;
            txn.commit().await?;
            tracing::info!(actor = %actor.account_id, %token_id, "personal token revoked");
            Ok(())
        }
        .await)
    }
}
