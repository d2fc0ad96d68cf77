//! The metrics rollup: every customer's facts, compact and in time order, plus the catalogue,
//! the spend ledger and per-hour volume and lag. The server keeps one in memory, fills it from
//! the event log at start and applies each committed batch; queries read only this.
//!
//! Why per user rather than per-hour counters: half of the 25 metrics are about users over time
//! (distinct users under any filter, attribution with a lookback, purchases within a window after
//! assignment, cohorts). With each user's facts together, every one of them is exact in one pass.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{CampaignStatus, CampaignType, DeliveryChannel, Platform, SegmentType};
use crate::events::{EngagementType, Event, Payload};

/// No campaign, creative, region or session.
pub const NONE: u32 = u32::MAX;

/// What a fact records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `campaign_delivered`, treatment group.
    Sent,
    /// `campaign_delivered` with `is_holdout=true`.
    Held,
    Viewed,
    Clicked,
    /// `campaign_converted`: the producer's attribution signal (not revenue).
    Converted,
    Purchased,
    AppOpen,
    AddToCart,
    Unsubscribed,
    /// Any other customer event (it still makes the user known: signup is the first event).
    Other,
}

/// One customer event, compact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fact {
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub kind: Kind,
    /// Indexes into the store's campaigns and creatives, or `NONE`.
    pub campaign: u32,
    pub creative: u32,
    pub region: u32,
    pub platform: Option<Platform>,
    /// How a delivery went out (`campaign_delivered.delivery_channel`); `None` on other facts.
    pub channel: Option<DeliveryChannel>,
    /// The producer's `context.user_segment`, used until a `user_segmented` says otherwise.
    pub context_segment: Option<SegmentType>,
    pub session: u32,
    /// Order value in cents (purchases and conversions).
    pub cents: i64,
    pub category: u32,
    /// The first 8 bytes of the event id, to find the fact again when a correction replaces it.
    pub key: u64,
}

/// How many users ahead a walk over the users asks for their facts: each user's facts are a
/// separate allocation, so reaching them is a cache miss that the walk would otherwise wait for.
pub(crate) const PREFETCH_AHEAD: usize = 8;

/// Asks the CPU to bring `p`'s cache line in (a hint: it never faults, and does nothing
/// elsewhere than x86-64).
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it reads nothing and cannot fault on any address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A customer and their facts, sorted by time.
#[derive(Debug, Clone, Default)]
pub struct UserFacts {
    /// The first and last fact's time, kept beside the facts so a query can pass over a user
    /// outside its window without reading the facts themselves (a cache miss per user).
    pub span: Option<(i64, i64)>,
    pub facts: Vec<Fact>,
    /// `user_segmented` changes in time order: (at, segment, event key).
    pub segments: Vec<(i64, SegmentType, u64)>,
}

impl UserFacts {
    /// The segment at `at`: the latest `user_segmented` at or before it, else the event's own
    /// context.
    pub fn segment_at(&self, at: i64, context: Option<SegmentType>) -> Option<SegmentType> {
        let i = self.segments.partition_point(|(t, _, _)| *t <= at);
        if i == 0 { context } else { Some(self.segments[i - 1].1) }
    }

    /// Signup: the first event.
    pub fn signup(&self) -> Option<i64> {
        let first_fact = self.facts.first().map(|f| f.at);
        let first_segment = self.segments.first().map(|s| s.0);
        match (first_fact, first_segment) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A campaign as the catalogue describes it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignInfo {
    pub id: Uuid,
    pub name: String,
    pub campaign_type: CampaignType,
    pub status: CampaignStatus,
    pub channels: Vec<DeliveryChannel>,
    pub budget_cents: i64,
    /// Planned holdout share, 0–1.
    pub holdout_share: f64,
    pub starts_at: Option<DateTime<Utc>>,
}

impl CampaignInfo {
    /// E-mail or push: the channels where "open" means something (metrics 14–15).
    pub fn is_message(&self) -> bool {
        self.channels.iter().any(|c| matches!(c, DeliveryChannel::Email | DeliveryChannel::Push))
    }
}

/// One spend line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpendLine {
    pub campaign: u32,
    pub at: i64,
    pub cents: i64,
}

/// The ingestion lags of one hour of arrivals, as a count per whole second of lag: exact, and
/// as small as the number of distinct lags (live arrivals repeat a few lags many times over).
#[derive(Debug, Clone, Default)]
pub struct LagCounts {
    counts: BTreeMap<u32, u64>,
    total: u64,
}

impl LagCounts {
    pub fn add(&mut self, lag_seconds: u32) {
        *self.counts.entry(lag_seconds).or_default() += 1;
        self.total += 1;
    }

