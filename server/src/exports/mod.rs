//! Tables as files. Each view's export is a [`Workbook`]: its typed tables and what they cover (the
//! period, the filters, when the figures were computed). One model, two encodings:
//! - CSV ([`Workbook::to_csv`]): the main table, RFC 4180, UTF-8 with the byte-order mark Excel
//!   needs, numbers raw (percentages as percent, money in dollars: the column names say so), text
//!   that a spreadsheet would run as a formula defused;
//! - XLSX ([`Workbook::to_xlsx`]): every table on a sheet of its own with typed cells (numbers as
//!   numbers, money and percentages formatted, times as dates), a frozen header row and an
//!   autofilter, plus an "About" sheet stating the view, period, filters and data freshness.
//!
//! The builders of each view's workbook are in [`views`].

pub mod logs;
pub mod views;

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook as XlsxBook, Worksheet};

use crate::error::{AppError, Result};

/// What a column holds, which decides its cell type and number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number (users, clicks).
    Count,
    /// Dollars.
    Money,
    /// A percentage, given in percent (12.5 = 12.5%), as the API gives it.
    Percent,
    /// A multiple such as ROAS (2.31×).
    Multiple,
    /// Any other number (a p-value, a statistic).
    Number,
    /// A UTC time.
    Time,
}

/// One column: its CSV name (snake case, with the unit: `revenue_usd`, `ctr_percent`), its
/// spreadsheet title, and its kind.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub title: &'static str,
    pub kind: Kind,
}

pub const fn col(key: &'static str, title: &'static str, kind: Kind) -> Column {
    Column { key, title, kind }
}

/// One cell. A number that is unknown (`None`, not finite) is an empty cell, never a zero.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(Option<f64>),
    Time(Option<DateTime<Utc>>),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_owned())
    }
}
impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}
impl From<f64> for Cell {
    fn from(value: f64) -> Cell {
        Cell::Number(Some(value))
    }
}
impl From<Option<f64>> for Cell {
    fn from(value: Option<f64>) -> Cell {
        Cell::Number(value)
    }
}
impl From<u64> for Cell {
    fn from(value: u64) -> Cell {
        Cell::Number(Some(value as f64))
    }
}
impl From<Option<u64>> for Cell {
    fn from(value: Option<u64>) -> Cell {
        Cell::Number(value.map(|v| v as f64))
    }
}
impl From<usize> for Cell {
    fn from(value: usize) -> Cell {
        Cell::Number(Some(value as f64))
    }
}
impl From<DateTime<Utc>> for Cell {
    fn from(at: DateTime<Utc>) -> Cell {
        Cell::Time(Some(at))
    }
}
impl From<Option<DateTime<Utc>>> for Cell {
    fn from(at: Option<DateTime<Utc>>) -> Cell {
        Cell::Time(at)
    }
}

/// A table: a sheet's name, its columns, its rows (each as long as the columns).
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: &'static str, columns: &[Column]) -> Table {
        Table { name, columns: columns.to_vec(), rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row of {} has as many cells as columns", self.name);
        self.rows.push(row);
    }
}

/// A view as files: its tables and what they cover.
#[derive(Debug, Clone)]
pub struct Workbook {
    /// The export's name in paths, file names and the logs (`campaigns`, `funnel`, …).
    pub view: &'static str,
    /// What it is, in words ("Campaign leaderboard").
    pub title: &'static str,
    /// The period the figures cover, `[from, to)`, when the view has one.
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// When the figures were computed.
    pub as_of: DateTime<Utc>,
    /// The query's filters as given (`segment=HIGH_SPENDER`, …).
    pub filters: Vec<(String, String)>,
    /// Sentences that belong with the figures: the view's insight, data-quality caveats.
    pub notes: Vec<String>,
    /// The main table first: it is the CSV.
    pub tables: Vec<Table>,
}

/// The two encodings, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

impl Workbook {
    /// The main table's row count (for the logs).
    pub fn rows(&self) -> u64 {
        self.tables.first().map_or(0, |t| t.rows.len() as u64)
    }

    /// A file name that says what and when: `campaigns_2026-10-21_to_2026-11-20.xlsx` for a
    /// period (its last day inclusive), `experiments_as_of_2026-11-20.csv` otherwise.
    pub fn file_name(&self, format: FileFormat) -> String {
        let when = match self.period {
            Some((from, to)) => {
                // `to` is exclusive: a period ending at midnight ends the day before.
                let last = if to > from { to - chrono::Duration::nanoseconds(1) } else { to };
                format!("{}_to_{}", from.format("%Y-%m-%d"), last.format("%Y-%m-%d"))
            }
            None => format!("as_of_{}", self.as_of.format("%Y-%m-%d")),
        };
        format!("{}_{when}.{}", self.view, format.extension())
    }

