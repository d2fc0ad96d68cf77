//! Consent at the edge: the regime table, each user's consent history, and the gate ingestion
//! passes every `campaign_delivered` through. The rules themselves are `analytics::consent`.

use std::collections::{BTreeMap, HashMap, HashSet};

use analytics::consent::{ConsentRecord, Eligibility, Mode, Regime, audience_eligibility, eligibility, latest_at, records_from, regime_for};
use app::wire::{AudienceConsent, CampaignView, ChannelConsent, ChannelReach, ConsentFact, ConsentTrail, PrivacyCampaign, PrivacyQueryResult, RegimeReach};
use analytics::events::{Event, Payload};
use analytics::series::hour_floor;
use analytics::DeliveryChannel;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::{consent_history, consent_regimes, consent_violations_hourly};
use crate::error::{AppError, Result};
use crate::state::AppState;

use crate::ingest::LOOKUP_CHUNK;

/// The regime table.
pub async fn regimes(db: &impl ConnectionTrait) -> Result<Vec<Regime>> {
    let rows = consent_regimes::Entity::find().order_by_asc(consent_regimes::Column::RegionPrefix).all(db).await?;
    rows.into_iter()
        .map(|row| {
            let mode = Mode::parse(&row.mode)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("consent_regimes row {} has an unknown mode '{}'", row.region_prefix, row.mode)))?;
            Ok(Regime { region_prefix: row.region_prefix, name: row.name, mode })
        })
        .collect()
}

/// The wire name of a unit-like enum value (`double_opt_in`, `opted_out`), as stored in text columns.
pub fn wire_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The value a stored wire name stands for, if any.
pub fn from_wire_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, name: &str) -> Result<T> {
    from_wire_name(name).ok_or_else(|| AppError::Internal(anyhow::anyhow!("consent_history holds an unknown {what} '{name}'")))
}

fn record_of(row: consent_history::Model) -> Result<ConsentRecord> {
    Ok(ConsentRecord {
        channel: row.channel.parse::<DeliveryChannel>().map_err(|e| AppError::Internal(anyhow::anyhow!("consent_history: {e}")))?,
        status: parse("status", &row.status)?,
        method: parse("method", &row.method)?,
        occurred_at: row.occurred_at,
        source: row.source,
        region: row.region,
    })
}

/// Each user's consent facts, oldest first (ties in the order they were recorded).
pub async fn history(db: &impl ConnectionTrait, users: &[String]) -> Result<HashMap<String, Vec<ConsentRecord>>> {
    let mut out: HashMap<String, Vec<ConsentRecord>> = HashMap::new();
    for chunk in users.chunks(LOOKUP_CHUNK) {
        let rows = consent_history::Entity::find()
            .filter(consent_history::Column::UserId.is_in(chunk.to_vec()))
            .order_by_asc(consent_history::Column::OccurredAt)
            .order_by_asc(consent_history::Column::Id)
            .all(db)
            .await?;
        for row in rows {
            let user = row.user_id.clone();
            out.entry(user).or_default().push(record_of(row)?);
        }
    }
    Ok(out)
}

/// The region a user is in for a delivery: the delivery's own, else the latest one their consent
/// facts name.
fn region_of<'a>(stated: Option<&'a str>, records: &'a [ConsentRecord]) -> Option<&'a str> {
    stated.or_else(|| records.iter().rev().find_map(|r| r.region.as_deref()))
}

/// Whether one user may be sent a message on `channel` now, and under which regime.
pub async fn check(db: &impl ConnectionTrait, user_id: &str, channel: DeliveryChannel, region: Option<&str>, at: DateTime<Utc>) -> Result<(Option<Regime>, Eligibility)> {
    let regimes = regimes(db).await?;
    let records = history(db, &[user_id.to_owned()]).await?.remove(user_id).unwrap_or_default();
    let (_, regime, verdict) = judge(&regimes, &records, channel, region, at);
    Ok((regime, verdict))
}

