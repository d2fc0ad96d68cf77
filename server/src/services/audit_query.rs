//! Reading the audit log for Module 11: filters, pages, and each entry put in the spec's columns
//! (campaign, target segments, consent check, resulting status). The chain itself is
//! `audit.rs`; this only reads.

use std::collections::HashMap;

use app::wire::{AuditPage, AuditRow, CampaignView, FieldError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use crate::entities::audit_log;
use crate::error::{AppError, Result};

/// The filters of `GET /api/v1/audit` and the audit export.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub campaign: Option<Uuid>,
    pub status: Option<analytics::CampaignStatus>,
    pub text: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

impl Query {
    /// Reads the query string, naming every bad parameter.
    pub fn parse(pairs: &[(String, String)]) -> Result<Query> {
        let mut query = Query { page: 1, per_page: 50, ..Query::default() };
        let mut errors = Vec::new();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let mut bad = |reason: String| errors.push(FieldError { field: key.clone(), reason });
            match key.as_str() {
                "from" | "to" => match crate::http::metrics::parse_time(value) {
                    Ok(t) if key == "from" => query.from = Some(t),
                    Ok(t) => query.to = Some(t),
                    Err(reason) => bad(reason),
                },
                "actor" => query.actor = Some(value.to_owned()),
                "action" => query.action = Some(value.to_owned()),
                "q" => query.text = Some(value.to_owned()),
                "campaign" => match value.parse() {
                    Ok(id) => query.campaign = Some(id),
                    Err(_) => bad(format!("'{value}' is not a campaign id (a UUID)")),
                },
                "status" => match value.parse() {
                    Ok(s) => query.status = Some(s),
                    Err(e) => bad(format!("{e}")),
                },
                "page" => match value.parse::<u64>() {
                    Ok(n) if n >= 1 => query.page = n,
                    _ => bad(format!("'{value}' is not a page number (1 or more)")),
                },
                "per_page" => match value.parse::<u64>() {
                    Ok(n) if (1..=500).contains(&n) => query.per_page = n,
                    _ => bad(format!("'{value}' is not 1 to 500")),
                },
                other => errors.push(FieldError {
                    field: other.to_owned(),
                    reason: "unknown filter; use from, to, actor, action, campaign, status, q, page, per_page".to_owned(),
                }),
            }
        }
        if errors.is_empty() { Ok(query) } else { Err(AppError::Validation(errors)) }
    }

    fn select(&self) -> sea_orm::Select<audit_log::Entity> {
        use audit_log::Column as C;
        let mut select = audit_log::Entity::find();
        if let Some(from) = self.from {
            select = select.filter(C::At.gte(from));
        }
        if let Some(to) = self.to {
            select = select.filter(C::At.lt(to));
        }
        if let Some(actor) = &self.actor {
            select = select.filter(C::Actor.contains(actor.as_str()));
        }
        if let Some(action) = &self.action {
            // `campaign` matches every campaign action; `campaign.approve` only that one.
            select = if action.contains('.') { select.filter(C::Action.eq(action.as_str())) } else { select.filter(C::Action.starts_with(format!("{action}."))) };
        }
        if let Some(campaign) = self.campaign {
            select = select.filter(C::Target.eq(format!("campaign:{campaign}")));
        }
        if let Some(status) = self.status {
            // `after` is compact JSON written by serde_json; creatives carry a `status` of their
            // own, so this narrows and `status_matches` decides.
            select = select.filter(C::After.contains(format!("\"status\":\"{}\"", status.as_str())));
        }
        if let Some(text) = &self.text {
            let any = sea_orm::Condition::any()
                .add(C::Actor.contains(text.as_str()))
                .add(C::Action.contains(text.as_str()))
                .add(C::Target.contains(text.as_str()))
                .add(C::Reason.contains(text.as_str()));
            select = select.filter(any);
        }
        select
    }
}

/// The consent check of an entry in words, and whether it passed.
fn consent_words(check: &Value) -> (String, bool) {
    if let Some(audience) = check.get("audience").filter(|a| a.is_object()) {
        let allowed = audience["launch_allowed"].as_bool().unwrap_or(false);
        return match audience["eligible_share"].as_f64() {
            Some(share) => (format!("{:.0}% of {} reachable", 100.0 * share, audience["audience"].as_u64().unwrap_or(0)), allowed),
            None => ("no audience yet".to_owned(), allowed),
        };
    }
    let method = check["consent_method"].as_str().map(|m| m.replace('_', " "));
    let link = check["has_opt_out_link"].as_bool().unwrap_or(false);
    let words = format!("{}, {}", method.as_deref().unwrap_or("consent method not declared"), if link { "opt-out link" } else { "no opt-out link" });
    (words, method.is_some() && link)
}