    pub fn encode(&self, format: FileFormat) -> Result<Vec<u8>> {
        match format {
            FileFormat::Csv => self.to_csv(),
            FileFormat::Xlsx => self.to_xlsx(),
        }
    }

    /// The main table as CSV.
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let mut out = Vec::from("\u{feff}".as_bytes());
        {
            let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
            let csv_error = |e: csv::Error| AppError::Internal(e.into());
            if let Some(table) = self.tables.first() {
                writer.write_record(table.columns.iter().map(|c| c.key)).map_err(csv_error)?;
                for row in &table.rows {
                    writer.write_record(row.iter().map(csv_field)).map_err(csv_error)?;
                }
            }
            writer.flush().map_err(|e| AppError::Internal(e.into()))?;
        }
        Ok(out)
    }

    /// Every table on its sheet, and the "About" sheet.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        let mut book = XlsxBook::new();
        let formats = Formats::new();
        for table in &self.tables {
            let sheet = book.add_worksheet();
            write_table(sheet, table, &formats).map_err(xlsx_error)?;
        }
        let about = book.add_worksheet();
        let sheets: Vec<(&str, usize)> = self.tables.iter().map(|t| (t.name, t.rows.len())).collect();
        self.write_about(about, &formats, &sheets).map_err(xlsx_error)?;
        book.save_to_buffer().map_err(xlsx_error)
    }

    /// The "About" sheet: the view, its period, when, the filters, each sheet's rows, the notes.
    fn write_about(&self, sheet: &mut Worksheet, formats: &Formats, sheets: &[(&str, usize)]) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
        sheet.set_name("About")?;
        sheet.set_column_width(0, 24)?;
        sheet.set_column_width(1, 60)?;
        let mut row = 0;
        let mut line = |sheet: &mut Worksheet, label: &str, value: &str| -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
            sheet.write_string_with_format(row, 0, label, &formats.header)?;
            sheet.write_string(row, 1, value)?;
            row += 1;
            Ok(())
        };
        line(sheet, "View", self.title)?;
        if let Some((from, to)) = self.period {
            line(sheet, "Period (UTC)", &format!("{} to {} (end exclusive)", from.format("%Y-%m-%d %H:%M"), to.format("%Y-%m-%d %H:%M")))?;
        }
        line(sheet, "Figures as of (UTC)", &self.as_of.format("%Y-%m-%d %H:%M:%S").to_string())?;
        let filters = if self.filters.is_empty() {
            "none (the view's defaults)".to_owned()
        } else {
            self.filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        };
        line(sheet, "Filters", &filters)?;
        for (name, rows) in sheets {
            line(sheet, "Sheet", &format!("{name} ({rows} rows)"))?;
        }
        for note in &self.notes {
            line(sheet, "Note", note)?;
        }
        Ok(())
    }
}

pub(crate) fn xlsx_error(err: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("cannot write the spreadsheet: {err}"))
}

pub(crate) fn csv_field(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => app::csv::text_cell(text),
        Cell::Number(Some(v)) if v.is_finite() => format!("{v}"),
        Cell::Number(_) | Cell::Time(None) => String::new(),
        Cell::Time(Some(at)) => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// The number formats, made once per workbook.
pub(crate) struct Formats {
    header: Format,
    count: Format,
    money: Format,
    percent: Format,
    multiple: Format,
    number: Format,
    time: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        Formats {
            header: Format::new().set_bold().set_align(FormatAlign::Left),
            count: Format::new().set_num_format("#,##0"),
            money: Format::new().set_num_format("$#,##0.00"),
            percent: Format::new().set_num_format("0.00%"),
            multiple: Format::new().set_num_format("0.00\"×\""),
            number: Format::new().set_num_format("0.0000"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        }
    }

    fn of(&self, kind: Kind) -> &Format {
        match kind {
            Kind::Text => &self.header, // unused: text is written plain
            Kind::Count => &self.count,
            Kind::Money => &self.money,
            Kind::Percent => &self.percent,
            Kind::Multiple => &self.multiple,
            Kind::Number => &self.number,
            Kind::Time => &self.time,
        }
    }
}

fn write_table(sheet: &mut Worksheet, table: &Table, formats: &Formats) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    write_header(sheet, table.name, &table.columns, formats)?;
    for (r, row) in table.rows.iter().enumerate() {
        write_row(sheet, r as u32 + 1, row, &table.columns, formats)?;
    }
    finish_table(sheet, table.rows.len() as u32, &table.columns)
}

