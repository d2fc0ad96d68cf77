//! The project's own commands, so that a machine with only Rust can run and test everything:
//!
//! - `cargo xtask run [--release] [-- <serve flags>]`: install what is missing, build, serve.
//! - `cargo xtask build [--release]`: install what is missing, build the server and the wasm bundle.
//! - `cargo xtask test`: every test: unit and integration on SQLite, integration on PostgreSQL,
//!   then the Playwright journeys in Chromium against a freshly started server.
//! - `cargo xtask bundle-size`: a release build, then the raw and gzip sizes of what browsers download.
//! - `cargo xtask bench ingest|metrics|live|ui|reports|recommendations`: the speed targets,
//!   measured (`bench.rs`).

mod bench;
mod postgres;
mod tools;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run [--release] [--no-demo] [-- <serve flags>]
                                       build and serve the app (default http://127.0.0.1:3000); on an
                                       empty database, create one demo account per role (printed once)
                                       and load a simulated demo data set
  build [--release]                    build the server binary and the wasm bundle
  test                                 run every test: SQLite, PostgreSQL, Playwright
  bundle-size                          release build, then print what browsers download (raw and gzip)
  bench ingest                         release build, then HTTP ingestion on SQLite and PostgreSQL beside a
                                       PostgreSQL COPY of the same rows, and a 1,000,000-row import
  bench metrics                        release build, a simulated world on PostgreSQL, then p50/p95 of the
                                       metrics API and leaderboard beside the straightforward SQL
  bench live                           release build, then 1,000 WebSocket clients on /api/v1/live while
                                       events arrive at 1,000/s: commit → update latency
  bench ui                             release build, the bench data set on PostgreSQL, then p50/p95 of
                                       each server-rendered dashboard page under 100 concurrent clients,
                                       and the gzip size of the wasm bundle, JS and CSS
  bench reports                        release build, a 1,000,000-entry data-access log on PostgreSQL, then
                                       its CSV and XLSX exports: rows/s, file size, server memory growth
  bench recommendations                release build, simulated worlds of 100 and 1,000 live campaigns on
                                       PostgreSQL, then p50/p95 of the recommendation engine's runs";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<()> {
    let (command, rest) = args.split_first().map(|(c, r)| (c.as_str(), r)).unwrap_or(("", &[]));
    let (own, passthrough) = match rest.iter().position(|a| a == "--") {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    if command == "bench" {
        return match rest {
            [what] if what == "ingest" => bench::ingest(),
            [what] if what == "metrics" => bench::metrics(),
            [what] if what == "live" => bench::live(),
            [what] if what == "ui" => bench::ui(),
            [what] if what == "reports" => bench::reports(),
            [what] if what == "recommendations" => bench::recommendations(),
            _ => bail!("usage: cargo xtask bench ingest|metrics|live|ui|reports|recommendations"),
        };
    }
    let release = own.iter().any(|a| a == "--release");
    let demo = !own.iter().any(|a| a == "--no-demo");
    let allowed: &[&str] = if command == "run" { &["--release", "--no-demo"] } else { &["--release"] };
    if let Some(unknown) = own.iter().find(|a| !allowed.contains(&a.as_str())) {
        bail!("unknown option '{unknown}'\n\n{USAGE}");
    }
    match command {
        "run" => run(release, demo, passthrough),
        "build" => build(release).map(|_| ()),
        "test" => test(),
        "bundle-size" => bundle_size(),
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command '{other}'\n\n{USAGE}"),
    }
}

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits inside the workspace").to_path_buf()
}

fn banner(title: &str) {
    println!("\n==> {title}");
}

/// Runs a command to completion in the workspace root; fails with its name when it fails.
fn run_command(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.current_dir_if_unset(&root()).status().with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

trait CurrentDirIfUnset {
    fn current_dir_if_unset(&mut self, dir: &Path) -> &mut Self;
}

impl CurrentDirIfUnset for Command {
    fn current_dir_if_unset(&mut self, dir: &Path) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(dir);
        }
        self
    }
}

/// Builds the server and the wasm bundle; returns the server binary.
fn build(release: bool) -> Result<PathBuf> {
    let env = tools::ensure_build_tools(release)?;
    banner(if release { "building (release)" } else { "building (debug)" });
    let started = Instant::now();
    let mut cmd = Command::new("cargo");
    cmd.args(["leptos", "build"]).env("PATH", &env.path);
    if release {
        cmd.arg("--release");
    }
    run_command(&mut cmd)?;
    let binary = root().join("target").join(if release { "release" } else { "debug" }).join("swipesavvy");
    if !binary.exists() {
        bail!("the build finished but {} is missing", binary.display());
    }
    println!("built {} and target/site in {:.0?}", binary.display(), started.elapsed());
    Ok(binary)
}

fn run(release: bool, demo: bool, serve_args: &[String]) -> Result<()> {
    let binary = build(release)?;
    banner("serving (ctrl-c stops)");
    let mut cmd = Command::new(binary);
    cmd.arg("serve").args(serve_args);
    if demo {
        cmd.args(["--demo-accounts", "--demo-data"]);
    }
    run_command(&mut cmd)
}

