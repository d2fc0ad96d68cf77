//! API keys for producers: `Authorization: Bearer sskey_…`, each with scopes (events,
//! catalogue, backfill). Stored as digests; shown once when created.

use app::access::{KeyPrincipal, Scope};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::secret;
use crate::entities::api_keys::{self, Entity as ApiKeys};
use crate::error::{AppError, Result};

pub const PREFIX: &str = "sskey_";
/// `last_used_at` is written at most this often per key, so ingestion does not turn into writes.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(5);

/// Parses `events,backfill` into scopes; the error names the bad one.
pub fn parse_scopes(text: &str) -> Result<Vec<Scope>> {
    let mut scopes = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let scope = part.parse::<Scope>().map_err(|reason| {
            AppError::Validation(vec![app::wire::FieldError { field: "scope".to_owned(), reason }])
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(AppError::Validation(vec![app::wire::FieldError {
            field: "scope".to_owned(),
            reason: "give at least one scope: events, catalogue, backfill or customers".to_owned(),
        }]));
    }
    scopes.sort();
    Ok(scopes)
}

pub fn scopes_of(model: &api_keys::Model) -> Vec<Scope> {
    model.scopes.split(',').filter_map(|s| s.parse().ok()).collect()
}

/// Creates a key; the secret is returned once and never stored.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    scopes: &[Scope],
    created_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(api_keys::Model, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Validation(vec![app::wire::FieldError {
            field: "name".to_owned(),
            reason: "give the key a name of 1 to 100 characters, e.g. 'mobile app'".to_owned(),
        }]));
    }
    if scopes.is_empty() {
        return Err(AppError::Validation(vec![app::wire::FieldError {
            field: "scope".to_owned(),
            reason: "give at least one scope: events, catalogue, backfill or customers".to_owned(),
        }]));
    }
    let secret = secret::generate(PREFIX);
    let model = api_keys::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        key_hash: Set(secret::digest(&secret)),
        prefix: Set(secret.chars().take(PREFIX.len() + 6).collect()),
        scopes: Set(scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")),
        created_by: Set(created_by),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

/// The producer behind a key, if the key exists and is not revoked.
pub async fn resolve(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<Option<KeyPrincipal>> {
    let Some(key) = ApiKeys::find().filter(api_keys::Column::KeyHash.eq(secret::digest(secret))).one(db).await? else {
        return Ok(None);
    };
    if key.revoked_at.is_some() {
        return Ok(None);
    }
    let principal = KeyPrincipal { key_id: key.id, name: key.name.clone(), scopes: scopes_of(&key) };
    if key.last_used_at.is_none_or(|t| now - t > LAST_USED_GRANULARITY) {
        let mut active: api_keys::ActiveModel = key.into();
        active.last_used_at = Set(Some(now));
        // Bookkeeping only: a failed write must not turn a valid credential away.
        if let Err(err) = active.update(db).await {
            tracing::warn!(error = %err, "could not record when a credential was last used");
        }
    }
    Ok(Some(principal))
}

pub async fn revoke(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<api_keys::Model> {
    let key = ApiKeys::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("API key {id}")))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active: api_keys::ActiveModel = key.into();
    active.revoked_at = Set(Some(now));
    Ok(active.update(db).await?)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<api_keys::Model>> {
    Ok(ApiKeys::find().order_by_desc(api_keys::Column::CreatedAt).all(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_deduplicate_and_name_a_bad_one() {
        assert_eq!(parse_scopes("events, backfill,events").unwrap(), vec![Scope::Events, Scope::Backfill]);
        let err = parse_scopes("events,admin").unwrap_err();
        assert!(matches!(err, AppError::Validation(ref f) if f[0].reason.contains("'admin'")), "{err:?}");
        assert!(parse_scopes(" , ").is_err());
    }
}