/// Judges a delivery under the region the sender states and the region the user's own consent
/// facts name: when they differ, both rules must allow it, so a mislabelled region cannot take a
/// user out of a stricter law. Returns the region and regime of the verdict that counts (the
/// first refusal, else the stated region's).
fn judge<'a>(regimes: &[Regime], records: &'a [ConsentRecord], channel: DeliveryChannel, stated: Option<&'a str>, at: DateTime<Utc>) -> (Option<&'a str>, Option<Regime>, Eligibility) {
    let recorded = records.iter().rev().find_map(|r| r.region.as_deref());
    let first = region_of(stated, records);
    let (regime, verdict) = decide(regimes, records, channel, first, at);
    if verdict.eligible && recorded.is_some() && recorded != first {
        let (other_regime, other) = decide(regimes, records, channel, recorded, at);
        if !other.eligible {
            return (recorded, other_regime, other);
        }
    }
    (first, regime, verdict)
}

fn decide(regimes: &[Regime], records: &[ConsentRecord], channel: DeliveryChannel, region: Option<&str>, at: DateTime<Utc>) -> (Option<Regime>, Eligibility) {
    match regime_for(regimes, region) {
        Some(regime) => {
            let verdict = eligibility(regime, channel, latest_at(records, channel, at));
            (Some(regime.clone()), verdict)
        }
        // An operator removed the `*` row and the region matches nothing: refuse, and say why.
        None => (
            None,
            Eligibility {
                eligible: false,
                reason: format!("no consent regime covers region {}; add one to consent_regimes", region.unwrap_or("(unknown)")),
            },
        ),
    }
}

/// A delivery the gate refused: why, and what it counts against.
pub struct Refusal {
    pub reason: String,
}

/// Checks the deliveries of one ingest batch inside its transaction: the users' stored consent
/// facts plus those the batch itself brings, judged at each delivery's time.
pub struct Gate {
    regimes: Vec<Regime>,
    records: HashMap<String, Vec<ConsentRecord>>,
    /// Refused deliveries by (hour, campaign, channel, regime).
    violations: BTreeMap<(DateTime<Utc>, Uuid, String, String), i64>,
}

impl Gate {
    /// Loads what the batch's deliveries need (nothing when it holds none).
    pub async fn load<'a>(db: &impl ConnectionTrait, events: impl Iterator<Item = &'a Event> + Clone) -> Result<Gate> {
        let users: HashSet<String> =
            events.clone().filter(|e| matches!(e.payload, Payload::CampaignDelivered(_))).map(|e| e.user_id.clone()).collect();
        if users.is_empty() {
            return Ok(Gate { regimes: Vec::new(), records: HashMap::new(), violations: BTreeMap::new() });
        }
        let mut records = history(db, &users.iter().cloned().collect::<Vec<_>>()).await?;
        for event in events.filter(|e| users.contains(&e.user_id)) {
            let facts = records_from(event);
            if !facts.is_empty() {
                records.entry(event.user_id.clone()).or_default().extend(facts);
            }
        }
        Ok(Gate { regimes: regimes(db).await?, records, violations: BTreeMap::new() })
    }

    /// `Some` when `event` is a delivery to a user who may not receive it; the refusal is counted.
    pub fn refuse(&mut self, event: &Event) -> Option<Refusal> {
        let Payload::CampaignDelivered(delivered) = &event.payload else { return None };
        let records = self.records.get(&event.user_id).map(Vec::as_slice).unwrap_or_default();
        let (region, regime, verdict) = judge(&self.regimes, records, delivered.delivery_channel, event.context.region.as_deref(), event.occurred_at);
        if verdict.eligible {
            return None;
        }
        let regime = regime.map_or_else(|| "none".to_owned(), |r| r.name);
        let key = (hour_floor(event.occurred_at), delivered.campaign_id, delivered.delivery_channel.as_str().to_owned(), regime);
        *self.violations.entry(key).or_default() += 1;
        Some(Refusal {
            reason: format!(
                "user {} is not eligible for {} in {}: {} (refused and counted as a compliance violation)",
                event.user_id,
                delivered.delivery_channel,
                region.unwrap_or("an unknown region"),
                verdict.reason
            ),
        })
    }

    /// Adds the counted refusals to `consent_violations_hourly`.
    pub async fn record_violations(&self, db: &impl ConnectionTrait) -> Result<()> {
        use consent_violations_hourly::{ActiveModel, Column, Entity};
        for ((hour, campaign, channel, regime), count) in &self.violations {
            let row = ActiveModel {
                hour_start: Set(*hour),
                campaign_id: Set(*campaign),
                channel: Set(channel.clone()),
                regime: Set(regime.clone()),
                violations: Set(*count),
            };
            Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([Column::HourStart, Column::CampaignId, Column::Channel, Column::Regime])
                        .value(Column::Violations, Expr::col((Entity, Column::Violations)).add(Expr::cust("excluded.violations")))
                        .to_owned(),
                )
                .exec(db)
                .await?;
        }
        Ok(())
    }
}

