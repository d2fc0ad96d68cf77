//! Scheduled reports (docs/reports.md, "Scheduled delivery"): a person asks for a report at a
//! local time in their zone (every Monday 08:00 Europe/Paris, say), by e-mail or to a webhook.
//!
//! Durable in two steps, both read from the server's `Clock`: when a schedule's time passes,
//! [`run_due`] stores a delivery for that time (unique per schedule and time, so a restart or a
//! second server makes none twice) and moves the schedule on; [`deliver_due`] then builds the
//! report for the period ending at that time, sends it, and retries a failure with doubling
//! waits until `[reports] max_attempts`. Every delivery is kept with its outcome.

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use secrecy::ExposeSecret;
use uuid::Uuid;

use app::access::{Caller, Capability, Module, Role};
use app::wire::{FieldError, ReportDelivery, ReportScheduleRequest, ReportScheduleView};

use crate::config::SmtpSecurity;
use crate::entities::{report_deliveries, report_schedules};
use crate::error::{AppError, Result};
use crate::reports::{board, campaign, compliance, pdf};
use crate::services::catalogue::Actor;
use crate::state::AppState;

/// How often a schedule recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly(Weekday),
    /// On this day of the month (1–28, so every month has it).
    Monthly(u32),
}

/// When a schedule runs: a local time in a zone, daily, weekly or monthly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct When {
    pub frequency: Frequency,
    pub hour: u32,
    pub minute: u32,
    pub zone: Tz,
}

impl When {
    fn matches(&self, day: chrono::NaiveDate) -> bool {
        match self.frequency {
            Frequency::Daily => true,
            Frequency::Weekly(weekday) => day.weekday() == weekday,
            Frequency::Monthly(d) => day.day() == d,
        }
    }

    /// The first scheduled instant strictly after `after`. A local time that a daylight-saving
    /// change skips runs an hour later that day; one that happens twice runs the first time.
    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let time = NaiveTime::from_hms_opt(self.hour, self.minute, 0).unwrap_or(NaiveTime::MIN);
        let first = after.with_timezone(&self.zone).date_naive() - Duration::days(1);
        for offset in 0..=64 {
            let day = first + Duration::days(offset);
            if !self.matches(day) {
                continue;
            }
            let local = day.and_time(time);
            let at = match self.zone.from_local_datetime(&local) {
                LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at,
                LocalResult::None => match self.zone.from_local_datetime(&(local + Duration::hours(1))) {
                    LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at,
                    LocalResult::None => continue,
                },
            };
            let at = at.with_timezone(&Utc);
            if at > after {
                return at;
            }
        }
        // Unreachable for valid schedules (a month has each day 1–28); never loop.
        after + Duration::days(1)
    }
}

/// How long a claimed attempt holds its delivery: past it, a server that died mid-attempt has its
/// delivery taken up again.
const IN_FLIGHT_MINUTES: i64 = 10;

fn field(name: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: name.to_owned(), reason: reason.into() }
}

/// The right a report needs: what its API needs.
fn capability(report: &str) -> Capability {
    match report {
        "board" => Capability::View(Module::RoiDeepDive),
        "campaign" => Capability::View(Module::CampaignDetail),
        _ => Capability::ReadAuditLog,
    }
}

fn when_of(row: &report_schedules::Model) -> Result<When> {
    let zone: Tz = row.time_zone.parse().map_err(|_| AppError::Internal(anyhow::anyhow!("schedule {} has an unknown zone {}", row.id, row.time_zone)))?;
    let frequency = match row.frequency.as_str() {
        "weekly" => Frequency::Weekly(weekday(row.weekday.unwrap_or(1) as u8).unwrap_or(Weekday::Mon)),
        "monthly" => Frequency::Monthly(row.day_of_month.unwrap_or(1) as u32),
        _ => Frequency::Daily,
    };
    Ok(When { frequency, hour: row.hour as u32, minute: row.minute as u32, zone })
}

fn weekday(n: u8) -> Option<Weekday> {
    (1..=7).contains(&n).then(|| Weekday::try_from(n - 1).expect("0 to 6 is a weekday"))
}

