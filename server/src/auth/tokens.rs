//! Personal read tokens: `Authorization: Bearer sspt_…` acts as the token's owner, with the
//! owner's role, on the read API only (the request pipeline enforces the "read only").

use app::access::{AuthMethod, Principal};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{accounts, secret};
use crate::entities::accounts::Entity as Accounts;
use crate::entities::personal_tokens::{self, Entity as Tokens};
use crate::error::{AppError, Result};

pub const PREFIX: &str = "sspt_";
/// `last_used_at` is written at most this often per token, so reads do not turn into writes.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(5);

/// Creates a token for `account_id`; the secret is returned once and never stored.
pub async fn create(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(personal_tokens::Model, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Validation(vec![app::wire::FieldError {
            field: "name".to_owned(),
            reason: "give the token a name of 1 to 100 characters, e.g. 'notebook'".to_owned(),
        }]));
    }
    let secret = secret::generate(PREFIX);
    let model = personal_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account_id),
        name: Set(name.to_owned()),
        token_hash: Set(secret::digest(&secret)),
        prefix: Set(secret.chars().take(PREFIX.len() + 6).collect()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

/// The owner behind a token secret, if the token is live and the account active.
pub async fn resolve(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<Option<Principal>> {
    let Some(token) = Tokens::find().filter(personal_tokens::Column::TokenHash.eq(secret::digest(secret))).one(db).await? else {
        return Ok(None);
    };
    if token.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(model) = Accounts::find_by_id(token.account_id).one(db).await? else { return Ok(None) };
    let account = accounts::from_model(&model)?;
    if !account.is_active() {
        return Ok(None);
    }
    if token.last_used_at.is_none_or(|t| now - t > LAST_USED_GRANULARITY) {
        let mut active: personal_tokens::ActiveModel = token.into();
        active.last_used_at = Set(Some(now));
        // Bookkeeping only: a failed write must not turn a valid credential away.
        if let Err(err) = active.update(db).await {
            tracing::warn!(error = %err, "could not record when a credential was last used");
        }
    }
    Ok(Some(Principal { account_id: account.id, email: account.email, role: account.role, via: AuthMethod::PersonalToken }))
}

pub async fn revoke(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<personal_tokens::Model> {
    let token = Tokens::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("token {id}")))?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut active: personal_tokens::ActiveModel = token.into();
    active.revoked_at = Set(Some(now));
    Ok(active.update(db).await?)
}

/// Every token (all owners, or one), newest first.
pub async fn list(db: &impl ConnectionTrait, owner: Option<Uuid>) -> Result<Vec<personal_tokens::Model>> {
    let mut query = Tokens::find().order_by_desc(personal_tokens::Column::CreatedAt);
    if let Some(owner) = owner {
        query = query.filter(personal_tokens::Column::AccountId.eq(owner));
    }
    Ok(query.all(db).await?)
}
