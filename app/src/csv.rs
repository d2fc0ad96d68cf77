//! Tables as CSV files that open cleanly in a spreadsheet: cells quoted per RFC 4180, text that
//! a spreadsheet would run as a formula defused, numbers raw (not formatted for reading). The
//! dashboard offers each table as a `data:` link built from the same rows it shows, so the
//! download works before hydration and needs no request.

use leptos::prelude::*;

/// One cell: text, or a number (empty when unknown).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(Option<f64>),
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

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return at
/// the start) is prefixed with an apostrophe, so an exported name can never execute.
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) { format!("\"{}\"", field.replace('"', "\"\"")) } else { field.to_owned() }
}

/// The header and rows as CSV text (CRLF line ends).
pub fn encode(header: &[&str], rows: &[Vec<Cell>]) -> String {
    let mut out = header.iter().map(|h| quoted(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(text) => quoted(&text_cell(text)),
                Cell::Number(Some(v)) if v.is_finite() => format!("{v}"),
                Cell::Number(_) => String::new(),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A `data:` URL of the CSV, with the byte-order mark that tells Excel it is UTF-8.
pub fn data_href(csv: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,%EF%BB%BF");
    for byte in csv.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// "Download CSV" for a table the page shows. The file is built here from the rows on screen;
/// the download is reported to the server, which writes it to the data-access and audit logs
/// like any export (with the page's filters and the row count).
#[component]
pub fn CsvLink(
    /// The file's name, e.g. `segments.csv`.
    filename: &'static str,
    header: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
) -> impl IntoView {
    let href = data_href(&encode(header, &rows));
    let search = leptos_router::hooks::use_location().search;
    let count = rows.len() as u64;
    let report = move |_| {
        let query = search.get_untracked();
        leptos::task::spawn_local(async move {
            let _ = crate::api::log_export(filename.trim_end_matches(".csv").to_owned(), query, count).await;
        });
    };
    view! { <a class="button button--quiet" href=href download=filename on:click=report>"Download CSV"</a> }
}

/// "Download Excel": the server's XLSX of the whole view (`GET /api/v1/exports/{view}.xlsx`) with
/// the page's filters: every table on a sheet of its own with typed cells, and a sheet stating the
/// filters, period and freshness. The server writes it to the data-access and audit logs.
#[component]
pub fn ExcelLink(
    /// The export's name: `segments`, `funnel`, `heatmap`, `roi`, …
    view: &'static str,
    /// The filters the view was asked with.
    query: crate::filters::QueryPairs,
) -> impl IntoView {
    let href = query.href(&format!("/api/v1/exports/{view}.xlsx"));
    view! { <a class="button button--quiet" href=href download="">"Download Excel"</a> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_defused_and_raw() {
        let rows = vec![
            vec![Cell::from("Summer, \"big\" sale"), Cell::from(4.25), Cell::from(None)],
            vec![Cell::from("=HYPERLINK(\"x\")"), Cell::from(-3.5), Cell::from(12u64)],
        ];
        assert_eq!(encode(&["name", "roas", "n"], &rows), "name,roas,n\r\n\"Summer, \"\"big\"\" sale\",4.25,\r\n\"'=HYPERLINK(\"\"x\"\")\",-3.5,12\r\n");
        assert_eq!(text_cell("-5 off"), "'-5 off");
        assert_eq!(text_cell("Summer Sale"), "Summer Sale");
        assert!(data_href("a,b\r\n").ends_with("a%2Cb%0D%0A"));
    }
}