/// Checks a request; answers when it runs, or every problem with it by field.
fn check(state: &AppState, request: &ReportScheduleRequest, role: Role) -> Result<When> {
    let mut errors = Vec::new();
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(field("name", "give a name of 1 to 200 characters"));
    }
    if !matches!(request.report.as_str(), "board" | "campaign" | "compliance") {
        errors.push(field("report", format!("unknown report '{}': expected board, campaign or compliance", request.report)));
    } else if !role.allows(capability(&request.report)) {
        return Err(AppError::Forbidden(format!("the {} role may not receive the {} report", role, request.report)));
    }
    match (request.report.as_str(), request.campaign_id) {
        ("campaign", None) => errors.push(field("campaign_id", "a campaign report needs the campaign's id")),
        ("board" | "compliance", Some(_)) => errors.push(field("campaign_id", "only a campaign report takes a campaign")),
        _ => {}
    }
    let pairs = crate::backend::query_pairs(&request.query);
    for (key, _) in pairs.iter().filter(|(k, _)| k == "from" || k == "to") {
        errors.push(field("query", format!("'{key}' fixes the period; a schedule's period moves with it: use range (7d, 30d, 90d)")));
    }
    if errors.is_empty() {
        // The report's own rules for its query, as its API applies them.
        let allowed: &[&str] = if request.report == "compliance" { &["range"] } else { &["range", "campaign", "type", "status", "segment", "region", "platform", "creative"] };
        if let Some((key, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str()) || (request.report == "campaign" && k == "campaign")) {
            errors.push(field("query", format!("the {} report does not take '{key}'", request.report)));
        } else if let Err(AppError::Validation(problems)) = crate::reports::Period::of(&pairs, state.clock.now()) {
            errors.extend(problems.into_iter().map(|p| field("query", format!("{}: {}", p.field, p.reason))));
        }
    }
    let frequency = match request.frequency.as_str() {
        "daily" => Some(Frequency::Daily),
        "weekly" => match request.weekday.and_then(weekday) {
            Some(day) => Some(Frequency::Weekly(day)),
            None => {
                errors.push(field("weekday", "a weekly schedule needs a weekday from 1 (Monday) to 7 (Sunday)"));
                None
            }
        },
        "monthly" => match request.day_of_month.filter(|d| (1..=28).contains(d)) {
            Some(d) => Some(Frequency::Monthly(u32::from(d))),
            None => {
                errors.push(field("day_of_month", "a monthly schedule needs a day from 1 to 28 (every month has it)"));
                None
            }
        },
        other => {
            errors.push(field("frequency", format!("unknown frequency '{other}': expected daily, weekly or monthly")));
            None
        }
    };
    if request.hour > 23 {
        errors.push(field("hour", "must be 0 to 23"));
    }
    if request.minute > 59 {
        errors.push(field("minute", "must be 0 to 59"));
    }
    let zone = request.time_zone.parse::<Tz>().map_err(|_| errors.push(field("time_zone", format!("'{}' is not an IANA time zone such as Europe/Paris", request.time_zone)))).ok();
    match request.channel.as_str() {
        "email" => {
            if state.settings.reports.smtp_host.is_none() {
                errors.push(field("channel", "no SMTP server is configured ([reports] smtp_host), so reports cannot be e-mailed"));
            }
            if request.destination.is_empty() || request.destination.len() > 20 {
                errors.push(field("destination", "give 1 to 20 e-mail addresses"));
            }
            for address in &request.destination {
                if address.trim().parse::<lettre::Address>().is_err() {
                    errors.push(field("destination", format!("'{address}' is not an e-mail address")));
                }
            }
        }
        "webhook" => {
            if state.settings.webhook_secret.is_none() {
                errors.push(field("channel", "webhook deliveries are signed, and SWIPESAVVY_WEBHOOK_SECRET is not set"));
            }
            match request.destination.as_slice() {
                [url] if url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) => {}
                _ => errors.push(field("destination", "a webhook schedule needs exactly one http(s) URL")),
            }
        }
        other => errors.push(field("channel", format!("unknown channel '{other}': expected email or webhook"))),
    }
    match (frequency, zone) {
        (Some(frequency), Some(zone)) if errors.is_empty() => Ok(When { frequency, hour: u32::from(request.hour), minute: u32::from(request.minute), zone }),
        _ => Err(AppError::Validation(errors)),
    }
}

