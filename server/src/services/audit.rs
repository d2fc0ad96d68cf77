//! The audit log: every state-changing action, written in the same transaction as the change,
//! as one row chained to the row before it by an HMAC-SHA-256 keyed with a secret that never
//! enters the database.
//!
//! - `mac = HMAC(key, canonical JSON of [prev_mac, at, actor, role, action, target, before,
//!   after, reason, consent_check])`, `prev_mac` being the previous row's `mac` (64 zeros for the
//!   first). Changing a row breaks its MAC; removing one breaks the next row's link; recomputing
//!   the MACs needs the key.
//! - The database refuses UPDATE, DELETE and TRUNCATE on the table (migration 8's triggers);
//!   appenders take turns on the `audit_head` row, so two never chain to the same predecessor.
//! - Cutting off the newest rows leaves a valid chain, so the head is checkpointed outside the
//!   database: a signed line appended to the checkpoint file (and the server log) every hour and
//!   at shutdown. `verify` checks every checkpoint names a row that is still there.
//!
//! The key comes from `SWIPESAVVY_AUDIT_KEY`, else from `audit_key_file` (created with 32 random
//! bytes on first use, readable by its owner only). Keep a copy of it apart from the database's
//! backups: whoever holds both can rewrite history.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::config::Settings;
use crate::entities::audit_log;
use crate::error::{AppError, Result};

/// The link before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where the key and the checkpoints live; the key is read (or made) on first use.
#[derive(Clone)]
pub struct Audit {
    key_from_env: Option<secrecy::SecretString>,
    key_file: PathBuf,
    checkpoint_file: PathBuf,
    key: Arc<OnceLock<Vec<u8>>>,
}

impl Audit {
    pub fn new(settings: &Settings) -> Audit {
        Audit {
            key_from_env: settings.audit_key.clone(),
            key_file: settings.audit_key_file.clone(),
            checkpoint_file: settings.audit_checkpoint_file.clone(),
            key: Arc::new(OnceLock::new()),
        }
    }

    /// The key of a log that already holds entries must be the one they were written with: with
    /// neither `SWIPESAVVY_AUDIT_KEY` nor the key file, a fresh key would be made and every entry
    /// would then fail verification. Refuse instead, saying how to fix it.
    pub async fn check_key(&self, db: &DatabaseConnection) -> Result<()> {
        use sea_orm::PaginatorTrait;
        if self.key_from_env.is_some() || self.key.get().is_some() || self.key_file.exists() {
            return Ok(());
        }
        let entries = audit_log::Entity::find().count(db).await?;
        if entries == 0 {
            return Ok(());
        }
        Err(AppError::Config(format!(
            "the audit log holds {entries} entries but there is no audit key at {} (and SWIPESAVVY_AUDIT_KEY is not set): \
             restore the key file or set the variable; a new key would make every entry fail verification. \
             Run from the server's folder, or point audit_key_file at the key",
            self.key_file.display()
        )))
    }

    /// The audit settings of a run against `db`, after `check_key`.
    pub async fn for_database(settings: &Settings, db: &DatabaseConnection) -> Result<Audit> {
        let audit = Audit::new(settings);
        audit.check_key(db).await?;
        Ok(audit)
    }

    pub fn checkpoint_file(&self) -> &Path {
        &self.checkpoint_file
    }

    fn key(&self) -> Result<&[u8]> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let key = match &self.key_from_env {
            Some(secret) => {
                use secrecy::ExposeSecret;
                let secret = secret.expose_secret();
                if secret.len() < 32 {
                    return Err(AppError::Config("SWIPESAVVY_AUDIT_KEY must be at least 32 characters".to_owned()));
                }
                secret.as_bytes().to_vec()
            }
            None => read_or_create_key(&self.key_file)?,
        };
        Ok(self.key.get_or_init(|| key))
    }

    fn mac(&self, parts: &[u8]) -> Result<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key()?).map_err(|e| AppError::Internal(anyhow::anyhow!("audit key: {e}")))?;
        mac.update(parts);
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

impl Audit {
    /// A keyed pseudonym of a user (`user#` and 16 hex digits), for logs that must say whose data
    /// was read without holding who they are: after an erasure nothing in them is the person's,
    /// yet anyone holding the key and a user id can still find that user's entries.
    pub fn subject_ref(&self, user_id: &str) -> Result<String> {
        let mac = self.mac(format!("subject:v1:{user_id}").as_bytes())?;
        Ok(format!("user#{}", &mac[..16]))
    }
}