    /// The `q` quantile of the lags of several hours together, in seconds, interpolated between
    /// the closest ranks as `stats::percentile` does. It reads the largest lags down to the
    /// quantile's rank, so a high quantile (p95) reads few of them.
    pub fn quantile<'a>(hours: impl IntoIterator<Item = &'a LagCounts>, q: f64) -> Option<f64> {
        let hours: Vec<&LagCounts> = hours.into_iter().collect();
        let n: u64 = hours.iter().map(|h| h.total).sum();
        if n == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * (n - 1) as f64;
        let below = rank.floor() as u64;
        // Ascending positions `below` and up are the `n - below` largest: no hour gives more.
        let needed = n - below;
        let mut top: Vec<(u32, u64)> = Vec::new();
        for hour in &hours {
            let mut taken = 0;
            for (&lag, &count) in hour.counts.iter().rev() {
                if taken >= needed {
                    break;
                }
                top.push((lag, count));
                taken += count;
            }
        }
        top.sort_unstable_by_key(|entry| std::cmp::Reverse(entry.0));
        let value_at = |position: u64| {
            // Walking down from the largest, each lag covers the positions just below the last.
            let mut above = n;
            for &(lag, count) in &top {
                if position + count >= above {
                    return f64::from(lag);
                }
                above -= count;
            }
            unreachable!("position {position} of {n} is among the lags read")
        };
        let low = value_at(below);
        let high = if rank > below as f64 { value_at(below + 1) } else { low };
        Some(low + (high - low) * (rank - below as f64))
    }
}

/// The whole rollup.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub users: Vec<UserFacts>,
    user_index: HashMap<String, u32>,
    pub user_ids: Vec<String>,
    pub campaigns: Vec<CampaignInfo>,
    campaign_index: HashMap<Uuid, u32>,
    pub creatives: Vec<(Uuid, u32)>,
    creative_index: HashMap<Uuid, u32>,
    pub regions: Vec<String>,
    region_index: HashMap<String, u32>,
    sessions: HashMap<String, u32>,
    pub categories: Vec<String>,
    category_index: HashMap<String, u32>,
    pub spend: Vec<SpendLine>,
    /// Events by the hour they occurred in (all events, for completeness).
    pub volume: HashMap<i64, i64>,
    /// Ingestion lags in seconds by the hour of arrival, backfills excluded (metric 22).
    pub lags: HashMap<i64, LagCounts>,
    /// The newest occurrence stored, for freshness.
    pub newest: Option<i64>,
    /// Bumped on every change, so callers can cache answers.
    pub version: u64,
}

/// Order within one second: purchases last.
fn tie_rank(kind: Kind) -> u8 {
    u8::from(kind == Kind::Purchased)
}

fn key_of(id: Uuid) -> u64 {
    u64::from_be_bytes(id.as_bytes()[..8].try_into().expect("8 bytes"))
}

