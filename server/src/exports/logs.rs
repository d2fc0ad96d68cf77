//! The logs as files, streamed. The audit log and the data-access log grow without bound (they
//! are kept seven years), so their exports never hold them: rows are read in pages of
//! [`PAGE`] by sequence number and written as they come — CSV straight into the response, XLSX
//! into a constant-memory sheet in an anonymous temporary file that is then sent. The file holds
//! the entries up to the moment the export began (later ones, its own log entry included, are
//! left out), and the export is written to the data-access and audit logs with that many rows
//! before the first row leaves: an export that cannot be logged does not happen.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rust_xlsxwriter::Workbook as XlsxBook;

use super::Kind::{Count, Text, Time};
use super::{Cell, Column, FileFormat, Formats, Workbook, col, csv_field, finish_table, write_header, write_row, xlsx_error};
use crate::error::{AppError, Result};
use crate::services::{access_log, audit_query};
use crate::state::AppState;

/// Rows read per query.
const PAGE: u64 = 5_000;

/// Data rows a spreadsheet sheet holds under its header (Excel's limit is 1,048,576 rows).
const SHEET_ROWS: u32 = 1_048_575;

/// A log and the filters it was asked with.
pub enum LogSource {
    Audit(audit_query::Query),
    Access(access_log::Query),
}

const AUDIT: [Column; 12] = [
    col("seq", "Sequence", Count),
    col("time_utc", "Time", Time),
    col("user", "User", Text),
    col("role", "Role", Text),
    col("action", "Action", Text),
    col("target", "Target", Text),
    col("campaign", "Campaign", Text),
    col("target_segments", "Target segments", Text),
    col("consent_check", "Consent check", Text),
    col("consent_ok", "Consent OK", Text),
    col("status", "Resulting status", Text),
    col("reason", "Reason", Text),
];

const ACCESS: [Column; 9] = [
    col("seq", "Sequence", Count),
    col("time_utc", "Time", Time),
    col("user", "User", Text),
    col("role", "Role", Text),
    col("action", "Action", Text),
    col("subject", "Subject", Text),
    col("filter", "Filter", Text),
    col("reason", "Reason", Text),
    col("rows", "Rows", Count),
];

impl LogSource {
    /// The export's name in paths, file names and the logs.
    pub fn view(&self) -> &'static str {
        match self {
            LogSource::Audit(_) => "audit",
            LogSource::Access(_) => "access-log",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            LogSource::Audit(_) => "Audit log",
            LogSource::Access(_) => "Data-access log",
        }
    }

    fn columns(&self) -> &'static [Column] {
        match self {
            LogSource::Audit(_) => &AUDIT,
            LogSource::Access(_) => &ACCESS,
        }
    }

    fn period(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        match self {
            LogSource::Audit(q) => (q.from, q.to),
            LogSource::Access(q) => (q.from, q.to),
        }
    }

    /// The log's last sequence number now (0 when empty), and how many entries up to it match.
    async fn snapshot(&self, state: &AppState) -> Result<(i64, u64)> {
        use sea_orm::{EntityTrait, QueryOrder};
        use crate::entities::{audit_log, data_access_log};
        match self {
            LogSource::Audit(q) => {
                let head = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq).one(&state.db).await?.map_or(0, |e| e.seq);
                Ok((head, audit_query::count_until(&state.db, q, head).await?))
            }
            LogSource::Access(q) => {
                let head = data_access_log::Entity::find().order_by_desc(data_access_log::Column::Seq).one(&state.db).await?.map_or(0, |e| e.seq);
                Ok((head, access_log::count_until(&state.db, q, head).await?))
            }
        }
    }
}

/// Reads a log page by page, oldest first.
struct Pages {
    source: LogSource,
    campaigns: std::collections::HashMap<uuid::Uuid, app::wire::CampaignView>,
    after: i64,
    /// The last sequence number the export covers.
    until: i64,
    done: bool,
}

impl Pages {
    async fn new(state: &AppState, source: LogSource, until: i64) -> Result<Pages> {
        let campaigns = match source {
            LogSource::Audit(_) => audit_query::campaigns(&state.db).await?,
            LogSource::Access(_) => Default::default(),
        };
        Ok(Pages { source, campaigns, after: 0, until, done: false })
    }

