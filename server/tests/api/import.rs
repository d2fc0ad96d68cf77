//! `swipesavvy import`, run as a user would.

use std::io::Write;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use crate::support::fresh_database_url;

fn import(url: &str, args: &[&str]) -> (bool, String) {
    let out = crate::support::swipesavvy()
        .arg("import")
        .args(args)
        .args(["--database-url", url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn purchase_line(i: usize, at: chrono::DateTime<Utc>) -> String {
    serde_json::json!({
        "event_id": Uuid::new_v4().to_string(), "event_type": "user_purchased", "timestamp": at.to_rfc3339(),
        "user_id": format!("u-{i}"), "source": "backend",
        "properties": { "order_id": Uuid::new_v4().to_string(), "order_value": 12.5 },
        "context": { "platform": "Android", "region": "US-NY", "user_segment": "FREQUENT_SHOPPER" }
    })
    .to_string()
}

#[tokio::test]
async fn an_ndjson_import_reports_bad_rows_by_line_and_is_idempotent() {
    let (url, _file) = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("swipesavvy-import-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("events.ndjson");
    let now = Utc::now();
    let old = now - chrono::Duration::days(45);
    let lines = [
        purchase_line(1, now),
        "{ this is not json".to_owned(),
        purchase_line(2, now).replace("\"backend\"", "\"web\""),
        String::new(),
        purchase_line(3, old),
        purchase_line(4, now),
    ];
    std::fs::write(&source, lines.join("\n")).unwrap();
    let errors = dir.join("errors.csv");

    let (ok, out) = import(&url, &[source.to_str().unwrap(), "--errors", errors.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("5 rows, 2 accepted, 0 duplicates, 3 rejected rows"), "{out}");
    let report = std::fs::read_to_string(&errors).unwrap();
    let report_lines: Vec<&str> = report.lines().collect();
    assert_eq!(report_lines[0], "line,event_id,field,reason");
    assert!(report_lines[1].starts_with("2,,row,not valid JSON"), "{report}");
    assert!(report_lines[2].starts_with("3,") && report_lines[2].contains(",source,"), "{report}");
    assert!(report_lines[3].starts_with("5,") && report_lines[3].contains(",timestamp,"), "{report}");

    // Again, with --backfill: the old row now goes in; the others are duplicates.
    let (ok, out) = import(&url, &[source.to_str().unwrap(), "--backfill"]);
    assert!(ok, "{out}");
    assert!(out.contains("1 accepted, 2 duplicates, 2 rejected rows"), "{out}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_csv_import_maps_property_and_context_columns() {
    let (url, _file) = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("swipesavvy-csv-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("events.csv");
    let now = Utc::now().to_rfc3339();
    let csv = format!(
        "event_id,event_type,timestamp,user_id,source,properties.order_id,properties.order_value,properties.promo_code_used,context.region\n\
         {},user_purchased,{now},007,backend,{},19.99,true,US-TX\n\
         {},user_purchased,{now},008,backend,{},-1,false,US-TX\n",
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4()
    );
    std::fs::write(&source, csv).unwrap();
    let errors = dir.join("errors.csv");
    let (ok, out) = import(&url, &[source.to_str().unwrap(), "--errors", errors.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("2 rows, 1 accepted, 0 duplicates, 1 rejected rows"), "{out}");
    let report = std::fs::read_to_string(&errors).unwrap();
    assert!(report.lines().nth(1).unwrap().starts_with("3,") && report.contains("properties.order_value"), "{report}");

    let (ok, out) = import(&url, &[dir.join("events.txt").to_str().unwrap()]);
    assert!(!ok && out.contains("--format"), "an unknown extension says what to do: {out}");
    std::fs::remove_dir_all(dir).ok();
}

/// Peak resident memory (VmHWM, KiB) of an import of `rows` events, sampled until it exits.
async fn peak_rss_kib(rows: usize) -> u64 {
    let (url, _file) = fresh_database_url().await;
    let path = std::env::temp_dir().join(format!("swipesavvy-big-{}.ndjson", Uuid::new_v4().simple()));
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let now = Utc::now();
        for i in 0..rows {
            writeln!(file, "{}", purchase_line(i, now)).unwrap();
        }
    }
    let mut child = crate::support::swipesavvy()
        .args(["import", path.to_str().unwrap(), "--database-url", &url])
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok()) {
                peak = peak.max(kib);
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    std::fs::remove_file(&path).ok();
    peak
}

#[tokio::test]
async fn memory_stays_flat_for_a_file_ten_times_larger() {
    // 2,000 rows is two of the importer's batches; 20,000 rows is twenty (a ~8 MB file).
    let small = peak_rss_kib(2_000).await;
    let large = peak_rss_kib(20_000).await;
    eprintln!("import peak RSS: {small} KiB for 2,000 rows, {large} KiB for 20,000 rows");
    assert!(small > 0 && large > 0, "the memory of the import could be read");
    assert!(large < small + 16 * 1024, "peak RSS grew from {small} KiB to {large} KiB for 10× the rows");
}
