//! Tables as files: `GET /api/v1/exports/{view}.csv` and `.xlsx` take the view's own query
//! filters (and sorting, for the tables) and answer every matching row, no paging. Each view
//! needs the right to read its module; each export is written to the data-access log and the
//! audit log with its filters and row count. The encodings are in `crate::exports`.

use app::access::{Access, Caller, Capability, Module};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::metrics::{creatives_all, leaderboard_all, roi_view};
use super::pipeline::RouteTable;
use super::views::{funnel_view, heatmap_view, segments_view};
use app::wire::FieldError;

use crate::error::{AppError, Result};
use crate::exports::logs::LogSource;
use crate::exports::{FileFormat, Workbook, views};
use crate::services::access_log;
use crate::services::catalogue::Actor;
use crate::state::AppState;

/// The views that export, each with the module whose readers may export it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Campaigns,
    Creatives,
    Segments,
    Funnel,
    Heatmap,
    Roi,
    Experiments,
    Recommendations,
    RecommendationOutcomes,
}

impl View {
    pub const ALL: [View; 9] =
        [View::Campaigns, View::Creatives, View::Segments, View::Funnel, View::Heatmap, View::Roi, View::Experiments, View::Recommendations, View::RecommendationOutcomes];

    pub fn name(self) -> &'static str {
        match self {
            View::Campaigns => "campaigns",
            View::Creatives => "creatives",
            View::Segments => "segments",
            View::Funnel => "funnel",
            View::Heatmap => "heatmap",
            View::Roi => "roi",
            View::Experiments => "experiments",
            View::Recommendations => "recommendations",
            View::RecommendationOutcomes => "recommendation-outcomes",
        }
    }

    fn module(self) -> Module {
        match self {
            View::Campaigns => Module::Leaderboard,
            View::Creatives | View::Experiments => Module::Creatives,
            View::Segments => Module::Segments,
            View::Funnel => Module::Funnel,
            View::Heatmap => Module::Heatmap,
            View::Roi => Module::RoiDeepDive,
            View::Recommendations | View::RecommendationOutcomes => Module::ActionCenter,
        }
    }

    /// The API whose filters the export takes (for the API document).
    fn source(self) -> &'static str {
        match self {
            View::Campaigns => "GET /api/v1/campaigns (filters and sorting)",
            View::Creatives => "GET /api/v1/creatives (filters and sorting)",
            View::Segments => "GET /api/v1/segments",
            View::Funnel => "GET /api/v1/funnel (with its compare)",
            View::Heatmap => "GET /api/v1/heatmap",
            View::Roi => "GET /api/v1/roi",
            View::Experiments => "GET /api/v1/experiments (no filters)",
            View::Recommendations => "GET /api/v1/recommendations (kind, priority, status, max_age_days, role, min_confidence; limit only when given)",
            View::RecommendationOutcomes => "GET /api/v1/recommendations/outcomes (kind, from, to)",
        }
    }

    fn path(self, format: FileFormat) -> String {
        format!("/api/v1/exports/{}.{}", self.name(), format.extension())
    }
}

/// The two logs, streamed (`crate::exports::logs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    Audit,
    Access,
}

impl Log {
    pub const ALL: [Log; 2] = [Log::Audit, Log::Access];

    fn name(self) -> &'static str {
        match self {
            Log::Audit => "audit",
            Log::Access => "access-log",
        }
    }

    fn capability(self) -> Capability {
        match self {
            Log::Audit => Capability::ReadAuditLog,
            Log::Access => Capability::ReadDataAccessLog,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Log::Audit => "GET /api/v1/audit (from, to, actor, action, campaign, status, q), oldest first",
            Log::Access => "GET /api/v1/access-log (from, to, actor, action, user_id, subject), oldest first",
        }
    }

    fn path(self, format: FileFormat) -> String {
        format!("/api/v1/exports/{}.{}", self.name(), format.extension())
    }
}

/// Both files of every view, each behind its module's right, and of both logs.
pub fn routes(mut table: RouteTable) -> RouteTable {
    for format in [FileFormat::Csv, FileFormat::Xlsx] {
        for view in View::ALL {
            let handler = move |state: State<AppState>, caller: Extension<Caller>, query: Query<Vec<(String, String)>>| export(state, caller, query, view, format);
            table = table.get(&view.path(format), Access::Requires(Capability::View(view.module())), axum::routing::get(handler));
        }
        for log in Log::ALL {
            let handler = move |state: State<AppState>, caller: Extension<Caller>, query: Query<Vec<(String, String)>>| export_log(state, caller, query, log, format);
            table = table.get(&log.path(format), Access::Requires(log.capability()), axum::routing::get(handler));
        }
    }
    table
}

async fn export_log(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(pairs): Query<Vec<(String, String)>>,
    log: Log,
    format: FileFormat,
) -> Result<Response> {
    // A file has every matching row: the table's paging does not apply.
    let pairs: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| k != "page" && k != "per_page").collect();
    let source = match log {
        Log::Audit => LogSource::Audit(crate::services::audit_query::Query::parse(&pairs)?),
        Log::Access => LogSource::Access(access_log::Query::parse(&pairs, |user| state.audit.subject_ref(user))?),
    };
    // A person is named in the logs (and the file's About sheet) by their pseudonym only.
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(key, value)| match key.as_str() {
            "user_id" => state.audit.subject_ref(value.trim()).map(|pseudonym| (key, pseudonym)),
            _ => Ok((key, value)),
        })
        .collect::<Result<_>>()?;
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    crate::exports::logs::respond(&state, (&who, &role), source, &pairs, format).await
}