fn request_of(row: &report_schedules::Model) -> ReportScheduleRequest {
    ReportScheduleRequest {
        name: row.name.clone(),
        report: row.report.clone(),
        campaign_id: row.campaign_id,
        query: row.query.clone(),
        frequency: row.frequency.clone(),
        weekday: row.weekday.map(|d| d as u8),
        day_of_month: row.day_of_month.map(|d| d as u8),
        hour: row.hour as u8,
        minute: row.minute as u8,
        time_zone: row.time_zone.clone(),
        channel: row.channel.clone(),
        destination: row.destination.split(',').map(str::to_owned).filter(|d| !d.is_empty()).collect(),
    }
}

async fn view(state: &AppState, row: report_schedules::Model) -> Result<ReportScheduleView> {
    let deliveries = report_deliveries::Entity::find()
        .filter(report_deliveries::Column::ScheduleId.eq(row.id))
        .order_by_desc(report_deliveries::Column::DueAt)
        .limit(20)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| ReportDelivery {
            id: d.id,
            due_at: d.due_at,
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
            status: d.status,
            attempts: d.attempts.max(0) as u32,
            last_error: d.last_error,
            bytes: d.bytes.map(|b| b.max(0) as u64),
            delivered_at: d.delivered_at,
        })
        .collect();
    Ok(ReportScheduleView { id: row.id, schedule: request_of(&row), created_by: row.created_by, created_at: row.created_at, next_run_at: row.next_run_at, last_run_at: row.last_run_at, deliveries })
}

fn person(caller: &Caller) -> Result<(String, Role)> {
    caller.principal().map(|p| (p.email.clone(), p.role)).ok_or_else(|| AppError::Forbidden("report schedules belong to people: sign in".to_owned()))
}

pub async fn create(state: &AppState, caller: Caller, request: ReportScheduleRequest) -> Result<ReportScheduleView> {
    let (who, role) = person(&caller)?;
    let when = check(state, &request, role)?;
    if let Some(id) = request.campaign_id {
        crate::services::catalogue::get(&state.db, id).await?;
    }
    let now = state.clock.now();
    let row = report_schedules::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(request.name.trim().to_owned()),
        report: Set(request.report.clone()),
        campaign_id: Set(request.campaign_id),
        query: Set(request.query.trim_start_matches('?').to_owned()),
        frequency: Set(request.frequency.clone()),
        weekday: Set(request.weekday.filter(|_| request.frequency == "weekly").map(i32::from)),
        day_of_month: Set(request.day_of_month.filter(|_| request.frequency == "monthly").map(i32::from)),
        hour: Set(i32::from(request.hour)),
        minute: Set(i32::from(request.minute)),
        time_zone: Set(request.time_zone.clone()),
        channel: Set(request.channel.clone()),
        destination: Set(request.destination.iter().map(|d| d.trim()).collect::<Vec<_>>().join(",")),
        created_by: Set(who.clone()),
        created_role: Set(role.to_string()),
        created_at: Set(now),
        next_run_at: Set(when.next_after(now)),
        last_run_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    let entry = crate::services::audit::Entry {
        actor: who,
        role: role.to_string(),
        action: "report_schedule.create".to_owned(),
        target: format!("report_schedule:{}", row.id),
        after: Some(serde_json::to_value(request_of(&row)).unwrap_or_default()),
        ..Default::default()
    };
    crate::services::audit::record_alone(&state.db, &state.audit, entry, now).await?;
    view(state, row).await
}

/// The caller's schedules (an administrator's: everyone's), soonest first.
pub async fn list(state: &AppState, caller: Caller) -> Result<Vec<ReportScheduleView>> {
    let (who, role) = person(&caller)?;
    let mut select = report_schedules::Entity::find().order_by_asc(report_schedules::Column::NextRunAt);
    if role != Role::Admin {
        select = select.filter(report_schedules::Column::CreatedBy.eq(who));
    }
    let mut out = Vec::new();
    for row in select.all(&state.db).await? {
        out.push(view(state, row).await?);
    }
    Ok(out)
}

