//! The customer directory: the one table that holds contact details (email, phone, name) for a
//! pseudonymous user id. Events, logs and metrics never hold them. They are shown masked
//! (`s***@e***.com`) except to a role that may unmask, who must give a reason; every read of a
//! directory row goes to the data-access log.

use app::access::Capability;
use app::wire::{CustomerInput, CustomerView, CustomersResult, FieldError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::entities::customers;
use crate::error::{AppError, Result};
use crate::services::access_log::{self, Read};
use crate::services::audit;
use crate::services::catalogue::Actor;

/// The most customers one request or file may carry.
pub const MAX_CUSTOMERS: usize = 10_000;
/// SQLite allows at most 32,766 bound parameters; 6 columns a row.
const INSERT_CHUNK: usize = 1_000;

/// `s***@e***.com`: the first character of the local part and of the domain, and the top-level
/// domain.
pub fn mask_email(email: &str) -> String {
    let Some((local, domain)) = email.rsplit_once('@') else { return "***".to_owned() };
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let tld = domain.rsplit_once('.').map(|(_, tld)| format!(".{tld}")).unwrap_or_default();
    format!("{}***@{}***{tld}", first(local), first(domain))
}

/// Free text (a search, a filter) with anything that looks like contact details masked: emails
/// as `mask_email`, runs of 7 or more digits (phone numbers) as `mask_phone`. For text kept in
/// the append-only logs, which an erasure cannot reach.
pub fn redact_contact_details(text: &str) -> String {
    // Phone numbers first: a run of digits and separators (spaces included) holding 7 or more
    // digits, e.g. "+1 (202) 555-0142".
    let chars: Vec<char> = text.chars().collect();
    let mut phoneless = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(' {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || " +-().".contains(chars[j])) {
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            let trimmed = run.trim_end();
            if trimmed.chars().filter(char::is_ascii_digit).count() >= 7 {
                phoneless.push_str(&mask_phone(trimmed));
                phoneless.push_str(&run[trimmed.len()..]);
                i = j;
                continue;
            }
        }
        phoneless.push(chars[i]);
        i += 1;
    }
    phoneless.split(' ').map(|word| if word.contains('@') { mask_email(word) } else { word.to_owned() }).collect::<Vec<_>>().join(" ")
}

/// `***67`: only the last two digits.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("***{tail}")
}

/// `S***`: the first letter only.
pub fn mask_name(name: &str) -> String {
    format!("{}***", name.chars().next().map(String::from).unwrap_or_default())
}

/// A directory row as a masked view.
fn masked(row: customers::Model) -> CustomerView {
    CustomerView {
        user_id: row.user_id,
        email: row.email.as_deref().map(mask_email),
        phone: row.phone.as_deref().map(mask_phone),
        name: row.name.as_deref().map(mask_name),
        masked: true,
        updated_at: row.updated_at,
    }
}

fn field(name: String, reason: impl Into<String>) -> FieldError {
    FieldError { field: name, reason: reason.into() }
}

/// A checked customer: trimmed, the phone reduced to `+` and digits, empty values as none.
fn check(index: usize, input: CustomerInput, errors: &mut Vec<FieldError>) -> CustomerInput {
    let at = |name: &str| format!("customers[{index}].{name}");
    let clean = |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let user_id = input.user_id.trim().to_owned();
    if user_id.is_empty() || user_id.chars().count() > 100 || user_id.contains('\0') {
        errors.push(field(at("user_id"), "give the user id (1 to 100 characters, no NUL)"));
    }
    let email = clean(input.email);
    if let Some(email) = &email {
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c == '\0')
            && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.contains('@') && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
        if !valid {
            // The value itself is personal data: the error names the field, never echoes it.
            errors.push(field(at("email"), "is not an email address (name@domain.tld, at most 254 characters)"));
        }
    }
    let phone = clean(input.phone).map(|p| {
        let plus = if p.starts_with('+') { "+" } else { "" };
        let rest: String = p.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '+')).collect();
        (format!("{plus}{rest}"), rest)
    });
    if let Some((_, digits)) = &phone {
        if !(7..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            errors.push(field(at("phone"), "is not a phone number (7 to 15 digits, an optional leading +)"));
        }
    }
    let name = clean(input.name);
    if name.as_ref().is_some_and(|n| n.chars().count() > 200 || n.contains('\0')) {
        errors.push(field(at("name"), "must be at most 200 characters without NUL characters"));
    }
    if email.is_none() && phone.is_none() && name.is_none() {
        errors.push(field(at("email"), "give at least one of email, phone and name"));
    }
    CustomerInput { user_id, email, phone: phone.map(|(p, _)| p), name }
}