async fn workbook(state: &AppState, view: View, pairs: &[(String, String)]) -> Result<Workbook> {
    Ok(match view {
        View::Campaigns => views::campaigns(&leaderboard_all(state, pairs).await?, pairs),
        View::Creatives => views::creatives(&creatives_all(state, pairs).await?, pairs),
        View::Segments => views::segments(&segments_view(state, pairs, &[]).await?, pairs),
        View::Funnel => views::funnel(&funnel_view(state, pairs).await?, pairs),
        View::Heatmap => views::heatmap(&heatmap_view(state, pairs).await?, pairs),
        View::Roi => views::roi(&roi_view(state, pairs).await?, pairs),
        View::Experiments => {
            if !pairs.is_empty() {
                let errors = pairs.iter().map(|(name, _)| FieldError { field: name.clone(), reason: "the experiments export takes no filters".to_owned() }).collect();
                return Err(AppError::Validation(errors));
            }
            let now = state.clock.now();
            views::experiments(&crate::services::experiments::list(&state.db, &state.metrics, now).await?, now, pairs)
        }
        View::Recommendations => {
            use crate::services::recommendations as service;
            let now = state.clock.now();
            only(pairs, &["kind", "priority", "status", "max_age_days", "role", "min_confidence", "limit"], "recommendations")?;
            let query = service::ListQuery::from_pairs(pairs)?;
            let rows = service::matching(&state.db, &query, now).await?;
            let list = rows.into_iter().take(query.limit.map_or(usize::MAX, |l| l as usize)).map(service::view).collect::<Result<Vec<_>>>()?;
            views::recommendations(&list, now, pairs)
        }
        View::RecommendationOutcomes => {
            use crate::services::recommendation_outcomes as service;
            only(pairs, &["kind", "from", "to"], "recommendation outcomes")?;
            let report = service::report(state, &service::OutcomeQuery::from_pairs(pairs)?).await?;
            views::recommendation_outcomes(&report, pairs)
        }
    })
}

/// A key the view does not take is an error naming it (the view's API refuses it too).
fn only(pairs: &[(String, String)], keys: &[&str], view: &str) -> Result<()> {
    let errors: Vec<FieldError> = pairs
        .iter()
        .filter(|(name, _)| !keys.contains(&name.as_str()))
        .map(|(name, _)| FieldError { field: name.clone(), reason: format!("the {view} export takes {} only", keys.join(", ")) })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(pairs): Query<Vec<(String, String)>>,
    view: View,
    format: FileFormat,
) -> Result<Response> {
    let book = workbook(&state, view, &pairs).await?;
    // Encoding (the XLSX's zip above all) is CPU work: off the async workers.
    let (bytes, book) = tokio::task::spawn_blocking(move || book.encode(format).map(|bytes| (bytes, book)))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    access_log::record_export(&state.db, &state.audit, (&who, &role), view.name(), &pairs, book.rows(), state.clock.now()).await?;
    let disposition = format!("attachment; filename=\"{}\"", book.file_name(format));
    Ok(([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// The export paths in the API document (they are made in a loop, so they are described here
/// rather than by `#[utoipa::path]`).
pub struct ExportPaths;

impl utoipa::Modify for ExportPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder};
        use utoipa::openapi::{ContentBuilder, ResponseBuilder};
        for format in [FileFormat::Csv, FileFormat::Xlsx] {
            for view in View::ALL {
                let what = match format {
                    FileFormat::Csv => "the main table as CSV (RFC 4180, UTF-8 with a byte-order mark; money in dollars, rates in percent)",
                    FileFormat::Xlsx => "every table on a sheet of its own with typed and formatted cells, a frozen header and an autofilter, and an About sheet with the period, filters and freshness",
                };
                let operation = OperationBuilder::new()
                    .tag("exports")
                    .operation_id(Some(format!("export_{}_{}", view.name(), format.extension())))
                    .description(Some(format!(
                        "Every row of {} with the same query parameters: {what}. Written to the data-access and audit logs.",
                        view.source()
                    )))
                    .response("200", ResponseBuilder::new().description("The file, named by view and period").content(format.content_type(), ContentBuilder::new().build()).build())
                    .response("422", ResponseBuilder::new().description("A filter the view does not take, or a bad value").build())
                    .build();
                openapi.paths.add_path_operation(view.path(format), vec![HttpMethod::Get], operation);
            }
            for log in Log::ALL {
                let operation = OperationBuilder::new()
                    .tag("exports")
                    .operation_id(Some(format!("export_{}_{}", log.name().replace('-', "_"), format.extension())))
                    .description(Some(format!(
                        "Every entry of {} ({}), read a page at a time in constant memory: CSV streams as it is read, XLSX is sent once written. Logged, with its row count, before the first row is sent.",
                        log.source(),
                        format.extension()
                    )))
                    .response("200", ResponseBuilder::new().description("The file, named by log and period").content(format.content_type(), ContentBuilder::new().build()).build())
                    .response("422", ResponseBuilder::new().description("A bad filter, named").build())
                    .build();
                openapi.paths.add_path_operation(log.path(format), vec![HttpMethod::Get], operation);
            }
        }
    }
}
