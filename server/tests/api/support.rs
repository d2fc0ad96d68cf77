//! `spawn_app`: the real application on port 0 against a fresh database (a temp SQLite file, or
//! a new PostgreSQL database on the server that `TEST_DATABASE_URL` names).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Once};

use app::access::Role;

use sea_orm::{ConnectionTrait, Database};
use server::clock::Clock;
use server::config::{DatabaseTarget, LogFormat, Settings};
use server::startup::Application;
use server::state::AppState;
use tokio::sync::OnceCell;

pub struct TestApp {
    pub address: SocketAddr,
    pub state: AppState,
    pub inventory: Arc<server::http::pipeline::Inventory>,
    pub client: reqwest::Client,
    sqlite_file: Option<PathBuf>,
}

/// A signed-in account of a test: its email, password and session cookie.
pub struct Session {
    pub email: String,
    pub password: String,
    /// `ss_session=…`, ready for a `Cookie` header.
    pub cookie: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request failed")
    }

    /// The `Origin` our own pages send, which cookie-authenticated mutations need.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.client.get(self.url(path)).header("cookie", cookie).send().await.expect("request failed")
    }

    /// Creates an account with a random email and password.
    pub async fn create_account(&self, role: Role) -> (String, String) {
        let email = format!("{}-{}@example.com", role.as_str(), uuid::Uuid::new_v4().simple());
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        server::auth::accounts::create(&self.state.db, &email, role, &password, self.state.clock.now())
            .await
            .expect("create account");
        (email, password)
    }

    /// `POST /api/v1/auth/login` with JSON, as an API client would.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .header("origin", self.origin())
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("request failed")
    }

    /// A new account of `role`, signed in.
    pub async fn sign_in(&self, role: Role) -> Session {
        let (email, password) = self.create_account(role).await;
        let res = self.login(&email, &password).await;
        assert_eq!(res.status(), 200, "sign-in of a fresh {role} account");
        let cookie = session_cookie(&res).expect("a session cookie");
        Session { email, password, cookie }
    }
}

/// `ss_session=…` from a response's `Set-Cookie`.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ss_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Everything the server logged during this test process, for the secret-leak test.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOG_BUFFER.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

static LOG_BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Writes log lines into [`LOG_BUFFER`] (and to the terminal when `TEST_LOG` is set).
struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG_BUFFER.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(bytes);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

/// Which backend this run tests, for tests that only make sense on one.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|url| url.starts_with("postgres"))
}

/// Captures every log line at debug level (trace for our own crates), so a test can prove no
/// secret is ever logged; printed too when `TEST_LOG` is set.
fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,server=trace,app=trace")
            .with_writer(|| CaptureWriter)
            .with_ansi(false)
            .try_init();
    });
}

/// A fresh, empty database for one test, as a URL (for running the binary against it).
pub async fn fresh_database_url() -> (String, Option<PathBuf>) {
    match fresh_database().await {
        (DatabaseTarget::Sqlite { path }, file) => (format!("sqlite://{}", path.display()), file),
        (DatabaseTarget::Postgres { url }, file) => (secrecy::ExposeSecret::expose_secret(&url).to_owned(), file),
    }
}

/// A fresh, empty database for one test.
pub async fn fresh_database() -> (DatabaseTarget, Option<PathBuf>) {
    match postgres_admin_url() {
        Some(admin_url) => {
            drop_leftover_databases(&admin_url).await;
            let name = format!("swipesavvy_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(admin_url.as_str()).await.expect("cannot reach TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
            admin.close().await.ok();
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is not a URL");
            url.set_path(&name);
            (DatabaseTarget::parse(Some(url.as_str())).expect("postgres URL"), None)
        }
        None => {
            let path = std::env::temp_dir().join(format!("swipesavvy-test-{}.db", uuid::Uuid::new_v4().simple()));
            (DatabaseTarget::Sqlite { path: path.clone() }, Some(path))
        }
    }
}

/// Test databases of earlier runs are dropped once per process, before the first new one.
async fn drop_leftover_databases(admin_url: &str) {
    static ONCE: OnceCell<()> = OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let Ok(admin) = Database::connect(admin_url).await else { return };
        let rows = admin
            .query_all_raw(sea_orm::Statement::from_string(
                admin.get_database_backend(),
                "SELECT datname FROM pg_database WHERE datname LIKE 'swipesavvy_test_%'",
            ))
            .await
            .unwrap_or_default();
        for row in rows {
            if let Ok(name) = row.try_get::<String>("", "datname") {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            }
        }
        admin.close().await.ok();
    })
    .await;
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Clock::system()).await
}

pub async fn spawn_app_with(clock: Clock) -> TestApp {
    let (database, sqlite_file) = fresh_database().await;
    spawn_app_on(database, sqlite_file, clock).await
}

pub async fn spawn_app_on(database: DatabaseTarget, sqlite_file: Option<PathBuf>, clock: Clock) -> TestApp {
    spawn_configured(database, sqlite_file, clock, |_| {}).await
}

/// The application with settings changed by `configure` (e.g. a small rate limit).
pub async fn spawn_app_configured(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (database, sqlite_file) = fresh_database().await;
    spawn_configured(database, sqlite_file, Clock::system(), configure).await
}