/// Records the consent facts of stored events, each with whether it corrects an earlier version
/// (whose facts it then replaces).
pub async fn record(db: &impl ConnectionTrait, events: &[(&Event, bool)], now: DateTime<Utc>) -> Result<()> {
    use consent_history::{ActiveModel, Column, Entity};
    let mut rows = Vec::new();
    let mut corrected = Vec::new();
    for &(event, correction) in events {
        let facts = records_from(event);
        if correction {
            corrected.push(event.event_id);
        }
        for fact in facts {
            rows.push(ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                event_id: Set(event.event_id),
                user_id: Set(event.user_id.clone()),
                channel: Set(fact.channel.as_str().to_owned()),
                status: Set(wire_name(fact.status)),
                method: Set(wire_name(fact.method)),
                source: Set(fact.source),
                region: Set(fact.region),
                occurred_at: Set(fact.occurred_at),
                recorded_at: Set(now),
            });
        }
    }
    // A corrected event's earlier facts give way to the new version's (which may have none).
    for chunk in corrected.chunks(LOOKUP_CHUNK) {
        Entity::delete_many().filter(Column::EventId.is_in(chunk.to_vec())).exec(db).await?;
    }
    if rows.is_empty() {
        return Ok(());
    }
    let mut pending = rows.into_iter().peekable();
    while pending.peek().is_some() {
        let slice: Vec<ActiveModel> = pending.by_ref().take(LOOKUP_CHUNK / 4).collect();
        Entity::insert_many(slice).exec(db).await?;
    }
    Ok(())
}