fn test() -> Result<()> {
    let started = Instant::now();
    let mut timings: Vec<(String, Duration)> = Vec::new();
    let mut stage = |name: &str, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        banner(name);
        let t = Instant::now();
        f()?;
        timings.push((name.to_owned(), t.elapsed()));
        Ok(())
    };

    tools::ensure_pdf_tools()?;

    // 1. Everything Rust, with the database-backed integration tests on SQLite.
    stage("unit and integration tests, database backend: SQLite", &mut || {
        run_command(
            Command::new("cargo")
                .args(["test", "--locked", "--workspace", "--exclude", "frontend"])
                .env_remove("TEST_DATABASE_URL"),
        )
    })?;

    // 2. The same integration tests against PostgreSQL.
    stage("integration tests, database backend: PostgreSQL", &mut || {
        let given = std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"));
        let cluster;
        let url = match given {
            Some(url) => {
                println!("using TEST_DATABASE_URL");
                url
            }
            None => {
                cluster = postgres::Cluster::start()?;
                println!("started a throwaway PostgreSQL cluster on port {}", cluster.port);
                cluster.url()
            }
        };
        run_command(
            Command::new("cargo").args(["test", "--locked", "-p", "server", "--test", "api"]).env("TEST_DATABASE_URL", url),
        )
    })?;

    // 3. Playwright against a server built the way users get it.
    stage("end-to-end journeys (Playwright, Chromium)", &mut || end_to_end())?;

    println!("\nall tests passed in {:.0?}", started.elapsed());
    for (name, took) in timings {
        println!("  {took:>8.0?}  {name}");
    }
    Ok(())
}

/// The simulator's seed for the end-to-end data set.
const E2E_SEED: &str = "42";
/// The contact details the end-to-end suite's directory customers have (an email domain, phone
/// digits, a name), which must never reach the server's log.
const DIRECTORY_PATTERNS: &[&str] =
    &["directory.example", "2025550142", "2025550143", "555 0142", "555 0143", "555-0142", "555-0143", "dana directory"];

/// A server the journeys run against: its address, its producer key and its log.
struct E2eServer {
    _process: ServerGuard,
    base_url: String,
    api_key: String,
    log_path: PathBuf,
}

/// Creates one account per role (all with `password`) and a producer key in a fresh SQLite
/// database under `dir`, optionally seeds the simulated world, and starts a server on it with
/// `serve_flags`.
fn start_e2e_server(binary: &Path, dir: &Path, password: &str, seeded: bool, serve_flags: &[&str]) -> Result<E2eServer> {
    std::fs::create_dir_all(dir)?;
    let port = free_port()?;
    let database_url = format!("sqlite://{}/e2e.db", dir.display());
    for role in ["cmo", "perf_lead", "lifecycle_lead", "rewards_pm", "data_science", "compliance", "admin"] {
        let mut add = Command::new(binary)
            .args(["user", "add", "--email", &format!("{role}@e2e.test"), "--role", role, "--database-url", &database_url])
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("cannot create the end-to-end accounts")?;
        if let Some(mut stdin) = add.stdin.take() {
            writeln!(stdin, "{password}")?;
        }
        if !add.wait()?.success() {
            bail!("creating the {role} account for the end-to-end tests failed");
        }
    }
    // The persona journeys read a simulated world with a fixed seed, ending today.
    if seeded {
        println!("seeding the end-to-end database with simulated data (seed {E2E_SEED})");
        let seeded = Command::new(binary)
            .args(["simulate", "--to-db", "--seed", E2E_SEED, "--users", "1500", "--days", "21", "--campaigns", "12"])
            .args(["--database-url", &database_url])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .status()
            .context("cannot seed the end-to-end database")?;
        if !seeded.success() {
            bail!("seeding the end-to-end database failed");
        }
    }
    let created = Command::new(binary)
        .args(["apikey", "create", "--name", "e2e producer", "--scope", "events,catalogue", "--database-url", &database_url])
        .current_dir(dir)
        .output()
        .context("cannot create the end-to-end API key")?;
    let api_key = String::from_utf8_lossy(&created.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("key (shown once): ").map(str::to_owned))
        .filter(|_| created.status.success())
        .context("creating the end-to-end API key printed no key")?;
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path)?;
    let process = Command::new(binary)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &database_url])
        .args(["--site-root", &root().join("target/site").display().to_string()])
        .args(serve_flags)
        // The run's own folder: its audit key and checkpoints (./data) belong to this database.
        .current_dir(dir)
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start the server for the end-to-end tests")?;
    let server = E2eServer { _process: ServerGuard(process), base_url: format!("http://127.0.0.1:{port}"), api_key, log_path };
    wait_until_healthy(port, Duration::from_secs(60))?;
    Ok(server)
}

