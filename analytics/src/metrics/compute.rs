//! The 25 metrics from the store, for a filter and a period (docs/metrics.md).
//!
//! One pass over the customers gathers a `Tally` for a window; each metric is a formula over the
//! tally of its window. Every distinct-user count is exact: a user is decided whole, then counted
//! once.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::definitions::{DefaultWindow, Definition, Direction, MetricId, Status, Target, Unit};
use super::store::{Fact, Kind, LagCounts, NONE, PREFETCH_AHEAD, Store, UserFacts, prefetch};
use crate::domain::{CampaignStatus, CampaignType, Platform, SegmentType};
use crate::stats;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// What a query narrows to. Empty lists mean "all".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub campaigns: Vec<Uuid>,
    pub types: Vec<CampaignType>,
    pub statuses: Vec<CampaignStatus>,
    pub segments: Vec<SegmentType>,
    pub regions: Vec<String>,
    pub platforms: Vec<Platform>,
    pub creatives: Vec<Uuid>,
}

impl Filter {
    /// Filters that split a campaign's spend pro rata by sends.
    pub fn splits_spend(&self) -> bool {
        !self.segments.is_empty() || !self.regions.is_empty() || !self.platforms.is_empty() || !self.creatives.is_empty()
    }

    /// The campaign passes the campaign, type and status filters.
    pub fn allows_campaign(&self, c: &super::store::CampaignInfo) -> bool {
        (self.campaigns.is_empty() || self.campaigns.contains(&c.id))
            && (self.types.is_empty() || self.types.contains(&c.campaign_type))
            && (self.statuses.is_empty() || self.statuses.contains(&c.status))
    }

    /// Any filter that keeps some campaigns or creatives out.
    pub fn narrows_campaigns(&self) -> bool {
        !self.campaigns.is_empty() || !self.types.is_empty() || !self.statuses.is_empty() || !self.creatives.is_empty()
    }
}

/// The rules that are configuration, not code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Attribution lookback (default 7 days).
    pub lookback_hours: i64,
    /// Time-decay half-life (default 24 h).
    pub half_life_hours: f64,
    /// Gross margin rate per `order_category`, and for orders without one.
    pub margin_rates: BTreeMap<String, f64>,
    pub default_margin_rate: f64,
    /// Dollars per CPU-second of query time (metric 25).
    pub cost_per_cpu_second: f64,
    /// The UTC hour at which the product recomputes every user's segment each day (`None`: never).
    pub segmentation_hour: Option<u32>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            lookback_hours: 7 * 24,
            half_life_hours: 24.0,
            margin_rates: BTreeMap::new(),
            default_margin_rate: 0.35,
            cost_per_cpu_second: 0.000_05,
            segmentation_hour: Some(2),
        }
    }
}

/// Hourly system figures the server measures itself (metrics 24 and 25), keyed by hour start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemStats {
    /// (probes that succeeded within 1 s, probes).
    pub probes: BTreeMap<i64, (u64, u64)>,
    /// (queries, CPU seconds).
    pub queries: BTreeMap<i64, (u64, f64)>,
}

/// A metric's answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    pub id: MetricId,
    pub number: u8,
    pub name: String,
    pub value: Option<f64>,
    /// Why `value` is null.
    pub reason: Option<String>,
    pub unit: Unit,
    pub formula: String,
    pub target: Target,
    pub direction: Direction,
    pub status: Option<Status>,
    /// The value over the window of the same length just before.
    pub previous: Option<f64>,
    /// (value − previous) ÷ |previous|.
    pub trend: Option<f64>,
    /// The window; `from` is null for "to date".
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub freshness_seconds: Option<i64>,
    pub complete: bool,
    pub confidence: f64,
    /// Extra figures (per attribution model, cohort horizons…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<serde_json::Value>,
}

/// Per-campaign figures of a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignTally {
    pub sends_all: u64,
    pub sends_matching: u64,
    pub spend_cents: i64,
    pub impressions: u64,
    pub clicks: u64,
    pub viewers: u64,
    pub clickers: u64,
    pub converters: u64,
    pub attributed_cents: i64,
    pub attributed_orders: u64,
    pub new_customers: u64,
    /// Incrementality: users first assigned in the window per group, those with a purchase in
    /// their measurement window, and its revenue (sum and sum of squares of per-user cents).
    pub treated: u64,
    pub held: u64,
    pub treated_converted: u64,
    pub held_converted: u64,
    pub treated_cents: i64,
    pub held_cents: i64,
    pub treated_cents_sq: f64,
    pub held_cents_sq: f64,
}

impl CampaignTally {
    /// The campaign's spend under the filter: split by sends when a filter splits spend.
    pub fn spend(&self, split: bool) -> f64 {
        if !split {
            return self.spend_cents as f64;
        }
        if self.sends_all == 0 { 0.0 } else { self.spend_cents as f64 * self.sends_matching as f64 / self.sends_all as f64 }
    }

    /// Ct − Nt·Cc/Nc, when both groups exist.
    pub fn incremental_conversions(&self) -> Option<f64> {
        (self.treated > 0 && self.held > 0).then(|| self.treated_converted as f64 - self.treated as f64 * self.held_converted as f64 / self.held as f64)
    }

    /// Rt − Nt·Rc/Nc in cents.
    pub fn incremental_cents(&self) -> Option<f64> {
        (self.treated > 0 && self.held > 0).then(|| self.treated_cents as f64 - self.treated as f64 * self.held_cents as f64 / self.held as f64)
    }
}

