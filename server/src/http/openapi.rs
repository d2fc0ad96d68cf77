//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the REST API, generated from the
//! handlers' `#[utoipa::path]` attributes and the wire types' schemas. A test checks that every
//! API route of the router is in it, so the document cannot fall behind the code.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::exports::ExportPaths;

use super::{alerts, audit, auth, campaigns, clock, events, experiments, health, live, metrics, privacy, quality, recommendations, reports, views};

#[derive(OpenApi)]
#[openapi(
    info(title = "SwipeSavvy Analytics API", description = "Campaign and purchase events in; the 25 metrics, incrementality and the dashboard's views out. \
        Signed-in users send their session cookie (and an Origin header on changes); producers send `Authorization: Bearer sskey_…`; \
        personal read tokens (`Bearer sspt_…`) read GET routes. Every error is `{\"error\": {code, message, fields}}`."),
    paths(
        health::health_v1,
        health::health,
        auth::login,
        auth::logout,
        auth::me,
        events::batch,
        events::single,
        events::dashboard_visit,
        campaigns::create,
        campaigns::get,
        campaigns::patch,
        campaigns::patch_creative,
        campaigns::spend,
        campaigns::reallocate,
        campaigns::assignment,
        campaigns::audience_consent,
        metrics::leaderboard,
        metrics::creatives,
        metrics::all,
        metrics::one,
        metrics::roi,
        metrics::seed_roas,
        views::funnel,
        views::heatmap,
        views::segments,
        views::campaign_performance,
        views::attribution,
        quality::quality,
        quality::system,
        audit::verify,
        audit::list,
        privacy::upsert,
        privacy::customer,
        privacy::consent_trail,
        privacy::campaigns,
        privacy::access_log,
        privacy::erasure,
        privacy::compliance_checks,
        privacy::retention,
        privacy::consent_overview,
        experiments::list,
        clock::advance,
        experiments::create,
        experiments::plan,
        experiments::import,
        experiments::get,
        experiments::patch,
        experiments::start,
        experiments::stop,
        experiments::ship,
        recommendations::list,
        recommendations::refresh,
        recommendations::outcomes,
        reports::board,
        reports::campaign,
        reports::compliance,
        reports::schedules,
        reports::create_schedule,
        reports::schedule,
        reports::delete_schedule,
        recommendations::get,
        recommendations::execute,
        recommendations::approve,
        recommendations::schedule,
        recommendations::dismiss,
        alerts::list,
        alerts::acknowledge,
        alerts::rules,
        alerts::create_rule,
        alerts::delete_rule,
        live::live,
        document,
    ),
    modifiers(&Security, &ExportPaths)
)]
pub struct ApiDoc;

/// The three ways to be let in.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("ss_session"))));
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("sskey_… (producers) or sspt_… (personal read token)").build()),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