async fn own(state: &AppState, caller: &Caller, id: Uuid) -> Result<report_schedules::Model> {
    let (who, role) = person(caller)?;
    match report_schedules::Entity::find_by_id(id).one(&state.db).await? {
        Some(row) if row.created_by == who || role == Role::Admin => Ok(row),
        _ => Err(AppError::NotFound(format!("no report schedule {id} of yours"))),
    }
}

pub async fn get(state: &AppState, caller: Caller, id: Uuid) -> Result<ReportScheduleView> {
    let row = own(state, &caller, id).await?;
    view(state, row).await
}

/// Removes a schedule; deliveries still pending are dropped with it, and its history stays.
pub async fn delete(state: &AppState, caller: Caller, id: Uuid) -> Result<()> {
    let row = own(state, &caller, id).await?;
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    report_schedules::Entity::delete_by_id(id).exec(&state.db).await?;
    report_deliveries::Entity::update_many()
        .col_expr(report_deliveries::Column::Status, Expr::value("failed"))
        .col_expr(report_deliveries::Column::LastError, Expr::value("the schedule was deleted"))
        .filter(report_deliveries::Column::ScheduleId.eq(id))
        .filter(report_deliveries::Column::Status.eq("pending"))
        .exec(&state.db)
        .await?;
    let entry = crate::services::audit::Entry {
        actor: who,
        role,
        action: "report_schedule.delete".to_owned(),
        target: format!("report_schedule:{id}"),
        before: Some(serde_json::to_value(request_of(&row)).unwrap_or_default()),
        ..Default::default()
    };
    crate::services::audit::record_alone(&state.db, &state.audit, entry, state.clock.now()).await?;
    Ok(())
}