/// Everything the metrics of one window need.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub from: i64,
    pub to: i64,
    pub campaigns: BTreeMap<u32, CampaignTally>,
    /// The same per creative; a creative's spend is its campaign's split by its sends.
    pub creatives: BTreeMap<u32, CampaignTally>,
    pub spend_cents: f64,
    pub impressions: u64,
    pub clicks: u64,
    pub viewers: u64,
    pub clickers: u64,
    pub converters: u64,
    pub attributed_cents: i64,
    pub attributed_orders: u64,
    pub new_customers: u64,
    pub message_sent: u64,
    pub message_sent_viewed: u64,
    pub message_viewed: u64,
    pub message_viewed_clicked: u64,
    pub hours_to_conversion: Vec<f64>,
    /// Revenue credited to the scope's campaigns by first touch, last touch, linear, time decay.
    pub model_cents: [f64; 4],
    pub purchasers: u64,
    pub repeat_purchasers: u64,
    pub revenue_cents: i64,
    pub margin_cents: f64,
    pub ltv_customers: u64,
    pub ltv_cents: i64,
    /// Cohort retention at 30, 60 and 90 days: (users old enough, users who purchased).
    pub cohort: [(u64, u64); 3],
}

impl CampaignTally {
    pub(crate) fn merge(&mut self, o: &CampaignTally) {
        self.sends_all += o.sends_all;
        self.sends_matching += o.sends_matching;
        self.spend_cents += o.spend_cents;
        self.impressions += o.impressions;
        self.clicks += o.clicks;
        self.viewers += o.viewers;
        self.clickers += o.clickers;
        self.converters += o.converters;
        self.attributed_cents += o.attributed_cents;
        self.attributed_orders += o.attributed_orders;
        self.new_customers += o.new_customers;
        self.treated += o.treated;
        self.held += o.held;
        self.treated_converted += o.treated_converted;
        self.held_converted += o.held_converted;
        self.treated_cents += o.treated_cents;
        self.held_cents += o.held_cents;
        self.treated_cents_sq += o.treated_cents_sq;
        self.held_cents_sq += o.held_cents_sq;
    }
}

impl Tally {
    /// Adds another part's users (the parts hold disjoint users, so distinct counts add up).
    fn merge(&mut self, o: Tally) {
        for (k, c) in &o.campaigns {
            self.campaigns.entry(*k).or_default().merge(c);
        }
        for (k, c) in &o.creatives {
            self.creatives.entry(*k).or_default().merge(c);
        }
        self.spend_cents += o.spend_cents;
        self.impressions += o.impressions;
        self.clicks += o.clicks;
        self.viewers += o.viewers;
        self.clickers += o.clickers;
        self.converters += o.converters;
        self.attributed_cents += o.attributed_cents;
        self.attributed_orders += o.attributed_orders;
        self.new_customers += o.new_customers;
        self.message_sent += o.message_sent;
        self.message_sent_viewed += o.message_sent_viewed;
        self.message_viewed += o.message_viewed;
        self.message_viewed_clicked += o.message_viewed_clicked;
        self.hours_to_conversion.extend(o.hours_to_conversion);
        for (a, b) in self.model_cents.iter_mut().zip(o.model_cents) {
            *a += b;
        }
        self.purchasers += o.purchasers;
        self.repeat_purchasers += o.repeat_purchasers;
        self.revenue_cents += o.revenue_cents;
        self.margin_cents += o.margin_cents;
        self.ltv_customers += o.ltv_customers;
        self.ltv_cents += o.ltv_cents;
        for (a, b) in self.cohort.iter_mut().zip(o.cohort) {
            a.0 += b.0;
            a.1 += b.1;
        }
    }
}

/// A user's flags for one campaign or creative: viewed, clicked, converted after a click.
#[derive(Default, Clone, Copy)]
struct Flags {
    viewed: bool,
    clicked: bool,
    converted: bool,
}

/// Which parts of a tally a window needs; the rest is skipped (a year's window for LTV need not
/// attribute every purchase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Parts {
    /// Sends, impressions, clicks, conversions, attribution, time to conversion.
    pub engagement: bool,
    /// First assignments and their measurement windows (metrics 18–20).
    pub incrementality: bool,
    /// Purchasers, repeat purchases, margin, LTV, cohorts (metrics 9–13).
    pub customer: bool,
}

impl Parts {
    pub const ALL: Parts = Parts { engagement: true, incrementality: true, customer: true };

    fn union(self, o: Parts) -> Parts {
        Parts { engagement: self.engagement || o.engagement, incrementality: self.incrementality || o.incrementality, customer: self.customer || o.customer }
    }

    /// What a metric reads from its window's tally.
    pub fn of(id: MetricId) -> Parts {
        use MetricId::*;
        match id {
            Roas | Ctr | ConversionRate | Cac | Cpc | Impressions | Aov | OpenRate | ClickRate | AvgFrequency | TimeToFirstConversion | AttributionSpread => {
                Parts { engagement: true, ..Parts::default() }
            }
            // CAC from the short window, LTV from the year: both parts, the caller's two windows.
            CacPayback => Parts { engagement: true, customer: true, ..Parts::default() },
            Incrementality | HoldoutLift | NetIncrementalRevenue => Parts { incrementality: true, ..Parts::default() },
            Ltv | RepeatPurchaseRate | GrossMargin | CohortRetention => Parts { customer: true, ..Parts::default() },
            BudgetUtilization | DataFreshness | ModelAccuracy | Uptime | CostPerQuery => Parts::default(),
        }
    }
}

/// The attribution models of metric 21, in the order of `Tally::model_cents` and of the credits
/// `touch_credits` hands out.
pub const MODELS: [&str; 4] = ["first_touch", "last_touch", "linear", "time_decay"];
/// Index of last touch in `MODELS`: the model ROAS, CAC and AOV use.
pub const LAST_TOUCH: usize = 1;

