//! The HTTP surface: every route is registered here with the access it requires, and every
//! request passes through the same pipeline (`pipeline.rs`).

mod alerts;
mod audit;
mod auth;
pub mod campaigns;
mod clock;
mod events;
pub mod experiments;
mod exports;
mod health;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod pipeline;
pub mod privacy;
mod quality;
mod recommendations;
mod reports;
pub mod request_stats;
pub mod view_cache;
pub mod views;

use std::sync::Arc;

use app::access::{Access, Capability, Module, Scope};
use app::{App, shell};
use axum::Router;
use axum::http::Method;
use axum::routing::{any, get, post};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

use crate::backend::ServerBackend;
use crate::error::AppError;
use crate::state::AppState;
use pipeline::{Inventory, RouteEntry, RouteKind, RouteTable};

/// The REST API: every route with its method and declared access.
fn api(clock_control: bool) -> RouteTable {
    let table = RouteTable::new()
        .get("/health", Access::Public, get(health::health))
        .get("/api/v1/health", Access::Public, get(health::health_v1))
        .get("/api/v1/openapi.json", Access::Public, get(openapi::document))
        .post("/api/v1/auth/login", Access::Public, post(auth::login))
        .post("/api/v1/auth/logout", Access::SignedIn, post(auth::logout))
        .get("/api/v1/auth/me", Access::SignedIn, get(auth::me))
        .post(
            "/api/v1/events",
            Access::Key(Scope::Events),
            post(events::batch).layer(axum::extract::DefaultBodyLimit::max(events::MAX_BODY_BYTES)),
        )
        .post(
            "/api/analytics/events",
            Access::Key(Scope::Events),
            post(events::single).layer(axum::extract::DefaultBodyLimit::max(events::MAX_BODY_BYTES)),
        )
        .post("/api/v1/dashboard-visits", Access::SignedIn, post(events::dashboard_visit))
        .get("/api/v1/campaigns", Access::Requires(Capability::View(Module::Leaderboard)), get(metrics::leaderboard))
        .get("/api/v1/creatives", Access::Requires(Capability::View(Module::Creatives)), get(metrics::creatives))
        .get("/api/v1/campaigns/{id}/performance", Access::Requires(Capability::View(Module::CampaignDetail)), get(views::campaign_performance))
        .get("/api/v1/segments", Access::Requires(Capability::View(Module::Segments)), get(views::segments))
        .get("/api/v1/funnel", Access::Requires(Capability::View(Module::Funnel)), get(views::funnel))
        .get("/api/v1/heatmap", Access::Requires(Capability::View(Module::Heatmap)), get(views::heatmap))
        .post("/api/v1/campaigns", Access::UserOrKey(Capability::CreateCampaigns, Scope::Catalogue), post(campaigns::create))
        .get("/api/v1/campaigns/{id}", Access::UserOrKey(Capability::View(Module::CampaignDetail), Scope::Catalogue), get(campaigns::get))
        // Everyone who may see a campaign may ask for a change; each change is then checked
        // against its own capability (budget, status transition, fields).
        .route(
            Some(Method::PATCH),
            "/api/v1/campaigns/{id}",
            Access::UserOrKey(Capability::View(Module::CampaignDetail), Scope::Catalogue),
            axum::routing::patch(campaigns::patch),
        )
        .route(
            Some(Method::PATCH),
            "/api/v1/creatives/{id}",
            Access::UserOrKey(Capability::PauseResumeCampaigns, Scope::Catalogue),
            axum::routing::patch(campaigns::patch_creative),
        )
        .get("/api/v1/metrics", Access::Requires(Capability::View(Module::KpiCards)), get(metrics::all))
        .get("/api/v1/metrics/{id}", Access::Requires(Capability::View(Module::KpiCards)), get(metrics::one))
        .get("/api/v1/live", Access::Requires(Capability::View(Module::KpiCards)), get(live::live))
        .get("/api/v1/roi", Access::Requires(Capability::View(Module::RoiDeepDive)), get(metrics::roi))
        .get("/api/v1/attribution", Access::Requires(Capability::View(Module::RoiDeepDive)), get(views::attribution))
        .get("/metrics/roas", Access::Requires(Capability::View(Module::KpiCards)), get(metrics::seed_roas))
        .get("/api/v1/audit", Access::Requires(Capability::ReadAuditLog), get(audit::list))
        .get("/api/v1/audit/verify", Access::Requires(Capability::View(Module::ComplianceAudit)), get(audit::verify))
        .post("/api/v1/customers", Access::UserOrKey(Capability::ManageUsers, Scope::Customers), post(privacy::upsert))
        .get("/api/v1/customers/{user_id}", Access::Requires(Capability::ViewUserRows), get(privacy::customer))
        .get("/api/v1/privacy/consent-trail", Access::Requires(Capability::ViewUserRows), get(privacy::consent_trail))
        .get("/api/v1/privacy/campaigns", Access::Requires(Capability::View(Module::ComplianceAudit)), get(privacy::campaigns))
        .post("/api/v1/privacy/erasure", Access::Requires(Capability::ErasePersonalData), post(privacy::erasure))
        .get("/api/v1/compliance/checks", Access::Requires(Capability::View(Module::ComplianceAudit)), get(privacy::compliance_checks))
        .get("/api/v1/compliance/consent", Access::Requires(Capability::View(Module::ComplianceAudit)), get(privacy::consent_overview))
        .get("/api/v1/compliance/retention", Access::Requires(Capability::View(Module::ComplianceAudit)), get(privacy::retention))
        .get("/api/v1/access-log", Access::Requires(Capability::ReadDataAccessLog), get(privacy::access_log))
        .get("/api/v1/quality", Access::Requires(Capability::View(Module::SystemHealth)), get(quality::quality))
        .get("/api/v1/system", Access::Requires(Capability::View(Module::SystemHealth)), get(quality::system))
        .post("/api/v1/spend", Access::UserOrKey(Capability::ChangeBudgets, Scope::Catalogue), post(campaigns::spend))
        .post("/api/v1/reallocations", Access::UserOrKey(Capability::ChangeBudgets, Scope::Catalogue), post(campaigns::reallocate))
        .get("/api/v1/campaigns/{id}/consent", Access::Requires(Capability::View(Module::CampaignDetail)), get(campaigns::audience_consent))
        // A sender holding an events key asks before it delivers.
        .get("/api/v1/campaigns/{id}/assignment", Access::UserOrKey(Capability::View(Module::CampaignDetail), Scope::Events), get(campaigns::assignment))
        .get("/api/v1/experiments", Access::UserOrKey(Capability::View(Module::Creatives), Scope::Catalogue), get(experiments::list))
        .post("/api/v1/experiments", Access::UserOrKey(Capability::RunExperiments, Scope::Catalogue), post(experiments::create))
        .get("/api/v1/experiments/plan", Access::Requires(Capability::View(Module::Creatives)), get(experiments::plan))
        .post(
            "/api/v1/experiments/import",
            Access::UserOrKey(Capability::RunExperiments, Scope::Catalogue),
            post(experiments::import).layer(axum::extract::DefaultBodyLimit::max(experiments::MAX_IMPORT_BYTES)),
        )
        .get("/api/v1/experiments/{id}", Access::UserOrKey(Capability::View(Module::Creatives), Scope::Catalogue), get(experiments::get))
        .route(
            Some(Method::PATCH),
            "/api/v1/experiments/{id}",
            Access::UserOrKey(Capability::RunExperiments, Scope::Catalogue),
            axum::routing::patch(experiments::patch),
        )
        .post("/api/v1/experiments/{id}/start", Access::UserOrKey(Capability::RunExperiments, Scope::Catalogue), post(experiments::start))
        .post("/api/v1/experiments/{id}/stop", Access::UserOrKey(Capability::RunExperiments, Scope::Catalogue), post(experiments::stop))
        .post("/api/v1/experiments/{id}/ship", Access::UserOrKey(Capability::RunExperiments, Scope::Catalogue), post(experiments::ship))
        .get("/api/v1/recommendations", Access::Requires(Capability::View(Module::ActionCenter)), get(recommendations::list))
        .post("/api/v1/recommendations/refresh", Access::Requires(Capability::View(Module::ActionCenter)), post(recommendations::refresh))
        .get("/api/v1/recommendations/outcomes", Access::Requires(Capability::View(Module::ActionCenter)), get(recommendations::outcomes))
        .get("/api/v1/recommendations/{id}", Access::Requires(Capability::View(Module::ActionCenter)), get(recommendations::get))
        .post("/api/v1/recommendations/{id}/execute", Access::Requires(Capability::View(Module::ActionCenter)), post(recommendations::execute))
        .post("/api/v1/recommendations/{id}/approve", Access::Requires(Capability::View(Module::ActionCenter)), post(recommendations::approve))
        .post("/api/v1/recommendations/{id}/schedule", Access::Requires(Capability::View(Module::ActionCenter)), post(recommendations::schedule))
        .post("/api/v1/recommendations/{id}/dismiss", Access::Requires(Capability::View(Module::ActionCenter)), post(recommendations::dismiss))
        .get("/api/v1/alerts", Access::Requires(Capability::View(Module::SystemHealth)), get(alerts::list))
        // Module 9's alerts, and compliance's own flags: the service checks which.
        .post("/api/v1/alerts/{id}/acknowledge", Access::SignedIn, post(alerts::acknowledge))
        .get("/api/v1/alert-rules", Access::SignedIn, get(alerts::rules))
        .post("/api/v1/alert-rules", Access::SignedIn, post(alerts::create_rule))
        .route(Some(Method::DELETE), "/api/v1/alert-rules/{id}", Access::SignedIn, axum::routing::delete(alerts::delete_rule));
    let table = table
        .get("/api/v1/reports/board.pdf", Access::Requires(Capability::View(Module::RoiDeepDive)), get(reports::board))
        .get("/api/v1/reports/campaign/{file}", Access::Requires(Capability::View(Module::CampaignDetail)), get(reports::campaign))
        .get("/api/v1/reports/compliance.pdf", Access::Requires(Capability::ReadAuditLog), get(reports::compliance))
        // A schedule is its owner's; the service checks the report's own right.
        .get("/api/v1/report-schedules", Access::SignedIn, get(reports::schedules))
        .post("/api/v1/report-schedules", Access::SignedIn, post(reports::create_schedule))
        .get("/api/v1/report-schedules/{id}", Access::SignedIn, get(reports::schedule))
        .route(Some(Method::DELETE), "/api/v1/report-schedules/{id}", Access::SignedIn, axum::routing::delete(reports::delete_schedule));
    let table = exports::routes(table);
    let table = if clock_control {
        table.post("/api/v1/admin/clock", Access::Requires(Capability::ManageUsers), post(clock::advance))
    } else {
        table
    };
    table.route(None, "/api/{*path}", Access::SignedIn, any(api_not_found))
}

