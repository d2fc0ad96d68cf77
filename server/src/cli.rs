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
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "SWIPESAVVY_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Directory of the built site (wasm, JS, CSS) [default: target/site].
    #[arg(long, env = "SWIPESAVVY_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
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
        let (addr, site_root) = match &self.command {
            Command::Serve(args) => (args.addr, args.site_root.clone()),
            Command::Migrate { .. } => (None, None),
        };
        Overrides {
            config_file: self.config.clone(),
            database_url: self.database_url.clone(),
            addr,
            site_root,
            log_format: self.log_format,
            log_filter: self.log_filter.clone(),
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
            Command::Serve(_) => crate::startup::serve(settings).await,
            Command::Migrate { action } => crate::db::migrate(&settings, action).await,
        }
    })
}
