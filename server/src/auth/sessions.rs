//! Browser sessions, stored server-side: the cookie carries a random secret, the table its
//! digest, the owner, an expiry and a revocation time. Every request re-checks all three and the
//! account, so logging out, revoking or disabling takes effect at once.

use app::access::{AuthMethod, Principal};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{accounts, secret};
use crate::entities::accounts::Entity as Accounts;
use crate::entities::sessions::{self, Entity as Sessions};
use crate::error::{AppError, Result};

/// The session cookie's name.
pub const COOKIE: &str = "ss_session";
const SECRET_PREFIX: &str = "sss_";

/// A session just created: its secret goes into the cookie and is not kept anywhere else.
pub struct NewSession {
    pub id: Uuid,
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    now: DateTime<Utc>,
    lifetime: Duration,
    client_ip: Option<String>,
    user_agent: Option<String>,
) -> Result<NewSession> {
    let secret = secret::generate(SECRET_PREFIX);
    let id = Uuid::new_v4();
    let expires_at = now + lifetime;
    sessions::ActiveModel {
        id: Set(id),
        token_hash: Set(secret::digest(&secret)),
        account_id: Set(account_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        client_ip: Set(client_ip),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(255).collect())),
    }
    .insert(db)
    .await?;
    Ok(NewSession { id, secret, expires_at })
}

/// The person behind a session secret, if the session is live and the account active.
pub async fn resolve(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<Option<Principal>> {
    let Some(session) = Sessions::find().filter(sessions::Column::TokenHash.eq(secret::digest(secret))).one(db).await? else {
        return Ok(None);
    };
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Ok(None);
    }
    let Some(model) = Accounts::find_by_id(session.account_id).one(db).await? else { return Ok(None) };
    let account = accounts::from_model(&model)?;
    if !account.is_active() {
        return Ok(None);
    }
    Ok(Some(Principal { account_id: account.id, email: account.email, role: account.role, via: AuthMethod::Session }))
}

/// Ends the session a secret belongs to (logout). Unknown secrets are ignored.
pub async fn revoke_by_secret(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<()> {
    if let Some(session) = Sessions::find().filter(sessions::Column::TokenHash.eq(secret::digest(secret))).one(db).await? {
        revoke_model(db, session, now).await?;
    }
    Ok(())
}

/// Ends a session by id (the admin's "revoke").
pub async fn revoke(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    let session = Sessions::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("session {id}")))?;
    revoke_model(db, session, now).await
}

async fn revoke_model(db: &impl ConnectionTrait, session: sessions::Model, now: DateTime<Utc>) -> Result<()> {
    if session.revoked_at.is_none() {
        let mut active: sessions::ActiveModel = session.into();
        active.revoked_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok(())
}

/// Sessions neither expired nor revoked, newest first.
pub async fn list_live(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<sessions::Model>> {
    Ok(Sessions::find()
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .order_by_desc(sessions::Column::CreatedAt)
        .all(db)
        .await?)
}