/// Adds the pages and server functions Leptos registers to `inventory`; each must have declared
/// its access in `app`, or the application refuses to start.
fn declare_pages(inventory: &mut Inventory) -> Result<Vec<leptos_axum::AxumRouteListing>, AppError> {
    let pages = generate_route_list(App);
    for listing in &pages {
        let path = listing.path().to_owned();
        let access = app::page_access(&path)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("page {path} declares no access in app::PAGE_ACCESS")))?;
        inventory.push(RouteEntry { method: Some(Method::GET), path, kind: RouteKind::Page, access });
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        let access = app::api::SERVER_FN_ACCESS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, access)| *access)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("server function {path} declares no access in SERVER_FN_ACCESS")))?;
        inventory.push(RouteEntry { method: Some(method), path: path.to_owned(), kind: RouteKind::ServerFunction, access });
    }
    Ok(pages)
}

/// The whole application, and the inventory of its routes with their declared access.
pub fn router(state: AppState) -> Result<(Router, Arc<Inventory>), AppError> {
    let (api, mut inventory) = api(state.settings.clock_control).into_parts();
    let pages = declare_pages(&mut inventory)?;

    let backend: app::backend::SharedBackend = Arc::new(ServerBackend::new(state.clone()));
    let pages = Router::new()
        .leptos_routes_with_context(&state, pages, move || provide_context(backend.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        // Anything else is a static file from the built site, or a plain 404: the fallback never
        // renders the application, so no page can be reached around the access check.
        .fallback_service(
            tower_http::services::ServeDir::new(&state.settings.site_root)
                .not_found_service(axum::routing::any(not_found_page).with_state(())),
        );

    let inventory = Arc::new(inventory);
    let routes = api
        .merge(pages)
        .route_layer(axum::middleware::from_fn_with_state(inventory.clone(), pipeline::enforce));
    let router = pipeline::layers(routes, state.clone()).with_state(state);
    Ok((router, inventory))
}

/// `docs/routes.md`: every route, what it shows or does, and which roles may use it.
pub fn routes_markdown() -> String {
    // Every route a server can have, the clock control included (it says so in the API document).
    let (_, mut inventory) = api(true).into_parts();
    if let Err(err) = declare_pages(&mut inventory) {
        return format!("# Routes\n\nThe route table could not be built: {}\n", err.one_line());
    }
    let mut out = String::from(
        "# Routes\n\nGenerated from the router by `swipesavvy docs`; do not edit by hand (a test fails when this file\n\
         and the code disagree). Pages answer anonymous browsers with a redirect to `/login`, other callers with\n\
         401; a role without the capability gets 403. Static assets and the 404 page are public.\n\n\
         | method | path | kind | module | requires | roles |\n|---|---|---|---|---|---|\n",
    );
    let mut entries: Vec<&RouteEntry> = inventory.entries().iter().collect();
    entries.sort_by_key(|e| (e.kind as u8, e.path.clone()));
    for entry in entries {
        let method = entry.method.as_ref().map_or("any".to_owned(), |m| m.to_string());
        let kind = match entry.kind {
            RouteKind::Page => "page",
            RouteKind::Api => "API",
            RouteKind::ServerFunction => "server function",
        };
        let roles: Vec<&str> = entry.access.roles().iter().map(|r| r.as_str()).collect();
        let roles = match entry.access {
            Access::Public => "anyone".to_owned(),
            Access::Key(_) => "producers (API key)".to_owned(),
            _ => roles.join(", "),
        };
        let module = match entry.access {
            Access::Requires(app::access::Capability::View(module)) => module.title(),
            _ => "—",
        };
        out.push_str(&format!("| {method} | `{}` | {kind} | {module} | {} | {roles} |\n", entry.path, entry.access.describe()));
    }
    out
}

/// The 404 page for paths that are neither a route nor a file of the built site.
async fn not_found_page() -> axum::response::Html<&'static str> {
    axum::response::Html(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Page not found · SwipeSavvy Analytics</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"stylesheet\" href=\"/pkg/swipesavvy.css\"></head>\
         <body><main class=\"content\"><h1 class=\"page-title\">Page not found</h1>\
         <p>There is no page at this address.</p><p><a href=\"/\">Back to your dashboard</a></p></main></body></html>",
    )
}

/// Unknown API paths answer in JSON, not with the HTML 404 page.
async fn api_not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("the API path {}", uri.path()))
}
