//! Alert delivery to the configured webhook (docs/alerts.md, "Webhook"): each alert is stored as a
//! delivery first (so a restart loses none), then POSTed, signed, and retried with doubling waits
//! until it is accepted (2xx) or `webhook_max_attempts` are spent.
//!
//! The signature: `X-SwipeSavvy-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
//! `SWIPESAVVY_WEBHOOK_SECRET`, the timestamp (Unix seconds) in `X-SwipeSavvy-Timestamp`, so a
//! receiver can both check the sender and refuse an old delivery replayed.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::entities::webhook_deliveries;
use crate::error::{AppError, Result};
use crate::state::AppState;

pub const SIGNATURE_HEADER: &str = "x-swipesavvy-signature";
pub const TIMESTAMP_HEADER: &str = "x-swipesavvy-timestamp";
pub const DELIVERY_HEADER: &str = "x-swipesavvy-delivery";

/// `sha256=<hex>` of `"<timestamp>.<body>"` under `secret` (the body as sent: JSON text for an
/// alert, the PDF's bytes for a scheduled report).
pub fn sign(secret: &[u8], timestamp: i64, body: impl AsRef<[u8]>) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_ref());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Stores a delivery of `body` for the alert, due now; nothing when no webhook is configured.
pub async fn enqueue(db: &impl ConnectionTrait, state: &AppState, alert_id: Uuid, body: &serde_json::Value, now: DateTime<Utc>) -> Result<()> {
    let Some(url) = state.settings.alerts.webhook_url.clone() else { return Ok(()) };
    webhook_deliveries::ActiveModel {
        id: Set(Uuid::new_v4()),
        alert_id: Set(alert_id),
        url: Set(url),
        body: Set(body.to_string()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Seconds to wait after failed attempt number `attempts` (from 1): `first`, doubling each time.
pub fn retry_wait(first: u32, attempts: i32) -> i64 {
    i64::from(first) << (attempts - 1).clamp(0, 16)
}

/// How long a claimed attempt holds its delivery: past it, a server that died mid-attempt has its
/// delivery taken up again.
const IN_FLIGHT_MINUTES: i64 = 5;

fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().expect("a TLS client"))
}

/// Attempts every delivery that is due by the server's clock, once each; answers how many were
/// accepted now.
pub async fn deliver_due(state: &AppState) -> Result<usize> {
    let now = state.clock.now();
    let due = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Status.eq("pending"))
        .filter(webhook_deliveries::Column::NextAttemptAt.lte(now))
        .all(&state.db)
        .await?;
    let Some(secret) = state.settings.webhook_secret.as_ref() else {
        if !due.is_empty() {
            tracing::warn!(pending = due.len(), "webhook deliveries wait: SWIPESAVVY_WEBHOOK_SECRET is not set");
        }
        return Ok(0);
    };
    let alerts = &state.settings.alerts;
    let mut delivered = 0;
    for row in due {
        // Claim the attempt (two servers on one database attempt it once), and hold it while it
        // is in flight so another pass does not take it up again before its outcome is stored.
        let claimed = webhook_deliveries::Entity::update_many()
            .col_expr(webhook_deliveries::Column::Attempts, Expr::value(row.attempts + 1))
            .col_expr(webhook_deliveries::Column::NextAttemptAt, Expr::value(now + Duration::minutes(IN_FLIGHT_MINUTES)))
            .filter(webhook_deliveries::Column::Id.eq(row.id))
            .filter(webhook_deliveries::Column::Attempts.eq(row.attempts))
            .filter(webhook_deliveries::Column::Status.eq("pending"))
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let attempts = row.attempts + 1;
        let timestamp = Utc::now().timestamp();
        let sent = client()
            .post(&row.url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, sign(secret.expose_secret().as_bytes(), timestamp, &row.body))
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(DELIVERY_HEADER, row.id.to_string())
            .body(row.body.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(response) if response.status().is_success() => (Some(i32::from(response.status().as_u16())), None),
            Ok(response) => (Some(i32::from(response.status().as_u16())), Some(format!("the receiver answered {}", response.status()))),
            Err(err) => (None, Some(format!("cannot reach the receiver: {err}"))),
        };
        let mut active: webhook_deliveries::ActiveModel = row.clone().into();
        active.attempts = Set(attempts);
        active.last_status = Set(status);
        active.last_error = Set(error.clone());
        match error {
            None => {
                active.status = Set("delivered".to_owned());
                active.delivered_at = Set(Some(now));
                delivered += 1;
            }
            Some(_) if attempts >= alerts.webhook_max_attempts as i32 => {
                active.status = Set("failed".to_owned());
                tracing::warn!(delivery = %row.id, alert = %row.alert_id, attempts, "a webhook delivery was given up");
            }
            Some(err) => {
                let wait = retry_wait(alerts.webhook_first_retry_seconds, attempts);
                active.next_attempt_at = Set(now + Duration::seconds(wait));
                tracing::info!(delivery = %row.id, attempts, retry_in_seconds = wait, error = %err, "a webhook delivery will be retried");
            }
        }
        active.update(&state.db).await.map_err(AppError::from)?;
    }
    Ok(delivered)
}

/// Each alert's latest delivery, in words (`delivered`, `pending (2 attempts)`, `failed …`).
pub async fn states(db: &impl ConnectionTrait, alert_ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, String>> {
    if alert_ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = webhook_deliveries::Entity::find().filter(webhook_deliveries::Column::AlertId.is_in(alert_ids.iter().copied())).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let text = match r.status.as_str() {
                "delivered" => format!("delivered after {} attempt{}", r.attempts, if r.attempts == 1 { "" } else { "s" }),
                "failed" => format!("failed after {} attempts: {}", r.attempts, r.last_error.unwrap_or_default()),
                _ if r.attempts == 0 => "pending".to_owned(),
                _ => format!("pending: {} attempt{} so far, next at {}", r.attempts, if r.attempts == 1 { "" } else { "s" }, r.next_attempt_at.format("%H:%M:%S UTC")),
            };
            (r.alert_id, text)
        })
        .collect())
}
