//! `swipesavvy import FILE`: events from a CSV or NDJSON file, streamed in batches through the
//! same validation, deduplication and storage as the API (constant memory for any file size),
//! with a per-row error report and a summary.
//!
//! CSV columns: the envelope's fields (`event_id`, `event_type`, `timestamp`, `user_id`,
//! `session_id`, `source`), then either a `properties` column holding a JSON object or one
//! column per property named `properties.<name>` (and `context.<name>`). Cell values that read as
//! numbers or booleans become numbers or booleans; empty cells are left out.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{MAX_BATCH, Producer, ingest};
use crate::error::{AppError, Result};
use crate::progress::{Progress, Unit};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// From the file's extension: `.csv`, `.ndjson` / `.jsonl`.
    pub fn from_path(path: &Path) -> Result<Format> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("ndjson" | "jsonl") => Ok(Format::Ndjson),
            _ => Err(AppError::Config(format!(
                "cannot tell the format of {} from its extension: use .csv, .ndjson or .jsonl, or pass --format",
                path.display()
            ))),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: u64,
    pub accepted: u64,
    pub duplicates: u64,
    /// Rows with at least one problem.
    pub rejected_rows: u64,
}

/// One row of the source, with its line number (1-based, as editors count).
struct Row {
    line: u64,
    event: std::result::Result<Value, String>,
}

/// Reads rows lazily from either format.
enum Rows {
    Csv { records: csv::StringRecordsIntoIter<BufReader<File>>, headers: Vec<String> },
    Ndjson { lines: std::io::Lines<BufReader<File>>, line: u64 },
}

impl Rows {
    fn open(path: &Path, format: Format) -> Result<Rows> {
        let file = File::open(path).map_err(|err| AppError::Config(format!("cannot open {}: {err}", path.display())))?;
        let reader = BufReader::with_capacity(64 * 1024, file);
        Ok(match format {
            Format::Ndjson => Rows::Ndjson { lines: reader.lines(), line: 0 },
            Format::Csv => {
                let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
                let headers = csv
                    .headers()
                    .map_err(|err| AppError::Config(format!("cannot read the CSV header of {}: {err}", path.display())))?
                    .iter()
                    .map(|h| h.trim().to_owned())
                    .collect();
                Rows::Csv { records: csv.into_records(), headers }
            }
        })
    }
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match self {
            Rows::Ndjson { lines, line } => loop {
                *line += 1;
                let text = match lines.next()? {
                    Ok(text) => text,
                    Err(err) => return Some(Row { line: *line, event: Err(format!("cannot read the line: {err}")) }),
                };
                if text.trim().is_empty() {
                    continue;
                }
                let event = serde_json::from_str(&text).map_err(|err| format!("not valid JSON: {err}"));
                return Some(Row { line: *line, event });
            },
            Rows::Csv { records, headers } => {
                let record = records.next()?;
                Some(match record {
                    Ok(record) => {
                        let line = record.position().map_or(0, |p| p.line());
                        Row { line, event: csv_event(headers, &record) }
                    }
                    Err(err) => {
                        let line = err.position().map_or(0, |p| p.line());
                        Row { line, event: Err(format!("not a valid CSV record: {err}")) }
                    }
                })
            }
        }
    }
}

/// A cell as JSON: numbers and booleans typed, everything else a string.
fn cell_value(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(x) = text.parse::<f64>() {
        if x.is_finite() {
            return Value::from(x);
        }
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text.to_owned()),
    }
}

fn csv_event(headers: &[String], record: &csv::StringRecord) -> std::result::Result<Value, String> {
    let mut envelope = Map::new();
    let mut properties = Map::new();
    let mut context = Map::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        if header == "properties" {
            match serde_json::from_str::<Value>(cell) {
                Ok(Value::Object(map)) => properties.extend(map),
                _ => return Err("the properties column must hold a JSON object".to_owned()),
            }
        } else if let Some(name) = header.strip_prefix("properties.") {
            properties.insert(name.to_owned(), cell_value(cell));
        } else if let Some(name) = header.strip_prefix("context.") {
            context.insert(name.to_owned(), Value::String(cell.to_owned()));
        } else {
            // Envelope fields stay strings: ids that look like numbers are still ids.
            envelope.insert(header.clone(), Value::String(cell.to_owned()));
        }
    }
    envelope.insert("properties".to_owned(), Value::Object(properties));
    if !context.is_empty() {
        envelope.insert("context".to_owned(), Value::Object(context));
    }
    Ok(Value::Object(envelope))
}

/// Imports `path`, writing rejected rows (line, event id, field, reason) to `errors` as CSV.
pub async fn import(
    state: &AppState,
    path: &Path,
    format: Format,
    backfill: bool,
    errors: Option<PathBuf>,
) -> Result<ImportSummary> {
    let total_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut rows = Rows::open(path, format)?;
    let mut report = match &errors {
        Some(path) => Some(
            csv::Writer::from_path(path)
                .map_err(|err| AppError::Config(format!("cannot write the error report {}: {err}", path.display())))?,
        ),
        None => None,
    };
    if let Some(report) = report.as_mut() {
        report.write_record(["line", "event_id", "field", "reason"]).map_err(|e| AppError::Internal(e.into()))?;
    }
    let producer = Producer { key_id: None, rules: analytics::events::Rules { allow_backfill: backfill } };
    let mut summary = ImportSummary::default();
    let mut progress = Progress::new("import", Some(total_bytes), Unit::Bytes);
    let mut bytes_estimate: u64 = 0;
    loop {
        // One batch at a time: memory stays bounded by the batch, whatever the file's size.
        let mut read = 0;
        let mut lines = Vec::with_capacity(MAX_BATCH);
        let mut events = Vec::with_capacity(MAX_BATCH);
        for row in rows.by_ref().take(MAX_BATCH) {
            read += 1;
            summary.rows += 1;
            match row.event {
                Ok(event) => {
                    bytes_estimate += event.to_string().len() as u64 + 1;
                    lines.push(row.line);
                    events.push(event);
                }
                Err(reason) => {
                    summary.rejected_rows += 1;
                    write_error(report.as_mut(), row.line, "", "row", &reason)?;
                }
            }
        }
        if read == 0 {
            break;
        }
        if !events.is_empty() {
            let result = ingest(state, events, producer).await?;
            summary.accepted += result.accepted as u64;
            summary.duplicates += result.duplicates as u64;
            let mut rejected_indexes: Vec<usize> = result.rejected.iter().map(|r| r.index).collect();
            rejected_indexes.dedup();
            summary.rejected_rows += rejected_indexes.len() as u64;
            for rejection in &result.rejected {
                let line = lines.get(rejection.index).copied().unwrap_or(0);
                write_error(report.as_mut(), line, rejection.event_id.as_deref().unwrap_or(""), &rejection.field, &rejection.reason)?;
            }
        }
        progress.update(bytes_estimate.min(total_bytes), summary.rows, "rows");
    }
    progress.finish();
    if let Some(mut report) = report {
        report.flush().map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(summary)
}

fn write_error(report: Option<&mut csv::Writer<File>>, line: u64, event_id: &str, field: &str, reason: &str) -> Result<()> {
    if let Some(report) = report {
        report.write_record([line.to_string().as_str(), event_id, field, reason]).map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(())
}