/// How much of `campaign`'s audience it may reach now (`GET /api/v1/campaigns/{id}/consent`):
/// the users whose segment is one it targets (by the metrics rollup), within its target regions
/// (by the region their consent facts name), judged on each of its channels.
pub async fn audience(state: &AppState, campaign: &CampaignView, now: DateTime<Utc>) -> Result<AudienceConsent> {
    let targets = campaign.target_segments.clone();
    let at = now.timestamp();
    let hub = state.metrics.clone();
    let users: Vec<String> = tokio::task::spawn_blocking(move || {
        hub.read(|store| {
            store
                .users
                .iter()
                .zip(&store.user_ids)
                .filter(|(facts, _)| facts.segment_at(at, None).is_some_and(|s| targets.contains(&s)))
                .map(|(_, id)| id.clone())
                .collect()
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let mut records = history(&state.db, &users).await?;
    let regimes = regimes(&state.db).await?;
    let facts: Vec<Vec<ConsentRecord>> = users.iter().map(|u| records.remove(u).unwrap_or_default()).collect();
    let counted = audience_eligibility(&regimes, facts.iter().map(Vec::as_slice), &campaign.channels, &campaign.target_regions, now);
    let threshold = state.settings.compliance.min_eligible_share;
    let share = counted.share();
    let launch_allowed = share.is_none_or(|s| s >= threshold);
    let summary = match share {
        None => "no user is in the campaign's target segments and regions yet, so nobody would be reached".to_owned(),
        Some(s) => format!(
            "{:.0}% of {} users in the audience may be reached under their region's consent rules; launch needs at least {:.0}%",
            100.0 * s,
            counted.audience,
            100.0 * threshold
        ),
    };
    Ok(AudienceConsent {
        campaign_id: campaign.id,
        audience: counted.audience,
        eligible: counted.eligible,
        share,
        threshold,
        launch_allowed,
        by_channel: counted.by_channel.into_iter().map(|(channel, eligible)| ChannelReach { channel, eligible }).collect(),
        by_regime: counted.by_regime.into_iter().map(|(regime, audience, eligible)| RegimeReach { regime, audience, eligible }).collect(),
        summary,
        as_of: now,
    })
}

/// A user's consent trail: every fact, oldest first, and where it leaves them on each channel.
pub async fn trail(db: &impl ConnectionTrait, user_id: &str, now: DateTime<Utc>) -> Result<ConsentTrail> {
    let rows = consent_history::Entity::find()
        .filter(consent_history::Column::UserId.eq(user_id))
        .order_by_asc(consent_history::Column::OccurredAt)
        .order_by_asc(consent_history::Column::Id)
        .all(db)
        .await?;
    let mut records = Vec::with_capacity(rows.len());
    let mut history = Vec::with_capacity(rows.len());
    for row in rows {
        history.push(ConsentFact {
            channel: row.channel.parse::<DeliveryChannel>().map_err(|e| AppError::Internal(anyhow::anyhow!("consent_history: {e}")))?,
            status: row.status.clone(),
            method: row.method.clone(),
            source: row.source.clone(),
            region: row.region.clone(),
            occurred_at: row.occurred_at,
            recorded_at: row.recorded_at,
        });
        records.push(record_of(row)?);
    }
    let regimes = regimes(db).await?;
    let region = region_of(None, &records).map(str::to_owned);
    let channels = DeliveryChannel::ALL
        .iter()
        .map(|&channel| {
            let (_, verdict) = decide(&regimes, &records, channel, region.as_deref(), now);
            ChannelConsent { channel, eligible: verdict.eligible, reason: verdict.reason }
        })
        .collect();
    let regime = regime_for(&regimes, region.as_deref()).map(|r| r.name.clone());
    Ok(ConsentTrail { user_id: user_id.to_owned(), region, regime, channels, history, as_of: now })
}

/// The privacy query's filters.
#[derive(Debug, Clone, Default)]
pub struct PrivacyQuery {
    pub segment: Option<analytics::SegmentType>,
    pub region: Option<String>,
    pub channel: Option<DeliveryChannel>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Every campaign that targeted the segment, region and channel asked, and could reach someone in
/// the period (from its start, else its creation, to its end).
pub async fn campaigns_targeting(db: &impl ConnectionTrait, query: &PrivacyQuery) -> Result<PrivacyQueryResult> {
    let campaigns = crate::services::catalogue::all(db).await?;
    let rows = campaigns
        .into_iter()
        .filter(|c| query.segment.is_none_or(|s| c.target_segments.contains(&s)))
        .filter(|c| query.channel.is_none_or(|ch| c.channels.contains(&ch)))
        .filter(|c| query.region.as_deref().is_none_or(|r| analytics::consent::targeted(&c.target_regions, Some(r))))
        .filter(|c| {
            let from = c.starts_at.unwrap_or(c.created_at);
            query.to.is_none_or(|to| from < to) && query.from.is_none_or(|start| c.ends_at.is_none_or(|end| end >= start))
        })
        .map(|c| PrivacyCampaign {
            campaign_id: c.id,
            name: c.name,
            status: c.status,
            channels: c.channels,
            target_segments: c.target_segments,
            target_regions: c.target_regions,
            from: c.starts_at.unwrap_or(c.created_at),
            until: c.ends_at,
            consent_method: c.consent_method,
            has_opt_out_link: c.has_opt_out_link,
        })
        .collect();
    Ok(PrivacyQueryResult { campaigns: rows, from: query.from, to: query.to })
}

/// Module 11's consent dashboard: who may be reached now, by channel and region, and the
/// window's unsubscribes (by day, campaign, region, reason) and refused deliveries.
pub async fn overview(state: &AppState, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<app::wire::ConsentOverview> {
    use app::wire::{ChannelShare, ConsentOverview, DayCount, LabelledCount, RegionShare};
    let now = state.clock.now();
    let rows = consent_history::Entity::find().order_by_asc(consent_history::Column::OccurredAt).order_by_asc(consent_history::Column::Id).all(&state.db).await?;
    let mut by_user: HashMap<String, Vec<ConsentRecord>> = HashMap::new();
    for row in rows {
        let user = row.user_id.clone();
        by_user.entry(user).or_default().push(record_of(row)?);
    }
    let regimes = regimes(&state.db).await?;
    let people = analytics::consent::population(&regimes, by_user.values().map(Vec::as_slice), now);
    let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);

    // The window's unsubscribes, from the log (their campaign, region and reason are there).
    let unsubscribes: Vec<(Option<Uuid>, DateTime<Utc>, serde_json::Value, serde_json::Value)> = crate::entities::events::Entity::find()
        .select_only()
        .columns([crate::entities::events::Column::CampaignId, crate::entities::events::Column::OccurredAt, crate::entities::events::Column::Context, crate::entities::events::Column::Properties])
        .filter(crate::entities::events::Column::EventType.eq("user_unsubscribed"))
        .filter(crate::entities::events::Column::OccurredAt.gte(from))
        .filter(crate::entities::events::Column::OccurredAt.lt(to))
        .into_tuple()
        .all(&state.db)
        .await?;
    let names: HashMap<Uuid, String> = crate::services::catalogue::all(&state.db).await?.into_iter().map(|c| (c.id, c.name)).collect();
    let name_of = |id: Option<Uuid>| id.map_or_else(|| "(no campaign)".to_owned(), |id| names.get(&id).cloned().unwrap_or_else(|| id.to_string()));
    let mut days: BTreeMap<chrono::NaiveDate, u64> = BTreeMap::new();
    let mut day = from.date_naive();
    while day < to.date_naive() || (day == to.date_naive() && to.time() != chrono::NaiveTime::MIN) {
        days.insert(day, 0);
        day = day.succ_opt().unwrap_or(day);
        if days.len() > 400 {
            break;
        }
    }
    let (mut campaigns, mut regions, mut reasons): (BTreeMap<String, u64>, BTreeMap<String, u64>, BTreeMap<String, u64>) = Default::default();
    for (campaign, at, context, properties) in &unsubscribes {
        *days.entry(at.date_naive()).or_default() += 1;
        *campaigns.entry(name_of(*campaign)).or_default() += 1;
        *regions.entry(context["region"].as_str().unwrap_or("unknown").to_owned()).or_default() += 1;
        *reasons.entry(properties["unsubscribe_reason"].as_str().unwrap_or("not given").to_owned()).or_default() += 1;
    }
    let ranked = |counts: BTreeMap<String, u64>| {
        let mut list: Vec<LabelledCount> = counts.into_iter().map(|(label, count)| LabelledCount { label, count }).collect();
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        list
    };
    let violations = consent_violations_hourly::Entity::find()
        .filter(consent_violations_hourly::Column::HourStart.gte(hour_floor(from)))
        .filter(consent_violations_hourly::Column::HourStart.lt(to))
        .all(&state.db)
        .await?;
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    for v in &violations {
        *refused.entry(name_of(Some(v.campaign_id))).or_default() += u64::try_from(v.violations).unwrap_or(0);
    }
    Ok(ConsentOverview {
        users: people.users,
        by_channel: people.by_channel.iter().map(|(channel, eligible)| ChannelShare { channel: *channel, eligible: *eligible, share: share(*eligible, people.users) }).collect(),
        by_region: people
            .by_region
            .into_iter()
            .map(|(region, regime, users, eligible)| RegionShare { share: share(eligible, users), region, regime, users, eligible })
            .collect(),
        from,
        to,
        unsubscribes_by_day: days.into_iter().map(|(day, count)| DayCount { day, count }).collect(),
        unsubscribes_by_campaign: ranked(campaigns),
        unsubscribes_by_region: ranked(regions),
        unsubscribes_by_reason: ranked(reasons),
        violations_by_campaign: ranked(refused),
        as_of: now,
    })
}
