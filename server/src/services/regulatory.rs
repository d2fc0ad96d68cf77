//! The compliance scan: each campaign's regulatory checks (`analytics::regulation`) from the
//! facts stored about it: its declarations, the consent violations counted against it, the
//! latest retention run, and the share of its audience it may reach.

use analytics::regulation::{CampaignFacts, checks, overall};
use app::wire::{CampaignCompliance, ComplianceScan};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::consent_violations_hourly;
use crate::error::Result;
use crate::services::{catalogue, consent, retention};
use crate::state::AppState;

/// Scans `only` that campaign, or every active, scheduled or pending one.
pub async fn scan(state: &AppState, only: Option<Uuid>) -> Result<ComplianceScan> {
    use analytics::CampaignStatus::*;
    let campaigns = match only {
        Some(id) => vec![catalogue::get(&state.db, id).await?],
        None => catalogue::all(&state.db).await?.into_iter().filter(|c| matches!(c.status, Active | Scheduled | PendingApproval)).collect(),
    };
    scan_campaigns(state, campaigns).await
}

/// The scan of every campaign that could have delivered in `[from, to)`: those live now, and
/// those whose schedule overlaps the period or that changed in it (a campaign that ran and has
/// since ended is still accounted for). Drafts never delivered.
pub async fn scan_period(state: &AppState, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<ComplianceScan> {
    use analytics::CampaignStatus::*;
    let campaigns = catalogue::all(&state.db)
        .await?
        .into_iter()
        .filter(|c| match c.status {
            Active | Scheduled | PendingApproval => true,
            Draft => false,
            _ => c.starts_at.is_some_and(|s| s < to) && c.ends_at.is_none_or(|e| e >= from) || (c.updated_at >= from && c.created_at < to),
        })
        .collect();
    scan_campaigns(state, campaigns).await
}

async fn scan_campaigns(state: &AppState, campaigns: Vec<app::wire::CampaignView>) -> Result<ComplianceScan> {
    let now = state.clock.now();
    let regimes = consent::regimes(&state.db).await?;
    let last_run = retention::latest(&state.db).await?.map(|run| (run.started_at, run.outcome == "ok"));
    let violations = consent_violations_hourly::Entity::find().filter(consent_violations_hourly::Column::HourStart.gte(now - Duration::days(30))).all(&state.db).await?;
    let mut out = Vec::with_capacity(campaigns.len());
    for campaign in campaigns {
        let mine: Vec<&consent_violations_hourly::Model> = violations.iter().filter(|v| v.campaign_id == campaign.id).collect();
        let facts = CampaignFacts {
            target_regions: campaign.target_regions.clone(),
            consent_method: campaign.consent_method,
            has_opt_out_link: campaign.has_opt_out_link,
            shares_data_with_third_parties: campaign.shares_data_with_third_parties,
            declared_at: campaign.updated_at,
            recent_violations: (mine.iter().map(|v| v.violations).sum(), mine.iter().map(|v| v.hour_start).max()),
            last_retention_run: last_run,
        };
        let found = checks(&facts, &regimes, now);
        let audience = consent::audience(state, &campaign, now).await?;
        let mut worst = overall(&found);
        if !audience.launch_allowed {
            worst = worst.max(analytics::regulation::CheckStatus::Fail);
        }
        out.push(CampaignCompliance { campaign_id: campaign.id, name: campaign.name, status: campaign.status, overall: worst, checks: found, audience });
    }
    Ok(ComplianceScan { as_of: now, campaigns: out })
}