fn read_or_create_key(path: &Path) -> Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => hex::decode(text.trim()).map_err(|_| AppError::Config(format!("the audit key file {} is not hex", path.display()))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| AppError::Config(format!("cannot create {}: {e}", dir.display())))?;
            }
            let key: [u8; 32] = rand::random();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|e| AppError::Config(format!("cannot create the audit key file {}: {e}", path.display())))?;
            writeln!(file, "{}", hex::encode(key)).map_err(|e| AppError::Config(format!("cannot write {}: {e}", path.display())))?;
            tracing::warn!(file = %path.display(), "created a new audit key; keep a copy apart from the database backups");
            Ok(key.to_vec())
        }
        Err(err) => Err(AppError::Config(format!("cannot read the audit key file {}: {err}", path.display()))),
    }
}

/// One action to record.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// Who: an account's email, `key:<name>`, or `system`.
    pub actor: String,
    pub role: String,
    /// What, as `object.verb`: `campaign.create`, `auth.login_failed`, …
    pub action: String,
    /// On what: `campaign:<id>`, `account:<email>`, …
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
    /// For campaigns: the consent facts the action was checked against.
    pub consent_check: Option<Value>,
}

/// The time as stored (microseconds, which both backends keep exactly).
fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// The bytes an entry's MAC covers.
fn canonical(prev_mac: &str, at: DateTime<Utc>, row: (&str, &str, &str, &str, Option<&str>, Option<&str>, Option<&str>, Option<&str>)) -> Vec<u8> {
    let (actor, role, action, target, before, after, reason, consent) = row;
    serde_json::to_vec(&serde_json::json!([prev_mac, at.to_rfc3339_opts(SecondsFormat::Micros, true), actor, role, action, target, before, after, reason, consent]))
        .expect("JSON of strings")
}

/// Appends an entry inside the caller's transaction (so it commits, or not, with the change).
pub async fn record(txn: &DatabaseTransaction, audit: &Audit, entry: Entry, at: DateTime<Utc>) -> Result<i64> {
    let at = stored_time(at);
    // Take the turn: the head row stays locked until this transaction ends.
    txn.execute_raw(Statement::from_string(txn.get_database_backend(), "UPDATE audit_head SET appends = appends + 1 WHERE id = 1")).await?;
    let prev = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq).limit(1).one(txn).await?.map_or_else(|| GENESIS.to_owned(), |row| row.mac);
    let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    let (before, after, consent) = (text(&entry.before), text(&entry.after), text(&entry.consent_check));
    let mac = audit.mac(&canonical(
        &prev,
        at,
        (&entry.actor, &entry.role, &entry.action, &entry.target, before.as_deref(), after.as_deref(), entry.reason.as_deref(), consent.as_deref()),
    ))?;
    let row = audit_log::ActiveModel {
        seq: sea_orm::ActiveValue::NotSet,
        at: Set(at),
        actor: Set(entry.actor),
        actor_role: Set(entry.role),
        action: Set(entry.action),
        target: Set(entry.target),
        before: Set(before),
        after: Set(after),
        reason: Set(entry.reason),
        consent_check: Set(consent),
        prev_mac: Set(prev),
        mac: Set(mac),
    }
    .insert(txn)
    .await?;
    Ok(row.seq)
}

/// Appends an entry in a transaction of its own (for actions without one, such as a sign-in).
pub async fn record_alone(db: &DatabaseConnection, audit: &Audit, entry: Entry, at: DateTime<Utc>) -> Result<i64> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    let seq = record(&txn, audit, entry, at).await?;
    txn.commit().await?;
    Ok(seq)
}

/// A line of the checkpoint file: the chain's head at a moment, signed with the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub mac: String,
    pub at: DateTime<Utc>,
    pub signature: String,
}

impl Checkpoint {
    fn signed_bytes(seq: i64, mac: &str, at: DateTime<Utc>) -> Vec<u8> {
        format!("checkpoint:{seq}:{mac}:{}", at.to_rfc3339_opts(SecondsFormat::Micros, true)).into_bytes()
    }
}

