//! `swipesavvy import-spend FILE.csv`: spend lines from a CSV file (as ad platforms and e-mail
//! providers export cost) through the same rules as `POST /api/v1/spend`, all or nothing per file.
//!
//! Columns (a header row, in any order; other columns are ignored): `campaign_id`, `channel`
//! (`push`, `email`, `sms`, `in_app`), `period_start` (RFC 3339, or a date `YYYY-MM-DD` meaning
//! 00:00 UTC), `granularity` (`day` or `hour`), and exactly one of `amount` (dollars, at most two
//! decimals, e.g. `125.40`) or `amount_cents` (a whole number of cents). The whole file is read
//! and checked before anything is written: spend files are small (a line per campaign, channel
//! and day), and a half-recorded file would be worse than none.

use std::path::Path;

use app::format::dollars_to_cents;
use app::wire::{SpendEntry, SpendResult};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::error::{AppError, Result};
use crate::services::catalogue;

/// A problem with one line of the file (1-based, the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

/// What the import did: recorded everything, or nothing with the reasons.
#[derive(Debug)]
pub enum SpendImport {
    Recorded { result: SpendResult, campaigns: usize },
    Refused { rows: usize, errors: Vec<LineError> },
}

/// Which column carries the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AmountColumn {
    Dollars(usize),
    Cents(usize),
}

fn parse_period_start(text: &str) -> std::result::Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("'{text}' is neither an RFC 3339 time nor a date YYYY-MM-DD"))
}

/// A file as read: its entries with their line numbers, the lines that did not parse, and which
/// amount column it has.
struct ReadFile {
    entries: Vec<(u64, SpendEntry)>,
    errors: Vec<LineError>,
    amount: AmountColumn,
}

/// Reads the file into spend entries (with their line numbers) and the lines that did not parse.
fn read(path: &Path) -> Result<ReadFile> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|err| AppError::Config(format!("cannot open {}: {err}", path.display())))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|err| AppError::Config(format!("cannot read the CSV header of {}: {err}", path.display())))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut missing = Vec::new();
    let mut required = |name: &'static str| {
        let found = column(name);
        if found.is_none() {
            missing.push(name);
        }
        found.unwrap_or(0)
    };
    let (campaign_col, channel_col, start_col, granularity_col) =
        (required("campaign_id"), required("channel"), required("period_start"), required("granularity"));
    let amount = match (column("amount"), column("amount_cents")) {
        (Some(i), None) => AmountColumn::Dollars(i),
        (None, Some(i)) => AmountColumn::Cents(i),
        (Some(_), Some(_)) => {
            return Err(AppError::Config(format!("{} has both amount and amount_cents columns: keep one", path.display())));
        }
        (None, None) => {
            missing.push("amount (dollars) or amount_cents");
            AmountColumn::Cents(0)
        }
    };
    if !missing.is_empty() {
        return Err(AppError::Config(format!(
            "{} lacks the column(s) {}; expected campaign_id,channel,period_start,granularity,amount",
            path.display(),
            missing.join(", ")
        )));
    }

    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for record in reader.into_records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                errors.push(LineError { line, field: "row".to_owned(), reason: format!("not a valid CSV record: {err}") });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or_default().trim();
        let mut fail = |field: &str, reason: String| errors.push(LineError { line, field: field.to_owned(), reason });
        let campaign_id = uuid::Uuid::parse_str(cell(campaign_col)).map_err(|_| format!("'{}' is not a UUID", cell(campaign_col)));
        let channel = cell(channel_col).parse::<analytics::DeliveryChannel>().map_err(|_| {
            format!("'{}' is not a channel: use push, email, sms or in_app", cell(channel_col))
        });
        let period_start = parse_period_start(cell(start_col));
        let (amount_name, amount_cents) = match amount {
            AmountColumn::Dollars(i) => ("amount", dollars_to_cents(cell(i))),
            AmountColumn::Cents(i) => {
                ("amount_cents", cell(i).parse::<i64>().map_err(|_| format!("'{}' is not a whole number of cents", cell(i))))
            }
        };
        match (campaign_id, channel, period_start, amount_cents) {
            (Ok(campaign_id), Ok(channel), Ok(period_start), Ok(amount_cents)) => entries.push((
                line,
                SpendEntry { campaign_id, channel, period_start, granularity: cell(granularity_col).to_ascii_lowercase(), amount_cents },
            )),
            (campaign_id, channel, period_start, amount_cents) => {
                if let Err(reason) = campaign_id {
                    fail("campaign_id", reason);
                }
                if let Err(reason) = channel {
                    fail("channel", reason);
                }
                if let Err(reason) = period_start {
                    fail("period_start", reason);
                }
                if let Err(reason) = amount_cents {
                    fail(amount_name, reason);
                }
            }
        }
    }
    Ok(ReadFile { entries, errors, amount })
}

/// Imports `path`: every line is checked (parsing, then the ledger's rules); only when all pass
/// are they recorded, in one transaction, as recorded by `recorded_by`.
pub async fn import(db: &DatabaseConnection, path: &Path, recorded_by: &str, audit: &crate::services::audit::Audit, now: DateTime<Utc>) -> Result<SpendImport> {
    let ReadFile { entries, mut errors, amount } = read(path)?;
    let rows = entries.len() + errors.len();
    if rows == 0 {
        return Err(AppError::Config(format!("{} holds no spend lines", path.display())));
    }
    let lines: Vec<u64> = entries.iter().map(|(line, _)| *line).collect();
    let entries: Vec<SpendEntry> = entries.into_iter().map(|(_, entry)| entry).collect();
    for (index, field, reason) in catalogue::check_spend(db, &entries, now).await? {
        // The ledger names its amount field in cents; the report names the file's own column.
        let field = match (field, amount) {
            ("amount_cents", AmountColumn::Dollars(_)) => "amount",
            (field, _) => field,
        };
        errors.push(LineError { line: lines[index], field: field.to_owned(), reason });
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(SpendImport::Refused { rows, errors });
    }
    let campaigns = entries.iter().map(|e| e.campaign_id).collect::<std::collections::HashSet<_>>().len();
    // The command line is run by whoever has the server's files: recorded as the operator.
    let result = catalogue::insert_spend(db, &entries, audit, (recorded_by, "operator"), now).await?;
    Ok(SpendImport::Recorded { result, campaigns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_alone_is_midnight_utc() {
        assert_eq!(parse_period_start("2026-11-20").unwrap().to_rfc3339(), "2026-11-20T00:00:00+00:00");
        assert_eq!(parse_period_start("2026-11-20T05:00:00Z").unwrap().to_rfc3339(), "2026-11-20T05:00:00+00:00");
        assert!(parse_period_start("20/11/2026").is_err());
    }
}