    /// The next page's rows (possibly none when a page was all filtered out); `None` at the end.
    async fn next(&mut self, state: &AppState) -> Result<Option<Vec<Vec<Cell>>>> {
        if self.done {
            return Ok(None);
        }
        let until = self.until;
        let rows: Option<Vec<Vec<Cell>>> = match &self.source {
            LogSource::Audit(query) => match audit_query::page_after(&state.db, query, &self.campaigns, self.after, PAGE).await? {
                None => None,
                Some((rows, last)) => {
                    self.after = last;
                    let rows: Vec<Vec<Cell>> = rows.into_iter().filter(|r| r.seq <= until).map(audit_cells).collect();
                    (last <= until || !rows.is_empty()).then_some(rows)
                }
            },
            LogSource::Access(query) => {
                let entries: Vec<_> = access_log::page_after(&state.db, query, self.after, PAGE).await?.into_iter().filter(|e| e.seq <= until).collect();
                self.after = entries.last().map_or(self.after, |e| e.seq);
                (!entries.is_empty()).then(|| entries.into_iter().map(access_cells).collect())
            }
        };
        // Past the snapshot's end: nothing more to read.
        if self.after >= until {
            self.done = true;
        }
        if rows.is_none() {
            self.done = true;
        }
        Ok(rows)
    }
}

fn audit_cells(row: app::wire::AuditRow) -> Vec<Cell> {
    let segments: Vec<&str> = row.target_segments.iter().map(|s| s.as_str()).collect();
    vec![
        Cell::Number(Some(row.seq as f64)),
        row.at.into(),
        row.actor.into(),
        row.actor_role.into(),
        row.action.into(),
        row.target.into(),
        row.campaign_name.unwrap_or_default().into(),
        segments.join(" ").into(),
        row.consent_check.unwrap_or_default().into(),
        row.consent_ok.map(|ok| ok.to_string()).unwrap_or_default().into(),
        row.status.unwrap_or_default().into(),
        row.reason.unwrap_or_default().into(),
    ]
}

fn access_cells(entry: app::wire::AccessLogEntry) -> Vec<Cell> {
    vec![
        Cell::Number(Some(entry.seq as f64)),
        entry.at.into(),
        entry.actor.into(),
        entry.actor_role.into(),
        entry.action.into(),
        entry.subject.into(),
        entry.filter.map(|f| f.to_string()).unwrap_or_default().into(),
        entry.reason.unwrap_or_default().into(),
        Cell::Number(entry.rows.map(|r| r as f64)),
    ]
}