/// Appends the chain's head to the checkpoint file (and the log) unless the last line already
/// names it. Returns the checkpoint written.
pub async fn checkpoint(db: &DatabaseConnection, audit: &Audit, now: DateTime<Utc>) -> Result<Option<Checkpoint>> {
    let Some(head) = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq).limit(1).one(db).await? else { return Ok(None) };
    let existing = read_checkpoints(audit.checkpoint_file())?;
    if existing.last().is_some_and(|c| c.seq == head.seq && c.mac == head.mac) {
        return Ok(None);
    }
    let at = stored_time(now);
    let signature = audit.mac(&Checkpoint::signed_bytes(head.seq, &head.mac, at))?;
    let line = Checkpoint { seq: head.seq, mac: head.mac, at, signature };
    let path = audit.checkpoint_file();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| AppError::Config(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| AppError::Config(format!("cannot open the audit checkpoint file {}: {e}", path.display())))?;
    writeln!(file, "{}", serde_json::to_string(&line).expect("a checkpoint is JSON")).map_err(|e| AppError::Internal(e.into()))?;
    file.sync_all().map_err(|e| AppError::Internal(e.into()))?;
    tracing::info!(seq = line.seq, mac = %line.mac, signature = %line.signature, "audit checkpoint");
    Ok(Some(line))
}

fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| serde_json::from_str(l).map_err(|e| AppError::Config(format!("{} line {}: not a checkpoint ({e})", path.display(), i + 1))))
            .collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(AppError::Config(format!("cannot read {}: {err}", path.display()))),
    }
}

/// What `verify` found.
#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub ok: bool,
    pub entries: u64,
    pub checkpoints: u64,
    /// The newest entry's `seq`.
    pub head: Option<i64>,
    /// The first entry that fails, and why.
    pub first_bad: Option<BadEntry>,
    /// The newest signed checkpoint: the entry it seals, when, and the start of that entry's MAC.
    #[serde(default)]
    pub last_checkpoint: Option<CheckpointRef>,
}

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRef {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The first 16 hex digits of the sealed entry's MAC.
    pub mac_prefix: String,
}

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BadEntry {
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain against the key, then the checkpoints against the chain.
pub async fn verify(db: &DatabaseConnection, audit: &Audit) -> Result<Verification> {
    use sea_orm::ColumnTrait;
    let checkpoints = read_checkpoints(audit.checkpoint_file())?;
    let last_checkpoint = checkpoints.iter().max_by_key(|c| c.seq).map(|c| CheckpointRef { seq: c.seq, at: c.at, mac_prefix: c.mac.chars().take(16).collect() });
    let mut result = Verification { ok: true, entries: 0, checkpoints: checkpoints.len() as u64, head: None, first_bad: None, last_checkpoint };
    let fail = |result: &mut Verification, seq: i64, reason: String| {
        if result.first_bad.is_none() {
            result.ok = false;
            result.first_bad = Some(BadEntry { seq, reason });
        }
    };
    for (i, c) in checkpoints.iter().enumerate() {
        if audit.mac(&Checkpoint::signed_bytes(c.seq, &c.mac, c.at))? != c.signature {
            fail(&mut result, c.seq, format!("checkpoint line {} is not signed with this key", i + 1));
        }
    }
    let mut prev = GENESIS.to_owned();
    let mut after = 0i64;
    let mut seen: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    let wanted: std::collections::HashSet<i64> = checkpoints.iter().map(|c| c.seq).collect();
    loop {
        let rows = audit_log::Entity::find().filter(audit_log::Column::Seq.gt(after)).order_by_asc(audit_log::Column::Seq).limit(1_000).all(db).await?;
        let Some(last) = rows.last().map(|r| r.seq) else { break };
        for row in rows {
            result.entries += 1;
            if row.prev_mac != prev {
                fail(&mut result, row.seq, "does not follow the entry before it: an entry was removed or changed".to_owned());
            }
            let expected = audit.mac(&canonical(
                &row.prev_mac,
                row.at,
                (&row.actor, &row.actor_role, &row.action, &row.target, row.before.as_deref(), row.after.as_deref(), row.reason.as_deref(), row.consent_check.as_deref()),
            ))?;
            if expected != row.mac {
                fail(&mut result, row.seq, "its content does not match its MAC: it was changed after it was written".to_owned());
            }
            if wanted.contains(&row.seq) {
                seen.insert(row.seq, row.mac.clone());
            }
            prev = row.mac;
            result.head = Some(row.seq);
        }
        after = last;
    }
    for c in &checkpoints {
        match seen.get(&c.seq) {
            Some(mac) if *mac == c.mac => {}
            Some(_) => fail(&mut result, c.seq, format!("differs from the checkpoint of {}", c.at)),
            None => {
                let first_missing = result.head.map_or(1, |h| h + 1).min(c.seq);
                fail(&mut result, first_missing, format!("is missing: the checkpoint of {} names entry {}, so the newest entries were removed", c.at, c.seq));
            }
        }
    }
    Ok(result)
}
