//! The one configuration type. Sources, each later one winning: built-in defaults, an optional
//! `swipesavvy.toml`, environment variables (`SWIPESAVVY_*` and `DATABASE_URL`), command-line
//! flags. Environment and flags are merged by clap (`cli.rs`) into [`Overrides`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::AppError;

/// Where the embedded database lives when `DATABASE_URL` is not set.
pub const DEFAULT_SQLITE_PATH: &str = "./data/swipesavvy.db";
/// The configuration file read from the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "swipesavvy.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Which database, parsed from `DATABASE_URL`.
#[derive(Debug, Clone)]
pub enum DatabaseTarget {
    /// The embedded default: a file (created on first use).
    Sqlite { path: PathBuf },
    /// The production store. The URL may hold a password, so it never prints itself.
    Postgres { url: SecretString },
}

impl DatabaseTarget {
    /// `None` → the SQLite default; `sqlite://path` or `sqlite:path`; `postgres://` or
    /// `postgresql://`. Anything else is an error that names the URL (password redacted).
    pub fn parse(url: Option<&str>) -> Result<DatabaseTarget, AppError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(DatabaseTarget::Sqlite { path: PathBuf::from(DEFAULT_SQLITE_PATH) });
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            url::Url::parse(url).map_err(|err| {
                AppError::Config(format!("invalid PostgreSQL URL '{}': {err}", redact(url)))
            })?;
            return Ok(DatabaseTarget::Postgres { url: SecretString::from(url.to_owned()) });
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(AppError::Config(format!(
                    "invalid SQLite URL '{url}': give a file path, e.g. sqlite://./data/swipesavvy.db"
                )));
            }
            return Ok(DatabaseTarget::Sqlite { path: PathBuf::from(path) });
        }
        Err(AppError::Config(format!(
            "unsupported database URL '{}': use postgres://user:password@host:port/database or \
             sqlite://path/to/file.db (or leave DATABASE_URL unset for {DEFAULT_SQLITE_PATH})",
            redact(url)
        )))
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseTarget::Sqlite { .. } => "sqlite",
            DatabaseTarget::Postgres { .. } => "postgres",
        }
    }

    /// The target as it may be logged: the SQLite path, or the PostgreSQL URL without password.
    pub fn describe(&self) -> String {
        match self {
            DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
            DatabaseTarget::Postgres { url } => redact(url.expose_secret()),
        }
    }
}

/// The URL with any password (before the `@`, or a `password=` query parameter) replaced by
/// `***`. Unparsable input that might hold credentials is not echoed at all.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            if parsed.query_pairs().any(|(key, _)| key.eq_ignore_ascii_case("password")) {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k.eq_ignore_ascii_case("password") { "***".to_owned() } else { v.into_owned() };
                        (k.into_owned(), v)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) if url.contains('@') || url.to_ascii_lowercase().contains("password") => {
            "<unparsable URL that may hold credentials>".to_owned()
        }
        Err(_) => url.to_owned(),
    }
}

/// The effective settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseTarget,
    /// Where `serve` listens.
    pub addr: SocketAddr,
    /// The built site (wasm, JS, CSS, assets) that `serve` hands out.
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `info,server=debug`.
    pub log_filter: String,
    /// How often the database probe runs for the health page.
    pub probe_interval_seconds: u64,
    /// How long a browser session lasts after signing in.
    pub session_lifetime_minutes: i64,
    /// Requests each API key may make per minute (bursts up to this many).
    pub key_requests_per_minute: u32,
    /// Mark the session cookie `Secure` on every response (set this behind a TLS-terminating
    /// proxy); otherwise only when the request says `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
    /// The metrics' configurable rules (`[metrics]`: attribution lookback, time-decay half-life,
    /// margin rates per order category, cost per CPU-second).
    pub metrics: analytics::metrics::Config,
    /// The audit log's HMAC key from `SWIPESAVVY_AUDIT_KEY`; without it, `audit_key_file`.
    pub audit_key: Option<SecretString>,
    /// Where the audit key is kept (created on first use); never inside the database.
    pub audit_key_file: PathBuf,
    /// Where the audit chain's signed checkpoints are appended.
    pub audit_checkpoint_file: PathBuf,
    /// `[compliance]`: the consent rules that are policy rather than law.
    pub compliance: Compliance,
    /// `[recommendations]`: the engine's thresholds and schedule (docs/recommendations.md).
    pub recommendations: analytics::recommend::Thresholds,
    /// `[alerts]`: threshold rules' schedule, the anomaly detector, the webhook (docs/alerts.md).
    pub alerts: Alerts,
    /// The webhook's HMAC-SHA256 signing key, from `SWIPESAVVY_WEBHOOK_SECRET` only.
    pub webhook_secret: Option<SecretString>,
    /// `[reports]`: scheduled delivery by e-mail (SMTP) and webhook (docs/reports.md).
    pub reports: Reports,
    /// The SMTP password, from `SWIPESAVVY_SMTP_PASSWORD` only.
    pub smtp_password: Option<SecretString>,
    /// `serve --clock-control`: the administrator may move this server's clock forward
    /// (`POST /api/v1/admin/clock`, audited), for end-to-end tests and demos of time-based rules.
    /// Never from the file, so a production configuration cannot switch it on by accident.
    pub clock_control: bool,
}

