//! What the rules read: the catalogue and database facts the server passes in, and the figures
//! measured here from the metrics rollup (docs/recommendations.md, "How a run works").

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{CampaignStatus, CampaignType, SegmentType};
use crate::metrics::compute::{CampaignTally, Config, Filter, LAST_TOUCH, Parts, tally_parts, touch_credits};
use crate::metrics::leaderboard::Performance;
use crate::metrics::store::{Kind, NONE, PREFETCH_AHEAD, Store, prefetch};

const DAY: i64 = 86_400;
/// The fewest users in each group for a holdout comparison to be used as the campaign's own.
pub const MIN_GROUP_USERS: u64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreativeInput {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
}

/// What the compliance rules read about a campaign.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplianceFacts {
    /// Deliveries refused in the last 7 days because the user was not eligible.
    pub refusals_week: i64,
    pub missing_consent_method: bool,
    pub missing_opt_out: bool,
    /// Active with a creation but no approval in the audit log.
    pub no_approval: bool,
}

/// A campaign as the catalogue and the database describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignInput {
    pub id: Uuid,
    pub name: String,
    pub campaign_type: CampaignType,
    pub status: CampaignStatus,
    /// Empty: every segment.
    pub target_segments: Vec<SegmentType>,
    pub budget_cents: i64,
    pub holdout_percent: f64,
    pub frequency_cap_per_week: Option<u32>,
    pub starts_at: Option<DateTime<Utc>>,
    /// Its first launch in the audit log (a campaign launched without a start time).
    pub launched_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub creatives: Vec<CreativeInput>,
    pub running_experiment: bool,
    pub compliance: ComplianceFacts,
}

/// The data pipeline's state, from the quality counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemFacts {
    /// Minutes since the newest event arrived (`None`: no event ever).
    pub freshness_minutes: Option<f64>,
    /// Whether events are expected now (some campaign is active).
    pub events_expected: bool,
    pub received_last_hour: u64,
    pub rejected_last_hour: u64,
    /// Of the last 6 hours, how many showed the problem.
    pub hours_affected: u32,
    /// The anomalies the detector has open (docs/alerts.md): they feed the rules.
    #[serde(default)]
    pub anomalies: Vec<OpenAnomaly>,
}

/// An anomaly still open (`analytics::anomaly`, stored as an alert by the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenAnomaly {
    /// The detector's metric code (`events`, `ctr`, …).
    pub metric: String,
    /// `None`: all campaigns together.
    pub campaign_id: Option<Uuid>,
    /// `spike`, `drop`, `zero_value` or `missing_data`.
    pub kind: String,
    pub message: String,
}

/// One segment's slice of a campaign over the last 7 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSlice {
    pub segment: SegmentType,
    pub performance: Performance,
    pub reached: u64,
}

/// One creative over the last 7 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreativeSlice {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
    pub impressions: u64,
    pub clicks: u64,
    /// Percent.
    pub ctr: Option<f64>,
}

/// A campaign's measured figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Whole days since it started (its start time if past, else its launch, else its first
    /// spend).
    pub days_active: i64,
    /// The last 7 days.
    pub week: Performance,
    /// CTR (percent) and impressions over the last 5 days.
    pub ctr_5d: Option<f64>,
    pub impressions_5d: u64,
    /// Dollars spent up to now.
    pub spend_to_date: f64,
    /// Incremental revenue (dollars) of the users first assigned in the last 7 days, when both
    /// groups have at least `MIN_GROUP_USERS`.
    pub incremental_week: Option<f64>,
    /// Revenue (dollars) of the treatment users first assigned in the last 7 days.
    pub treated_revenue_week: f64,
    /// Dollars spent over the last 28 days (with the incremental figures below: the response
    /// curves' daily averages).
    pub month_spend: f64,
    pub incremental_month: Option<f64>,
    pub treated_revenue_month: f64,
    pub held_month: u64,
    /// Users delivered to in the last 7 days, deliveries, and users who unsubscribed after one
    /// of the campaign's deliveries.
    pub reached_week: u64,
    pub deliveries_week: u64,
    pub unsubscribes_week: u64,
    pub by_segment: Vec<SegmentSlice>,
    pub creatives: Vec<CreativeSlice>,
}

impl Measured {
    /// Days the 7-day figures cover (a younger campaign has fewer).
    pub fn week_days(&self) -> f64 {
        self.days_active.clamp(1, 7) as f64
    }

    pub fn daily_spend(&self) -> f64 {
        self.week.spend / self.week_days()
    }