/// Stores a delivery for every schedule whose time has passed by the server's clock and moves
/// each on to its next time after now (a server that was down for three Mondays sends the
/// latest one, once). Answers how many deliveries were stored.
pub async fn run_due(state: &AppState) -> Result<usize> {
    let now = state.clock.now();
    let due = report_schedules::Entity::find().filter(report_schedules::Column::NextRunAt.lte(now)).all(&state.db).await?;
    let mut stored = 0;
    for row in due {
        let next = when_of(&row)?.next_after(now);
        // Move the schedule on first, guarded by the time it had: of two servers, one does it.
        let moved = report_schedules::Entity::update_many()
            .col_expr(report_schedules::Column::NextRunAt, Expr::value(next))
            .col_expr(report_schedules::Column::LastRunAt, Expr::value(row.next_run_at))
            .filter(report_schedules::Column::Id.eq(row.id))
            .filter(report_schedules::Column::NextRunAt.eq(row.next_run_at))
            .exec(&state.db)
            .await?;
        if moved.rows_affected != 1 {
            continue;
        }
        let delivery = report_deliveries::ActiveModel {
            id: Set(Uuid::new_v4()),
            schedule_id: Set(row.id),
            due_at: Set(row.next_run_at),
            status: Set("pending".to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            bytes: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
        };
        match delivery.insert(&state.db).await {
            Ok(_) => stored += 1,
            // Already stored for this time (the unique index): nothing to add.
            Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(stored)
}

/// The report of a delivery, as PDF bytes with its file name and the filters it was made with.
async fn build(state: &AppState, schedule: &report_schedules::Model, due_at: DateTime<Utc>) -> Result<(Vec<u8>, String, String, Vec<(String, String)>)> {
    let mut pairs = crate::backend::query_pairs(&schedule.query);
    pairs.push(("to".to_owned(), due_at.to_rfc3339()));
    let (report, file) = match (schedule.report.as_str(), schedule.campaign_id) {
        ("campaign", Some(id)) => {
            let (report, _, file) = campaign::report(state, id, &pairs).await?;
            (report, file)
        }
        ("compliance", _) => {
            let (report, period) = compliance::report(state, &pairs).await?;
            (report, format!("compliance-report_{}.pdf", period.days()))
        }
        _ => {
            let (report, period) = board::report(state, &pairs).await?;
            (report, format!("board-report_{}.pdf", period.days()))
        }
    };
    let title = format!("{} ({})", report.title, report.header);
    let bytes = tokio::task::spawn_blocking(move || pdf::render(&report)).await.map_err(|e| AppError::Internal(e.into()))??;
    Ok((bytes, file, title, pairs))
}

async fn email(state: &AppState, schedule: &report_schedules::Model, title: &str, file: &str, bytes: Vec<u8>) -> std::result::Result<(), String> {
    let settings = &state.settings.reports;
    let host = settings.smtp_host.as_deref().ok_or("no SMTP server is configured ([reports] smtp_host)")?;
    let from: Mailbox = settings.from.parse().map_err(|e| format!("reports.from: {e}"))?;
    // Dated by the server's clock, as everything it does.
    let mut message = Message::builder().from(from).subject(format!("{}: {title}", schedule.name)).date(state.clock.now().into());
    for address in schedule.destination.split(',').filter(|a| !a.is_empty()) {
        message = message.to(address.parse::<Mailbox>().map_err(|e| format!("'{address}': {e}"))?);
    }
    let text = format!(
        "{title}\n\nAttached: {file}, scheduled by {} ({} {:02}:{:02} {}).\n\nSwipeSavvy Analytics",
        schedule.created_by, schedule.frequency, schedule.hour, schedule.minute, schedule.time_zone
    );
    let pdf = ContentType::parse("application/pdf").map_err(|e| e.to_string())?;
    let message = message
        .multipart(MultiPart::mixed().singlepart(SinglePart::plain(text)).singlepart(Attachment::new(file.to_owned()).body(bytes, pdf)))
        .map_err(|e| format!("the message could not be built: {e}"))?;
    let builder = match settings.smtp_security {
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| e.to_string())?,
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(|e| e.to_string())?,
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
    };
    let mut builder = builder.port(settings.smtp_port).timeout(Some(std::time::Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&settings.smtp_username, &state.settings.smtp_password) {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(user.clone(), password.expose_secret().to_owned()));
    }
    builder.build().send(message).await.map(|_| ()).map_err(|e| format!("the SMTP server refused or could not be reached: {e}"))
}

async fn post(state: &AppState, delivery: Uuid, url: &str, file: &str, bytes: Vec<u8>) -> std::result::Result<(), String> {
    let secret = state.settings.webhook_secret.as_ref().ok_or("SWIPESAVVY_WEBHOOK_SECRET is not set")?;
    let timestamp = Utc::now().timestamp();
    let response = reqwest::Client::new()
        .post(url)
        .timeout(std::time::Duration::from_secs(30))
        .header("content-type", "application/pdf")
        .header("content-disposition", format!("attachment; filename=\"{file}\""))
        .header(crate::services::webhook::SIGNATURE_HEADER, crate::services::webhook::sign(secret.expose_secret().as_bytes(), timestamp, &bytes))
        .header(crate::services::webhook::TIMESTAMP_HEADER, timestamp.to_string())
        .header(crate::services::webhook::DELIVERY_HEADER, delivery.to_string())
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("cannot reach the receiver: {e}"))?;
    if response.status().is_success() { Ok(()) } else { Err(format!("the receiver answered {}", response.status())) }
}

/// Attempts every delivery that is due by the server's clock, once each; answers how many went
/// out now.
pub async fn deliver_due(state: &AppState) -> Result<usize> {
    let now = state.clock.now();
    let due = report_deliveries::Entity::find()
        .filter(report_deliveries::Column::Status.eq("pending"))
        .filter(report_deliveries::Column::NextAttemptAt.lte(now))
        .all(&state.db)
        .await?;
    let settings = &state.settings.reports;
    let mut delivered = 0;
    for row in due {
        // Claim the attempt (two servers on one database attempt it once), and hold it while it
        // is in flight so another pass does not take it up again before its outcome is stored.
        let claimed = report_deliveries::Entity::update_many()
            .col_expr(report_deliveries::Column::Attempts, Expr::value(row.attempts + 1))
            .col_expr(report_deliveries::Column::NextAttemptAt, Expr::value(now + Duration::minutes(IN_FLIGHT_MINUTES)))
            .filter(report_deliveries::Column::Id.eq(row.id))
            .filter(report_deliveries::Column::Attempts.eq(row.attempts))
            .filter(report_deliveries::Column::Status.eq("pending"))
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let attempts = row.attempts + 1;
        let Some(schedule) = report_schedules::Entity::find_by_id(row.schedule_id).one(&state.db).await? else { continue };
        let outcome = match build(state, &schedule, row.due_at).await {
            Ok((bytes, file, title, pairs)) => {
                let size = bytes.len() as i64;
                let sent = match schedule.channel.as_str() {
                    "webhook" => post(state, row.id, &schedule.destination, &file, bytes).await,
                    _ => email(state, &schedule, &title, &file, bytes).await,
                };
                if sent.is_ok() {
                    let who = (schedule.created_by.as_str(), schedule.created_role.as_str());
                    crate::services::access_log::record_export(&state.db, &state.audit, who, &format!("scheduled-{}-report", schedule.report), &pairs, 1, now).await?;
                }
                sent.map(|()| size)
            }
            Err(err) => Err(format!("the report could not be made: {}", err.one_line())),
        };
        let mut active: report_deliveries::ActiveModel = row.clone().into();
        active.attempts = Set(attempts);
        match outcome {
            Ok(size) => {
                active.status = Set("delivered".to_owned());
                active.delivered_at = Set(Some(now));
                active.bytes = Set(Some(size));
                active.last_error = Set(None);
                delivered += 1;
            }
            Err(error) => {
                active.last_error = Set(Some(error.clone()));
                if attempts >= settings.max_attempts as i32 {
                    active.status = Set("failed".to_owned());
                    tracing::warn!(delivery = %row.id, schedule = %schedule.id, attempts, error = %error, "a scheduled report was given up");
                } else {
                    let wait = crate::services::webhook::retry_wait(settings.first_retry_seconds, attempts);
                    active.next_attempt_at = Set(now + Duration::seconds(wait));
                    tracing::info!(delivery = %row.id, attempts, retry_in_seconds = wait, error = %error, "a scheduled report will be retried");
                }
            }
        }
        active.update(&state.db).await?;
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekly_monday_eight_in_paris_follows_its_daylight_saving_changes() {
        let when = When { frequency: Frequency::Weekly(Weekday::Mon), hour: 8, minute: 0, zone: chrono_tz::Europe::Paris };
        // Tuesday 1 December 2026: next Monday 7 December, 08:00 CET = 07:00 UTC.
        assert_eq!(when.next_after(at("2026-12-01T10:00:00Z")), at("2026-12-07T07:00:00Z"));
        // Exactly at the time: the next week's.
        assert_eq!(when.next_after(at("2026-12-07T07:00:00Z")), at("2026-12-14T07:00:00Z"));
        // Summer time (CEST, UTC+2) after 29 March 2026.
        assert_eq!(when.next_after(at("2026-03-28T12:00:00Z")), at("2026-03-30T06:00:00Z"));
    }

    #[test]
    fn daily_monthly_and_a_time_the_clocks_skip() {
        let daily = When { frequency: Frequency::Daily, hour: 23, minute: 30, zone: chrono_tz::America::New_York };
        assert_eq!(daily.next_after(at("2026-12-01T10:00:00Z")), at("2026-12-02T04:30:00Z"));
        let monthly = When { frequency: Frequency::Monthly(28), hour: 9, minute: 15, zone: chrono_tz::UTC };
        assert_eq!(monthly.next_after(at("2026-12-29T00:00:00Z")), at("2027-01-28T09:15:00Z"));
        // 02:30 does not exist in Paris on 29 March 2026: it runs at 03:30 local (01:30 UTC).
        let skipped = When { frequency: Frequency::Daily, hour: 2, minute: 30, zone: chrono_tz::Europe::Paris };
        assert_eq!(skipped.next_after(at("2026-03-28T12:00:00Z")), at("2026-03-29T01:30:00Z"));
    }
}