/// `[compliance]` of `swipesavvy.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Compliance {
    /// The share (0–1) of a campaign's audience that must be reachable under the consent rules
    /// for it to launch; below it, launch is refused (ineligible users are never sent to anyway).
    pub min_eligible_share: f64,
    /// Raw events older than this many days are deleted by the retention job (default 760, about
    /// 25 months). Aggregates (hourly volume, quality counters) and consent history are kept.
    pub raw_event_retention_days: u32,
    /// How long the audit and data-access logs are kept, in years (at least 7). Nothing deletes
    /// them; the retention job reports their oldest entry against this.
    pub log_retention_years: u32,
}

impl Default for Compliance {
    fn default() -> Self {
        Compliance { min_eligible_share: 0.6, raw_event_retention_days: 760, log_retention_years: 7 }
    }
}

/// `[alerts]` of `swipesavvy.toml` (docs/alerts.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// How often threshold rules are evaluated (anomalies are judged each complete hour).
    pub interval_minutes: u32,
    /// Where alerts are POSTed, signed; none: they stay in the product.
    pub webhook_url: Option<String>,
    /// Anomalies of this severity or worse also go to the webhook (rules' alerts always do).
    pub webhook_anomaly_severity: analytics::events::Severity,
    /// Attempts per delivery before it is given up as failed.
    pub webhook_max_attempts: u32,
    /// The wait after the first failed attempt; each further one doubles it.
    pub webhook_first_retry_seconds: u32,
    /// `[alerts.anomaly]`: the detector's settings.
    pub anomaly: analytics::anomaly::Config,
}

impl Default for Alerts {
    fn default() -> Alerts {
        Alerts {
            interval_minutes: 5,
            webhook_url: None,
            webhook_anomaly_severity: analytics::events::Severity::Critical,
            webhook_max_attempts: 8,
            webhook_first_retry_seconds: 30,
            anomaly: analytics::anomaly::Config::default(),
        }
    }
}

impl Alerts {
    fn problem(&self, secret: bool) -> Option<String> {
        if self.interval_minutes == 0 {
            return Some("alerts.interval_minutes must be at least 1".to_owned());
        }
        if !(1..=20).contains(&self.webhook_max_attempts) {
            return Some(format!("alerts.webhook_max_attempts must be 1 to 20, got {}", self.webhook_max_attempts));
        }
        if !(1..=3_600).contains(&self.webhook_first_retry_seconds) {
            return Some(format!("alerts.webhook_first_retry_seconds must be 1 to 3600, got {}", self.webhook_first_retry_seconds));
        }
        if !(self.anomaly.sigmas > 0.0 && self.anomaly.critical_sigmas >= self.anomaly.sigmas) {
            return Some("alerts.anomaly.sigmas must be above 0 and at most critical_sigmas".to_owned());
        }
        if !(1..=28).contains(&self.anomaly.baseline_days) || self.anomaly.season_weeks > 12 {
            return Some("alerts.anomaly.baseline_days must be 1 to 28 and season_weeks at most 12".to_owned());
        }
        let url = self.webhook_url.as_deref()?;
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => return Some(format!("alerts.webhook_url must be an http(s) URL, got '{url}'")),
        }
        (!secret).then(|| "alerts.webhook_url needs SWIPESAVVY_WEBHOOK_SECRET in the environment to sign deliveries with".to_owned())
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain, then STARTTLS, which is required (port 587).
    Starttls,
    /// No encryption: a relay on the same host or a test sink only.
    None,
}

