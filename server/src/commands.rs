//! The command-line subcommands beyond `serve` and `migrate`: accounts, tokens, and the
//! documents generated from code.

use std::io::BufRead;
use std::path::Path;

use app::access::Role;

use crate::auth::{accounts, api_keys, password, tokens};
use crate::cli::{ApiKeyAction, UserAction};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db;
use crate::error::{AppError, Result};

/// The audit entry of a change made on the command line, by whoever runs the server's binary.
async fn audit_cli(db: &sea_orm::DatabaseConnection, settings: &Settings, action: &str, target: String, after: serde_json::Value) -> Result<()> {
    use crate::services::audit;
    let entry = audit::Entry { actor: "command line".to_owned(), role: "operator".to_owned(), action: action.to_owned(), target, after: Some(after), ..Default::default() };
    audit::record_alone(db, &audit::Audit::for_database(settings, db).await?, entry, Clock::system().now()).await.map(|_| ())
}

/// `swipesavvy user …`.
pub async fn user(settings: &Settings, action: UserAction) -> Result<()> {
    let db = db::connect(&settings.database).await?;
    db::migrate_up(&db).await?;
    let now = Clock::system().now();
    match action {
        UserAction::Add { email, role, generate_password } => {
            let given = if generate_password { None } else { read_password_line()? };
            let secret = given.clone().unwrap_or_else(password::generate);
            let account = accounts::create(&db, &email, role, &secret, now).await?;
            audit_cli(&db, settings, "account.create", format!("account:{}", account.email), serde_json::json!({ "role": role })).await?;
            println!("created {} ({})", account.email, account.role);
            if given.is_none() {
                println!("password (shown once): {secret}");
            }
        }
        UserAction::List => {
            println!("{:<36}  {:<14}  {:<8}  email", "id", "role", "status");
            for account in accounts::list(&db).await? {
                let status = if account.is_active() { "active" } else { "disabled" };
                println!("{}  {:<14}  {status:<8}  {}", account.id, account.role.as_str(), account.email);
            }
        }
        UserAction::Disable { email } => {
            let account = accounts::get_by_email(&db, &email).await?;
            accounts::set_disabled(&db, account.id, true, now).await?;
            audit_cli(&db, settings, "account.disable", format!("account:{}", account.email), serde_json::json!({ "disabled": true })).await?;
            println!("disabled {}", account.email);
        }
        UserAction::Enable { email } => {
            let account = accounts::get_by_email(&db, &email).await?;
            accounts::set_disabled(&db, account.id, false, now).await?;
            audit_cli(&db, settings, "account.enable", format!("account:{}", account.email), serde_json::json!({ "disabled": false })).await?;
            println!("enabled {}", account.email);
        }
        UserAction::SetRole { email, role } => {
            let account = accounts::get_by_email(&db, &email).await?;
            accounts::set_role(&db, account.id, role, now).await?;
            let change = serde_json::json!({ "role": role, "previous_role": account.role });
            audit_cli(&db, settings, "account.set_role", format!("account:{}", account.email), change).await?;
            println!("{} is now {role}", account.email);
        }
        UserAction::Token { email, name } => {
            let account = accounts::get_by_email(&db, &email).await?;
            let (token, secret) = tokens::create(&db, account.id, &name, now).await?;
            audit_cli(&db, settings, "token.create", format!("token:{}", token.id), serde_json::json!({ "name": token.name, "owner": account.email })).await?;
            println!("personal read token for {} (shown once): {secret}", account.email);
        }
    }
    Ok(())
}

/// `swipesavvy apikey …`.
/// `swipesavvy audit verify|checkpoint`.
pub async fn audit(settings: &Settings, action: crate::cli::AuditAction) -> Result<()> {
    use crate::services::audit;
    let db = db::connect(&settings.database).await?;
    db::migrate_up(&db).await?;
    let log = audit::Audit::for_database(settings, &db).await?;
    match action {
        crate::cli::AuditAction::Verify => {
            let result = audit::verify(&db, &log).await?;
            match &result.first_bad {
                None => {
                    println!("audit log verified: {} entries, {} checkpoints, head {:?}", result.entries, result.checkpoints, result.head);
                    Ok(())
                }
                Some(bad) => Err(AppError::Conflict(format!("audit log entry {} fails: {} ({} entries checked)", bad.seq, bad.reason, result.entries))),
            }
        }
        crate::cli::AuditAction::Checkpoint => {
            match audit::checkpoint(&db, &log, Clock::system().now()).await? {
                Some(c) => println!("checkpoint written to {}: entry {} {}", log.checkpoint_file().display(), c.seq, c.mac),
                None => println!("nothing new to checkpoint"),
            }
            Ok(())
        }
    }
}

pub async fn api_key(settings: &Settings, action: ApiKeyAction) -> Result<()> {
    let db = db::connect(&settings.database).await?;
    db::migrate_up(&db).await?;
    let now = Clock::system().now();
    match action {
        ApiKeyAction::Create { name, scope } => {
            let scopes = api_keys::parse_scopes(&scope)?;
            let (key, secret) = api_keys::create(&db, &name, &scopes, None, now).await?;
            audit_cli(&db, settings, "api_key.create", format!("api_key:{}", key.id), serde_json::json!({ "name": key.name, "scopes": key.scopes })).await?;
            println!("created API key {} '{}' with scopes {}", key.id, key.name, key.scopes);
            println!("key (shown once): {secret}");
        }
        ApiKeyAction::List => {
            println!("{:<36}  {:<12}  {:<24}  {:<8}  name", "id", "starts with", "scopes", "status");
            for key in api_keys::list(&db).await? {
                let status = if key.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{}  {:<12}  {:<24}  {status:<8}  {}", key.id, key.prefix, key.scopes, key.name);
            }
        }
        ApiKeyAction::Revoke { id } => {
            let key = api_keys::revoke(&db, id, now).await?;
            audit_cli(&db, settings, "api_key.revoke", format!("api_key:{id}"), serde_json::json!({ "name": key.name })).await?;
            println!("revoked API key {} '{}'", key.id, key.name);
        }
    }
    Ok(())
}

