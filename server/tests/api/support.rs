//! `spawn_app`: the real application on port 0 against a fresh database (a temp SQLite file, or
//! a new PostgreSQL database on the server that `TEST_DATABASE_URL` names).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Once;

use sea_orm::{ConnectionTrait, Database};
use server::clock::Clock;
use server::config::{DatabaseTarget, LogFormat, Settings};
use server::startup::Application;
use server::state::AppState;
use tokio::sync::OnceCell;

pub struct TestApp {
    pub address: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    sqlite_file: Option<PathBuf>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request failed")
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

fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_env_filter("info,server=debug").with_test_writer().try_init();
        }
    });
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
    init_tracing();
    let settings = Settings {
        database,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        site_root: std::env::temp_dir().join("swipesavvy-test-site"),
        log_format: LogFormat::Text,
        log_filter: "info".to_owned(),
        probe_interval_seconds: 1,
    };
    let app = Application::build(settings, clock).await.expect("the application failed to start");
    let address = app.local_addr().expect("local address");
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { address, state, client: reqwest::Client::new(), sqlite_file }
}