/// `[reports]` of `swipesavvy.toml` (docs/reports.md, "Scheduled delivery").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reports {
    /// The SMTP server scheduled reports are mailed through; none: e-mail schedules are refused.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: Option<String>,
    /// The sender, `Name <address>`.
    pub from: String,
    /// Attempts per delivery before it is given up as failed.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; each further one doubles it.
    pub first_retry_seconds: u32,
}

impl Default for Reports {
    fn default() -> Reports {
        Reports {
            smtp_host: None,
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: None,
            from: "SwipeSavvy Analytics <reports@localhost>".to_owned(),
            max_attempts: 6,
            first_retry_seconds: 60,
        }
    }
}

impl Reports {
    fn problem(&self) -> Option<String> {
        if !(1..=20).contains(&self.max_attempts) {
            return Some(format!("reports.max_attempts must be 1 to 20, got {}", self.max_attempts));
        }
        if !(1..=86_400).contains(&self.first_retry_seconds) {
            return Some(format!("reports.first_retry_seconds must be 1 to 86400, got {}", self.first_retry_seconds));
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Some(format!("reports.from must be an e-mail address such as 'Reports <reports@example.com>', got '{}'", self.from));
        }
        None
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database: DatabaseTarget::Sqlite { path: PathBuf::from(DEFAULT_SQLITE_PATH) },
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            log_format: LogFormat::Text,
            log_filter: "info".to_owned(),
            probe_interval_seconds: 10,
            session_lifetime_minutes: 12 * 60,
            key_requests_per_minute: 6_000,
            secure_cookies: false,
            metrics: analytics::metrics::Config::default(),
            audit_key: None,
            audit_key_file: PathBuf::from("./data/audit.key"),
            audit_checkpoint_file: PathBuf::from("./data/audit-checkpoints.log"),
            compliance: Compliance::default(),
            recommendations: analytics::recommend::Thresholds::default(),
            alerts: Alerts::default(),
            webhook_secret: None,
            reports: Reports::default(),
            smtp_password: None,
            clock_control: false,
        }
    }
}

/// Values from the environment and flags; `None` means "not given here".
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub database_url: Option<String>,
    pub addr: Option<SocketAddr>,
    pub site_root: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub log_filter: Option<String>,
    pub secure_cookies: Option<bool>,
    pub clock_control: bool,
}

/// The shape of `swipesavvy.toml`; every key is optional, unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    addr: Option<SocketAddr>,
    site_root: Option<PathBuf>,
    log_format: Option<LogFormat>,
    log_filter: Option<String>,
    probe_interval_seconds: Option<u64>,
    session_lifetime_minutes: Option<i64>,
    key_requests_per_minute: Option<u32>,
    secure_cookies: Option<bool>,
    metrics: Option<MetricsFile>,
    audit_key_file: Option<PathBuf>,
    audit_checkpoint_file: Option<PathBuf>,
    compliance: Option<Compliance>,
    recommendations: Option<analytics::recommend::Thresholds>,
    alerts: Option<Alerts>,
    reports: Option<Reports>,
}

/// `[metrics]` of `swipesavvy.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsFile {
    lookback_hours: Option<i64>,
    half_life_hours: Option<f64>,
    default_margin_rate: Option<f64>,
    margin_rates: Option<std::collections::BTreeMap<String, f64>>,
    cost_per_cpu_second: Option<f64>,
    /// 0–23; `-1` turns the daily segmentation off.
    segmentation_hour: Option<i32>,
}