    pub fn budget_used(&self, input: &CampaignInput) -> Option<f64> {
        (input.budget_cents > 0).then(|| self.spend_to_date / (input.budget_cents as f64 / 100.0))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignFacts {
    pub input: CampaignInput,
    pub measured: Measured,
}

/// A segment over all campaigns, the last 7 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentFacts {
    pub segment: SegmentType,
    /// Users in the segment now.
    pub size: u64,
    /// Of them, users some campaign delivered to in the last 7 days.
    pub reached: u64,
    pub spend: f64,
    pub revenue: f64,
    pub impressions: u64,
    pub roas: Option<f64>,
}

/// Everything one run reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub now: DateTime<Utc>,
    pub campaigns: Vec<CampaignFacts>,
    pub segments: Vec<SegmentFacts>,
    pub system: SystemFacts,
    /// The gross margin on revenue (`[metrics] default_margin_rate`): what a dollar of revenue
    /// lost costs, set against a dollar of spend saved.
    pub margin_rate: f64,
}

fn incremental(treated: u64, held: u64, cents: Option<f64>) -> Option<f64> {
    (treated >= MIN_GROUP_USERS && held >= MIN_GROUP_USERS).then_some(cents).flatten().map(|c| c / 100.0)
}

/// Measures every campaign of `campaigns` (and the segments) from the store at `now`.
pub fn gather(store: &Store, config: &Config, now: DateTime<Utc>, campaigns: Vec<CampaignInput>, system: SystemFacts) -> Facts {
    let to = now.timestamp();
    let all = Filter::default();
    let both = Parts { engagement: true, incrementality: true, ..Parts::default() };
    let week = tally_parts(store, &all, config, to - 7 * DAY, to, both);
    // The 28 days feed the response curves: spend and the incremental comparison only (no
    // engagement pass over four weeks of facts).
    let month = tally_parts(store, &all, config, to - 28 * DAY, to, Parts { incrementality: true, ..Parts::default() });
    // Reach, every campaign's figures per segment and its last 5 days' CTR, in one pass.
    let walked = walk(store, config, to - 7 * DAY, to, to - 5 * DAY);
    let reach = &walked.reach;
    let sizes = crate::metrics::views::segment_sizes(store, &all, to);

    let mut spend_to_date: HashMap<u32, i64> = HashMap::new();
    let mut first_spend: HashMap<u32, i64> = HashMap::new();
    for line in store.spend.iter().filter(|l| l.at < to) {
        *spend_to_date.entry(line.campaign).or_default() += line.cents;
        let first = first_spend.entry(line.campaign).or_insert(line.at);
        *first = (*first).min(line.at);
    }

    let measured: Vec<CampaignFacts> = campaigns
        .into_iter()
        .map(|input| {
            let index = store.campaign_index(input.id);
            let tally_of = |t: &crate::metrics::compute::Tally| index.and_then(|i| t.campaigns.get(&i)).cloned().unwrap_or_default();
            let (w, m) = (tally_of(&week), tally_of(&month));
            let (impressions_5d, clicks_5d) = index.and_then(|i| walked.recent.get(&i)).copied().unwrap_or_default();
            let start = input
                .starts_at
                .filter(|s| *s <= now)
                .or(input.launched_at)
                .map(|s| s.timestamp())
                .or_else(|| index.and_then(|i| first_spend.get(&i).copied()));
            let by_segment = SegmentType::ALL
                .iter()
                .map(|segment| {
                    let c = index.and_then(|i| walked.slices.get(&(i, *segment))).cloned().unwrap_or_default();
                    let reached = index.map_or(0, |i| reach.by_campaign_segment.get(&(i, *segment)).copied().unwrap_or(0));
                    SegmentSlice { segment: *segment, performance: Performance::of(&c, true), reached }
                })
                .collect();
            let creatives = input
                .creatives
                .iter()
                .map(|c| {
                    let t = store.creative_index(c.id).and_then(|i| week.creatives.get(&i)).cloned().unwrap_or_default();
                    let ctr = (t.impressions > 0).then(|| 100.0 * t.clicks as f64 / t.impressions as f64);
                    CreativeSlice { id: c.id, name: c.name.clone(), active: c.active, impressions: t.impressions, clicks: t.clicks, ctr }
                })
                .collect();
            let campaign_reach = index.and_then(|i| reach.by_campaign.get(&i)).copied().unwrap_or_default();
            let measured = Measured {
                days_active: start.map_or(0, |s| ((to - s) / DAY).max(0)),
                week: Performance::of(&w, false),
                ctr_5d: (impressions_5d > 0).then(|| 100.0 * clicks_5d as f64 / impressions_5d as f64),
                impressions_5d,
                spend_to_date: index.and_then(|i| spend_to_date.get(&i)).copied().unwrap_or(0) as f64 / 100.0,
                incremental_week: incremental(w.treated, w.held, w.incremental_cents()),
                treated_revenue_week: w.treated_cents as f64 / 100.0,
                month_spend: m.spend_cents as f64 / 100.0,
                incremental_month: incremental(m.treated, m.held, m.incremental_cents()),
                treated_revenue_month: m.treated_cents as f64 / 100.0,
                held_month: m.held,
                reached_week: campaign_reach.0,
                deliveries_week: campaign_reach.1,
                unsubscribes_week: campaign_reach.2,
                by_segment,
                creatives,
            };
            CampaignFacts { input, measured }
        })
        .collect();

    let segments = SegmentType::ALL
        .iter()
        .map(|segment| {
            let (spend_cents, attributed_cents, impressions) = walked.segment_totals(*segment);
            SegmentFacts {
                segment: *segment,
                size: sizes.get(segment).copied().unwrap_or(0),
                reached: reach.by_segment.get(segment).copied().unwrap_or(0),
                spend: spend_cents / 100.0,
                revenue: attributed_cents as f64 / 100.0,
                impressions,
                roas: (spend_cents > 0.0).then(|| attributed_cents as f64 / spend_cents),
            }
        })
        .collect();
    Facts { now, campaigns: measured, segments, system, margin_rate: config.default_margin_rate }
}

