//! `cargo xtask bench ingest`: sustained HTTP ingestion (batches of 1,000, validated,
//! deduplicated, rollups updated, committed) against SQLite and PostgreSQL with the release
//! build, beside a raw PostgreSQL `COPY` of the same rows into a table with the same indexes,
//! then a 1,000,000-row import with its peak memory. Sizes: `SWIPESAVVY_BENCH_EVENTS` (default
//! 200,000) and `SWIPESAVVY_BENCH_IMPORT_ROWS` (default 1,000,000).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{ServerGuard, banner, free_port, postgres, root, run_command, wait_until_healthy};

fn size(var: &str, default: u64) -> u64 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs the binary and returns its standard output, failing with its standard error.
fn output(bin: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin).args(args).env_remove("DATABASE_URL").output().with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!("{} {:?} failed: {}", bin.display(), args, String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Serves `url`'s database with the release binary and loads `events` events through HTTP.
fn http_run(bin: &Path, url: &str, events: u64) -> Result<Value> {
    let created = output(bin, &["apikey", "create", "--name", "bench", "--scope", "events", "--database-url", url])?;
    let key = created.lines().find_map(|l| l.strip_prefix("key (shown once): ")).context("no key printed")?.to_owned();
    let port = free_port()?;
    let server = Command::new(bin)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database-url", url, "--log", "warn"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .spawn()?;
    let _server = ServerGuard(server);
    wait_until_healthy(port, Duration::from_secs(60))?;
    let report = output(
        bin,
        &["load", "--url", &format!("http://127.0.0.1:{port}"), "--api-key", &key, "--events", &events.to_string(), "--concurrency", "4"],
    )?;
    Ok(serde_json::from_str(report.trim())?)
}

/// Peak resident memory (KiB) of a child, sampled from /proc until it exits.
fn run_with_peak_rss(cmd: &mut Command) -> Result<(f64, u64)> {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok()) {
                peak = peak.max(kib);
            }
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("the import failed ({status})");
            }
            return Ok((started.elapsed().as_secs_f64(), peak));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn ingest() -> Result<()> {
    banner("building the release server");
    run_command(Command::new("cargo").args(["build", "--release", "--locked", "-p", "server", "--bin", "swipesavvy"]))?;
    let bin = root().join("target/release/swipesavvy");
    let events = size("SWIPESAVVY_BENCH_EVENTS", 200_000);
    let import_rows = size("SWIPESAVVY_BENCH_IMPORT_ROWS", 1_000_000);
    let dir = std::env::temp_dir().join(format!("swipesavvy-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;

    banner(&format!("HTTP ingestion of {events} events into SQLite"));
    let sqlite = http_run(&bin, &format!("sqlite://{}/bench.db", dir.display()), events)?;

    banner(&format!("HTTP ingestion of {events} events into PostgreSQL"));
    let cluster = postgres::Cluster::start()?;
    cluster.psql("postgres", &["-c", "CREATE DATABASE bench"])?;
    let pg_url = format!("postgres://postgres@127.0.0.1:{}/bench", cluster.port);
    let pg = http_run(&bin, &pg_url, events)?;

    banner("PostgreSQL COPY of the same rows into a table with the same indexes");
    // The cluster runs as the postgres user: give it a folder it may write.
    let csv = dir.join("events.csv");
    let columns = "event_id, version, content_hash, event_type, occurred_at, received_at, user_id, session_id, source, \
                   campaign_id, creative_id, properties, context, late_arrival, backfilled, ingestion_lag_seconds, key_id";
    let _ = Command::new("chmod").args(["777", &dir.display().to_string()]).status();
    cluster.psql("bench", &["-c", &format!("\\copy (SELECT {columns} FROM events) TO '{}' CSV", csv.display())])?;
    cluster.psql("bench", &["-c", "CREATE TABLE events_copy (LIKE events INCLUDING ALL)"])?;
    let started = Instant::now();
    cluster.psql("bench", &["-c", &format!("\\copy events_copy ({columns}) FROM '{}' CSV", csv.display())])?;
    let copy_seconds = started.elapsed().as_secs_f64();
    let copy_rate = events as f64 / copy_seconds;
    drop(cluster);

    banner(&format!("import of {import_rows} rows (NDJSON) into SQLite"));
    let file = dir.join("import.ndjson");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        let now = chrono_like_now();
        for i in 0..import_rows {
            writeln!(
                out,
                "{{\"event_id\":\"{}\",\"event_type\":\"user_purchased\",\"timestamp\":\"{now}\",\"user_id\":\"imp-{i}\",\"source\":\"backend\",\"properties\":{{\"order_id\":\"{}\",\"order_value\":19.5}},\"context\":{{\"platform\":\"Web\",\"region\":\"US-CA\",\"user_segment\":\"HIGH_SPENDER\"}}}}",
                pseudo_uuid(i * 2),
                pseudo_uuid(i * 2 + 1)
            )?;
        }
    }
    let file_mib = std::fs::metadata(&file)?.len() as f64 / 1_048_576.0;
    let (import_seconds, peak_kib) = run_with_peak_rss(
        Command::new(&bin).args(["import", &file.display().to_string(), "--database-url", &format!("sqlite://{}/import.db", dir.display())]),
    )?;

    let rate = |v: &Value| v["events_per_second"].as_f64().unwrap_or(0.0);
    let ms = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    println!("\n{:<34} {:>12} {:>10} {:>10}", "ingestion (batches of 1,000, 4 in flight)", "events/s", "p50 ms", "p99 ms");
    println!("{:<34} {:>12.0} {:>10.1} {:>10.1}", "HTTP → SQLite", rate(&sqlite), ms(&sqlite, "p50_batch_ms"), ms(&sqlite, "p99_batch_ms"));
    println!("{:<34} {:>12.0} {:>10.1} {:>10.1}", "HTTP → PostgreSQL", rate(&pg), ms(&pg, "p50_batch_ms"), ms(&pg, "p99_batch_ms"));
    println!("{:<34} {:>12.0}", "PostgreSQL COPY (same rows, indexes)", copy_rate);
    println!("ratio HTTP PostgreSQL / COPY: {:.2}× (target ≥ 0.50×)", rate(&pg) / copy_rate);
    println!(
        "import: {import_rows} rows ({file_mib:.0} MiB NDJSON) in {import_seconds:.1} s = {:.0} rows/s, peak RSS {:.1} MiB",
        import_rows as f64 / import_seconds,
        peak_kib as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A version-4-shaped UUID from a counter (unique per run's file, no randomness needed).
fn pseudo_uuid(n: u64) -> String {
    let salt = std::process::id() as u64;
    let hi = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", (hi >> 32) as u32, (hi >> 16) as u16, (hi & 0xfff) as u16, (n >> 48) & 0xfff, n & 0xffff_ffff_ffff)
}

/// The current UTC time as RFC 3339 (xtask has no date crate; `date` is on every machine).
fn chrono_like_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "2026-01-01T00:00:00Z".to_owned())
}