impl MetricsFile {
    fn resolve(self) -> Result<analytics::metrics::Config, AppError> {
        let defaults = analytics::metrics::Config::default();
        let config = analytics::metrics::Config {
            lookback_hours: self.lookback_hours.unwrap_or(defaults.lookback_hours),
            half_life_hours: self.half_life_hours.unwrap_or(defaults.half_life_hours),
            default_margin_rate: self.default_margin_rate.unwrap_or(defaults.default_margin_rate),
            margin_rates: self.margin_rates.unwrap_or(defaults.margin_rates),
            cost_per_cpu_second: self.cost_per_cpu_second.unwrap_or(defaults.cost_per_cpu_second),
            segmentation_hour: match self.segmentation_hour {
                None => defaults.segmentation_hour,
                Some(-1) => None,
                Some(h @ 0..=23) => Some(h as u32),
                Some(other) => return Err(AppError::Config(format!("metrics.segmentation_hour must be 0–23 (or -1 for never), got {other}"))),
            },
        };
        if !(1..=24 * 90).contains(&config.lookback_hours) {
            return Err(AppError::Config("metrics.lookback_hours must be between 1 and 2160 (90 days)".to_owned()));
        }
        if !(config.half_life_hours > 0.0) {
            return Err(AppError::Config("metrics.half_life_hours must be above 0".to_owned()));
        }
        for (category, rate) in std::iter::once(("default_margin_rate", &config.default_margin_rate)).chain(config.margin_rates.iter().map(|(k, v)| (k.as_str(), v))) {
            if !(0.0..=1.0).contains(rate) {
                return Err(AppError::Config(format!("metrics margin rate '{category}' must be between 0 and 1, got {rate}")));
            }
        }
        if !(config.cost_per_cpu_second >= 0.0) {
            return Err(AppError::Config("metrics.cost_per_cpu_second must be 0 or more".to_owned()));
        }
        Ok(config)
    }
}

impl Settings {
    /// Defaults, then the file, then the overrides.
    pub fn load(overrides: Overrides) -> Result<Settings, AppError> {
        let file = match &overrides.config_file {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => read_file(Path::new(DEFAULT_CONFIG_FILE))?,
            None => FileSettings::default(),
        };
        let defaults = Settings::default();
        let database_url = overrides.database_url.or(file.database_url);
        let probe_interval_seconds = file.probe_interval_seconds.unwrap_or(defaults.probe_interval_seconds);
        if probe_interval_seconds == 0 {
            return Err(AppError::Config("probe_interval_seconds must be at least 1".to_owned()));
        }
        let session_lifetime_minutes = file.session_lifetime_minutes.unwrap_or(defaults.session_lifetime_minutes);
        if !(1..=60 * 24 * 30).contains(&session_lifetime_minutes) {
            return Err(AppError::Config("session_lifetime_minutes must be between 1 and 43200 (30 days)".to_owned()));
        }
        let metrics = file.metrics.unwrap_or_default().resolve()?;
        let compliance = file.compliance.unwrap_or_default();
        if !(0.0..=1.0).contains(&compliance.min_eligible_share) {
            return Err(AppError::Config(format!("compliance.min_eligible_share must be between 0 and 1, got {}", compliance.min_eligible_share)));
        }
        if compliance.raw_event_retention_days < 400 {
            // The metrics read up to 365 days back (LTV), plus a window.
            return Err(AppError::Config(format!("compliance.raw_event_retention_days must be at least 400 (the metrics read 365 days back), got {}", compliance.raw_event_retention_days)));
        }
        if compliance.log_retention_years < 7 {
            return Err(AppError::Config(format!("compliance.log_retention_years must be at least 7, got {}", compliance.log_retention_years)));
        }
        let recommendations = file.recommendations.unwrap_or_default();
        if let Some(problem) = recommendations.problems().into_iter().next() {
            return Err(AppError::Config(problem));
        }
        let alerts = file.alerts.unwrap_or_default();
        let webhook_secret = std::env::var("SWIPESAVVY_WEBHOOK_SECRET").ok().filter(|k| !k.is_empty()).map(SecretString::from);
        if let Some(problem) = alerts.problem(webhook_secret.is_some()) {
            return Err(AppError::Config(problem));
        }
        let reports = file.reports.unwrap_or_default();
        if let Some(problem) = reports.problem() {
            return Err(AppError::Config(problem));
        }
        Ok(Settings {
            recommendations,
            alerts,
            webhook_secret,
            reports,
            smtp_password: std::env::var("SWIPESAVVY_SMTP_PASSWORD").ok().filter(|k| !k.is_empty()).map(SecretString::from),
            metrics,
            database: DatabaseTarget::parse(database_url.as_deref())?,
            addr: overrides.addr.or(file.addr).unwrap_or(defaults.addr),
            site_root: overrides.site_root.or(file.site_root).unwrap_or(defaults.site_root),
            log_format: overrides.log_format.or(file.log_format).unwrap_or(defaults.log_format),
            log_filter: overrides.log_filter.or(file.log_filter).unwrap_or(defaults.log_filter),
            probe_interval_seconds,
            session_lifetime_minutes,
            secure_cookies: overrides.secure_cookies.or(file.secure_cookies).unwrap_or(defaults.secure_cookies),
            key_requests_per_minute: match file.key_requests_per_minute.unwrap_or(defaults.key_requests_per_minute) {
                0 => return Err(AppError::Config("key_requests_per_minute must be at least 1".to_owned())),
                n => n,
            },
            // A secret, so only from the environment (never the file or a flag in shell history).
            audit_key: std::env::var("SWIPESAVVY_AUDIT_KEY").ok().filter(|k| !k.is_empty()).map(SecretString::from),
            audit_key_file: file.audit_key_file.unwrap_or(defaults.audit_key_file),
            audit_checkpoint_file: file.audit_checkpoint_file.unwrap_or(defaults.audit_checkpoint_file),
            compliance,
            clock_control: overrides.clock_control,
        })
    }
}