/// `swipesavvy import-spend FILE`: all lines recorded, or none and each problem by line number.
/// `swipesavvy privacy erase`.
pub async fn privacy(settings: &Settings, action: crate::cli::PrivacyAction) -> Result<()> {
    let crate::cli::PrivacyAction::Erase { user, email, reference } = action;
    let db = db::connect(&settings.database).await?;
    db::migrate_up(&db).await?;
    let audit = crate::services::audit::Audit::for_database(settings, &db).await?;
    let request = app::wire::ErasureRequest { user_id: user, email, reference };
    let who = ("command line".to_owned(), "operator".to_owned());
    let result = crate::services::erasure::erase_stored(&db, &audit, request, who, Clock::system().now()).await?;
    println!(
        "erasure {}: {} events, {} consent facts and {} directory entry deleted; the audit log names this request id only",
        result.request_id,
        result.events_deleted,
        result.consent_facts_deleted,
        u8::from(result.directory_entry_deleted)
    );
    Ok(())
}

/// `swipesavvy import-customers FILE.csv`.
pub async fn import_customers(settings: &Settings, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).map_err(|err| AppError::Config(format!("cannot read {}: {err}", file.display())))?;
    let db = db::connect(&settings.database).await?;
    db::migrate_up(&db).await?;
    let audit = crate::services::audit::Audit::for_database(settings, &db).await?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let actor = crate::services::catalogue::Actor::new(
        app::access::Caller::Key(app::access::KeyPrincipal { key_id: uuid::Uuid::nil(), name: format!("import:{name}"), scopes: vec![app::access::Scope::Customers] }),
        audit.clone(),
    );
    let inputs = crate::services::customers::parse_csv(&bytes)?;
    let result = crate::services::customers::upsert(&db, inputs, &actor, &audit, Clock::system().now()).await?;
    println!("customer directory: {} added, {} updated from {}", result.created, result.updated, file.display());
    Ok(())
}

pub async fn import_spend(settings: &Settings, file: &Path, errors: Option<&Path>) -> Result<()> {
    use crate::services::spend_import::{self, SpendImport};
    let db = db::connect(&settings.database).await?;
    db::migrate_up(&db).await?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let audit = crate::services::audit::Audit::for_database(settings, &db).await?;
    match spend_import::import(&db, file, &format!("import:{name}"), &audit, Clock::system().now()).await? {
        SpendImport::Recorded { result, campaigns } => {
            println!(
                "recorded {} spend lines from {} for {campaigns} campaigns, ${:.2} in total",
                result.recorded,
                file.display(),
                result.total_cents as f64 / 100.0
            );
            Ok(())
        }
        SpendImport::Refused { rows, errors: problems } => {
            const SHOWN: usize = 50;
            for problem in problems.iter().take(SHOWN) {
                eprintln!("line {}: {}: {}", problem.line, problem.field, problem.reason);
            }
            if problems.len() > SHOWN {
                eprintln!("… and {} more", problems.len() - SHOWN);
            }
            if let Some(path) = errors {
                let mut report = csv::Writer::from_path(path)
                    .map_err(|err| AppError::Config(format!("cannot write the error report {}: {err}", path.display())))?;
                let write_error = |err: csv::Error| AppError::Config(format!("cannot write the error report {}: {err}", path.display()));
                report.write_record(["line", "field", "reason"]).map_err(write_error)?;
                for problem in &problems {
                    report.write_record([problem.line.to_string().as_str(), &problem.field, &problem.reason]).map_err(write_error)?;
                }
                report.flush().map_err(|err| AppError::Config(format!("cannot write the error report {}: {err}", path.display())))?;
            }
            let lines = problems.iter().map(|p| p.line).collect::<std::collections::BTreeSet<_>>().len();
            Err(AppError::Config(format!(
                "{lines} of {rows} spend lines in {} have problems (listed above); nothing was recorded",
                file.display()
            )))
        }
    }
}

/// One line from standard input, without its line ending; `None` when it is empty.
fn read_password_line() -> Result<Option<String>> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|err| AppError::Config(format!("cannot read the password from standard input: {err}")))?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    Ok((!line.is_empty()).then_some(line))
}

/// `swipesavvy docs`: writes the documents generated from code.
pub fn docs(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|err| AppError::Config(format!("cannot create {}: {err}", out.display())))?;
    for (name, text) in [("permissions.md", app::access::permissions_markdown()), ("routes.md", crate::http::routes_markdown())] {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|err| AppError::Config(format!("cannot write {}: {err}", path.display())))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// With `--demo-accounts` on a database without any account: one account per role, with
/// generated passwords printed once (never a fixed default password).
pub async fn create_demo_accounts(db: &sea_orm::DatabaseConnection, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    if accounts::count(db).await? > 0 {
        return Ok(());
    }
    println!("\nDemo accounts (passwords are shown once; sign in at /login):");
    for role in Role::ALL {
        let email = format!("{}@demo.swipesavvy.local", role.as_str().replace('_', "-"));
        let secret = password::generate();
        accounts::create(db, &email, role, &secret, now).await?;
        println!("  {:<28} {:<38} {secret}", role.title(), email);
    }
    println!();
    Ok(())
}