/// Fails when a secret or a directory customer's contact detail reached the server's log.
fn check_log(path: &Path, api_key: &str, password: &str) -> Result<()> {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    if log.contains(password) {
        bail!("the end-to-end password appears in the server log {}", path.display());
    }
    // Session cookies, personal tokens and API keys all start with these prefixes.
    if log.contains(api_key) {
        bail!("the end-to-end API key appears in the server log {}", path.display());
    }
    if let Some(prefix) = ["sss_", "sspt_", "sskey_"].into_iter().find(|p| log.contains(p)) {
        bail!("a secret starting with {prefix} appears in the server log {}", path.display());
    }
    // Nor may a directory customer's contact details (end2end/tests/compliance.spec.ts loads
    // them under this domain and phone prefix, then unmasks, traces, exports and erases).
    for pattern in DIRECTORY_PATTERNS {
        if log.to_lowercase().contains(pattern) {
            bail!("a directory customer's contact detail ({pattern}) appears in the server log {}", path.display());
        }
    }
    Ok(())
}

fn end_to_end() -> Result<()> {
    let binary = build(false)?;
    let env = tools::ensure_test_tools()?;
    let dir = std::env::temp_dir().join(format!("swipesavvy-e2e-{}", std::process::id()));
    // One account per role, all with one password generated for this run.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let password = format!("e2e-{}-{nanos}", std::process::id());
    let mut servers = Vec::new();
    let result = (|| {
        // The persona journeys share one server with a simulated history.
        servers.push(start_e2e_server(&binary, &dir.join("main"), &password, true, &[])?);
        // The experiment journey moves its server's clock past the test's planned end, which would
        // move every other journey's time too, so it has a server of its own
        // (end2end/tests/experiment-clock.spec.ts; the `clock` project in playwright.config.ts).
        servers.push(start_e2e_server(&binary, &dir.join("clock"), &password, false, &["--clock-control"])?);
        let (main, clock) = (&servers[0], &servers[1]);
        run_command(
            Command::new("npx")
                .args(["playwright", "test"])
                .current_dir(root().join("end2end"))
                .env("PATH", &env.path)
                .env("BASE_URL", &main.base_url)
                .env("E2E_PASSWORD", &password)
                .env("E2E_API_KEY", &main.api_key)
                .env("CLOCK_BASE_URL", &clock.base_url)
                .env("CLOCK_API_KEY", &clock.api_key)
                .env("SWIPESAVVY_BIN", &binary)
                .env("CHROMIUM_PATH", &env.chromium),
        )
    })();
    // Stop the servers first: a log is complete once its server has exited.
    let logs: Vec<(PathBuf, String, String)> = servers.iter().map(|s| (s.log_path.clone(), s.api_key.clone(), s.base_url.clone())).collect();
    drop(servers);
    let result = result.and_then(|()| logs.iter().try_for_each(|(path, api_key, _)| check_log(path, api_key, &password)));
    if result.is_err() {
        for (path, _, base_url) in &logs {
            let log = std::fs::read_to_string(path).unwrap_or_default();
            eprintln!("\n--- server log of {base_url} ({}) ---\n{log}", path.display());
        }
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// Stops the server (SIGTERM, so it shuts down cleanly) when the tests are done or fail.
pub(crate) struct ServerGuard(pub(crate) Child);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls `GET /health` until it answers 200 with `"status":"healthy"`.
pub(crate) fn wait_until_healthy(port: u16, limit: Duration) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let request = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            let mut response = String::new();
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_to_string(&mut response).is_ok()
                && response.starts_with("HTTP/1.1 200")
                && response.contains(r#""status":"healthy""#)
            {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("the server did not become healthy within {limit:?}")
}

fn bundle_size() -> Result<()> {
    build(true)?;
    print_bundle_sizes()
}

/// The raw and gzip size of each file a browser downloads from the last build, and the totals.
fn print_bundle_sizes() -> Result<()> {
    banner("what a browser downloads (release)");
    let pkg = root().join("target/site/pkg");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&pkg)
        .with_context(|| format!("cannot read {}", pkg.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Type declarations are for editors; browsers never fetch them.
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".d.ts"))
        .collect();
    files.push(root().join("target/site/vendor/echarts.min.js"));
    files.sort();
    let (mut raw_total, mut gzip_total, mut wasm_gzip) = (0, 0, 0);
    println!("{:>10} {:>10}  file", "raw", "gzip");
    for path in files {
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&bytes)?;
        let gzip = encoder.finish()?.len();
        raw_total += bytes.len();
        gzip_total += gzip;
        if path.extension().is_some_and(|e| e == "wasm") {
            wasm_gzip += gzip;
        }
        let name = path.strip_prefix(root()).unwrap_or(&path).display().to_string();
        println!("{:>10} {:>10}  {name}", kib(bytes.len()), kib(gzip));
    }
    println!("{:>10} {:>10}  total", kib(raw_total), kib(gzip_total));
    println!("wasm {} gzip (target ≤ 1,024 KiB); JS and CSS {} gzip", kib(wasm_gzip), kib(gzip_total - wasm_gzip));
    Ok(())
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}
