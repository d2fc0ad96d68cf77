//! The data-access log: who read user-level rows, unmasked personal data, ran a privacy query
//! or exported, when, with which filter, and why. Append-only (migration 12's triggers); users
//! appear only by their keyed pseudonym (`Audit::subject_ref`).

use app::wire::{AccessLogEntry, AccessLogPage, FieldError};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;

use crate::entities::data_access_log;
use crate::error::{AppError, Result};

/// One read to record.
#[derive(Debug, Clone)]
pub struct Read {
    /// `read_user_rows`, `unmask`, `consent_trail`, `privacy_query`, `export`.
    pub action: &'static str,
    /// What was read: `customer:user#…`, `consent_trail:user#…`, `export:campaigns`, …
    pub subject: String,
    /// The filter as asked, with any personal data already masked.
    pub filter: Option<Value>,
    pub reason: Option<String>,
    pub rows: Option<i64>,
}

/// Appends `read` for `who` (actor, role).
pub async fn record(db: &impl ConnectionTrait, who: (&str, &str), read: Read, now: DateTime<Utc>) -> Result<()> {
    data_access_log::ActiveModel {
        seq: sea_orm::ActiveValue::NotSet,
        at: Set(now),
        actor: Set(who.0.to_owned()),
        actor_role: Set(who.1.to_owned()),
        action: Set(read.action.to_owned()),
        subject: Set(read.subject),
        filter: Set(read.filter.map(|f| f.to_string())),
        reason: Set(read.reason),
        rows: Set(read.rows),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The filters of `GET /api/v1/access-log`.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Exact subject, e.g. `customer:user#…` (a user id is turned into its pseudonym by the caller).
    pub subject_contains: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

impl Query {
    /// Reads the query string; every problem is named.
    pub fn parse(pairs: &[(String, String)], pseudonym: impl Fn(&str) -> Result<String>) -> Result<Query> {
        let mut query = Query { page: 1, per_page: 50, ..Query::default() };
        let mut errors = Vec::new();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let time = |errors: &mut Vec<FieldError>| {
                crate::http::metrics::parse_time(value)
                    .map_err(|reason| errors.push(FieldError { field: key.clone(), reason }))
                    .ok()
            };
            match key.as_str() {
                "from" => query.from = time(&mut errors),
                "to" => query.to = time(&mut errors),
                "actor" => query.actor = Some(value.to_owned()),
                "action" => query.action = Some(value.to_owned()),
                "user_id" => query.subject_contains = Some(pseudonym(value)?),
                "subject" => query.subject_contains = Some(value.to_owned()),
                "page" => match value.parse::<u64>() {
                    Ok(n) if n >= 1 => query.page = n,
                    _ => errors.push(FieldError { field: "page".to_owned(), reason: format!("'{value}' is not a page number (1 or more)") }),
                },
                "per_page" => match value.parse::<u64>() {
                    Ok(n) if (1..=500).contains(&n) => query.per_page = n,
                    _ => errors.push(FieldError { field: "per_page".to_owned(), reason: format!("'{value}' is not 1 to 500") }),
                },
                other => errors.push(FieldError {
                    field: other.to_owned(),
                    reason: "unknown filter; use from, to, actor, action, user_id, subject, page, per_page".to_owned(),
                }),
            }
        }
        if errors.is_empty() { Ok(query) } else { Err(AppError::Validation(errors)) }
    }
}

impl Query {
    fn select(&self) -> sea_orm::Select<data_access_log::Entity> {
        use data_access_log::{Column, Entity};
        let mut select = Entity::find();
        if let Some(from) = self.from {
            select = select.filter(Column::At.gte(from));
        }
        if let Some(to) = self.to {
            select = select.filter(Column::At.lt(to));
        }
        if let Some(actor) = &self.actor {
            select = select.filter(Column::Actor.contains(actor.as_str()));
        }
        if let Some(action) = &self.action {
            select = select.filter(Column::Action.eq(action.as_str()));
        }
        if let Some(subject) = &self.subject_contains {
            select = select.filter(Column::Subject.contains(subject.as_str()));
        }
        select
    }
}

fn entry(row: data_access_log::Model) -> AccessLogEntry {
    AccessLogEntry {
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        actor_role: row.actor_role,
        action: row.action,
        subject: row.subject,
        filter: row.filter.and_then(|f| serde_json::from_str(&f).ok()),
        reason: row.reason,
        rows: row.rows,
    }
}

/// A page of the log, newest first.
pub async fn list(db: &impl ConnectionTrait, query: &Query) -> Result<AccessLogPage> {
    let select = query.select();
    let total = select.clone().count(db).await?;
    let rows = select.order_by_desc(data_access_log::Column::Seq).offset((query.page - 1) * query.per_page).limit(query.per_page).all(db).await?;
    Ok(AccessLogPage { entries: rows.into_iter().map(entry).collect(), total, page: query.page, per_page: query.per_page })
}

/// How many entries up to `until` (a sequence number) the filters match: an export's rows.
pub async fn count_until(db: &impl ConnectionTrait, query: &Query, until: i64) -> Result<u64> {
    Ok(query.select().filter(data_access_log::Column::Seq.lte(until)).count(db).await?)
}

/// Up to `limit` matching entries after `after_seq`, oldest first (for the export).
pub async fn page_after(db: &impl ConnectionTrait, query: &Query, after_seq: i64, limit: u64) -> Result<Vec<AccessLogEntry>> {
    let rows = query.select().filter(data_access_log::Column::Seq.gt(after_seq)).order_by_asc(data_access_log::Column::Seq).limit(limit).all(db).await?;
    Ok(rows.into_iter().map(entry).collect())
}

/// A query string as kept in the logs: each value with contact details masked.
pub fn masked_filter(pairs: &[(String, String)]) -> serde_json::Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.clone(), Value::String(crate::services::customers::redact_contact_details(v)))).collect()
}

/// An export: one row in the data-access log and one audit entry (`export.<name>`), together.
pub async fn record_export(
    db: &sea_orm::DatabaseConnection,
    audit_key: &crate::services::audit::Audit,
    who: (&str, &str),
    name: &str,
    filters: &[(String, String)],
    rows: u64,
    now: DateTime<Utc>,
) -> Result<()> {
    use sea_orm::TransactionTrait;
    let filter = masked_filter(filters);
    let txn = db.begin().await?;
    let read = Read { action: "export", subject: format!("export:{name}"), filter: Some(filter.clone().into()), reason: None, rows: Some(rows as i64) };
    record(&txn, who, read, now).await?;
    let entry = crate::services::audit::Entry {
        actor: who.0.to_owned(),
        role: who.1.to_owned(),
        action: format!("export.{name}"),
        target: format!("export:{name}"),
        after: Some(serde_json::json!({ "rows": rows, "filters": filter })),
        ..Default::default()
    };
    crate::services::audit::record(&txn, audit_key, entry, now).await?;
    txn.commit().await?;
    Ok(())
}