fn row(entry: audit_log::Model, campaigns: &HashMap<Uuid, CampaignView>) -> AuditRow {
    let campaign_id = entry.target.strip_prefix("campaign:").and_then(|id| id.parse::<Uuid>().ok());
    let campaign = campaign_id.and_then(|id| campaigns.get(&id));
    let after: Option<Value> = entry.after.as_deref().and_then(|a| serde_json::from_str(a).ok());
    // The campaign as the entry recorded it (its name and targeting then), else as it is now.
    let recorded: Option<CampaignView> = after.clone().filter(|_| campaign_id.is_some()).and_then(|a| serde_json::from_value(a).ok());
    let campaign = recorded.as_ref().or(campaign);
    let check: Option<Value> = entry.consent_check.as_deref().and_then(|c| serde_json::from_str(c).ok());
    let (consent_check, consent_ok) = match check.as_ref().map(consent_words) {
        Some((words, ok)) => (Some(words), Some(ok)),
        None => (None, None),
    };
    AuditRow {
        seq: entry.seq,
        at: entry.at,
        actor: entry.actor,
        actor_role: entry.actor_role,
        action: entry.action,
        target: entry.target,
        campaign_id,
        campaign_name: campaign.map(|c| c.name.clone()),
        target_segments: campaign.map(|c| c.target_segments.clone()).unwrap_or_default(),
        consent_check,
        consent_ok,
        status: after.as_ref().and_then(|a| a.get("status")).and_then(Value::as_str).map(str::to_owned),
        reason: entry.reason,
    }
}

/// How many entries up to `until` (a sequence number) the filters match: an export's rows. With a
/// `status` filter (read from each entry's JSON) the entries are scanned a page at a time.
pub async fn count_until(db: &impl ConnectionTrait, query: &Query, until: i64) -> Result<u64> {
    let select = query.select().filter(audit_log::Column::Seq.lte(until));
    if query.status.is_none() {
        return Ok(select.count(db).await?);
    }
    let (mut after, mut n) = (0i64, 0u64);
    loop {
        let entries = select.clone().filter(audit_log::Column::Seq.gt(after)).order_by_asc(audit_log::Column::Seq).limit(5_000).all(db).await?;
        let Some(last) = entries.last().map(|e| e.seq) else { return Ok(n) };
        n += entries.iter().filter(|e| status_matches(query, e)).count() as u64;
        after = last;
    }
}

/// The catalogue's campaigns, which the rows name (read once per page or export).
pub async fn campaigns(db: &impl ConnectionTrait) -> Result<HashMap<Uuid, CampaignView>> {
    Ok(crate::services::catalogue::all(db).await?.into_iter().map(|c| (c.id, c)).collect())
}

/// Whether the entry left its target in the status asked (the top-level `status` of `after`).
fn status_matches(query: &Query, entry: &audit_log::Model) -> bool {
    let Some(status) = query.status else { return true };
    let after: Option<Value> = entry.after.as_deref().and_then(|a| serde_json::from_str(a).ok());
    after.as_ref().and_then(|a| a.get("status")).and_then(Value::as_str) == Some(status.as_str())
}

/// One page, newest first.
pub async fn page(db: &impl ConnectionTrait, query: &Query) -> Result<AuditPage> {
    let select = query.select().order_by_desc(audit_log::Column::Seq);
    let (total, entries) = if query.status.is_some() {
        let matching: Vec<audit_log::Model> = select.all(db).await?.into_iter().filter(|e| status_matches(query, e)).collect();
        let total = matching.len() as u64;
        (total, matching.into_iter().skip(((query.page - 1) * query.per_page) as usize).take(query.per_page as usize).collect())
    } else {
        let total = select.clone().count(db).await?;
        (total, select.offset((query.page - 1) * query.per_page).limit(query.per_page).all(db).await?)
    };
    let campaigns = campaigns(db).await?;
    Ok(AuditPage { rows: entries.into_iter().map(|e| row(e, &campaigns)).collect(), total, page: query.page, per_page: query.per_page })
}

/// The matching entries after `after_seq`, oldest first, scanning at most `limit`; and the last
/// sequence number scanned (the next page starts after it). `None` when nothing is left.
pub async fn page_after(db: &impl ConnectionTrait, query: &Query, campaigns: &HashMap<Uuid, CampaignView>, after_seq: i64, limit: u64) -> Result<Option<(Vec<AuditRow>, i64)>> {
    let entries = query.select().filter(audit_log::Column::Seq.gt(after_seq)).order_by_asc(audit_log::Column::Seq).limit(limit).all(db).await?;
    let Some(last) = entries.last().map(|e| e.seq) else { return Ok(None) };
    let rows = entries.into_iter().filter(|e| status_matches(query, e)).map(|e| row(e, campaigns)).collect();
    Ok(Some((rows, last)))
}