fn read_file(path: &Path) -> Result<FileSettings, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| AppError::Config(format!("cannot read configuration file {}: {err}", path.display())))?;
    toml::from_str(&text)
        .map_err(|err| AppError::Config(format!("invalid configuration file {}: {}", path.display(), err.message())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_means_the_embedded_sqlite_file() {
        let target = DatabaseTarget::parse(None).unwrap();
        assert!(matches!(target, DatabaseTarget::Sqlite { ref path } if path == Path::new(DEFAULT_SQLITE_PATH)));
    }

    #[test]
    fn sqlite_and_postgres_urls_are_recognised() {
        let sqlite = DatabaseTarget::parse(Some("sqlite:///tmp/x.db?mode=rwc")).unwrap();
        assert!(matches!(sqlite, DatabaseTarget::Sqlite { ref path } if path == Path::new("/tmp/x.db")));
        let pg = DatabaseTarget::parse(Some("postgres://u:secret@localhost:5432/db")).unwrap();
        assert_eq!(pg.backend_name(), "postgres");
        assert_eq!(pg.describe(), "postgres://u:***@localhost:5432/db");
    }

    #[test]
    fn an_unknown_scheme_is_one_clear_error_naming_the_url() {
        let err = DatabaseTarget::parse(Some("nonsense://x")).unwrap_err().to_string();
        assert!(err.contains("'nonsense://x'"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn a_password_in_the_query_string_is_redacted_too() {
        let pg = DatabaseTarget::parse(Some("postgres://u@localhost/db?sslmode=disable&password=hunter2")).unwrap();
        let shown = pg.describe();
        assert!(!shown.contains("hunter2") && shown.contains("password=***") && shown.contains("sslmode=disable"), "{shown}");
    }

    #[test]
    fn errors_never_show_a_password() {
        let err = DatabaseTarget::parse(Some("mysql://root:hunter2@db/x")).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn file_values_lose_to_overrides_and_unknown_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("swipesavvy-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("swipesavvy.toml");
        std::fs::write(&path, "addr = \"0.0.0.0:8080\"\nlog_filter = \"debug\"\n").unwrap();
        let settings = Settings::load(Overrides {
            config_file: Some(path.clone()),
            log_filter: Some("warn".to_owned()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(settings.addr, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(settings.log_filter, "warn");

        std::fs::write(&path, "adress = \"0.0.0.0:8080\"\n").unwrap();
        let err = Settings::load(Overrides { config_file: Some(path), ..Overrides::default() }).unwrap_err();
        assert!(err.to_string().contains("adress"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_metrics_section_sets_margin_rates_and_refuses_impossible_ones() {
        let dir = std::env::temp_dir().join(format!("swipesavvy-metrics-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("swipesavvy.toml");
        std::fs::write(&path, "[metrics]\nlookback_hours = 72\n[metrics.margin_rates]\ngroceries = 0.12\n").unwrap();
        let settings = Settings::load(Overrides { config_file: Some(path.clone()), ..Overrides::default() }).unwrap();
        assert_eq!(settings.metrics.lookback_hours, 72);
        assert_eq!(settings.metrics.margin_rates.get("groceries"), Some(&0.12));
        assert_eq!(settings.metrics.default_margin_rate, 0.35);

        std::fs::write(&path, "[metrics.margin_rates]\nelectronics = 1.5\n").unwrap();
        let err = Settings::load(Overrides { config_file: Some(path), ..Overrides::default() }).unwrap_err().to_string();
        assert!(err.contains("electronics") && err.contains("1.5"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