/// Logs the export, then answers the file.
pub async fn respond(state: &AppState, who: (&str, &str), source: LogSource, filters: &[(String, String)], format: FileFormat) -> Result<Response> {
    let now = state.clock.now();
    let (until, rows) = source.snapshot(state).await?;
    access_log::record_export(&state.db, &state.audit, who, source.view(), filters, rows, now).await?;
    let book = Workbook {
        view: source.view(),
        title: source.title(),
        period: match source.period() {
            (Some(from), Some(to)) => Some((from, to)),
            _ => None,
        },
        as_of: now,
        filters: filters.to_vec(),
        notes: vec![format!("The {rows} entries that matched the filters when the export began (up to sequence number {until}), oldest first.")],
        tables: Vec::new(),
    };
    let disposition = format!("attachment; filename=\"{}\"", book.file_name(format));
    let body = match format {
        FileFormat::Csv => csv_body(state.clone(), source, until),
        FileFormat::Xlsx => xlsx_body(state, source, until, &book).await?,
    };
    Ok(([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

/// CSV written page by page into the response; a failure part-way ends the body with an error
/// (the client sees an incomplete transfer, never a silently short file).
fn csv_body(state: AppState, source: LogSource, until: i64) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::result::Result<Bytes, std::io::Error>>(4);
    let columns = source.columns();
    tokio::spawn(async move {
        let result = async {
            let mut first = Vec::from("\u{feff}".as_bytes());
            {
                let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut first);
                writer.write_record(columns.iter().map(|c| c.key)).map_err(|e| AppError::Internal(e.into()))?;
                writer.flush().map_err(|e| AppError::Internal(e.into()))?;
            }
            if tx.send(Ok(Bytes::from(first))).await.is_err() {
                return Ok(());
            }
            let mut pages = Pages::new(&state, source, until).await?;
            while let Some(rows) = pages.next(&state).await? {
                let mut chunk = Vec::new();
                {
                    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).has_headers(false).from_writer(&mut chunk);
                    for row in &rows {
                        writer.write_record(row.iter().map(csv_field)).map_err(|e| AppError::Internal(e.into()))?;
                    }
                    writer.flush().map_err(|e| AppError::Internal(e.into()))?;
                }
                // The client went away: stop reading.
                if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                    return Ok(());
                }
            }
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(err) = result {
            tracing::warn!(error = %err.one_line(), "a log export failed part-way");
            let _ = tx.send(Err(std::io::Error::other(err.one_line()))).await;
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}

/// Rows into constant-memory sheets (each row goes to a temporary file as it is written); when a
/// sheet is full, the next one ("Audit log (2)", …) starts with its own header.
struct SplitSheets {
    xlsx: XlsxBook,
    title: &'static str,
    columns: &'static [Column],
    formats: Formats,
    /// Data rows per sheet.
    limit: u32,
    /// Each sheet's name and rows so far; the last is the one being written.
    sheets: Vec<(String, u32)>,
}

impl SplitSheets {
    fn new(title: &'static str, columns: &'static [Column], limit: u32) -> Result<SplitSheets> {
        let mut split = SplitSheets { xlsx: XlsxBook::new(), title, columns, formats: Formats::new(), limit, sheets: Vec::new() };
        split.open_sheet()?;
        Ok(split)
    }

    fn open_sheet(&mut self) -> Result<()> {
        let name = if self.sheets.is_empty() { self.title.to_owned() } else { format!("{} ({})", self.title, self.sheets.len() + 1) };
        let sheet = self.xlsx.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        write_header(sheet, &name, self.columns, &self.formats).map_err(xlsx_error)?;
        self.sheets.push((name, 0));
        Ok(())
    }

    fn push(&mut self, row: &[Cell]) -> Result<()> {
        if self.sheets.last().is_some_and(|(_, rows)| *rows == self.limit) {
            let full = self.xlsx.worksheet_from_index(self.sheets.len() - 1).map_err(xlsx_error)?;
            finish_table(full, self.limit, self.columns).map_err(xlsx_error)?;
            self.open_sheet()?;
        }
        let index = self.sheets.len() - 1;
        let r = self.sheets[index].1 + 1;
        let sheet = self.xlsx.worksheet_from_index(index).map_err(xlsx_error)?;
        write_row(sheet, r, row, self.columns, &self.formats).map_err(xlsx_error)?;
        self.sheets[index].1 = r;
        Ok(())
    }

    /// The last sheet's autofilter and the About sheet listing every sheet.
    fn finish(mut self, book: &Workbook) -> Result<XlsxBook> {
        let index = self.sheets.len() - 1;
        let last = self.xlsx.worksheet_from_index(index).map_err(xlsx_error)?;
        finish_table(last, self.sheets[index].1, self.columns).map_err(xlsx_error)?;
        let listed: Vec<(&str, usize)> = self.sheets.iter().map(|(name, rows)| (name.as_str(), *rows as usize)).collect();
        let about = self.xlsx.add_worksheet();
        book.write_about(about, &self.formats, &listed).map_err(xlsx_error)?;
        Ok(self.xlsx)
    }
}

/// XLSX in constant-memory sheets: rows go to a temporary file as they are written; the
/// finished file (also temporary, deleted once sent) is streamed.
async fn xlsx_body(state: &AppState, source: LogSource, until: i64, book: &Workbook) -> Result<Body> {
    let (title, columns) = (source.title(), source.columns());
    // The sheets are written on a blocking thread (formatting and file writes), fed page by page.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(2);
    let book = book.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<std::fs::File> {
        let mut sheets = SplitSheets::new(title, columns, SHEET_ROWS)?;
        while let Some(rows) = rx.blocking_recv() {
            for row in &rows {
                sheets.push(row)?;
            }
        }
        let mut xlsx = sheets.finish(&book)?;
        let mut file = tempfile::tempfile().map_err(|e| AppError::Internal(anyhow::anyhow!("cannot create a temporary file for the export: {e}")))?;
        xlsx.save_to_writer(&mut file).map_err(xlsx_error)?;
        std::io::Seek::rewind(&mut file).map_err(|e| AppError::Internal(e.into()))?;
        Ok(file)
    });
    let mut pages = Pages::new(state, source, until).await?;
    while let Some(rows) = pages.next(state).await? {
        // The writer stopped (its error is in its result).
        if tx.send(rows).await.is_err() {
            break;
        }
    }
    drop(tx);
    let file = writer.await.map_err(|e| AppError::Internal(e.into()))??;
    let file = tokio::fs::File::from_std(file);
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buffer)), file))
            }
            Err(err) => Some((Err(err), file)),
        }
    });
    Ok(Body::from_stream(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_sheet_continues_on_the_next_with_its_header() {
        let book = Workbook {
            view: "access-log",
            title: "Data-access log",
            period: None,
            as_of: Utc::now(),
            filters: Vec::new(),
            notes: Vec::new(),
            tables: Vec::new(),
        };
        let mut split = SplitSheets::new("Data-access log", &ACCESS, 3).unwrap();
        for n in 0..7 {
            let mut row = vec![Cell::Number(Some(f64::from(n)))];
            row.extend((1..ACCESS.len()).map(|_| Cell::Text(String::new())));
            split.push(&row).unwrap();
        }
        assert_eq!(split.sheets.iter().map(|(name, rows)| (name.as_str(), *rows)).collect::<Vec<_>>(), [
            ("Data-access log", 3),
            ("Data-access log (2)", 3),
            ("Data-access log (3)", 1)
        ]);
        let mut xlsx = split.finish(&book).unwrap();
        let bytes = xlsx.save_to_buffer().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut third = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet3.xml").unwrap(), &mut third).unwrap();
        assert!(third.contains("Sequence"), "the header again: {third}");
        assert!(third.contains("<v>6</v>"), "the seventh row: {third}");
    }
}