/// The sheet's name, its header row (bold, frozen) and column widths.
pub(crate) fn write_header(sheet: &mut Worksheet, name: &str, columns: &[Column], formats: &Formats) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    sheet.set_name(name)?;
    for (c, column) in columns.iter().enumerate() {
        let c = c as u16;
        // Times say their zone in the header, since a spreadsheet date has none.
        let title = if column.kind == Kind::Time { format!("{} (UTC)", column.title) } else { column.title.to_owned() };
        sheet.write_string_with_format(0, c, &title, &formats.header)?;
        let width = match column.kind {
            Kind::Text => 28.0,
            Kind::Time => 20.0,
            _ => (title.chars().count() as f64 + 2.0).max(12.0),
        };
        sheet.set_column_width(c, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// One row's typed cells at sheet row `r` (1 is the first under the header).
pub(crate) fn write_row(sheet: &mut Worksheet, r: u32, row: &[Cell], columns: &[Column], formats: &Formats) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    for (c, (cell, column)) in row.iter().zip(columns).enumerate() {
        let c = c as u16;
        match cell {
            Cell::Text(text) => {
                sheet.write_string(r, c, excel_text(text))?;
            }
            Cell::Number(Some(v)) if v.is_finite() => {
                // A spreadsheet percentage is a fraction shown ×100.
                let value = if column.kind == Kind::Percent { v / 100.0 } else { *v };
                sheet.write_number_with_format(r, c, value, formats.of(column.kind))?;
            }
            Cell::Time(Some(at)) => {
                let date = ExcelDateTime::from_timestamp(at.timestamp())?;
                sheet.write_datetime_with_format(r, c, &date, &formats.time)?;
            }
            Cell::Number(_) | Cell::Time(None) => {}
        }
    }
    Ok(())
}

/// Text within Excel's 32,767-character cell limit (UTF-16 units), cut with an ellipsis when
/// longer, so one huge value cannot fail a whole export.
fn excel_text(text: &str) -> std::borrow::Cow<'_, str> {
    const LIMIT: usize = 32_767;
    if text.len() <= LIMIT || text.encode_utf16().count() <= LIMIT {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut units = 0;
    let cut: String = text.chars().take_while(|c| {
        units += c.len_utf16();
        units < LIMIT
    }).collect();
    std::borrow::Cow::Owned(format!("{cut}…"))
}

/// The autofilter over the header and `rows` rows.
pub(crate) fn finish_table(sheet: &mut Worksheet, rows: u32, columns: &[Column]) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    sheet.autofilter(0, 0, rows, columns.len().saturating_sub(1) as u16)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> Workbook {
        let mut table = Table::new("Campaigns", &[col("name", "Campaign", Kind::Text), col("ctr_percent", "CTR", Kind::Percent), col("revenue_usd", "Revenue", Kind::Money)]);
        table.push(vec!["=SUM(A1)".into(), 12.5.into(), Cell::Number(None)]);
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        Workbook {
            view: "campaigns",
            title: "Campaign leaderboard",
            period: Some((at - chrono::Duration::days(30), at)),
            as_of: at,
            filters: vec![("segment".into(), "HIGH_SPENDER".into())],
            notes: vec![],
            tables: vec![table],
        }
    }

    #[test]
    fn csv_has_the_bom_raw_numbers_defused_text_and_empty_unknowns() {
        let text = String::from_utf8(sample().to_csv().unwrap()).unwrap();
        assert_eq!(text, "\u{feff}name,ctr_percent,revenue_usd\r\n'=SUM(A1),12.5,\r\n");
    }

    #[test]
    fn text_longer_than_an_excel_cell_is_cut_to_fit() {
        let long = "é".repeat(40_000);
        let cut = excel_text(&long);
        assert_eq!(cut.encode_utf16().count(), 32_767);
        assert!(cut.ends_with('…'));
        assert_eq!(excel_text("short"), "short");
    }

    #[test]
    fn file_names_say_what_and_when_with_the_last_day_inclusive() {
        let book = sample();
        assert_eq!(book.file_name(FileFormat::Xlsx), "campaigns_2026-10-21_to_2026-11-19.xlsx");
        let undated = Workbook { period: None, ..book };
        assert_eq!(undated.file_name(FileFormat::Csv), "campaigns_as_of_2026-11-20.csv");
    }

    #[test]
    fn xlsx_is_a_zip_with_one_sheet_per_table_and_the_about_sheet() {
        use std::io::Read;
        let bytes = sample().to_xlsx().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = |name: &str| {
            let mut text = String::new();
            zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}")).read_to_string(&mut text).unwrap();
            text
        };
        let table = xml("xl/worksheets/sheet1.xml");
        assert!(table.contains(r#"state="frozen""#), "a frozen header row: {table}");
        assert!(table.contains(r#"<autoFilter ref="A1:C2""#), "an autofilter over the table: {table}");
        assert!(xml("xl/workbook.xml").contains(r#"name="About""#));
    }
}
