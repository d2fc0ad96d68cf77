//! The command line: `swipesavvy serve | migrate`. Flags win over environment variables (clap
//! reads both), which win over `swipesavvy.toml`, which wins over defaults (`config.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{LogFormat, Overrides, Settings};
use crate::error::AppError;

#[derive(Debug, Parser)]
#[command(name = "swipesavvy", version, about = "SwipeSavvy Analytics: marketing analytics you can prove")]
pub struct Cli {
    /// Database: postgres://… or sqlite://path (default: sqlite ./data/swipesavvy.db).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Configuration file (default: ./swipesavvy.toml when it exists).
    #[arg(long, global = true, env = "SWIPESAVVY_CONFIG")]
    pub config: Option<PathBuf>,

    /// Log line format.
    #[arg(long, global = true, env = "SWIPESAVVY_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// Log filter, e.g. `info` or `info,server=debug`.
    #[arg(long = "log", global = true, env = "SWIPESAVVY_LOG")]
    pub log_filter: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the dashboard and the API.
    Serve(ServeArgs),
    /// Apply, roll back or list schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Manage dashboard accounts and their personal read tokens.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API keys for producers (ingestion, campaign catalogue, backfills).
    Apikey {
        #[command(subcommand)]
        action: ApiKeyAction,
    },
    /// Check or checkpoint the tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Recompute every derived table from the raw event log.
    Rebuild,
    /// Load-test the ingestion API of a running server; prints a JSON report (for benchmarks).
    Load {
        #[arg(long)]
        url: String,
        #[arg(long, env = "SWIPESAVVY_API_KEY", hide_env_values = true)]
        api_key: String,
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        #[arg(long, default_value_t = 1_000)]
        batch_size: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// The live bench's load tool: many WebSocket clients on /api/v1/live over several filter
    /// sets while producing events at a steady rate; prints commit → update latencies as JSON.
    LoadLive {
        #[arg(long)]
        url: String,
        /// An API key with the events scope (the producer).
        #[arg(long, env = "SWIPESAVVY_API_KEY", hide_env_values = true)]
        api_key: String,
        /// A personal read token (the clients).
        #[arg(long, env = "SWIPESAVVY_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long, default_value_t = 1_000)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        filter_sets: usize,
        /// Events per second.
        #[arg(long, default_value_t = 1_000)]
        rate: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    /// Generate realistic campaigns and events (and their ground truth) into the database.
    Simulate {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 2_000)]
        users: u32,
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// The first simulated day (`YYYY-MM-DD`, UTC); by default `--days` days before today, so
        /// the world ends now. Give it to get the same events and truth on any day.
        #[arg(long)]
        start: Option<chrono::NaiveDate>,
        #[arg(long, default_value_t = 12)]
        campaigns: u32,
        /// Percent of each campaign's audience held out.
        #[arg(long, default_value_t = 10.0)]
        holdout_percent: f64,
        /// Share of events made invalid (they must be rejected), 0 to 1.
        #[arg(long, default_value_t = 0.0)]
        invalid_rate: f64,
        /// Share of events sent twice (they must be counted as duplicates), 0 to 1.
        #[arg(long, default_value_t = 0.0)]
        duplicate_rate: f64,
        /// Share of events that arrive 25–48 hours after they happened, 0 to 1.
        #[arg(long, default_value_t = 0.0)]
        late_rate: f64,
        /// Run creative experiments with known true effects on the first N campaigns (every third
        /// an A/A test), recorded as tests and in the truth file. Only with --to-db: they are
        /// backdated to their campaign's day.
        #[arg(long, default_value_t = 0)]
        experiments: u32,
        /// Load straight into the database (fast bulk load for demos and benchmarks).
        #[arg(long, conflicts_with = "to_url", required_unless_present = "to_url")]
        to_db: bool,
        /// Send through the public API of a running SwipeSavvy at this address, like a producer.
        #[arg(long, requires = "api_key")]
        to_url: Option<String>,
        /// The API key for --to-url (scopes catalogue, events, and backfill for old history).
        #[arg(long, env = "SWIPESAVVY_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        /// Write the ground truth (JSON) here.
        #[arg(long)]
        truth: Option<PathBuf>,
        /// With --to-url: keep producing events in real time, obeying the campaigns' state in the
        /// product (paused or completed stop delivering, budget changes scale delivery, opt-outs hold).
        #[arg(long, requires = "to_url", conflicts_with = "truth")]
        live: bool,
        /// Events per second in --live mode.
        #[arg(long, default_value_t = 50.0, requires = "live")]
        rate: f64,
        /// Stop --live after this many seconds (default: run until ctrl-c).
        #[arg(long, requires = "live")]
        duration_seconds: Option<u64>,
    },
    /// Import events from a CSV or NDJSON file through the same validation as the API, or
    /// (`import experiment FILE`) analyse a test run elsewhere from its per-user file.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Import {
        #[command(subcommand)]
        what: Option<ImportWhat>,
        #[arg(required = true)]
        file: Option<PathBuf>,
        /// csv or ndjson (default: from the file's extension).
        #[arg(long, value_enum)]
        format: Option<crate::ingest::import::Format>,
        /// Write every rejected row (line, event id, field, reason) to this CSV file.
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Accept events older than 30 days (stored tagged as backfilled).
        #[arg(long)]
        backfill: bool,
    },
    /// Record campaign spend from a CSV file (campaign_id,channel,period_start,granularity,amount)
    /// through the same rules as POST /api/v1/spend; all or nothing per file.
    ImportSpend {
        file: PathBuf,
        /// Write every problem (line, field, reason) to this CSV file as well.
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Personal data: `privacy erase --user U --reference R` erases one person (GDPR article 17).
    Privacy {
        #[command(subcommand)]
        action: PrivacyAction,
    },
    /// Load the customer directory (contact details) from a CSV file with the header
    /// user_id,email,phone,name, through the same rules as POST /api/v1/customers; all or nothing.
    ImportCustomers { file: PathBuf },
    /// Regenerate the documents derived from code (docs/permissions.md, docs/routes.md).
    Docs {
        /// Folder to write into.
        #[arg(long, default_value = "docs")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// A test run elsewhere (an e-mail platform's export, say): one row per user with a column
    /// naming the arm and outcome columns; prints the results and stores them as an experiment.
    Experiment {
        file: PathBuf,
        /// The control arm's label.
        #[arg(long)]
        control: String,
        /// The column naming each row's arm.
        #[arg(long, default_value = "arm")]
        arm_column: String,
        /// An outcome column: `name:binary` (0/1) or `name:numeric`, then optionally
        /// `:covariate_column` (its pre-period value, for CUPED) and `:lower` (lower is better).
        /// Repeat for several; the first is the primary.
        #[arg(long = "outcome", required = true)]
        outcomes: Vec<String>,
        /// The planned share of an arm, `label:percent` (repeat per arm); default: the observed
        /// split, which makes the sample-ratio check moot.
        #[arg(long = "split")]
        split: Vec<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        #[arg(long, default_value_t = 10.0)]
        minimum_effect_percent: f64,
        /// How long the test ran (for the record).
        #[arg(long, default_value_t = 14)]
        duration_days: u32,
        /// Print the results as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PrivacyAction {
    /// Erase one person: raw events, directory entry, consent history, user-level rows; the
    /// derived numbers are corrected and the audit log names the request, not the person. Stop
    /// the server first, or erase through POST /api/v1/privacy/erasure instead (a running server
    /// keeps the person's facts in memory until it restarts).
    Erase {
        /// The person's user id.
        #[arg(long, conflicts_with = "email", required_unless_present = "email")]
        user: Option<String>,
        /// Or their email, looked up in the customer directory.
        #[arg(long)]
        email: Option<String>,
        /// The request's own reference (a ticket number), kept in the audit log.
        #[arg(long)]
        reference: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Walk the chain against the key and the checkpoints; names the first bad entry and exits
    /// non-zero when there is one.
    Verify,
    /// Append the chain's head to the checkpoint file now (the server does it hourly and at
    /// shutdown).
    Checkpoint,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyAction {
    /// Create a key; it is printed once and only its digest is stored.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated: events, catalogue, backfill.
        #[arg(long, default_value = "events")]
        scope: String,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id: it stops working at once.
    Revoke {
        #[arg(long)]
        id: uuid::Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account. The password is read from standard input (one line); with
    /// --generate-password (or empty input) a strong one is generated and printed once.
    Add {
        #[arg(long)]
        email: String,
        /// cmo, perf_lead, lifecycle_lead, rewards_pm, data_science, compliance or admin.
        #[arg(long)]
        role: app::access::Role,
        #[arg(long)]
        generate_password: bool,
    },
    /// List accounts.
    List,
    /// Disable an account: its sessions and tokens stop working at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Re-enable a disabled account.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Change an account's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: app::access::Role,
    },
    /// Create a personal read token for an account; printed once.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "SWIPESAVVY_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Directory of the built site (wasm, JS, CSS) [default: target/site].
    #[arg(long, env = "SWIPESAVVY_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// On a database without accounts, create one per role with generated passwords and print
    /// them once (for trying the product out).
    #[arg(long)]
    pub demo_accounts: bool,

    /// On a database without events, load a simulated demo data set first (30 days, 2,000
    /// users, 12 campaigns, seed 42).
    #[arg(long)]
    pub demo_data: bool,

    /// Always mark the session cookie Secure (behind a TLS-terminating proxy).
    #[arg(long, env = "SWIPESAVVY_SECURE_COOKIES", num_args = 0..=1, default_missing_value = "true")]
    pub secure_cookies: Option<bool>,

    /// Let the administrator move this server's clock forward (`POST /api/v1/admin/clock`,
    /// audited), to see time-based rules (a test's planned end, schedules) without waiting. For
    /// end-to-end tests and demos; never in production.
    #[arg(long)]
    pub clock_control: bool,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (all, or the next N).
    Up {
        #[arg(long)]
        steps: Option<u32>,
    },
    /// Roll back the last N applied migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List every migration and whether it is applied.
    Status,
}

impl Cli {
    fn overrides(&self) -> Overrides {
        let (addr, site_root, secure_cookies, clock_control) = match &self.command {
            Command::Serve(args) => (args.addr, args.site_root.clone(), args.secure_cookies, args.clock_control),
            _ => (None, None, None, false),
        };
        // One-shot commands print their own results; only warnings need to interrupt them.
        let log_filter = match self.command {
            Command::Serve(_) => self.log_filter.clone(),
            _ => self.log_filter.clone().or_else(|| Some("warn".to_owned())),
        };
        Overrides {
            config_file: self.config.clone(),
            database_url: self.database_url.clone(),
            addr,
            site_root,
            log_format: self.log_format,
            log_filter,
            secure_cookies,
            clock_control,
        }
    }
}

/// Parses the command line, runs the command, and turns any error into one line on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", err.one_line());
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), AppError> {
    let settings = Settings::load(cli.overrides())?;
    crate::telemetry::init(&settings)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|err| AppError::Internal(err.into()))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => crate::startup::serve(settings, args.demo_accounts, args.demo_data).await,
            Command::Migrate { action } => crate::db::migrate(&settings, action).await,
            Command::User { action } => crate::commands::user(&settings, action).await,
            Command::Apikey { action } => crate::commands::api_key(&settings, action).await,
            Command::Audit { action } => crate::commands::audit(&settings, action).await,
            Command::Docs { out } => crate::commands::docs(&out),
            Command::Import { what: Some(ImportWhat::Experiment { file, control, arm_column, outcomes, split, name, alpha, minimum_effect_percent, duration_days, json }), .. } => {
                let mut pairs: Vec<(String, String)> = vec![
                    ("control".to_owned(), control),
                    ("arm_column".to_owned(), arm_column),
                    ("alpha".to_owned(), alpha.to_string()),
                    ("minimum_effect_percent".to_owned(), minimum_effect_percent.to_string()),
                    ("duration_days".to_owned(), duration_days.to_string()),
                ];
                pairs.extend(outcomes.into_iter().map(|o| ("outcome".to_owned(), o)));
                pairs.extend(split.into_iter().map(|s| ("split".to_owned(), s)));
                if let Some(name) = name {
                    pairs.push(("name".to_owned(), name));
                }
                let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
                let request = crate::http::experiments::import_request(&pairs, &source)?;
                let reader = std::fs::File::open(&file).map_err(|err| AppError::Config(format!("cannot read {}: {err}", file.display())))?;
                let db = crate::db::connect(&settings.database).await?;
                crate::db::migrate_up(&db).await?;
                let state = crate::state::AppState::new(db, settings, crate::clock::Clock::system());
                state.audit.check_key(&state.db).await?;
                let actor = crate::services::catalogue::Actor::system(state.audit.clone());
                let id = crate::services::experiments::import(&state.db, std::io::BufReader::new(reader), request, &actor, state.clock.now()).await?;
                let view = crate::services::experiments::view(&state.db, &state.metrics, id, state.clock.now()).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&view).map_err(|e| AppError::Internal(e.into()))?);
                } else {
                    print!("{}", crate::services::experiments::results_text(&view));
                }
                Ok(())
            }
            Command::Import { file, format, errors, backfill, .. } => {
                let file = file.ok_or_else(|| AppError::Config("give the file to import".to_owned()))?;
                let format = match format {
                    Some(format) => format,
                    None => crate::ingest::import::Format::from_path(&file)?,
                };
                let db = crate::db::connect(&settings.database).await?;
                crate::db::migrate_up(&db).await?;
                let state = crate::state::AppState::new(db, settings, crate::clock::Clock::system());
                let started = std::time::Instant::now();
                let summary = crate::ingest::import::import(&state, &file, format, backfill, errors.clone()).await?;
                let elapsed = started.elapsed();
                println!(
                    "imported {}: {} rows, {} accepted, {} duplicates, {} rejected rows in {:.1?} ({:.0} rows/s)",
                    file.display(),
                    summary.rows,
                    summary.accepted,
                    summary.duplicates,
                    summary.rejected_rows,
                    elapsed,
                    summary.rows as f64 / elapsed.as_secs_f64().max(0.001)
                );
                if let (Some(errors), true) = (errors, summary.rejected_rows > 0) {
                    println!("rejected rows are listed in {}", errors.display());
                }
                Ok(())
            }
            Command::Privacy { action } => crate::commands::privacy(&settings, action).await,
            Command::ImportCustomers { file } => crate::commands::import_customers(&settings, &file).await,
            Command::ImportSpend { file, errors } => crate::commands::import_spend(&settings, &file, errors.as_deref()).await,
            Command::Simulate { seed, users, days, start, campaigns, holdout_percent, invalid_rate, duplicate_rate, late_rate, experiments, to_db: _, to_url, api_key, truth, live, rate, duration_seconds } => {
                let now = crate::clock::Clock::system().now();
                if let Some(first) = start {
                    // Events may not lie in the future; the last simulated day must have begun.
                    if first + chrono::Days::new(u64::from(days.saturating_sub(1))) > now.date_naive() {
                        return Err(AppError::Config(format!("--start {first} with --days {days} runs past today; start earlier or simulate fewer days")));
                    }
                }
                let config = analytics::simulator::SimConfig {
                    seed,
                    users,
                    days,
                    campaigns,
                    start: start.map_or_else(|| analytics::simulator::start_for(now, days), |day| day.and_time(chrono::NaiveTime::MIN).and_utc()),
                    holdout_share: holdout_percent / 100.0,
                    faults: analytics::simulator::Faults { invalid_rate, duplicate_rate, late_rate },
                    experiments,
                };
                match to_url {
                    Some(base) if live => {
                        let run_for = duration_seconds.map(std::time::Duration::from_secs);
                        crate::services::simulate::live(&base, &api_key.unwrap_or_default(), config, rate, run_for).await
                    }
                    Some(base) => {
                        let target = crate::services::simulate::Target::Url { base, api_key: api_key.unwrap_or_default() };
                        crate::services::simulate::run(target, config, truth.as_deref()).await
                    }
                    None => {
                        let db = crate::db::connect(&settings.database).await?;
                        crate::db::migrate_up(&db).await?;
                        let state = crate::state::AppState::new(db, settings, crate::clock::Clock::system());
                        crate::services::simulate::run(crate::services::simulate::Target::Database(&state), config, truth.as_deref()).await
                    }
                }
            }
            Command::Load { url, api_key, events, batch_size, concurrency } => {
                let report = crate::services::load::run(&url, &api_key, events, batch_size, concurrency).await?;
                println!("{}", serde_json::to_string(&report).map_err(|e| AppError::Internal(e.into()))?);
                Ok(())
            }
            Command::LoadLive { url, api_key, token, clients, filter_sets, rate, seconds } => {
                let report = crate::services::live_load::run(&url, &api_key, &token, clients, filter_sets, rate, seconds).await?;
                println!("{}", serde_json::to_string(&report).map_err(|e| AppError::Internal(e.into()))?);
                Ok(())
            }
            Command::Rebuild => {
                let db = crate::db::connect(&settings.database).await?;
                crate::db::migrate_up(&db).await?;
                crate::services::rebuild::run(&db).await
            }
        }
    })
}
