//! Tables as files: `GET /api/v1/exports/campaigns.csv` takes the leaderboard's filters and
//! sorting and answers every matching row (no paging) as CSV that opens cleanly in Excel. Each
//! export is written to the data-access log and the audit log.

use app::access::Caller;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use app::csv::text_cell;

use super::metrics::leaderboard_all;
use crate::error::{AppError, Result};
use crate::services::access_log;
use crate::services::catalogue::Actor;
use crate::state::AppState;

fn number(value: Option<f64>, decimals: usize) -> String {
    value.filter(|v| v.is_finite()).map(|v| format!("{v:.decimals$}")).unwrap_or_default()
}

#[utoipa::path(get, path = "/api/v1/exports/campaigns.csv", tag = "exports", params(super::metrics::FilterParams, super::metrics::PagingParams), responses((status = 200, content_type = "text/csv", description = "Every leaderboard row the filters allow, sorted; money in dollars, rates in percent"), (status = 422, body = app::wire::ErrorBody)))]
pub async fn campaigns_csv(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response> {
    let table = leaderboard_all(&state, &pairs).await?;
    // A byte-order mark tells Excel the file is UTF-8.
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let header = [
            "rank", "campaign_id", "campaign", "type", "status", "sends", "impressions", "clicks", "conversions", "spend_usd", "revenue_usd", "roas",
            "ctr_percent", "conversion_rate_percent", "cac_usd", "aov_usd", "incrementality_percent", "budget_usd", "budget_spent_usd", "window_from_utc",
            "window_to_utc",
        ];
        writer.write_record(header).map_err(|e| AppError::Internal(e.into()))?;
        for row in &table.rows {
            let p = &row.performance;
            writer
                .write_record([
                    row.rank.to_string(),
                    row.campaign_id.to_string(),
                    text_cell(&row.name),
                    row.campaign_type.as_str().to_owned(),
                    row.status.as_str().to_owned(),
                    p.sends.to_string(),
                    p.impressions.to_string(),
                    p.clicks.to_string(),
                    p.conversions.to_string(),
                    number(Some(p.spend), 2),
                    number(Some(p.revenue), 2),
                    number(p.roas, 4),
                    number(p.ctr, 4),
                    number(p.conversion_rate, 4),
                    number(p.cac, 2),
                    number(p.aov, 2),
                    number(p.incrementality, 4),
                    number(Some(row.budget), 2),
                    number(Some(row.budget_spent), 2),
                    table.from.to_rfc3339(),
                    table.to.to_rfc3339(),
                ])
                .map_err(|e| AppError::Internal(e.into()))?;
        }
        writer.flush().map_err(|e| AppError::Internal(e.into()))?;
    }
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    access_log::record_export(&state.db, &state.audit, (&who, &role), "campaigns", &pairs, table.rows.len() as u64, state.clock.now()).await?;
    let filename = format!("campaigns-{}.csv", table.as_of.format("%Y-%m-%d"));
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\""))],
        out,
    )
        .into_response())
}