/// Calls `credit(index, touch, shares)` for each touch of the purchase at `facts[i]`, oldest
/// first, with the share of the purchase each model in `MODELS` gives it. The touches are the
/// impressions and clicks of a campaign at most `lookback` seconds before the purchase (its own
/// second included: a purchase sorts after everything else in its second). Each model's shares
/// add up to 1; time decay halves a touch's weight every `half_life` seconds before the purchase.
/// A purchase with no touch calls nothing.
pub fn touch_credits<'f>(facts: &'f [Fact], i: usize, lookback: i64, half_life: f64, mut credit: impl FnMut(usize, &'f Fact, [f64; 4])) {
    let purchase = &facts[i];
    let touches = || touches_before(facts, i, lookback);
    let weight = |t: &Fact| (-((purchase.at - t.at) as f64) / half_life).exp2();
    let (Some(first), Some(last)) = (touches().next(), touches().next_back()) else { return };
    let (n, total_weight) = touches().fold((0.0, 0.0), |(n, w), j| (n + 1.0, w + weight(&facts[j])));
    for j in touches() {
        let t = &facts[j];
        credit(j, t, [f64::from(u8::from(j == first)), f64::from(u8::from(j == last)), 1.0 / n, weight(t) / total_weight]);
    }
}

/// The touches of the purchase at `facts[i]` (indexes, oldest first): impressions and clicks of a
/// campaign at most `lookback` seconds before it, its own second included.
pub(super) fn touches_before(facts: &[Fact], i: usize, lookback: i64) -> impl DoubleEndedIterator<Item = usize> + '_ {
    let purchase = &facts[i];
    let start = i - facts[..i].iter().rev().take_while(|t| purchase.at - t.at <= lookback).count();
    (start..i).filter(|j| matches!(facts[*j].kind, Kind::Viewed | Kind::Clicked) && facts[*j].campaign != NONE)
}

/// The filter resolved against the store's indexes.
pub(super) struct Scope<'a> {
    store: &'a Store,
    filter: &'a Filter,
    pub(super) campaign_ok: Vec<bool>,
    creative_ok: Option<Vec<bool>>,
    region_ok: Option<Vec<bool>>,
}

impl<'a> Scope<'a> {
    pub(super) fn new(store: &'a Store, filter: &'a Filter) -> Scope<'a> {
        let campaign_ok = store.campaigns.iter().map(|c| filter.allows_campaign(c)).collect();
        let creative_ok = (!filter.creatives.is_empty()).then(|| store.creatives.iter().map(|(id, _)| filter.creatives.contains(id)).collect());
        let region_ok = (!filter.regions.is_empty()).then(|| store.regions.iter().map(|r| filter.regions.contains(r)).collect());
        Scope { store, filter, campaign_ok, creative_ok, region_ok }
    }

    /// The fact's campaign and creative are in scope.
    pub(super) fn campaign(&self, f: &Fact) -> bool {
        f.campaign != NONE
            && self.campaign_ok[f.campaign as usize]
            && self.creative_ok.as_ref().is_none_or(|ok| f.creative != NONE && ok[f.creative as usize])
    }

    /// The fact's segment (at its time), region and platform are in scope.
    pub(super) fn dimensions(&self, user: &UserFacts, f: &Fact) -> bool {
        (self.filter.segments.is_empty() || user.segment_at(f.at, f.context_segment).is_some_and(|s| self.filter.segments.contains(&s)))
            && self.region_ok.as_ref().is_none_or(|ok| f.region != NONE && ok[f.region as usize])
            && (self.filter.platforms.is_empty() || f.platform.is_some_and(|p| self.filter.platforms.contains(&p)))
    }

    fn is_message(&self, f: &Fact) -> bool {
        f.campaign != NONE && self.store.campaigns[f.campaign as usize].is_message()
    }
}

/// Gathers the tally of `[from, to)`, times in seconds since the epoch.
pub fn tally(store: &Store, filter: &Filter, config: &Config, from: i64, to: i64) -> Tally {
    tally_parts(store, filter, config, from, to, Parts::ALL)
}

/// A tally with only some parts filled.
pub fn tally_parts(store: &Store, filter: &Filter, config: &Config, from: i64, to: i64, parts: Parts) -> Tally {
    tally_windows(store, filter, config, &[Window { from, to, parts }]).pop().expect("one tally per window")
}

/// One window to tally: `[from, to)` in seconds since the epoch, and the parts it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
    pub parts: Parts,
}

impl Window {
    fn touches(&self, user: &UserFacts) -> bool {
        user.span.is_some_and(|(first, last)| last >= self.from && first < self.to)
    }
}

/// The tallies of several windows in one walk over the users: each user's facts come from
/// memory once for all of them (the walk, not the arithmetic, is what a window costs).
pub fn tally_windows(store: &Store, filter: &Filter, config: &Config, windows: &[Window]) -> Vec<Tally> {
    tally_split(store, filter, config, windows, PARALLEL_MIN_USERS)
}

