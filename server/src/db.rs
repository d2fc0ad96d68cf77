//! Connecting to the database (SQLite by default, PostgreSQL in production) and migrating it.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use secrecy::ExposeSecret;

use crate::cli::MigrateAction;
use crate::config::{DatabaseTarget, Settings};
use crate::error::{AppError, Result};

/// Opens a pool to the target; the SQLite file and its folder are created when missing.
pub async fn connect(target: &DatabaseTarget) -> Result<DatabaseConnection> {
    let url = match target {
        DatabaseTarget::Sqlite { path } => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|err| {
                    AppError::Config(format!("cannot create the database folder {}: {err}", dir.display()))
                })?;
            }
            format!("sqlite://{}?mode=rwc", path.display())
        }
        DatabaseTarget::Postgres { url } => url.expose_secret().to_owned(),
    };
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        // Statements are prepared once per connection, and after five runs PostgreSQL may keep a
        // generic plan made while the event log was small: a sequential scan, which later took a
        // second per batch for the deduplication lookup (bench ingest). Plan each run instead;
        // these statements are small, so planning costs little.
        .map_sqlx_postgres_opts(|pg| pg.options([("plan_cache_mode", "force_custom_plan")]));
    let db = Database::connect(options)
        .await
        .map_err(|err| AppError::Config(format!("cannot connect to {}: {err}", target.describe())))?;
    if let DatabaseTarget::Sqlite { .. } = target {
        // WAL lets readers (the dashboard) run while a writer (ingestion) commits.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// `swipesavvy migrate up|down|status`.
pub async fn migrate(settings: &Settings, action: MigrateAction) -> Result<()> {
    let db = connect(&settings.database).await?;
    match action {
        MigrateAction::Up { steps } => {
            Migrator::up(&db, steps).await?;
            println!("migrated {} up", settings.database.describe());
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&db, Some(steps)).await?;
            println!("rolled back {steps} migration(s) on {}", settings.database.describe());
        }
        MigrateAction::Status => {
            let applied: Vec<String> =
                Migrator::get_applied_migrations(&db).await?.iter().map(|m| m.name().to_owned()).collect();
            for migration in Migrator::migrations() {
                let state = if applied.iter().any(|name| name == migration.name()) { "applied" } else { "pending" };
                println!("{state:8} {}", migration.name());
            }
        }
    }
    Ok(())
}