fn intern(index: &mut HashMap<String, u32>, list: &mut Vec<String>, value: &str) -> u32 {
    if let Some(i) = index.get(value) {
        return *i;
    }
    let i = list.len() as u32;
    list.push(value.to_owned());
    index.insert(value.to_owned(), i);
    i
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds or updates a campaign (and its creatives) from the catalogue.
    pub fn set_campaign(&mut self, info: CampaignInfo, creatives: &[Uuid]) {
        let index = match self.campaign_index.get(&info.id) {
            Some(i) => {
                self.campaigns[*i as usize] = info;
                *i
            }
            None => {
                let i = self.campaigns.len() as u32;
                self.campaign_index.insert(info.id, i);
                self.campaigns.push(info);
                i
            }
        };
        for creative in creatives {
            self.creative_index.entry(*creative).or_insert_with(|| {
                self.creatives.push((*creative, index));
                (self.creatives.len() - 1) as u32
            });
        }
        self.version += 1;
    }

    pub fn campaign_index(&self, id: Uuid) -> Option<u32> {
        self.campaign_index.get(&id).copied()
    }

    pub fn creative_index(&self, id: Uuid) -> Option<u32> {
        self.creative_index.get(&id).copied()
    }

    pub fn region_index(&self, region: &str) -> Option<u32> {
        self.region_index.get(region).copied()
    }

    pub fn user_index(&self, user: &str) -> Option<u32> {
        self.user_index.get(user).copied()
    }

    /// Adds a spend line for a campaign the store knows (unknown ones are ignored: the
    /// catalogue refuses spend for campaigns it does not have).
    pub fn add_spend(&mut self, campaign: Uuid, at: DateTime<Utc>, cents: i64) {
        if let Some(c) = self.campaign_index(campaign) {
            self.spend.push(SpendLine { campaign: c, at: at.timestamp(), cents });
            self.version += 1;
        }
    }

    /// Adds the latest version of an event that arrived at `received_at`.
    pub fn apply(&mut self, event: &Event, received_at: DateTime<Utc>) {
        let at = event.occurred_at.timestamp();
        *self.volume.entry(at.div_euclid(3600) * 3600).or_default() += 1;
        if !event.backfilled {
            let lag = (received_at - event.occurred_at).num_seconds().clamp(0, i64::from(u32::MAX)) as u32;
            self.lags.entry(received_at.timestamp().div_euclid(3600) * 3600).or_default().add(lag);
        }
        self.newest = Some(self.newest.map_or(at, |n| n.max(at)));
        self.version += 1;

        let kind = match &event.payload {
            Payload::CampaignDelivered(p) if p.is_holdout => Kind::Held,
            Payload::CampaignDelivered(_) => Kind::Sent,
            Payload::CampaignViewed(_) => Kind::Viewed,
            Payload::CampaignClicked(_) => Kind::Clicked,
            Payload::CampaignConverted(_) => Kind::Converted,
            Payload::UserPurchased(_) => Kind::Purchased,
            Payload::UserEngaged(p) if p.engagement_type == EngagementType::AppOpen => Kind::AppOpen,
            Payload::UserEngaged(p) if p.engagement_type == EngagementType::AddToCart => Kind::AddToCart,
            Payload::UserUnsubscribed(_) => Kind::Unsubscribed,
            Payload::UserSegmented(p) => {
                let user = self.user(&event.user_id);
                let segments = &mut self.users[user as usize].segments;
                let i = segments.partition_point(|(t, _, _)| *t <= at);
                segments.insert(i, (at, p.segment_type, key_of(event.event_id)));
                return;
            }
            Payload::CampaignAbandoned(_) | Payload::UserEngaged(_) | Payload::ConsentUpdated(_) => Kind::Other,
            // Marketer actions and system events are not customer behaviour.
            _ => return,
        };
        let cents = match &event.payload {
            Payload::UserPurchased(p) => (p.order_value * 100.0).round() as i64,
            Payload::CampaignConverted(p) => (p.order_value * 100.0).round() as i64,
            _ => 0,
        };
        let category = match &event.payload {
            Payload::UserPurchased(p) => p.order_category.as_deref().map_or(NONE, |c| intern(&mut self.category_index, &mut self.categories, c)),
            _ => NONE,
        };
        let session = event.session_id.as_deref().map_or(NONE, |s| {
            let next = self.sessions.len() as u32;
            *self.sessions.entry(s.to_owned()).or_insert(next)
        });
        let region = event.context.region.as_deref().map_or(NONE, |r| intern(&mut self.region_index, &mut self.regions, r));
        let fact = Fact {
            at,
            kind,
            campaign: event.campaign_id().and_then(|c| self.campaign_index(c)).unwrap_or(NONE),
            creative: event.creative_id().and_then(|c| self.creative_index(c)).unwrap_or(NONE),
            region,
            platform: event.context.platform,
            channel: match &event.payload {
                Payload::CampaignDelivered(p) => Some(p.delivery_channel),
                _ => None,
            },
            context_segment: event.context.user_segment,
            session,
            cents,
            category,
            key: key_of(event.event_id),
        };
        let user = self.user(&event.user_id);
        let facts = &mut self.users[user as usize].facts;
        // Events mostly arrive in order: append, else insert in place. Within one second a
        // purchase goes after everything else, so a touch, click, impression or assignment in the
        // same second counts as at or before it whatever order they arrived in.
        let i = facts.partition_point(|f| (f.at, tie_rank(f.kind)) <= (at, tie_rank(kind)));
        facts.insert(i, fact);
        let user = &mut self.users[user as usize];
        user.span = Some(user.span.map_or((at, at), |(first, last)| (first.min(at), last.max(at))));
    }

    /// Takes back what an earlier version of an event added (before its correction is applied).
    pub fn retract(&mut self, event_id: Uuid, user_id: &str, occurred_at: DateTime<Utc>) {
        let at = occurred_at.timestamp();
        let hour = at.div_euclid(3600) * 3600;
        if let Some(count) = self.volume.get_mut(&hour) {
            *count -= 1;
        }
        self.version += 1;
        let Some(user) = self.user_index(user_id) else { return };
        let key = key_of(event_id);
        let user = &mut self.users[user as usize];
        if let Some(i) = user.facts.iter().position(|f| f.key == key && f.at == at) {
            user.facts.remove(i);
            user.span = user.facts.first().zip(user.facts.last()).map(|(a, b)| (a.at, b.at));
        }
        if let Some(i) = user.segments.iter().position(|s| s.2 == key) {
            user.segments.remove(i);
        }
    }

    fn user(&mut self, id: &str) -> u32 {
        if let Some(i) = self.user_index.get(id) {
            return *i;
        }
        let i = self.users.len() as u32;
        self.users.push(UserFacts::default());
        self.user_ids.push(id.to_owned());
        self.user_index.insert(id.to_owned(), i);
        i
    }

    /// A simulated world as the server would hold it at the simulation's end: every campaign
    /// (as completed) with its creatives, then every event. For tests and profiling.
    pub fn from_simulation(world: &crate::simulator::World) -> (Store, crate::simulator::Truth) {
        let config = &world.config;
        let now = config.start + chrono::Duration::days(i64::from(config.days));
        let mut store = Store::new();
        for c in &world.campaigns {
            let info = CampaignInfo {
                id: c.id,
                name: c.name.clone(),
                campaign_type: c.campaign_type,
                status: CampaignStatus::Completed,
                channels: vec![c.channel],
                budget_cents: c.budget_cents,
                holdout_share: config.holdout_share,
                starts_at: None,
            };
            store.set_campaign(info, &c.creatives.iter().map(|k| k.id).collect::<Vec<_>>());
        }
        let rules = crate::events::Rules { allow_backfill: true };
        let truth = crate::simulator::run(world, |_, events| {
            for e in events {
                let raw: crate::events::RawEvent = serde_json::from_value(e).expect("the simulator writes the envelope");
                store.apply(&crate::events::validate(raw, now, rules).expect("the simulator writes valid events"), now);
            }
        });
        (store, truth)
    }

    /// Facts stored, for logs.
    pub fn fact_count(&self) -> usize {
        self.users.iter().map(|u| u.facts.len() + u.segments.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::LagCounts;
    use crate::simulator::Rng;

    #[test]
    fn lag_quantiles_over_hours_equal_the_percentile_of_all_the_lags() {
        let mut rng = Rng::new(7);
        for (hours, per_hour, spread) in [(1, 1, 10), (3, 50, 5), (24, 400, 100_000), (5, 1_000, 3)] {
            let mut counts = vec![LagCounts::default(); hours];
            let mut all = Vec::new();
            for hour in counts.iter_mut() {
                for _ in 0..rng.next_u64() % (per_hour + 1) {
                    let lag = (rng.next_u64() % spread) as u32;
                    hour.add(lag);
                    all.push(f64::from(lag));
                }
            }
            for q in [0.0, 0.5, 0.9, 0.95, 0.99, 1.0] {
                assert_eq!(LagCounts::quantile(&counts, q), crate::stats::percentile(&mut all.clone(), q), "{hours} hours, q {q}");
            }
        }
        assert_eq!(LagCounts::quantile(&[], 0.95), None);
    }
}