fn tally_split(store: &Store, filter: &Filter, config: &Config, windows: &[Window], min_users_per_thread: usize) -> Vec<Tally> {
    if windows.is_empty() {
        return Vec::new();
    }
    let scope = Scope::new(store, filter);
    // Users are independent: split them over the cores, then add the parts up.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = store.users.len().div_ceil(threads).max(min_users_per_thread);
    let mut parts = std::thread::scope(|s| {
        let handles: Vec<_> = store
            .users
            .chunks(chunk.max(1))
            .map(|users| {
                let scope = &scope;
                s.spawn(move || add_users(users, scope, config, windows))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a tally thread panicked")).collect::<Vec<Vec<Tally>>>()
    })
    .into_iter();
    let mut tallies = parts.next().unwrap_or_else(|| vec![Tally::default(); windows.len()]);
    for part in parts {
        for (t, p) in tallies.iter_mut().zip(part) {
            t.merge(p);
        }
    }
    let split = filter.splits_spend();
    for (t, w) in tallies.iter_mut().zip(windows) {
        t.from = w.from;
        t.to = w.to;
        for line in &store.spend {
            if line.at >= w.from && line.at < w.to && scope.campaign_ok[line.campaign as usize] {
                t.campaigns.entry(line.campaign).or_default().spend_cents += line.cents;
            }
        }
        t.spend_cents = t.campaigns.values().map(|c| c.spend(split)).sum();
        // A creative's share of its campaign's spend is its share of the campaign's sends.
        for (creative, c) in t.creatives.iter_mut() {
            let campaign = &t.campaigns[&store.creatives[*creative as usize].1];
            c.spend_cents = campaign.spend_cents;
            c.sends_all = campaign.sends_all;
        }
    }
    tallies
}

/// Per-campaign and per-creative figures while users are walked, by index.
struct Dense {
    campaigns: Vec<CampaignTally>,
    creatives: Vec<CampaignTally>,
}

impl Dense {
    /// Applies `change` to the fact's campaign and to its creative.
    fn each(&mut self, f: &Fact, change: impl Fn(&mut CampaignTally)) {
        change(&mut self.campaigns[f.campaign as usize]);
        if f.creative != NONE {
            change(&mut self.creatives[f.creative as usize]);
        }
    }

    /// Moves the touched entries into the tally's maps.
    fn into_tally(self, t: &mut Tally) {
        let untouched = CampaignTally::default();
        for (index, c) in self.campaigns.into_iter().enumerate().filter(|(_, c)| *c != untouched) {
            t.campaigns.insert(index as u32, c);
        }
        for (index, c) in self.creatives.into_iter().enumerate().filter(|(_, c)| *c != untouched) {
            t.creatives.insert(index as u32, c);
        }
    }
}

/// Per-user working lists, cleared rather than allocated afresh for each user.
#[derive(Default)]
struct Scratch {
    /// The user's purchases (indexes into its facts), for the forward questions of clicks,
    /// impressions and assignments: one pass instead of a scan per click.
    purchases: Vec<usize>,
    scan: Vec<usize>,
    /// Keyed by (0, campaign) and (1, creative); a user has few.
    flags: Vec<((u8, u32), Flags)>,
    first_view: Vec<u32>,
    assigned: Vec<u32>,
}

/// Below this many users per thread, one thread does it all.
const PARALLEL_MIN_USERS: usize = 20_000;

/// Each window's tally of `users`.
fn add_users(users: &[UserFacts], scope: &Scope<'_>, config: &Config, windows: &[Window]) -> Vec<Tally> {
    let store = scope.store;
    // Per campaign and creative, dense by index while the users are walked (a map lookup per
    // fact is what this avoids); moved into the tally's maps at the end.
    let mut tallies: Vec<(Tally, Dense)> = windows
        .iter()
        .map(|_| (Tally::default(), Dense { campaigns: vec![CampaignTally::default(); store.campaigns.len()], creatives: vec![CampaignTally::default(); store.creatives.len()] }))
        .collect();
    let mut scratch = Scratch::default();
    for (k, user) in users.iter().enumerate() {
        if let Some(next) = users.get(k + PREFETCH_AHEAD) {
            prefetch(next.facts.as_ptr());
        }
        if !windows.iter().any(|w| w.touches(user)) {
            continue;
        }
        scratch.purchases.clear();
        scratch.purchases.extend(user.facts.iter().enumerate().filter(|(_, p)| p.kind == Kind::Purchased).map(|(i, _)| i));
        for (w, (t, dense)) in windows.iter().zip(tallies.iter_mut()) {
            if w.touches(user) {
                add_user(t, dense, &mut scratch, user, scope, config, *w);
            }
        }
    }
    tallies
        .into_iter()
        .map(|(mut t, dense)| {
            dense.into_tally(&mut t);
            t
        })
        .collect()
}

/// Adds one user's contribution over the window (`scratch.purchases` holds the user's purchases).
fn add_user(t: &mut Tally, dense: &mut Dense, scratch: &mut Scratch, user: &UserFacts, scope: &Scope<'_>, config: &Config, window: Window) {
    let (store, filter) = (scope.store, scope.filter);
    let Window { from, to, parts } = window;
    let lookback = config.lookback_hours * HOUR;
    let half_life = config.half_life_hours * HOUR as f64;
    let Scratch { purchases, scan, flags, first_view, assigned } = scratch;
    let facts = &user.facts;
    let start = facts.partition_point(|f| f.at < from);
    if start == facts.len() || facts[start].at >= to {
        return;
    }
    let end = if user.span.is_some_and(|(_, last)| last < to) { facts.len() } else { facts.partition_point(|f| f.at < to) };
    let reached = !filter.narrows_campaigns() || facts[..end].iter().any(|f| f.kind == Kind::Sent && scope.campaign(f));
    let first_purchase = purchases.first().copied();
    // The first purchase after position `i` (purchases sort after anything else in their second).
    let next_purchase = |i: usize| purchases.partition_point(|p| *p <= i);

    // Per-user flags, overall and per campaign, so each user counts once.
    let (mut viewed, mut clicked, mut converted) = (false, false, false);
    let (mut msg_sent, mut msg_viewed, mut msg_clicked) = (false, false, false);
    flags.clear();
    let mut flag = |f: &Fact, set: &dyn Fn(&mut Flags)| {
        for key in [(0, f.campaign), (1, f.creative)] {
            if key.1 == NONE {
                continue;
            }
            match flags.iter_mut().find(|(k, _)| *k == key) {
                Some((_, x)) => set(x),
                None => {
                    let mut x = Flags::default();
                    set(&mut x);
                    flags.push((key, x));
                }
            }
        }
    };
    first_view.clear();
    let mut purchases_in_window = 0u64;

    // Engagement reads every fact of the window; customer value only the purchases.
    scan.clear();
    if parts.engagement {
        scan.extend(start..end);
    } else if parts.customer {
        scan.extend(purchases.iter().copied().filter(|i| (start..end).contains(i)));
    }
    for &i in scan.iter() {
        let f = &facts[i];
        match f.kind {
            _ if !parts.engagement && f.kind != Kind::Purchased => {}
            Kind::Sent => {
                if f.campaign != NONE && scope.campaign_ok[f.campaign as usize] {
                    dense.campaigns[f.campaign as usize].sends_all += 1;
                    if scope.campaign(f) && scope.dimensions(user, f) {
                        dense.each(f, |c| c.sends_matching += 1);
                        msg_sent |= scope.is_message(f);
                    }
                }
            }
            Kind::Viewed if scope.campaign(f) && scope.dimensions(user, f) => {
                t.impressions += 1;
                dense.each(f, |c| c.impressions += 1);
                viewed = true;
                msg_viewed |= scope.is_message(f);
                flag(f, &|x| x.viewed = true);
                if !first_view.contains(&f.campaign) {
                    first_view.push(f.campaign);
                    // Metric 17: first impression → first purchase within the lookback.
                        if let Some(p) = purchases.get(next_purchase(i)).map(|p| &facts[*p]).filter(|p| p.at - f.at <= lookback) {
                        t.hours_to_conversion.push((p.at - f.at) as f64 / HOUR as f64);
                    }
                }
            }
            Kind::Clicked if scope.campaign(f) && scope.dimensions(user, f) => {
                t.clicks += 1;
                dense.each(f, |c| c.clicks += 1);
                clicked = true;
                msg_clicked |= scope.is_message(f);
                flag(f, &|x| x.clicked = true);
                // Within 24 h, or later in the same session (only a click with a session looks further).
                let bought = purchases[next_purchase(i)..]
                    .iter()
                    .map(|p| &facts[*p])
                    .take_while(|p| f.session != NONE || p.at - f.at <= DAY)
                    .any(|p| p.at - f.at <= DAY || (f.session != NONE && p.session == f.session));
                if bought {
                    converted = true;
                    flag(f, &|x| x.converted = true);
                }
            }
            Kind::Purchased => {
                if parts.customer && reached && scope.dimensions(user, f) {
                    purchases_in_window += 1;
                    t.revenue_cents += f.cents;
                    let rate = if f.category == NONE {
                        config.default_margin_rate
                    } else {
                        config.margin_rates.get(&store.categories[f.category as usize]).copied().unwrap_or(config.default_margin_rate)
                    };
                    t.margin_cents += f.cents as f64 * rate;
                }
                if !parts.engagement || !scope.dimensions(user, f) {
                    continue;
                }
                let cents = f.cents as f64;
                let mut last_touch = None;
                touch_credits(facts, i, lookback, half_life, |_, touch, credit| {
                    if credit[LAST_TOUCH] == 1.0 {
                        last_touch = Some(touch);
                    }
                    if scope.campaign(touch) {
                        for (model, share) in t.model_cents.iter_mut().zip(credit) {
                            *model += cents * share;
                        }
                    }
                });
                let Some(last) = last_touch.filter(|last| scope.campaign(last)) else { continue };
                t.attributed_cents += f.cents;
                t.attributed_orders += 1;
                let new_customer = first_purchase == Some(i);
                dense.each(last, |c| {
                    c.attributed_cents += f.cents;
                    c.attributed_orders += 1;
                    c.new_customers += u64::from(new_customer);
                });
                t.new_customers += u64::from(new_customer);
            }
            _ => {}
        }
    }

    t.viewers += u64::from(viewed);
    t.clickers += u64::from(clicked);
    t.converters += u64::from(converted);
    t.message_sent += u64::from(msg_sent);
    t.message_sent_viewed += u64::from(msg_sent && msg_viewed);
    t.message_viewed += u64::from(msg_viewed);
    t.message_viewed_clicked += u64::from(msg_viewed && msg_clicked);
    for ((level, index), x) in flags.drain(..) {
        let entry = if level == 0 { &mut dense.campaigns[index as usize] } else { &mut dense.creatives[index as usize] };
        entry.viewers += u64::from(x.viewed);
        entry.clickers += u64::from(x.clicked);
        entry.converters += u64::from(x.converted);
    }
    t.purchasers += u64::from(purchases_in_window >= 1);
    t.repeat_purchasers += u64::from(purchases_in_window >= 2);

    // Incrementality: each (user, campaign) by its first assignment, if that is in the window.
    // Only deliveries in the window can be first assignments in it; an earlier delivery of the
    // same campaign means this one is not the first.
    assigned.clear();
    let assignments = if parts.incrementality { start..end } else { start..start };
    if parts.incrementality {
        // Campaigns assigned before the window count as assigned already.
        assigned.extend(facts[..start].iter().filter(|g| matches!(g.kind, Kind::Sent | Kind::Held) && g.campaign != NONE).map(|g| g.campaign));
    }
    for i in assignments {
        let f = &facts[i];
        if !matches!(f.kind, Kind::Sent | Kind::Held) || f.campaign == NONE || assigned.contains(&f.campaign) {
            continue;
        }
        assigned.push(f.campaign);
        if !scope.campaign(f) || !scope.dimensions(user, f) {
            continue;
        }
        let window_end = f.at + 7 * DAY;
        let (mut bought, mut cents) = (false, 0i64);
        for p in purchases[next_purchase(i)..].iter().map(|p| &facts[*p]).take_while(|p| p.at < window_end) {
            bought = true;
            cents += p.cents;
        }
        let treated = f.kind == Kind::Sent;
        dense.each(f, |c| {
            if treated {
                c.treated += 1;
                c.treated_converted += u64::from(bought);
                c.treated_cents += cents;
                c.treated_cents_sq += (cents as f64).powi(2);
            } else {
                c.held += 1;
                c.held_converted += u64::from(bought);
                c.held_cents += cents;
                c.held_cents_sq += (cents as f64).powi(2);
            }
        });
    }

    // Customer value: signup in the window.
    if let Some(signup) = user.signup().filter(|s| parts.customer && *s >= from && *s < to) {
        let first = &facts[0];
        if reached && scope.dimensions(user, first) {
            let mut year = (0u64, 0i64);
            let mut first_purchase_at = None;
            for p in purchases.iter().map(|i| &facts[*i]).filter(|p| p.at >= signup) {
                first_purchase_at.get_or_insert(p.at);
                if p.at < signup + 365 * DAY {
                    year.0 += 1;
                    year.1 += p.cents;
                }
            }
            if year.0 > 0 {
                t.ltv_customers += 1;
                t.ltv_cents += year.1;
            }
            for (k, days) in [30, 60, 90].into_iter().enumerate() {
                if signup <= to - days * DAY {
                    t.cohort[k].0 += 1;
                    t.cohort[k].1 += u64::from(first_purchase_at.is_some_and(|p| p < signup + days * DAY));
                }
            }
        }
    }
}

/// Answers every metric (or those asked) for a filter. `period` is an explicit `[from, to)`;
/// without it each metric uses its default window ending at `to` (or now).
pub struct Query<'a> {
    pub store: &'a Store,
    pub system: &'a SystemStats,
    pub filter: &'a Filter,
    pub config: &'a Config,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

impl Query<'_> {
    pub fn all(&self) -> Vec<MetricValue> {
        self.some(&MetricId::ALL)
    }

    /// The metrics asked for: each window they read is tallied once, all in one walk.
    pub fn some(&self, ids: &[MetricId]) -> Vec<MetricValue> {
        let windows = self.windows(ids);
        let tallies = windows.iter().map(|w| (w.from, w.to)).zip(tally_windows(self.store, self.filter, self.config, &windows)).collect();
        self.from_tallies(ids, &tallies)
    }

    /// The windows the metrics read, each with the parts of its tally they need: a dry run of
    /// their formulas notes what they ask for.
    pub fn windows(&self, ids: &[MetricId]) -> Vec<Window> {
        let mut needs: BTreeMap<(i64, i64), Parts> = BTreeMap::new();
        for id in ids {
            let mut note = |from: i64, to: i64, parts: Parts| {
                let entry = needs.entry((from, to)).or_default();
                *entry = entry.union(parts);
                Tally::default()
            };
            let (from, to) = self.window(*id);
            let _ = self.value(*id, &mut note, from.unwrap_or(i64::MIN / 4), to);
            if let Some(from) = from {
                let _ = self.value(*id, &mut note, 2 * from - to, from);
            }
        }
        needs.into_iter().map(|((from, to), parts)| Window { from, to, parts }).collect()
    }

    /// The metrics from the tallies of their windows (`windows` says which), by `(from, to)`.
    pub fn from_tallies(&self, ids: &[MetricId], tallies: &HashMap<(i64, i64), Tally>) -> Vec<MetricValue> {
        ids.iter().map(|id| self.one(*id, &mut |from, to, _| tallies.get(&(from, to)).cloned().unwrap_or_default())).collect()
    }

    /// As `some`, keeping the (complete) tallies it gathered in `cache` (keyed by window), so a
    /// caller can read further figures of the same windows without another pass.
    pub fn some_cached(&self, ids: &[MetricId], cache: &mut HashMap<(i64, i64), Tally>) -> Vec<MetricValue> {
        ids.iter()
            .map(|id| {
                self.one(*id, &mut |from, to, _| cache.entry((from, to)).or_insert_with(|| tally(self.store, self.filter, self.config, from, to)).clone())
            })
            .collect()
    }

    /// The window of a metric: the explicit period, or its default ending at `to` (or now).
    pub fn window(&self, id: MetricId) -> (Option<i64>, i64) {
        let to = second_ceil(self.to.unwrap_or(self.now).min(self.now));
        if let Some(from) = self.from {
            return (Some(second_ceil(from)), to);
        }
        let length = match id.definition().window {
            DefaultWindow::Hours(h) => Some(h * HOUR),
            DefaultWindow::Days(d) => Some(d * DAY),
            DefaultWindow::ToDate | DefaultWindow::None => None,
        };
        (length.map(|l| to - l), to)
    }

    fn one(&self, id: MetricId, tally_of: &mut impl FnMut(i64, i64, Parts) -> Tally) -> MetricValue {
        let definition = id.definition();
        let (from, to) = self.window(id);
        let (current, breakdown) = match from {
            Some(from) => self.value(id, tally_of, from, to),
            None => self.value(id, tally_of, i64::MIN / 4, to),
        };
        let previous = from.and_then(|from| self.value(id, tally_of, 2 * from - to, from).0.ok());
        let (value, reason) = match current {
            Ok(v) => (Some(v), None),
            Err(reason) => (None, Some(reason)),
        };
        let trend = match (value, previous) {
            (Some(v), Some(p)) if p != 0.0 => Some((v - p) / p.abs()),
            _ => None,
        };
        let (complete, confidence) = match from {
            Some(from) if !matches!(id, MetricId::Uptime | MetricId::CostPerQuery | MetricId::ModelAccuracy) => completeness(self.store, from, to),
            _ => (true, 1.0),
        };
        let at = |s: i64| Utc.timestamp_opt(s, 0).single();
        MetricValue {
            id,
            number: definition.number,
            name: definition.name.to_owned(),
            value,
            reason,
            unit: definition.unit,
            formula: definition.formula.to_owned(),
            target: definition.target,
            direction: definition.direction,
            status: value.and_then(|v| definition.status(v)),
            previous,
            trend,
            from: from.and_then(at),
            to: at(to).unwrap_or(self.now),
            as_of: self.now,
            freshness_seconds: self.store.newest.map(|n| (self.now.timestamp() - n).max(0)),
            complete,
            confidence,
            breakdown,
        }
    }

    /// One metric over `[from, to)`: its value or why there is none, and any breakdown.
    fn value(&self, id: MetricId, tally_of: &mut impl FnMut(i64, i64, Parts) -> Tally, from: i64, to: i64) -> (Result<f64, String>, Option<serde_json::Value>) {
        let parts = Parts::of(id);
        let ratio = |num: f64, den: f64, what: &str| if den > 0.0 { Ok(num / den) } else { Err(format!("no {what} in the window")) };
        let dollars = |cents: f64| cents / 100.0;
        let result = match id {
            MetricId::Roas => {
                let t = tally_of(from, to, parts);
                ratio(t.attributed_cents as f64, t.spend_cents, "spend recorded")
            }
            MetricId::Ctr => {
                let t = tally_of(from, to, parts);
                ratio(100.0 * t.clicks as f64, t.impressions as f64, "impressions")
            }
            MetricId::ConversionRate => {
                let t = tally_of(from, to, parts);
                ratio(100.0 * t.converters as f64, t.clickers as f64, "clicks")
            }
            MetricId::Cac => {
                let t = tally_of(from, to, parts);
                cac(&t)
            }
            MetricId::Cpc => {
                let t = tally_of(from, to, parts);
                if t.spend_cents <= 0.0 { Err("no spend recorded in the window".to_owned()) } else { ratio(dollars(t.spend_cents), t.clicks as f64, "clicks") }
            }
            MetricId::Impressions => Ok(tally_of(from, to, parts).impressions as f64),
            MetricId::BudgetUtilization => self.budget_utilization(to),
            MetricId::Aov => {
                let t = tally_of(from, to, parts);
                ratio(dollars(t.attributed_cents as f64), t.attributed_orders as f64, "attributed orders")
            }
            MetricId::Ltv => {
                let t = tally_of(from, to, parts);
                ratio(dollars(t.ltv_cents as f64), t.ltv_customers as f64, "customers who signed up")
            }
            MetricId::CacPayback => {
                let cac = cac(&tally_of(from, to, Parts { engagement: true, ..Parts::default() }));
                let ltv_window = if self.from.is_some() { from } else { to - 365 * DAY };
                let ltv = tally_of(ltv_window, to, Parts { customer: true, ..Parts::default() });
                match (cac, ratio(dollars(ltv.ltv_cents as f64), ltv.ltv_customers as f64, "customers who signed up")) {
                    (Ok(cac), Ok(ltv)) if ltv > 0.0 => Ok(cac / (ltv / 12.0)),
                    (Ok(_), Ok(_)) => Err("customers have no revenue yet".to_owned()),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
            MetricId::RepeatPurchaseRate => {
                let t = tally_of(from, to, parts);
                ratio(100.0 * t.repeat_purchasers as f64, t.purchasers as f64, "purchases")
            }
            MetricId::GrossMargin => {
                let t = tally_of(from, to, parts);
                ratio(100.0 * (t.margin_cents - t.spend_cents), t.revenue_cents as f64, "purchases")
            }
            MetricId::CohortRetention => {
                let t = tally_of(from, to, parts);
                let rates: Vec<Option<f64>> = t.cohort.iter().map(|(n, k)| (*n > 0).then(|| 100.0 * *k as f64 / *n as f64)).collect();
                let breakdown = serde_json::json!({ "retention_30d": rates[0], "retention_60d": rates[1], "retention_90d": rates[2],
                    "users_30d": t.cohort[0].0, "users_60d": t.cohort[1].0, "users_90d": t.cohort[2].0 });
                return (rates[0].ok_or_else(|| "no users signed up at least 30 days before the window's end".to_owned()), Some(breakdown));
            }
            MetricId::OpenRate => {
                let t = tally_of(from, to, parts);
                ratio(100.0 * t.message_sent_viewed as f64, t.message_sent as f64, "e-mail or push sends")
            }
            MetricId::ClickRate => {
                let t = tally_of(from, to, parts);
                ratio(100.0 * t.message_viewed_clicked as f64, t.message_viewed as f64, "e-mail or push impressions")
            }
            MetricId::AvgFrequency => {
                let t = tally_of(from, to, parts);
                ratio(t.impressions as f64, t.viewers as f64, "impressions")
            }
            MetricId::TimeToFirstConversion => {
                let mut hours = tally_of(from, to, parts).hours_to_conversion;
                stats::median(&mut hours).ok_or_else(|| "no purchase followed an impression in the window".to_owned())
            }
            MetricId::Incrementality | MetricId::HoldoutLift | MetricId::NetIncrementalRevenue => {
                let t = tally_of(from, to, parts);
                let measured: Vec<&CampaignTally> = t.campaigns.values().filter(|c| c.incremental_conversions().is_some()).collect();
                if measured.is_empty() {
                    Err("no campaign has both treatment and holdout users assigned in the window".to_owned())
                } else {
                    let incremental: f64 = measured.iter().filter_map(|c| c.incremental_conversions()).sum();
                    let conversions: f64 = measured.iter().map(|c| c.treated_converted as f64).sum();
                    let expected: f64 = measured.iter().map(|c| c.treated as f64 * c.held_converted as f64 / c.held as f64).sum();
                    match id {
                        MetricId::Incrementality => ratio(100.0 * incremental, conversions, "treatment conversions"),
                        MetricId::HoldoutLift => ratio(100.0 * incremental, expected, "holdout conversions"),
                        _ => {
                            let split = self.filter.splits_spend();
                            let cents: f64 = measured.iter().filter_map(|c| c.incremental_cents()).sum::<f64>() - measured.iter().map(|c| c.spend(split)).sum::<f64>();
                            Ok(dollars(cents))
                        }
                    }
                }
            }
            MetricId::AttributionSpread => {
                let t = tally_of(from, to, parts);
                let m = t.model_cents;
                let mean = m.iter().sum::<f64>() / 4.0;
                let breakdown = serde_json::json!({ "first_touch": dollars(m[0]), "last_touch": dollars(m[1]), "linear": dollars(m[2]), "time_decay": dollars(m[3]) });
                let max = m.iter().copied().fold(f64::MIN, f64::max);
                let min = m.iter().copied().fold(f64::MAX, f64::min);
                return (ratio(100.0 * (max - min), mean, "attributed revenue"), Some(breakdown));
            }
            MetricId::DataFreshness => {
                let hours = self.store.lags.iter().filter(|(hour, _)| **hour >= from.div_euclid(HOUR) * HOUR && **hour < to).map(|(_, l)| l);
                LagCounts::quantile(hours, 0.95).map(|seconds| seconds / 60.0).ok_or_else(|| "no events arrived in the window".to_owned())
            }
            MetricId::ModelAccuracy => Err("no uplift model has been trained yet; its Qini coefficient will show here once one is".to_owned()),
            MetricId::Uptime => {
                let (ok, total) = self.system.probes.range(from.div_euclid(HOUR) * HOUR..to).fold((0, 0), |a, (_, (o, n))| (a.0 + o, a.1 + n));
                ratio(100.0 * ok as f64, total as f64, "health probes")
            }
            MetricId::CostPerQuery => {
                let (n, cpu) = self.system.queries.range(from.div_euclid(HOUR) * HOUR..to).fold((0, 0.0), |a, (_, (n, c))| (a.0 + n, a.1 + c));
                ratio(cpu * self.config.cost_per_cpu_second, n as f64, "queries")
            }
        };
        (result, None)
    }

    fn budget_utilization(&self, to: i64) -> Result<f64, String> {
        let scope = Scope::new(self.store, self.filter);
        let counted = |i: usize| {
            let c = &self.store.campaigns[i];
            scope.campaign_ok[i]
                && (!self.filter.statuses.is_empty() || matches!(c.status, CampaignStatus::Active | CampaignStatus::Paused | CampaignStatus::Completed))
        };
        let budget: i64 = (0..self.store.campaigns.len()).filter(|i| counted(*i)).map(|i| self.store.campaigns[i].budget_cents).sum();
        let started = |i: usize| self.store.campaigns[i].starts_at.map_or(i64::MIN, |s| s.timestamp());
        let spent: i64 = self.store.spend.iter().filter(|l| l.at < to && counted(l.campaign as usize) && l.at >= started(l.campaign as usize)).map(|l| l.cents).sum();
        if budget <= 0 { Err("no active, paused or completed campaign with a budget".to_owned()) } else { Ok(100.0 * spent as f64 / budget as f64) }
    }
}

fn cac(t: &Tally) -> Result<f64, String> {
    if t.spend_cents <= 0.0 {
        Err("no spend recorded in the window".to_owned())
    } else if t.new_customers == 0 {
        Err("no new customers in the window".to_owned())
    } else {
        Ok(t.spend_cents / 100.0 / t.new_customers as f64)
    }
}

/// A window bound in whole seconds, rounded up: facts are kept to the second, so a window ending
/// now includes the events of the current second, and a bound inside a second starts or ends
/// with the next one.
pub fn second_ceil(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

/// Whether `[from, to)` holds at least 90% of the events expected from the same hours of the
/// week over the previous four weeks; the confidence is the share present (capped at 1).
pub fn completeness(store: &Store, from: i64, to: i64) -> (bool, f64) {
    let Some(earliest) = store.volume.keys().min().copied() else { return (true, 1.0) };
    let first_hour = from.div_euclid(HOUR) * HOUR;
    // Only whole hours that have ended count.
    let last_hour = to.div_euclid(HOUR) * HOUR;
    if first_hour - 28 * DAY < earliest || last_hour <= first_hour {
        return (true, 1.0);
    }
    let (mut actual, mut expected) = (0i64, 0.0f64);
    let mut hour = first_hour;
    while hour < last_hour {
        actual += store.volume.get(&hour).copied().unwrap_or(0);
        let mut previous = [1, 2, 3, 4].map(|w| store.volume.get(&(hour - w * 7 * DAY)).copied().unwrap_or(0));
        previous.sort_unstable();
        expected += (previous[1] + previous[2]) as f64 / 2.0;
        hour += HOUR;
    }
    if expected <= 0.0 {
        return (true, 1.0);
    }
    let confidence = (actual as f64 / expected).min(1.0);
    (confidence >= 0.9, confidence)
}

/// The length of a default window, for series.
pub fn default_length(id: MetricId) -> Option<Duration> {
    match id.definition().window {
        DefaultWindow::Hours(h) => Some(Duration::hours(h)),
        DefaultWindow::Days(d) => Some(Duration::days(d)),
        _ => None,
    }
}

/// Every metric's fixed facts, in order.
pub fn definitions() -> Vec<Definition> {
    MetricId::ALL.iter().map(|id| id.definition()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::{Faults, SimConfig, world};
    use chrono::TimeZone;

    #[test]
    fn a_tally_split_over_threads_equals_one_made_in_one() {
        let config = SimConfig { seed: 3, users: 1_500, days: 12, campaigns: 5, start: Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap(), holdout_share: 0.2, faults: Faults::default(), experiments: 0 };
        let w = world(&config);
        let now = config.start + Duration::days(12);
        let (store, _) = Store::from_simulation(&w);
        let filter = Filter::default();
        let (from, to) = (config.start.timestamp(), now.timestamp());
        let window = [Window { from, to, parts: Parts::ALL }];
        let one = tally_split(&store, &filter, &Config::default(), &window, usize::MAX).pop().unwrap();
        let mut many = tally_split(&store, &filter, &Config::default(), &window, 1).pop().unwrap();
        assert!(one.purchasers > 0 && one.campaigns.values().any(|c| c.treated > 0));
        // Float sums may differ in the last bits by the order of addition.
        assert!((one.margin_cents - many.margin_cents).abs() < 1e-6 && (one.model_cents[2] - many.model_cents[2]).abs() < 1e-6);
        many.margin_cents = one.margin_cents;
        many.model_cents = one.model_cents;
        for (k, c) in many.campaigns.iter_mut() {
            c.treated_cents_sq = one.campaigns[k].treated_cents_sq;
            c.held_cents_sq = one.campaigns[k].held_cents_sq;
        }
        for (k, c) in many.creatives.iter_mut() {
            c.treated_cents_sq = one.creatives[k].treated_cents_sq;
            c.held_cents_sq = one.creatives[k].held_cents_sq;
        }
        let mut a = one.hours_to_conversion.clone();
        let mut b = many.hours_to_conversion.clone();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        assert_eq!(a, b);
        many.hours_to_conversion = one.hours_to_conversion.clone();
        assert_eq!(one, many);
    }
}