/// Who was delivered to in a window: per campaign (users, deliveries, users who unsubscribed
/// after a delivery of it), per campaign and segment (users), per segment (users).
#[derive(Default)]
pub(crate) struct Reach {
    pub by_campaign: HashMap<u32, (u64, u64, u64)>,
    pub by_campaign_segment: HashMap<(u32, SegmentType), u64>,
    pub by_segment: HashMap<SegmentType, u64>,
}

/// One walk over a window's facts: the reach, and each campaign's figures per segment — what a
/// tally filtered on each segment gives for sends, impressions, clicks and last-touch revenue
/// (its spend split by its sends), in one pass instead of one per segment.
#[derive(Default)]
pub(crate) struct Walk {
    pub reach: Reach,
    /// Per campaign and segment (the segment of the fact's user at its time); `spend_cents` and
    /// `sends_all` are the campaign's, so `spend(true)` is the segment's share.
    pub slices: HashMap<(u32, SegmentType), CampaignTally>,
    /// Every send of a campaign in the window, whatever its segment (the split's denominator).
    sends_all: HashMap<u32, u64>,
    /// Per campaign, impressions and clicks from `recent_from` on (the 5-day CTR).
    pub recent: HashMap<u32, (u64, u64)>,
}

impl Walk {
    fn merge(&mut self, other: Walk) {
        for (k, v) in other.sends_all {
            *self.sends_all.entry(k).or_default() += v;
        }
        for (k, v) in other.recent {
            let e = self.recent.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        for (k, v) in other.reach.by_campaign {
            let e = self.reach.by_campaign.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
            e.2 += v.2;
        }
        for (k, v) in other.reach.by_campaign_segment {
            *self.reach.by_campaign_segment.entry(k).or_default() += v;
        }
        for (k, v) in other.reach.by_segment {
            *self.reach.by_segment.entry(k).or_default() += v;
        }
        for (k, v) in other.slices {
            self.slices.entry(k).or_default().merge(&v);
        }
    }

    /// A segment's figures over all campaigns, as a tally filtered on it would total them.
    pub fn segment_totals(&self, segment: SegmentType) -> (f64, i64, u64) {
        self.slices.iter().filter(|((_, s), _)| *s == segment).fold((0.0, 0, 0), |(spend, revenue, impressions), (_, c)| (spend + c.spend(true), revenue + c.attributed_cents, impressions + c.impressions))
    }
}

pub(crate) fn reach(store: &Store, from: i64, to: i64) -> Reach {
    walk(store, &Config::default(), from, to, to).reach
}

/// Walks `[from, to)` over the users (split over the cores, as the tallies are); impressions and
/// clicks are also counted from `recent_from` on.
pub(crate) fn walk(store: &Store, config: &Config, from: i64, to: i64, recent_from: i64) -> Walk {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = store.users.len().div_ceil(threads).max(20_000);
    let parts: Vec<Walk> = std::thread::scope(|s| {
        let handles: Vec<_> = store.users.chunks(chunk.max(1)).map(|users| s.spawn(move || walk_users(users, config, from, to, recent_from))).collect();
        handles.into_iter().map(|h| h.join().expect("a walk thread panicked")).collect()
    });
    let mut out = Walk::default();
    for part in parts {
        out.merge(part);
    }
    // Spend: each slice carries its campaign's, split by its share of the campaign's sends.
    let mut spend: HashMap<u32, i64> = HashMap::new();
    for line in store.spend.iter().filter(|l| l.at >= from && l.at < to) {
        *spend.entry(line.campaign).or_default() += line.cents;
    }
    for ((campaign, _), c) in out.slices.iter_mut() {
        c.spend_cents = spend.get(campaign).copied().unwrap_or(0);
        c.sends_all = out.sends_all.get(campaign).copied().unwrap_or(0);
    }
    out
}

fn walk_users(users: &[crate::metrics::store::UserFacts], config: &Config, from: i64, to: i64, recent_from: i64) -> Walk {
    let mut out = Walk::default();
    let lookback = config.lookback_hours * 3_600;
    let half_life = config.half_life_hours * 3_600.0;
    let mut mine: HashMap<u32, (bool, bool)> = HashMap::new();
    for (k, user) in users.iter().enumerate() {
        if let Some(next) = users.get(k + PREFETCH_AHEAD) {
            prefetch(next.facts.as_ptr());
        }
        if user.span.is_none_or(|(first, last)| last < from || first >= to) {
            continue;
        }
        mine.clear();
        let mut segment = None;
        let facts = &user.facts;
        let start = facts.iter().position(|f| f.at >= from).unwrap_or(facts.len());
        let end = start + facts[start..].iter().take_while(|f| f.at < to).count();
        for (i, f) in facts.iter().enumerate().take(end).skip(start) {
            let at_segment = user.segment_at(f.at, f.context_segment);
            match f.kind {
                Kind::Sent if f.campaign != NONE => {
                    *out.sends_all.entry(f.campaign).or_default() += 1;
                    if let Some(s) = at_segment {
                        out.slices.entry((f.campaign, s)).or_default().sends_matching += 1;
                    }
                    out.reach.by_campaign.entry(f.campaign).or_default().1 += 1;
                    mine.entry(f.campaign).or_default().0 = true;
                    // The user's segment at their latest delivery in the window.
                    segment = at_segment.or(segment);
                }
                Kind::Viewed if f.campaign != NONE => {
                    if let Some(s) = at_segment {
                        out.slices.entry((f.campaign, s)).or_default().impressions += 1;
                    }
                    if f.at >= recent_from {
                        out.recent.entry(f.campaign).or_default().0 += 1;
                    }
                }
                Kind::Clicked if f.campaign != NONE => {
                    if let Some(s) = at_segment {
                        out.slices.entry((f.campaign, s)).or_default().clicks += 1;
                    }
                    if f.at >= recent_from {
                        out.recent.entry(f.campaign).or_default().1 += 1;
                    }
                }
                Kind::Purchased => {
                    let Some(s) = at_segment else { continue };
                    let mut last_touch = None;
                    touch_credits(facts, i, lookback, half_life, |_, touch, credit| {
                        if credit[LAST_TOUCH] == 1.0 {
                            last_touch = Some(touch);
                        }
                    });
                    if let Some(last) = last_touch.filter(|t| t.campaign != NONE) {
                        let slice = out.slices.entry((last.campaign, s)).or_default();
                        slice.attributed_cents += f.cents;
                        slice.attributed_orders += 1;
                    }
                }
                Kind::Unsubscribed => {
                    // An unsubscribe counts against every campaign that delivered to the user in
                    // the window before it (or the one it names).
                    if f.campaign != NONE {
                        mine.entry(f.campaign).or_default().1 = true;
                    } else {
                        for flags in mine.values_mut().filter(|(sent, _)| *sent) {
                            flags.1 = true;
                        }
                    }
                }
                _ => {}
            }
        }
        if mine.values().any(|(sent, _)| *sent)
            && let Some(s) = segment
        {
            *out.reach.by_segment.entry(s).or_default() += 1;
        }
        for (campaign, (sent, unsubscribed)) in &mine {
            if !sent {
                continue;
            }
            let entry = out.reach.by_campaign.entry(*campaign).or_default();
            entry.0 += 1;
            entry.2 += u64::from(*unsubscribed);
            if let Some(s) = segment {
                *out.reach.by_campaign_segment.entry((*campaign, s)).or_default() += 1;
            }
        }
    }
    out
}