/// `spawn_app_configured` with a clock of the test's own.
pub async fn spawn_app_with_clock_configured(clock: Clock, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (database, sqlite_file) = fresh_database().await;
    spawn_configured(database, sqlite_file, clock, configure).await
}

async fn spawn_configured(
    database: DatabaseTarget,
    sqlite_file: Option<PathBuf>,
    clock: Clock,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    init_tracing();
    let mut settings = Settings {
        database,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        site_root: std::env::temp_dir().join("swipesavvy-test-site"),
        log_format: LogFormat::Text,
        log_filter: "info".to_owned(),
        probe_interval_seconds: 1,
        session_lifetime_minutes: 60,
        ..Settings::default()
    };
    // The daily segmentation would change segments mid-test at its hour; tests call it directly.
    settings.metrics.segmentation_hour = None;
    // Each application its own audit key and checkpoints, never the working directory's.
    let audit_dir = std::env::temp_dir().join(format!("swipesavvy-audit-{}", uuid::Uuid::new_v4().simple()));
    settings.audit_key_file = audit_dir.join("audit.key");
    settings.audit_checkpoint_file = audit_dir.join("checkpoints.log");
    configure(&mut settings);
    let app = Application::build(settings, clock).await.expect("the application failed to start");
    let address = app.local_addr().expect("local address");
    let state = app.state.clone();
    let inventory = app.inventory.clone();
    tokio::spawn(app.run_until_stopped());
    // A request that never answers fails its test (naming the URL) instead of hanging the suite.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("http client");
    TestApp { address, state, inventory, client, sqlite_file }
}

/// A campaign request as a planner would send it: one creative, push and email, 10% holdout.
pub fn campaign_request(name: &str) -> app::wire::NewCampaignRequest {
    app::wire::NewCampaignRequest {
        id: None,
        name: name.to_owned(),
        campaign_type: analytics::CampaignType::Discount,
        channels: vec![analytics::DeliveryChannel::Push, analytics::DeliveryChannel::Email],
        target_segments: vec![analytics::SegmentType::HighSpender],
        target_regions: vec!["US-CA".to_owned()],
        budget_cents: 2_000_000,
        starts_at: None,
        ends_at: None,
        holdout_percent: None,
        creatives: vec![app::wire::CreativeInput {
            id: None,
            name: "A".to_owned(),
            headline: "Save 20%".to_owned(),
            body: "This weekend only".to_owned(),
            call_to_action: "Shop now".to_owned(),
        }],
        consent_method: Some(analytics::events::ConsentMethod::DoubleOptIn),
        has_opt_out_link: true,
        shares_data_with_third_parties: false,
        frequency_cap_per_week: None,
    }
}

/// A campaign in the catalogue, created as a planning system with a catalogue key would.
pub async fn create_campaign(app: &TestApp, name: &str) -> app::wire::CampaignView {
    create_campaign_from(app, campaign_request(name)).await
}

/// A campaign from a request of the test's own.
pub async fn create_campaign_from(app: &TestApp, request: app::wire::NewCampaignRequest) -> app::wire::CampaignView {
    let actor = server::services::catalogue::Actor::new(app::access::Caller::Key(app::access::KeyPrincipal {
        key_id: uuid::Uuid::new_v4(),
        name: "planner".to_owned(),
        scopes: vec![app::access::Scope::Catalogue],
    }), app.state.audit.clone());
    let view = server::services::catalogue::create(&app.state.db, request, &actor, app.state.clock.now()).await.expect("create campaign");
    // As the HTTP handler does once the change is committed.
    app.state.metrics.after_catalogue_change(&app.state.db).await.expect("rollup refreshed");
    view
}

/// The built binary, run from a fresh temporary folder, so that nothing it writes by default
/// (the SQLite file, the audit key and checkpoints under `./data`) lands in the source tree.
pub fn swipesavvy() -> std::process::Command {
    let dir = std::env::temp_dir().join(format!("swipesavvy-run-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_swipesavvy"));
    cmd.current_dir(dir);
    // Every run its own folder, so one audit key for all of them, as an operator sets it (a run
    // against a database with entries and no key refuses to start).
    cmd.env("SWIPESAVVY_AUDIT_KEY", "the-test-suite-audit-key-0123456789abcdef");
    cmd
}

/// The same database served again, as after a restart: the same audit key and checkpoints.
pub async fn restart(app: &TestApp, clock: Clock) -> TestApp {
    let (key, checkpoints) = (app.state.settings.audit_key_file.clone(), app.state.settings.audit_checkpoint_file.clone());
    let lifetime = app.state.settings.session_lifetime_minutes;
    let (reports, webhook_secret) = (app.state.settings.reports.clone(), app.state.settings.webhook_secret.clone());
    spawn_configured(app.state.settings.database.clone(), None, clock, move |s| {
        s.audit_key_file = key;
        s.audit_checkpoint_file = checkpoints;
        s.session_lifetime_minutes = lifetime;
        s.reports = reports;
        s.webhook_secret = webhook_secret;
    })
    .await
}