/// Reads a CSV directory file: a header naming `user_id` and any of `email`, `phone`, `name`.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<CustomerInput>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let header = reader.headers().map_err(|e| AppError::Validation(vec![field("header".to_owned(), format!("cannot read the CSV header: {e}"))]))?.clone();
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(user_column) = column("user_id") else {
        return Err(AppError::Validation(vec![field("header".to_owned(), "the CSV header must name user_id (and any of email, phone, name)")]));
    };
    let known = ["user_id", "email", "phone", "name"];
    if let Some(unknown) = header.iter().find(|h| !known.iter().any(|k| h.eq_ignore_ascii_case(k))) {
        return Err(AppError::Validation(vec![field("header".to_owned(), format!("unknown column '{unknown}'; use user_id, email, phone, name"))]));
    }
    let (email, phone, name) = (column("email"), column("phone"), column("name"));
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| AppError::Validation(vec![field(format!("line {}", line + 2), format!("unreadable CSV: {e}"))]))?;
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::to_owned);
        out.push(CustomerInput { user_id: record.get(user_column).unwrap_or_default().to_owned(), email: get(email), phone: get(phone), name: get(name) });
    }
    Ok(out)
}

/// Creates or updates directory rows, all or nothing; a value left out keeps what is stored.
pub async fn upsert(db: &DatabaseConnection, inputs: Vec<CustomerInput>, actor: &Actor, audit_key: &audit::Audit, now: DateTime<Utc>) -> Result<CustomersResult> {
    if inputs.is_empty() || inputs.len() > MAX_CUSTOMERS {
        return Err(AppError::Validation(vec![field("customers".to_owned(), format!("give 1 to {MAX_CUSTOMERS} customers"))]));
    }
    let mut errors = Vec::new();
    let checked: Vec<CustomerInput> = inputs.into_iter().enumerate().map(|(i, c)| check(i, c, &mut errors)).collect();
    let mut seen = std::collections::HashSet::new();
    for (i, c) in checked.iter().enumerate() {
        if !c.user_id.is_empty() && !seen.insert(c.user_id.clone()) {
            errors.push(field(format!("customers[{i}].user_id"), "appears twice in this request"));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = db.begin().await?;
    let ids: Vec<String> = checked.iter().map(|c| c.user_id.clone()).collect();
    let mut existing = std::collections::HashSet::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let found: Vec<String> = customers::Entity::find()
            .filter(customers::Column::UserId.is_in(chunk.to_vec()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        existing.extend(found);
    }
    for c in checked.iter().filter(|c| existing.contains(&c.user_id)) {
        // Only what was given changes.
        let mut row = customers::ActiveModel { user_id: Set(c.user_id.clone()), updated_at: Set(now), ..Default::default() };
        if let Some(email) = &c.email {
            row.email = Set(Some(email.clone()));
        }
        if let Some(phone) = &c.phone {
            row.phone = Set(Some(phone.clone()));
        }
        if let Some(name) = &c.name {
            row.name = Set(Some(name.clone()));
        }
        customers::Entity::update(row).exec(&txn).await?;
    }
    let new: Vec<customers::ActiveModel> = checked
        .iter()
        .filter(|c| !existing.contains(&c.user_id))
        .map(|c| customers::ActiveModel {
            user_id: Set(c.user_id.clone()),
            email: Set(c.email.clone()),
            phone: Set(c.phone.clone()),
            name: Set(c.name.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    let created = new.len() as u64;
    let mut pending = new.into_iter().peekable();
    while pending.peek().is_some() {
        let slice: Vec<customers::ActiveModel> = pending.by_ref().take(INSERT_CHUNK).collect();
        customers::Entity::insert_many(slice).on_conflict(OnConflict::column(customers::Column::UserId).do_nothing().to_owned()).exec_without_returning(&txn).await?;
    }
    let result = CustomersResult { created, updated: existing.len() as u64 };
    let (who, role) = actor.who();
    // Counts only: the audit log names the change, never the contact details.
    let entry = audit::Entry {
        actor: who,
        role,
        action: "customers.import".to_owned(),
        target: "customer_directory".to_owned(),
        after: Some(serde_json::json!({ "created": result.created, "updated": result.updated })),
        ..Default::default()
    };
    audit::record(&txn, audit_key, entry, now).await?;
    txn.commit().await?;
    Ok(result)
}

/// How a directory row is asked for.
pub struct Lookup<'a> {
    pub user_id: &'a str,
    /// `Some(reason)` asks for the unmasked row (needs `unmask_personal_data` and a reason).
    pub unmask: Option<&'a str>,
}

/// One directory row, masked unless unmasking is asked and allowed; the read is logged.
pub async fn view(db: &impl ConnectionTrait, lookup: Lookup<'_>, actor: &Actor, audit_key: &audit::Audit, now: DateTime<Utc>) -> Result<CustomerView> {
    let reason = match lookup.unmask {
        None => None,
        Some(reason) => {
            actor.require(Capability::UnmaskPersonalData)?;
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > 500 || reason.contains('\0') {
                return Err(AppError::Validation(vec![field("reason".to_owned(), "unmasking needs a reason (1 to 500 characters), kept in the data-access log")]));
            }
            // The log is kept for years and no erasure reaches it: no contact details in it.
            Some(redact_contact_details(reason))
        }
    };
    let row = customers::Entity::find_by_id(lookup.user_id.to_owned()).one(db).await?;
    let subject = format!("customer:{}", audit_key.subject_ref(lookup.user_id)?);
    let (who, role) = actor.who();
    let read = Read {
        action: if reason.is_some() { "unmask" } else { "read_user_rows" },
        subject,
        filter: None,
        reason: reason.clone(),
        rows: Some(i64::from(row.is_some())),
    };
    access_log::record(db, (&who, &role), read, now).await?;
    let row = row.ok_or_else(|| AppError::NotFound("that user in the customer directory".to_owned()))?;
    Ok(match reason {
        Some(_) => CustomerView { user_id: row.user_id, email: row.email, phone: row.phone, name: row.name, masked: false, updated_at: row.updated_at },
        None => masked(row),
    })
}

/// The email the directory holds for a user, if any.
pub async fn email_of(db: &impl ConnectionTrait, user_id: &str) -> Result<Option<String>> {
    Ok(customers::Entity::find_by_id(user_id.to_owned()).one(db).await?.and_then(|r| r.email))
}

/// The user id the directory holds for an email (exact, case-insensitive), if any.
pub async fn user_for_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<String>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    let lower = Expr::expr(Func::lower(Expr::col((customers::Entity, customers::Column::Email))));
    let rows = customers::Entity::find().filter(lower.eq(email.trim().to_lowercase())).all(db).await?;
    if rows.len() > 1 {
        // Never guess which person is meant (an erasure by email would hit the wrong one).
        return Err(AppError::Conflict(format!("{} customers share that email in the directory; ask by user id", rows.len())));
    }
    Ok(rows.into_iter().next().map(|r| r.user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_a_hint() {
        assert_eq!(mask_email("sarah.jones@example.com"), "s***@e***.com");
        assert_eq!(mask_email("x@mail.co.uk"), "x***@m***.uk");
        assert_eq!(mask_phone("+1 (415) 555-0167"), "***67");
        assert_eq!(mask_name("Sarah Jones"), "S***");
    }

    #[test]
    fn contact_details_in_free_text_are_masked() {
        assert_eq!(redact_contact_details("sarah.jones@example.com campaign"), "s***@e***.com campaign");
        assert_eq!(redact_contact_details("call +1-415-555-0167 now"), "call ***67 now");
        assert_eq!(redact_contact_details("call +1 (202) 555 0142 today"), "call ***42 today");
        assert_eq!(redact_contact_details("order 12345 of 2026"), "order 12345 of 2026");
        assert_eq!(redact_contact_details("campaign.approve 2026"), "campaign.approve 2026");
    }

    #[test]
    fn bad_contact_details_are_named_without_being_echoed() {
        let mut errors = Vec::new();
        let input = CustomerInput { user_id: "u-1".into(), email: Some("not-an-email".into()), phone: Some("12".into()), name: None };
        check(0, input, &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["customers[0].email", "customers[0].phone"]);
        assert!(errors.iter().all(|e| !e.reason.contains("not-an-email")));
        let mut errors = Vec::new();
        let ok = check(3, CustomerInput { user_id: " u-2 ".into(), email: None, phone: Some("+44 20 7946 0958".into()), name: None }, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((ok.user_id.as_str(), ok.phone.as_deref()), ("u-2", Some("+442079460958")));
    }

    #[test]
    fn a_csv_directory_needs_user_id_and_known_columns() {
        let rows = parse_csv(b"user_id,email,phone\nu-1,a@b.co,+15550100\n").unwrap();
        assert_eq!(rows[0].email.as_deref(), Some("a@b.co"));
        assert!(parse_csv(b"email\na@b.co\n").is_err());
        assert!(parse_csv(b"user_id,ssn\nu,1\n").is_err());
    }
}
