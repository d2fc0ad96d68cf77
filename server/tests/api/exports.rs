//! `GET /api/v1/exports/{view}.{csv|xlsx}`: every view's rows with the view's own filters, as a
//! CSV that round-trips through a CSV parser to the API's values and as an XLSX whose cells, read
//! back, are numbers with the API's values and the expected formats; each export logged.

use std::io::Cursor;

use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use calamine::{Data, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use serde_json::Value;

use crate::support::{TestApp, spawn_app_with};

const VIEWS: [&str; 7] = ["campaigns", "creatives", "segments", "funnel", "heatmap", "roi", "experiments"];

pub(crate) async fn download(app: &TestApp, cookie: &str, path: &str) -> (String, Vec<u8>) {
    let res = app.get_with_cookie(path, cookie).await;
    assert_eq!(res.status(), 200, "{path}: {:?}", res.headers());
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    let expected = if path.contains(".xlsx") { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" } else { "text/csv; charset=utf-8" };
    assert_eq!(content_type, expected, "{path}");
    (disposition, res.bytes().await.unwrap().to_vec())
}

pub(crate) fn workbook(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a readable XLSX")
}

/// A sheet as header titles and rows.
pub(crate) fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    let mut rows = range.rows().map(|r| r.to_vec());
    let header = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    (header, rows.collect())
}

pub(crate) fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(v) => Some(*v),
        Data::Int(v) => Some(*v as f64),
        Data::Empty => None,
        other => panic!("a number cell holds {other:?}"),
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

#[tokio::test]
async fn every_view_exports_as_csv_and_xlsx_with_the_apis_values_and_is_logged() {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    let app = spawn_app_with(server::clock::Clock::fixed(now)).await;
    let days = 12;
    let config = SimConfig { seed: 31, users: 500, days, campaigns: 5, start: start_for(now, days), holdout_share: 0.1, faults: Faults::default(), experiments: 2 };
    server::services::simulate::to_db(&app.state, config, |_, _| {}).await.unwrap();
    let perf = app.sign_in(Role::PerfLead).await.cookie;
    let query = "range=30d&type=DISCOUNT,CASHBACK,LOYALTY&sort=revenue";
    let mut made = 0;

    // Every view, both formats, named by view and period.
    for view in VIEWS {
        for ext in ["csv", "xlsx"] {
            let (disposition, bytes) = download(&app, &perf, &format!("/api/v1/exports/{view}.{ext}")).await;
            made += 1;
            let name_starts = format!("attachment; filename=\"{view}_");
            assert!(disposition.starts_with(&name_starts) && disposition.ends_with(&format!(".{ext}\"")), "{disposition}");
            if ext == "xlsx" {
                let names = workbook(bytes).sheet_names();
                assert_eq!(names.last().map(String::as_str), Some("About"), "{view}: {names:?}");
            } else {
                assert!(bytes.starts_with("\u{feff}".as_bytes()), "{view}: a byte-order mark for Excel");
            }
        }
    }

    // The campaigns CSV: the API's rows, in its order, with its figures.
    let api: Value = app.get_with_cookie(&format!("/api/v1/campaigns?{query}&per_page=500"), &perf).await.json().await.unwrap();
    let api_rows = api["rows"].as_array().unwrap_or_else(|| panic!("{api}"));
    assert!(api_rows.len() >= 2, "the filters keep several campaigns: {api}");
    let (disposition, bytes) = download(&app, &perf, &format!("/api/v1/exports/campaigns.csv?{query}")).await;
    made += 1;
    assert!(disposition.contains("campaigns_2026-10-21_to_2026-11-20.csv"), "{disposition}");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), api_rows.len());
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let parsed = |s: &str| if s.is_empty() { None } else { Some(s.parse::<f64>().unwrap()) };
    for (record, row) in records.iter().zip(api_rows) {
        assert_eq!(&record[at("campaign_id")], row["campaign_id"].as_str().unwrap());
        let p = row; // the performance figures are flattened into the row
        for (column, field) in [("revenue_usd", "revenue"), ("spend_usd", "spend"), ("ctr_percent", "ctr"), ("roas", "roas"), ("cac_usd", "cac")] {
            assert!(close(parsed(&record[at(column)]), p[field].as_f64()), "{column}: {} against {}", &record[at(column)], p[field]);
        }
        assert_eq!(parsed(&record[at("clicks")]), p["clicks"].as_f64());
    }

    // The campaigns XLSX: numbers as numbers, percentages as fractions shown as percent, money
    // in dollars, a frozen header; the About sheet states the filters and the period.
    let (_, bytes) = download(&app, &perf, &format!("/api/v1/exports/campaigns.xlsx?{query}")).await;
    made += 1;
    let mut book = workbook(bytes);
    assert_eq!(book.sheet_names(), ["Campaigns", "About"]);
    let (header, rows) = sheet(&mut book, "Campaigns");
    assert_eq!(rows.len(), api_rows.len());
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name} in {header:?}"));
    for (cells, row) in rows.iter().zip(api_rows) {
        let p = row; // the performance figures are flattened into the row
        assert_eq!(cells[at("Campaign ID")].to_string(), row["campaign_id"].as_str().unwrap());
        assert!(close(number(&cells[at("Revenue")]), p["revenue"].as_f64()));
        assert!(close(number(&cells[at("CTR")]), p["ctr"].as_f64().map(|v| v / 100.0)), "CTR is a fraction: {:?}", cells[at("CTR")]);
        assert!(close(number(&cells[at("ROAS")]), p["roas"].as_f64()));
        assert_eq!(number(&cells[at("Clicks")]), p["clicks"].as_f64());
    }
    let styles = book.worksheet_style("Campaigns").unwrap();
    let format_of = |column: &str| {
        let c = at(column) as u32;
        styles.get((1, c)).and_then(|s| s.number_format.as_ref()).map(|f| f.format_code.clone()).unwrap_or_default()
    };
    assert_eq!(format_of("Revenue"), "$#,##0.00");
    assert_eq!(format_of("CTR"), "0.00%");
    assert_eq!(format_of("Clicks"), "#,##0");
    let (_, about) = sheet(&mut book, "About");
    let about: Vec<String> = about.iter().map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(": ")).collect();
    assert!(about.iter().any(|l| l.starts_with("Filters: ") && l.contains("type=DISCOUNT,CASHBACK,LOYALTY")), "{about:?}");
    assert!(about.iter().any(|l| l.starts_with("Period (UTC): 2026-10-21 15:30 to 2026-11-20 15:30")), "{about:?}");

    // ROI: the API's fractions become percent and points; creatives: the share is already percent.
    let roi: Value = app.get_with_cookie("/api/v1/roi?range=30d", &perf).await.json().await.unwrap();
    let (_, bytes) = download(&app, &perf, "/api/v1/exports/roi.csv?range=30d").await;
    made += 1;
    let text = String::from_utf8(bytes).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let rows = roi["campaigns"].as_array().unwrap();
    assert_eq!(records.len(), rows.len());
    assert!(rows.iter().any(|r| r["treated_rate"].is_number()), "the window holds conversions: {roi}");
    for (record, row) in records.iter().zip(rows) {
        let times_100 = |v: &Value| v.as_f64().map(|v| v * 100.0);
        assert!(close(parsed(&record[at("treated_rate_percent")]), times_100(&row["treated_rate"])), "{record:?} {row}");
        assert!(close(parsed(&record[at("absolute_lift_points")]), times_100(&row["absolute_lift"])));
        assert!(close(parsed(&record[at("relative_lift_percent")]), times_100(&row["relative_lift"])));
        assert!(close(parsed(&record[at("incrementality_percent")]), row["incrementality_percent"].as_f64()));
    }
    let creatives: Value = app.get_with_cookie("/api/v1/creatives?per_page=500", &perf).await.json().await.unwrap();
    let (_, bytes) = download(&app, &perf, "/api/v1/exports/creatives.csv").await;
    made += 1;
    let text = String::from_utf8(bytes).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let share = header.iter().position(|h| h == "assignment_share_percent").unwrap();
    for (record, row) in reader.records().map(Result::unwrap).zip(creatives["rows"].as_array().unwrap()) {
        assert!(close(parsed(&record[share]), row["assignment_share"].as_f64()), "{record:?} {row}");
    }

    // The experiments XLSX: times are dates.
    let (_, bytes) = download(&app, &perf, "/api/v1/exports/experiments.xlsx").await;
    made += 1;
    let mut book = workbook(bytes);
    let (header, rows) = sheet(&mut book, "Experiments");
    let started = header.iter().position(|h| h == "Started (UTC)").unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| matches!(r[started], Data::DateTime(_))), "{rows:?}");

    // The heatmap: the grid, its days, hours and peaks, each a sheet.
    let (_, bytes) = download(&app, &perf, "/api/v1/exports/heatmap.xlsx").await;
    made += 1;
    let mut book = workbook(bytes);
    assert_eq!(book.sheet_names(), ["Hours of the week", "Days", "Hours", "Peaks", "About"]);
    assert_eq!(sheet(&mut book, "Hours of the week").1.len(), 168);

    // Bad filters are named; a role without the module is refused; nothing of that is logged.
    for path in ["/api/v1/exports/funnel.xlsx?segment=NOPE", "/api/v1/exports/experiments.csv?status=running", "/api/v1/exports/campaigns.csv?sort=bogus"] {
        let res = app.get_with_cookie(path, &perf).await;
        assert_eq!(res.status(), 422, "{path}");
        let body: Value = res.json().await.unwrap();
        let field = path.split('?').nth(1).unwrap().split('=').next().unwrap();
        assert!(body["error"]["fields"].as_array().unwrap().iter().any(|f| f["field"] == field), "{path}: {body}");
    }
    let compliance = app.sign_in(Role::Compliance).await.cookie;
    assert_eq!(app.get_with_cookie("/api/v1/exports/funnel.xlsx", &compliance).await.status(), 403, "the compliance officer does not read the funnel");
    assert_eq!(app.get("/api/v1/exports/roi.csv").await.status(), 401);

    // Each export is in the data-access log, with its rows.
    let log: Value = app.get_with_cookie("/api/v1/access-log?per_page=500", &compliance).await.json().await.unwrap();
    let exports: Vec<&Value> = log["entries"].as_array().unwrap_or_else(|| panic!("{log}")).iter().filter(|r| r["action"] == "export").collect();
    assert_eq!(exports.len(), made, "{log}");
}

