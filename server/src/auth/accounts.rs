//! Creating and changing accounts. Emails are stored lower-cased; roles as their spelling.

use app::access::Role;
use app::wire::FieldError;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::password;
use crate::entities::accounts::{self, Entity as Accounts};
use crate::error::{AppError, Result};

/// An account as the rest of the server sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Account {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

pub(crate) fn from_model(model: &accounts::Model) -> Result<Account> {
    let role = model
        .role
        .parse::<Role>()
        .map_err(|err| AppError::Internal(anyhow::anyhow!("account {} has a bad role: {err}", model.id)))?;
    Ok(Account {
        id: model.id,
        email: model.email.clone(),
        role,
        disabled_at: model.disabled_at,
        created_at: model.created_at,
    })
}

/// Lower-cases and checks an email address; the error names the field.
pub fn normalise_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(AppError::Validation(vec![FieldError {
            field: "email".to_owned(),
            reason: "must be an email address such as name@example.com".to_owned(),
        }]));
    }
    Ok(email)
}

pub async fn create(db: &impl ConnectionTrait, email: &str, role: Role, password: &str, now: DateTime<Utc>) -> Result<Account> {
    let email = normalise_email(email)?;
    password::check_strength(password)
        .map_err(|reason| AppError::Validation(vec![FieldError { field: "password".to_owned(), reason }]))?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(AppError::Validation(vec![FieldError {
            field: "email".to_owned(),
            reason: format!("an account for {email} already exists"),
        }]));
    }
    let model = accounts::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email),
        role: Set(role.as_str().to_owned()),
        password_hash: Set(password::hash(password)?),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    from_model(&model)
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<accounts::Model>> {
    Ok(Accounts::find().filter(accounts::Column::Email.eq(email.trim().to_lowercase())).one(db).await?)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Account> {
    let model = Accounts::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("account {id}")))?;
    from_model(&model)
}

pub async fn get_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Account> {
    let model = find_by_email(db, email).await?.ok_or_else(|| AppError::NotFound(format!("an account for {email}")))?;
    from_model(&model)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Account>> {
    Accounts::find().order_by_asc(accounts::Column::Email).all(db).await?.iter().map(from_model).collect()
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(Accounts::find().count(db).await?)
}

pub async fn set_role(db: &impl ConnectionTrait, id: Uuid, role: Role, now: DateTime<Utc>) -> Result<Account> {
    let model = Accounts::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("account {id}")))?;
    let mut active: accounts::ActiveModel = model.into();
    active.role = Set(role.as_str().to_owned());
    active.updated_at = Set(now);
    from_model(&active.update(db).await?)
}

/// Disables (or re-enables) an account; a disabled account's sessions and tokens stop working
/// at once, because every request checks the account.
pub async fn set_disabled(db: &impl ConnectionTrait, id: Uuid, disabled: bool, now: DateTime<Utc>) -> Result<Account> {
    let model = Accounts::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("account {id}")))?;
    let mut active: accounts::ActiveModel = model.into();
    active.disabled_at = Set(disabled.then_some(now));
    active.updated_at = Set(now);
    from_model(&active.update(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(normalise_email("  Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a na@example.com"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}