#[tokio::test]
async fn the_logs_export_streamed_oldest_first_with_the_apis_rows() {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    let app = spawn_app_with(server::clock::Clock::fixed(now)).await;
    let compliance = app.sign_in(Role::Compliance).await.cookie;
    let perf = app.sign_in(Role::PerfLead).await.cookie;
    // Some history: a few campaigns (audited) and exports (in the data-access log).
    for n in 0..3 {
        crate::support::create_campaign(&app, &format!("Logged campaign {n}")).await;
    }
    for _ in 0..2 {
        assert_eq!(app.get_with_cookie("/api/v1/exports/campaigns.csv", &perf).await.status(), 200);
    }

    // The audit log as CSV: the API's entries, oldest first.
    let api: Value = app.get_with_cookie("/api/v1/audit?per_page=500", &compliance).await.json().await.unwrap();
    let mut api_rows: Vec<&Value> = api["rows"].as_array().unwrap().iter().collect();
    api_rows.reverse();
    let (disposition, bytes) = download(&app, &compliance, "/api/v1/exports/audit.csv").await;
    assert!(disposition.starts_with("attachment; filename=\"audit_as_of_2026-11-20.csv"), "{disposition}");
    let text = String::from_utf8(bytes).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // The entries up to the moment it began (its own log entry, written first, is after them).
    assert_eq!(records.len(), api_rows.len(), "{text}");
    for (record, row) in records.iter().zip(&api_rows) {
        assert_eq!(record[0].parse::<i64>().unwrap(), row["seq"].as_i64().unwrap());
        assert_eq!(&record[4], row["action"].as_str().unwrap());
    }
    let audit: Value = app.get_with_cookie("/api/v1/audit?action=export.audit", &compliance).await.json().await.unwrap();
    assert_eq!(audit["total"], 1, "the export is audited: {audit}");

    // The data-access log as XLSX: times are dates, the row counts numbers; filtered by action.
    let (disposition, bytes) = download(&app, &compliance, "/api/v1/exports/access-log.xlsx?action=export").await;
    assert!(disposition.contains("access-log_as_of_2026-11-20.xlsx"), "{disposition}");
    let mut book = workbook(bytes);
    assert_eq!(book.sheet_names(), ["Data-access log", "About"]);
    let (header, rows) = sheet(&mut book, "Data-access log");
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    // The three exports before this one, each with its row count.
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| matches!(r[at("Time (UTC)")], Data::DateTime(_))));
    assert_eq!(rows.iter().map(|r| r[at("Subject")].to_string()).collect::<Vec<_>>(), ["export:campaigns", "export:campaigns", "export:audit"]);
    assert_eq!(number(&rows[2][at("Rows")]), Some(api_rows.len() as f64));
    let log: Value = app.get_with_cookie("/api/v1/access-log?action=export&subject=export:access-log", &compliance).await.json().await.unwrap();
    assert_eq!(log["entries"][0]["rows"], 3, "logged with the rows it holds: {log}");
    let (_, about) = sheet(&mut book, "About");
    assert!(about.iter().any(|r| r.iter().any(|c| c.to_string().contains("action=export"))), "{about:?}");

    // Past one page (5,000 entries): every entry once, in order.
    use sea_orm::EntityTrait;
    for chunk in 0..51 {
        let rows: Vec<server::entities::data_access_log::ActiveModel> = (0..100)
            .map(|n| server::entities::data_access_log::ActiveModel {
                seq: sea_orm::ActiveValue::NotSet,
                at: sea_orm::Set(now),
                actor: sea_orm::Set(format!("bulk-{}", chunk * 100 + n)),
                actor_role: sea_orm::Set("cmo".to_owned()),
                action: sea_orm::Set("bulk".to_owned()),
                subject: sea_orm::Set("export:campaigns".to_owned()),
                filter: sea_orm::Set(None),
                reason: sea_orm::Set(None),
                rows: sea_orm::Set(Some(1)),
            })
            .collect();
        server::entities::data_access_log::Entity::insert_many(rows).exec(&app.state.db).await.unwrap();
    }
    let (_, bytes) = download(&app, &compliance, "/api/v1/exports/access-log.csv?action=bulk").await;
    let text = String::from_utf8(bytes).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let seqs: Vec<i64> = reader.records().map(|r| r.unwrap()[0].parse().unwrap()).collect();
    assert_eq!(seqs.len(), 5_100);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first, each once");

    // A status filter (read from each entry) counts what it exports; a person is logged by pseudonym.
    let drafts: Value = app.get_with_cookie("/api/v1/audit?status=draft&per_page=500", &compliance).await.json().await.unwrap();
    let (_, bytes) = download(&app, &compliance, "/api/v1/exports/audit.xlsx?status=draft").await;
    let (_, rows) = sheet(&mut workbook(bytes), "Audit log");
    assert_eq!(rows.len() as u64, drafts["total"].as_u64().unwrap());
    assert!(!rows.is_empty());
    let log: Value = app.get_with_cookie("/api/v1/access-log?action=export&subject=export:audit", &compliance).await.json().await.unwrap();
    assert_eq!(log["entries"][0]["rows"].as_u64(), drafts["total"].as_u64(), "{log}");
    download(&app, &compliance, "/api/v1/exports/access-log.csv?user_id=dana@customer.example").await;
    let log: Value = app.get_with_cookie("/api/v1/access-log?action=export&subject=export:access-log", &compliance).await.json().await.unwrap();
    let logged = log["entries"][0]["filter"]["user_id"].as_str().unwrap().to_owned();
    assert!(!logged.contains("dana") && !logged.is_empty(), "{log}");

    // Bad filters are named; the roles that may not read a log may not export it.
    let res = app.get_with_cookie("/api/v1/exports/access-log.csv?colour=red", &compliance).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.get_with_cookie("/api/v1/exports/audit.xlsx", &perf).await.status(), 403);
    assert_eq!(app.get_with_cookie("/api/v1/exports/access-log.csv", &perf).await.status(), 403);
}
