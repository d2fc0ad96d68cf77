//! The dashboard's views beyond the 25 numbers (spec PART 3): the conversion funnel (module 6),
//! the engagement heatmap (module 7), the segment summary (module 3) and one campaign's detail
//! (module 4), from the store and for a filter and a window `[from, to)` in seconds.
//!
//! Every figure follows docs/metrics.md through the same scope rules as `tally` (a campaign event
//! matches on its own campaign and creative, segment, region and platform on each event, a
//! purchase on the campaign its last touch belongs to); where a view shows a metric (LTV, CAC,
//! CTR…) it asks `Query`, so the number is the one `/api/v1/metrics` gives for the same filter
//! and window.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::compute::{CampaignTally, Config, Filter, Query, Scope, SystemStats, Tally, tally, touches_before};
use super::definitions::MetricId;
use super::leaderboard::Performance;
use super::store::{Fact, Kind, NONE, PREFETCH_AHEAD, Store, prefetch};
use crate::domain::SegmentType;
use crate::stats;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

fn percent(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| 100.0 * num / den)
}

/// Whether `x` counts as "after the click" `c` (docs/metrics.md): the caller has already checked
/// it comes later; it must be in the click's session or within 24 h of it.
fn after_click(c: &Fact, x: &Fact) -> bool {
    x.at - c.at <= DAY || (c.session != NONE && x.session == c.session)
}

/// The touch a purchase at `i` is credited to by last touch: the latest impression or click of a
/// campaign at or before it and at most `lookback` seconds before it (as `tally`).
fn last_touch(facts: &[Fact], i: usize, lookback: i64) -> Option<&Fact> {
    touches_before(facts, i, lookback).next_back().map(|j| &facts[j])
}

// ---------------------------------------------------------------------------------------------
// Module 6: the conversion funnel.

/// A step of the funnel.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Impression,
    Click,
    AppOpen,
    AddToCart,
    Purchase,
}

impl Step {
    pub const ALL: [Step; 5] = [Step::Impression, Step::Click, Step::AppOpen, Step::AddToCart, Step::Purchase];

    pub fn label(self) -> &'static str {
        match self {
            Step::Impression => "Impression",
            Step::Click => "Click",
            Step::AppOpen => "App open",
            Step::AddToCart => "Add to cart",
            Step::Purchase => "Purchase",
        }
    }
}

/// One step: the users who reached it and how many of the step before did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub step: Step,
    pub label: String,
    /// Distinct users who reached this step (and so every step before it).
    pub users: u64,
    /// Users ÷ the previous step's users × 100 (null for the first step).
    pub rate: Option<f64>,
    /// Users ÷ the first step's users × 100.
    pub rate_from_first: Option<f64>,
    /// Users of the previous step who did not reach this one, and their share × 100.
    pub drop_off: Option<u64>,
    pub drop_off_rate: Option<f64>,
    /// Median seconds from the previous step to this one, over the users who reached it.
    pub median_seconds_from_previous: Option<f64>,
    /// Why a rate or the median is null.
    pub reason: Option<String>,
}

/// The funnel of a filter and window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub steps: Vec<FunnelStep>,
    /// Purchase users ÷ impression users × 100.
    pub overall_rate: Option<f64>,
    /// Purchase users ÷ click users × 100 (the spec's "final conversion").
    pub click_to_purchase_rate: Option<f64>,
    /// Metric 3's numerator: users who clicked in the window and purchased after the click,
    /// whether or not an app open and an add to cart were recorded in between.
    pub purchasers_after_click: u64,
    /// Attributed revenue (dollars) and AOV of the window, as `/api/v1/metrics`.
    pub revenue: f64,
    pub aov: Option<f64>,
    /// The headline reading of the numbers, and all of them.
    pub insight: String,
    pub insights: Vec<String>,
}

/// The funnel over `[from, to)`: a user reaches the impression step with an impression in scope
/// in the window; the click step with also a click in scope in the window; then, following one of
/// those clicks, an app open after it, an add to cart after that open, a purchase after that cart,
/// each "after the click" (same session or within 24 h, docs/metrics.md). Each step's users are
/// those of the step before who went on, so the steps never increase. The times between steps are
/// those of each user's first click that went furthest (impression: the latest impression in the
/// window of the same campaign before that click).
pub fn funnel(store: &Store, filter: &Filter, config: &Config, from: i64, to: i64) -> Funnel {
    let scope = Scope::new(store, filter);
    let mut users = [0u64; 5];
    let mut gaps: [Vec<f64>; 5] = Default::default();
    let mut purchasers_after_click = 0u64;
    for user in &store.users {
        let facts = &user.facts;
        let start = facts.partition_point(|f| f.at < from);
        let end = facts.partition_point(|f| f.at < to);
        let in_scope = |f: &Fact| scope.campaign(f) && scope.dimensions(user, f);
        if !facts[start..end].iter().any(|f| f.kind == Kind::Viewed && in_scope(f)) {
            continue;
        }
        // The click that goes furthest (the first of them), and the facts it leads to.
        let mut best: Option<(usize, [Option<usize>; 3])> = None;
        let mut bought_after_click = false;
        for i in start..end {
            let c = &facts[i];
            if c.kind != Kind::Clicked || !in_scope(c) {
                continue;
            }
            let mut path = [None; 3];
            let mut last = i;
            for (k, kind) in [Kind::AppOpen, Kind::AddToCart, Kind::Purchased].into_iter().enumerate() {
                match facts[last + 1..].iter().position(|x| x.kind == kind && after_click(c, x)) {
                    Some(j) => {
                        last += 1 + j;
                        path[k] = Some(last);
                    }
                    None => break,
                }
            }
            bought_after_click |= facts[i + 1..].iter().any(|x| x.kind == Kind::Purchased && after_click(c, x));
            let depth = path.iter().flatten().count();
            if best.is_none_or(|(_, b)| depth > b.iter().flatten().count()) {
                best = Some((i, path));
            }
        }
        users[0] += 1;
        purchasers_after_click += u64::from(bought_after_click);
        let Some((click, path)) = best else { continue };
        users[1] += 1;
        let c = &facts[click];
        if let Some(v) = facts[start..click].iter().rev().find(|v| v.kind == Kind::Viewed && v.campaign == c.campaign && in_scope(v)) {
            gaps[1].push((c.at - v.at) as f64);
        }
        let mut previous = c.at;
        for (k, index) in path.iter().enumerate() {
            let Some(index) = index else { break };
            users[k + 2] += 1;
            gaps[k + 2].push((facts[*index].at - previous) as f64);
            previous = facts[*index].at;
        }
    }

    let steps: Vec<FunnelStep> = Step::ALL
        .iter()
        .enumerate()
        .map(|(k, step)| {
            let previous = (k > 0).then(|| users[k - 1]);
            let rate = previous.and_then(|p| percent(users[k] as f64, p as f64));
            let median = stats::median(&mut gaps[k]);
            let reason = if k == 0 {
                (users[0] == 0).then(|| "no impression in scope in the window".to_owned())
            } else if previous == Some(0) {
                Some(format!("no user reached the {} step", Step::ALL[k - 1].label().to_lowercase()))
            } else if users[k] == 0 {
                Some(format!("no user went on to the {} step", step.label().to_lowercase()))
            } else if median.is_none() {
                Some("no impression of the clicked campaign in the window before the click".to_owned())
            } else {
                None
            };
            FunnelStep {
                step: *step,
                label: step.label().to_owned(),
                users: users[k],
                rate,
                rate_from_first: percent(users[k] as f64, users[0] as f64),
                drop_off: previous.map(|p| p - users[k]),
                drop_off_rate: rate.map(|r| 100.0 - r),
                median_seconds_from_previous: median,
                reason,
            }
        })
        .collect();
    let t = tally(store, filter, config, from, to);
    let insights = funnel_insights(&steps, purchasers_after_click);
    Funnel {
        overall_rate: percent(users[4] as f64, users[0] as f64),
        click_to_purchase_rate: percent(users[4] as f64, users[1] as f64),
        purchasers_after_click,
        revenue: t.attributed_cents as f64 / 100.0,
        aov: (t.attributed_orders > 0).then(|| t.attributed_cents as f64 / 100.0 / t.attributed_orders as f64),
        insight: insights[0].clone(),
        insights,
        steps,
    }
}

/// A count with thousands separators: "1,204".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 user", "1,204 users".
fn people(n: u64) -> String {
    format!("{} user{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// What the numbers say: the biggest drop-off, the biggest after the click when that is another,
/// the overall rate, and steps the data cannot show.
fn funnel_insights(steps: &[FunnelStep], purchasers_after_click: u64) -> Vec<String> {
    if steps[0].users == 0 {
        return vec!["No impressions in scope in the window, so there is no funnel to read.".to_owned()];
    }
    let mut out = Vec::new();
    let drop = |k: usize| steps[k].drop_off_rate.map(|d| (k, d));
    let biggest = |range: std::ops::Range<usize>| range.filter_map(drop).max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    let sentence = |(k, d): (usize, f64), prefix: &str| {
        format!(
            "{prefix} {} → {}: {d:.1}% of the {} who reached {} did not go on ({}).",
            steps[k - 1].label,
            steps[k].label.to_lowercase(),
            people(steps[k - 1].users),
            steps[k - 1].label.to_lowercase(),
            people(steps[k].drop_off.unwrap_or(0))
        )
    };
    if let Some(top) = biggest(1..5) {
        out.push(sentence(top, "The biggest drop-off is"));
        if top.0 == 1
            && let Some(after) = biggest(2..5)
        {
            out.push(sentence(after, "After the click, the biggest drop-off is"));
        }
    }
    let last = &steps[4];
    out.push(format!(
        "{} of the {} who saw a campaign purchased through the whole funnel ({}).",
        thousands(last.users),
        people(steps[0].users),
        last.rate_from_first.map_or("—".to_owned(), |r| format!("{r:.2}%"))
    ));
    if steps[1].users > 0 && steps[2].users == 0 {
        out.push("No app open was recorded after any click: check that producers send user_engaged (app_open) events.".to_owned());
    } else if steps[2].users > 0 && steps[3].users == 0 {
        out.push("No add to cart was recorded after any app open: check that producers send user_engaged (add_to_cart) events.".to_owned());
    }
    if purchasers_after_click > last.users {
        out.push(format!(
            "{} bought after a click without an app open and add to cart recorded in between; the conversion rate (metric 3) counts them, the last step does not.",
            people(purchasers_after_click - last.users)
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Counts by time bucket (the heatmap and the campaign's series).

/// Sends, impressions, clicks and attributed orders in one bucket.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub sends: u64,
    pub impressions: u64,
    pub clicks: u64,
    /// Purchases credited by last touch (the configured lookback) to a campaign in scope, by the
    /// purchase's time; their value in cents.
    pub orders: u64,
    pub revenue_cents: i64,
}

/// The counts of `[from, to)` in `n` buckets, each fact going to `bucket(at)` (or nowhere).
pub fn bucketed(store: &Store, filter: &Filter, config: &Config, from: i64, to: i64, n: usize, bucket: impl Fn(i64) -> Option<usize>) -> Vec<Counts> {
    let scope = Scope::new(store, filter);
    let lookback = config.lookback_hours * HOUR;
    let mut out = vec![Counts::default(); n];
    for user in &store.users {
        let facts = &user.facts;
        let start = facts.partition_point(|f| f.at < from);
        let end = facts.partition_point(|f| f.at < to);
        for i in start..end {
            let f = &facts[i];
            let wanted = match f.kind {
                Kind::Sent | Kind::Viewed | Kind::Clicked => scope.campaign(f) && scope.dimensions(user, f),
                Kind::Purchased => scope.dimensions(user, f) && last_touch(facts, i, lookback).is_some_and(|t| scope.campaign(t)),
                _ => false,
            };
            let Some(b) = wanted.then(|| bucket(f.at)).flatten() else { continue };
            let c = &mut out[b];
            match f.kind {
                Kind::Sent => c.sends += 1,
                Kind::Viewed => c.impressions += 1,
                Kind::Clicked => c.clicks += 1,
                _ => {
                    c.orders += 1;
                    c.revenue_cents += f.cents;
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Module 7: the engagement heatmap.

pub const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Engagement and conversions of a cell, a day, an hour or the whole window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    pub impressions: u64,
    pub clicks: u64,
    /// Clicks ÷ impressions × 100; null without impressions.
    pub click_rate: Option<f64>,
    /// Attributed purchases and their value in dollars.
    pub conversions: u64,
    pub revenue: f64,
}

impl Engagement {
    fn of(counts: &[Counts]) -> Engagement {
        let (impressions, clicks) = (counts.iter().map(|c| c.impressions).sum::<u64>(), counts.iter().map(|c| c.clicks).sum::<u64>());
        Engagement {
            impressions,
            clicks,
            click_rate: percent(clicks as f64, impressions as f64),
            conversions: counts.iter().map(|c| c.orders).sum(),
            revenue: counts.iter().map(|c| c.revenue_cents).sum::<i64>() as f64 / 100.0,
        }
    }
}

/// One hour of the week.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeatCell {
    /// 0 = Monday … 6 = Sunday.
    pub day: u8,
    /// UTC hour, 0–23.
    pub hour: u8,
    /// How many of the window's hours fall on this hour of the week (partial hours count).
    pub hours_in_window: u32,
    #[serde(flatten)]
    pub engagement: Engagement,
}

/// A peak hour of the week.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peak {
    pub day: u8,
    pub hour: u8,
    /// "Friday 19:00–20:00 UTC".
    pub label: String,
    pub clicks: u64,
    /// The cell's clicks ÷ the window's clicks × 100.
    pub share: f64,
    pub impressions: u64,
    pub click_rate: Option<f64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    pub days: Vec<String>,
    /// 7 rows (Monday first) of 24 cells (UTC hours).
    pub cells: Vec<Vec<HeatCell>>,
    pub by_day: Vec<Engagement>,
    pub by_hour: Vec<Engagement>,
    pub totals: Engagement,
    /// The top hours of the week by clicks (at most 3, only hours with clicks).
    pub peaks: Vec<Peak>,
    pub insight: String,
}

/// The cell of a time: `day × 24 + hour`, Monday first, UTC.
pub fn week_cell(seconds: i64) -> usize {
    let t = at(seconds);
    t.weekday().num_days_from_monday() as usize * 24 + t.hour() as usize
}

/// How many of `[from, to)`'s hours (partial ones included) fall on each hour of the week.
fn hours_per_cell(from: i64, to: i64) -> [u32; 168] {
    let mut out = [0u32; 168];
    let (mut hour, weeks) = (from.div_euclid(HOUR) * HOUR, (to - from) / (7 * DAY));
    // Whole weeks add one to every cell; the rest is walked hour by hour.
    if weeks > 1 {
        out.iter_mut().for_each(|c| *c = (weeks - 1) as u32);
        hour += (weeks - 1) * 7 * DAY;
    }
    while hour < to {
        out[week_cell(hour)] += 1;
        hour += HOUR;
    }
    out
}

pub const PEAKS: usize = 3;

/// Impressions, clicks and attributed purchases by hour of the week over `[from, to)`.
pub fn heatmap(store: &Store, filter: &Filter, config: &Config, from: i64, to: i64) -> Heatmap {
    let counts = bucketed(store, filter, config, from, to, 168, |t| Some(week_cell(t)));
    let hours = hours_per_cell(from, to);
    let cells: Vec<Vec<HeatCell>> = (0..7)
        .map(|d| (0..24).map(|h| HeatCell { day: d as u8, hour: h as u8, hours_in_window: hours[d * 24 + h], engagement: Engagement::of(&counts[d * 24 + h..=d * 24 + h]) }).collect())
        .collect();
    let by_day = (0..7).map(|d| Engagement::of(&counts[d * 24..(d + 1) * 24])).collect();
    let by_hour = (0..24).map(|h| Engagement::of(&(0..7).map(|d| counts[d * 24 + h]).collect::<Vec<_>>())).collect();
    let totals = Engagement::of(&counts);
    let mut ranked: Vec<&HeatCell> = cells.iter().flatten().filter(|c| c.engagement.clicks > 0).collect();
    ranked.sort_by(|a, b| b.engagement.clicks.cmp(&a.engagement.clicks).then(b.engagement.impressions.cmp(&a.engagement.impressions)).then((a.day, a.hour).cmp(&(b.day, b.hour))));
    let peaks: Vec<Peak> = ranked
        .iter()
        .take(PEAKS)
        .map(|c| Peak {
            day: c.day,
            hour: c.hour,
            label: format!("{} {:02}:00–{:02}:00 UTC", DAYS[c.day as usize], c.hour, (c.hour + 1) % 24),
            clicks: c.engagement.clicks,
            share: 100.0 * c.engagement.clicks as f64 / totals.clicks as f64,
            impressions: c.engagement.impressions,
            click_rate: c.engagement.click_rate,
        })
        .collect();
    let insight = if peaks.is_empty() {
        if totals.impressions == 0 { "No impressions in scope in the window.".to_owned() } else { "Impressions but no clicks in scope in the window, so there is no peak to name.".to_owned() }
    } else {
        let share: f64 = peaks.iter().map(|p| p.share).sum();
        let mut text = format!(
            "The top {} hours of the week by clicks ({}) hold {share:.1}% of the window's {} clicks.",
            peaks.len(),
            peaks.iter().map(|p| p.label.trim_end_matches(" UTC").to_owned()).collect::<Vec<_>>().join(", "),
            thousands(totals.clicks)
        );
        let missing = hours.iter().filter(|h| **h == 0).count();
        if missing > 0 {
            text.push_str(&format!(" The window covers {} of the week's 168 hours; the others show 0.", 168 - missing));
        }
        text
    };
    Heatmap { days: DAYS.iter().map(|d| (*d).to_owned()).collect(), cells, by_day, by_hour, totals, peaks, insight }
}

// ---------------------------------------------------------------------------------------------
// Module 3: the segments.

/// One segment over the window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    pub segment: SegmentType,
    pub definition: String,
    /// Users known by the window's end whose segment then is this one.
    pub size: u64,
    /// Metrics 9, 4, 8, 2 and 3 under `segment=<this>` for the same window (as `/api/v1/metrics`).
    pub ltv: Option<f64>,
    pub cac: Option<f64>,
    pub aov: Option<f64>,
    pub ctr: Option<f64>,
    pub conversion_rate: Option<f64>,
    pub impressions: u64,
    pub clicks: u64,
    /// Attributed revenue (dollars), the same over the window of equal length before, and the
    /// change: (revenue − previous) ÷ |previous|.
    pub revenue: f64,
    pub previous_revenue: f64,
    pub trend: Option<f64>,
    /// Every purchase of the segment's users in the window (organic included) and its buyers.
    pub purchase_revenue: f64,
    pub purchasers: u64,
    /// Why a figure is null, by its name.
    pub reasons: BTreeMap<String, String>,
}

/// Users known by `to` (an event or segment assignment before it) by their segment at the
/// window's end (the latest `user_segmented` before `to`, else the context of their latest event).
/// A campaign, type, status or creative filter keeps users who received a send of a matching
/// campaign before `to` (as metrics 9–13); a region or platform filter those whose latest event
/// before `to` matches it.
pub fn segment_sizes(store: &Store, filter: &Filter, to: i64) -> BTreeMap<SegmentType, u64> {
    let unsegmented = Filter { segments: Vec::new(), ..filter.clone() };
    let scope = Scope::new(store, &unsegmented);
    let narrows = filter.narrows_campaigns();
    let dimensions = !filter.regions.is_empty() || !filter.platforms.is_empty();
    let mut out = BTreeMap::new();
    for (k, user) in store.users.iter().enumerate() {
        if let Some(next) = store.users.get(k + PREFETCH_AHEAD).and_then(|u| u.facts.last()) {
            prefetch(next);
        }
        // Most users' facts all lie before `to` (a window ending now): no search then.
        let end = if user.span.is_some_and(|(_, last)| last < to) { user.facts.len() } else { user.facts.partition_point(|f| f.at < to) };
        let latest = end.checked_sub(1).map(|i| &user.facts[i]);
        if narrows && !user.facts[..end].iter().any(|f| f.kind == Kind::Sent && scope.campaign(f)) {
            continue;
        }
        if dimensions && !latest.is_some_and(|f| scope.dimensions(user, f)) {
            continue;
        }
        if let Some(segment) = user.segment_at(to - 1, latest.and_then(|f| f.context_segment)) {
            *out.entry(segment).or_default() += 1;
        }
    }
    out
}

/// Each segment (those of the filter, else all 8) over `[from, to)`, the other filters applying.
pub fn segments(store: &Store, filter: &Filter, config: &Config, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<SegmentSummary> {
    let list: Vec<SegmentType> = if filter.segments.is_empty() { SegmentType::ALL.to_vec() } else { SegmentType::ALL.iter().copied().filter(|s| filter.segments.contains(s)).collect() };
    let system = SystemStats::default();
    let ids = [MetricId::Ltv, MetricId::Cac, MetricId::Aov, MetricId::Ctr, MetricId::ConversionRate];
    let mut sizes: Option<BTreeMap<SegmentType, u64>> = None;
    let mut out = Vec::new();
    for segment in list {
        let one = Filter { segments: vec![segment], ..filter.clone() };
        let query = Query { store, system: &system, filter: &one, config, from: Some(from), to: Some(to), now: to };
        let mut cache: HashMap<(i64, i64), Tally> = HashMap::new();
        let values = query.some_cached(&ids, &mut cache);
        let (start, end) = query.window(MetricId::Ctr);
        let start = start.unwrap_or(end);
        let sizes = sizes.get_or_insert_with(|| segment_sizes(store, filter, end));
        let current = cache.entry((start, end)).or_insert_with(|| tally(store, &one, config, start, end)).clone();
        let previous = cache.entry((2 * start - end, start)).or_insert_with(|| tally(store, &one, config, 2 * start - end, start));
        let mut reasons = BTreeMap::new();
        for v in &values {
            if let Some(reason) = &v.reason {
                reasons.insert(v.id.as_str().to_owned(), reason.clone());
            }
        }
        let revenue = current.attributed_cents as f64 / 100.0;
        let previous_revenue = previous.attributed_cents as f64 / 100.0;
        let trend = (previous_revenue != 0.0).then(|| (revenue - previous_revenue) / previous_revenue.abs());
        if trend.is_none() {
            reasons.insert("trend".to_owned(), "no attributed revenue in the window of the same length before".to_owned());
        }
        out.push(SegmentSummary {
            segment,
            definition: segment.definition().to_owned(),
            size: sizes.get(&segment).copied().unwrap_or(0),
            ltv: values[0].value,
            cac: values[1].value,
            aov: values[2].value,
            ctr: values[3].value,
            conversion_rate: values[4].value,
            impressions: current.impressions,
            clicks: current.clicks,
            revenue,
            previous_revenue,
            trend,
            purchase_revenue: current.revenue_cents as f64 / 100.0,
            purchasers: current.purchasers,
            reasons,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Module 4: one campaign.

/// One bucket of a campaign's series.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub sends: u64,
    pub impressions: u64,
    pub clicks: u64,
    /// Purchases attributed to the campaign (by their time) and their value in dollars.
    pub orders: u64,
    pub revenue: f64,
}

/// Users by how many impressions of the campaign they had in the window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyBucket {
    /// "1", "2", "3", "4" or "5+".
    pub impressions: String,
    pub users: u64,
    /// Of the users with an impression, × 100.
    pub share: Option<f64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frequency {
    pub buckets: Vec<FrequencyBucket>,
    pub users: u64,
    pub impressions: u64,
    /// Impressions ÷ users (metric 16 for this campaign).
    pub average: Option<f64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentPerformance {
    pub segment: SegmentType,
    #[serde(flatten)]
    pub performance: Performance,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreativePerformance {
    pub creative_id: Uuid,
    #[serde(flatten)]
    pub performance: Performance,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDetail {
    pub totals: Performance,
    /// By UTC day over the window (the first and last days may be partial).
    pub daily: Vec<SeriesPoint>,
    /// By UTC hour over the window's last 48 hours.
    pub hourly: Vec<SeriesPoint>,
    pub segments: Vec<SegmentPerformance>,
    pub frequency: Frequency,
    pub creatives: Vec<CreativePerformance>,
    /// What the series leave out, if anything.
    pub notes: Vec<String>,
}

/// The most points a series has (the latest are kept).
pub const MAX_POINTS: usize = 744;

/// `[from, to)` cut at multiples of `step` seconds since the epoch (UTC midnights, hours).
fn cut(from: i64, to: i64, step: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = ((start.div_euclid(step) + 1) * step).min(to);
        out.push((start, end));
        start = end;
    }
    out
}

fn series(store: &Store, filter: &Filter, config: &Config, bounds: &[(i64, i64)]) -> Vec<SeriesPoint> {
    let (Some(first), Some(last)) = (bounds.first(), bounds.last()) else { return Vec::new() };
    let counts = bucketed(store, filter, config, first.0, last.1, bounds.len(), |t| Some(bounds.partition_point(|b| b.1 <= t)).filter(|i| *i < bounds.len()));
    bounds
        .iter()
        .zip(counts)
        .map(|((from, to), c)| SeriesPoint { from: at(*from), to: at(*to), sends: c.sends, impressions: c.impressions, clicks: c.clicks, orders: c.orders, revenue: c.revenue_cents as f64 / 100.0 })
        .collect()
}

/// One campaign over `[from, to)` under the filter (its campaign list is replaced by this one),
/// or `None` when the store does not know the campaign.
pub fn campaign_detail(store: &Store, filter: &Filter, config: &Config, campaign: Uuid, from: i64, to: i64) -> Option<CampaignDetail> {
    let index = store.campaign_index(campaign)?;
    let filter = Filter { campaigns: vec![campaign], ..filter.clone() };
    let empty = CampaignTally::default();
    let t = tally(store, &filter, config, from, to);
    let totals = Performance::of(t.campaigns.get(&index).unwrap_or(&empty), filter.splits_spend());
    let creatives = store
        .creatives
        .iter()
        .enumerate()
        .filter(|(_, (id, c))| *c == index && (filter.creatives.is_empty() || filter.creatives.contains(id)))
        .map(|(i, (id, _))| CreativePerformance { creative_id: *id, performance: Performance::of(t.creatives.get(&(i as u32)).unwrap_or(&empty), true) })
        .collect();
    let segments = SegmentType::ALL
        .iter()
        .filter(|s| filter.segments.is_empty() || filter.segments.contains(s))
        .map(|s| {
            let one = Filter { segments: vec![*s], ..filter.clone() };
            let t = tally(store, &one, config, from, to);
            SegmentPerformance { segment: *s, performance: Performance::of(t.campaigns.get(&index).unwrap_or(&empty), true) }
        })
        .collect();

    let mut notes = Vec::new();
    let mut daily = cut(from, to, DAY);
    if daily.len() > MAX_POINTS {
        daily.drain(..daily.len() - MAX_POINTS);
        notes.push(format!("the daily series shows the window's last {MAX_POINTS} days"));
    }
    let hourly = cut(from.max(to - 48 * HOUR), to, HOUR);

    // Frequency: impressions of this campaign in scope per user.
    let scope = Scope::new(store, &filter);
    let mut buckets = [0u64; 5];
    let (mut users, mut impressions) = (0u64, 0u64);
    for user in &store.users {
        let facts = &user.facts;
        let (start, end) = (facts.partition_point(|f| f.at < from), facts.partition_point(|f| f.at < to));
        let n = facts[start..end].iter().filter(|f| f.kind == Kind::Viewed && scope.campaign(f) && scope.dimensions(user, f)).count();
        if n > 0 {
            buckets[n.min(5) - 1] += 1;
            users += 1;
            impressions += n as u64;
        }
    }
    let frequency = Frequency {
        buckets: buckets
            .iter()
            .enumerate()
            .map(|(i, n)| FrequencyBucket { impressions: if i == 4 { "5+".to_owned() } else { (i + 1).to_string() }, users: *n, share: percent(*n as f64, users as f64) })
            .collect(),
        users,
        impressions,
        average: (users > 0).then(|| impressions as f64 / users as f64),
    };
    Some(CampaignDetail {
        totals,
        daily: series(store, &filter, config, &daily),
        hourly: series(store, &filter, config, &hourly),
        segments,
        frequency,
        creatives,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CampaignStatus, CampaignType, DeliveryChannel};
    use crate::events::{RawEvent, Rules, validate};
    use crate::metrics::CampaignInfo;
    use crate::simulator::{Faults, SimConfig, world};
    use chrono::Duration;
    use serde_json::{Value, json};

    const CAMPAIGN: &str = "6f1c2d3e-0000-4000-8000-000000000001";
    const OTHER: &str = "6f1c2d3e-0000-4000-8000-000000000002";
    const CREATIVE: &str = "6f1c2d3e-0000-4000-8000-0000000000c1";
    const OTHER_CREATIVE: &str = "6f1c2d3e-0000-4000-8000-0000000000c2";

    fn start() -> DateTime<Utc> {
        // A Monday.
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap()
    }

    fn store_with(events: &[Value]) -> Store {
        let mut store = Store::new();
        for (id, name) in [(CAMPAIGN, "Main"), (OTHER, "Other")] {
            let info = CampaignInfo {
                id: id.parse().unwrap(),
                name: name.to_owned(),
                campaign_type: CampaignType::Discount,
                status: CampaignStatus::Active,
                channels: vec![DeliveryChannel::Push],
                budget_cents: 100_000,
                holdout_share: 0.1,
                starts_at: None,
            };
            let creatives: Vec<Uuid> = vec![if id == CAMPAIGN { CREATIVE } else { OTHER_CREATIVE }.parse().unwrap()];
            store.set_campaign(info, &creatives);
        }
        let now = start() + Duration::days(30);
        for e in events {
            let raw: RawEvent = serde_json::from_value(e.clone()).unwrap();
            store.apply(&validate(raw, now, Rules { allow_backfill: true }).unwrap(), now);
        }
        store
    }

    /// An event `minutes` after the start; `session` and the segment optional.
    fn event(kind: &str, user: &str, minutes: i64, session: Option<&str>, segment: &str, properties: Value) -> Value {
        let mut e = json!({
            "event_id": Uuid::new_v4().to_string(), "event_type": kind, "timestamp": (start() + Duration::minutes(minutes)).to_rfc3339(),
            "user_id": user, "source": "mobile", "properties": properties,
            "context": { "platform": "iOS", "region": "US-CA", "user_segment": segment }
        });
        if let Some(s) = session {
            e["session_id"] = Value::from(s);
        }
        e
    }

    fn viewed(user: &str, minutes: i64, campaign: &str) -> Value {
        let creative = if campaign == CAMPAIGN { CREATIVE } else { OTHER_CREATIVE };
        event("campaign_viewed", user, minutes, None, "HIGH_SPENDER", json!({ "campaign_id": campaign, "creative_id": creative, "view_duration_seconds": 3, "view_type": "opened" }))
    }

    fn clicked(user: &str, minutes: i64, session: Option<&str>) -> Value {
        event("campaign_clicked", user, minutes, session, "HIGH_SPENDER", json!({ "campaign_id": CAMPAIGN, "creative_id": CREATIVE, "click_type": "cta", "time_to_click_seconds": 5 }))
    }

    fn engaged(user: &str, minutes: i64, session: Option<&str>, kind: &str) -> Value {
        event("user_engaged", user, minutes, session, "HIGH_SPENDER", json!({ "engagement_type": kind }))
    }

    fn bought(user: &str, minutes: i64, session: Option<&str>, value: f64) -> Value {
        event("user_purchased", user, minutes, session, "HIGH_SPENDER", json!({ "order_id": Uuid::new_v4().to_string(), "order_value": value, "payment_method": "card" }))
    }

    fn sent(user: &str, minutes: i64, segment: &str) -> Value {
        event(
            "campaign_delivered",
            user,
            minutes,
            None,
            segment,
            json!({ "campaign_id": CAMPAIGN, "campaign_type": "DISCOUNT", "creative_id": CREATIVE, "segment_id": segment, "delivery_channel": "push", "is_holdout": false, "allocation_method": "random" }),
        )
    }

    fn window() -> (i64, i64) {
        (start().timestamp(), (start() + Duration::days(7)).timestamp())
    }

    #[test]
    fn the_funnel_follows_each_click_through_its_session_or_the_next_24_hours() {
        let events = vec![
            // a: the whole way in one session, the purchase two days later (same session counts).
            viewed("a", 0, CAMPAIGN),
            clicked("a", 1, Some("s-a")),
            engaged("a", 2, Some("s-a"), "app_open"),
            engaged("a", 5, Some("s-a"), "add_to_cart"),
            bought("a", 2 * 24 * 60, Some("s-a"), 40.0),
            // b: opens and adds to cart within 24 h without a session, then buys 3 days later (too late).
            viewed("b", 10, CAMPAIGN),
            clicked("b", 12, None),
            engaged("b", 20, None, "app_open"),
            engaged("b", 30, None, "add_to_cart"),
            bought("b", 3 * 24 * 60, None, 10.0),
            // c: adds to cart before opening the app: only the open counts.
            viewed("c", 10, CAMPAIGN),
            clicked("c", 11, Some("s-c")),
            engaged("c", 12, Some("s-c"), "add_to_cart"),
            engaged("c", 13, Some("s-c"), "app_open"),
            // d: clicks without an impression in the window: not in the funnel.
            clicked("d", 11, None),
            engaged("d", 12, None, "app_open"),
            // e: sees another campaign only.
            viewed("e", 10, OTHER),
            // f: impression only; g: impression and click, then buys in the same session with no open or cart.
            viewed("f", 10, CAMPAIGN),
            viewed("g", 10, CAMPAIGN),
            clicked("g", 15, Some("s-g")),
            bought("g", 40, Some("s-g"), 25.0),
        ];
        let store = store_with(&events);
        let (from, to) = window();
        let only = Filter { campaigns: vec![CAMPAIGN.parse().unwrap()], ..Filter::default() };
        let f = funnel(&store, &only, &crate::metrics::Config::default(), from, to);
        let users: Vec<u64> = f.steps.iter().map(|s| s.users).collect();
        assert_eq!(users, [5, 4, 3, 2, 1], "a, b, c, f, g / a, b, c, g / a, b, c / a, b / a");
        assert_eq!(f.purchasers_after_click, 2, "a (session) and g (same session, no cart); b's purchase was 3 days later");
        assert_eq!(f.steps[1].rate, Some(80.0));
        assert_eq!((f.steps[2].drop_off, f.steps[2].drop_off_rate), (Some(1), Some(25.0)));
        assert_eq!(f.overall_rate, Some(20.0));
        assert_eq!(f.click_to_purchase_rate, Some(25.0));
        // Impression → click: a 1, b 2, c 1, g 5 minutes: median 1.5 minutes.
        assert_eq!(f.steps[1].median_seconds_from_previous, Some(90.0));
        // Click → open: a 1, b 8, c 2 minutes.
        assert_eq!(f.steps[2].median_seconds_from_previous, Some(120.0));
        assert_eq!(f.steps[4].median_seconds_from_previous, Some((2.0 * 24.0 * 60.0 - 5.0) * 60.0));
        assert!(f.insight.contains("Add to cart → purchase") || f.insight.contains("Impression → click"), "{}", f.insight);
        assert!(f.insights.iter().any(|i| i.starts_with("1 user bought after a click without")), "{:?}", f.insights);
        assert_eq!((f.revenue, f.aov), (75.0, Some(25.0)), "every purchase is attributed (b's click is 3 days old, within the 7-day lookback)");

        let none = funnel(&store, &only, &crate::metrics::Config::default(), to, to + 7 * DAY);
        assert!(none.steps.iter().all(|s| s.users == 0) && none.overall_rate.is_none());
        assert!(none.steps[1].reason.as_deref().unwrap().contains("impression"), "{:?}", none.steps[1]);
    }

    #[test]
    fn heatmap_cells_and_campaign_series_add_up_to_the_tally() {
        let config = SimConfig { seed: 31, users: 4_000, days: 10, campaigns: 6, start: start(), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
        let sim = world(&config);
        let now = config.start + Duration::days(10);
        let (store, _) = Store::from_simulation(&sim);
        let cfg = crate::metrics::Config::default();
        // Bounds inside hours, so the first and last hours and days are partial.
        let (from, to) = (config.start.timestamp() + 5 * HOUR + 17 * 60, now.timestamp() - 3 * HOUR - 20 * 60);
        for filter in [Filter::default(), Filter { segments: vec![SegmentType::Inactive, SegmentType::HighSpender], platforms: vec![crate::Platform::Ios], ..Filter::default() }] {
            let t = tally(&store, &filter, &cfg, from, to);
            let h = heatmap(&store, &filter, &cfg, from, to);
            assert_eq!((h.totals.impressions, h.totals.clicks, h.totals.conversions), (t.impressions, t.clicks, t.attributed_orders));
            assert!((h.totals.revenue - t.attributed_cents as f64 / 100.0).abs() < 1e-6);
            let cells: u64 = h.cells.iter().flatten().map(|c| c.engagement.clicks).sum();
            assert_eq!(cells, t.clicks);
            assert_eq!(h.cells.len(), 7);
            assert!(h.cells.iter().all(|row| row.len() == 24));
            assert_eq!(h.cells.iter().flatten().map(|c| c.hours_in_window).sum::<u32>() as i64, (to - from.div_euclid(HOUR) * HOUR + HOUR - 1) / HOUR, "partial first and last hours");
            let with_clicks = h.cells.iter().flatten().filter(|c| c.engagement.clicks > 0).count();
            assert!(with_clicks > 0 && h.peaks.len() == with_clicks.min(PEAKS) && h.peaks.windows(2).all(|w| w[0].clicks >= w[1].clicks));
            let top = h.cells.iter().flatten().map(|c| c.engagement.clicks).max().unwrap();
            assert_eq!(h.peaks[0].clicks, top);

            let f = funnel(&store, &filter, &cfg, from, to);
            assert!(f.steps.windows(2).all(|w| w[0].users >= w[1].users), "{:?}", f.steps);
            assert_eq!(f.steps[0].users, t.viewers);
            assert!(f.steps[1].users <= t.clickers && f.steps[4].users <= t.converters && f.purchasers_after_click <= t.converters);
            if filter == Filter::default() {
                assert!(f.steps[2].users > 0 && f.steps[3].users > 0 && f.steps[4].users > 0, "{:?}", f.steps);
            }

            for c in &sim.campaigns {
                let d = campaign_detail(&store, &filter, &cfg, c.id, from, to).unwrap();
                let sum = |s: &[SeriesPoint], g: fn(&SeriesPoint) -> u64| s.iter().map(g).sum::<u64>();
                assert_eq!(sum(&d.daily, |p| p.sends), d.totals.sends);
                assert_eq!(sum(&d.daily, |p| p.impressions), d.totals.impressions);
                assert_eq!(sum(&d.daily, |p| p.clicks), d.totals.clicks);
                assert_eq!(sum(&d.daily, |p| p.orders), d.totals.orders);
                assert!((d.daily.iter().map(|p| p.revenue).sum::<f64>() - d.totals.revenue).abs() < 1e-6);
                assert_eq!(d.daily.first().unwrap().from.timestamp(), from);
                assert_eq!(d.daily.last().unwrap().to.timestamp(), to);
                assert_eq!(d.hourly.len(), 49, "48 hours, not on an hour boundary");
                assert_eq!(d.hourly.first().unwrap().from.timestamp(), to - 48 * HOUR);
                assert_eq!(d.frequency.impressions, d.totals.impressions);
                assert_eq!(d.frequency.buckets.iter().map(|b| b.users).sum::<u64>(), d.frequency.users);
                assert_eq!(d.creatives.iter().map(|k| k.performance.impressions).sum::<u64>(), d.totals.impressions);
                let by_segment: u64 = d.segments.iter().map(|s| s.performance.impressions).sum();
                assert_eq!(by_segment, d.totals.impressions, "every impression has one segment");
            }
        }
        assert!(campaign_detail(&store, &Filter::default(), &cfg, Uuid::nil(), from, to).is_none());
    }

    #[test]
    fn segment_sizes_take_the_segment_at_the_windows_end() {
        let events = vec![
            sent("a", 0, "HIGH_SPENDER"),
            event("user_segmented", "a", 60, None, "HIGH_SPENDER", json!({ "segment_type": "INACTIVE", "segment_score": 0.5 })),
            sent("b", 0, "NEW_SHOPPER"),
            event("user_segmented", "b", 8 * 24 * 60, None, "NEW_SHOPPER", json!({ "segment_type": "INACTIVE", "segment_score": 0.5 })),
            viewed("c", 10, OTHER),
            // Known only after the window.
            viewed("d", 9 * 24 * 60, OTHER),
        ];
        let store = store_with(&events);
        let (_, to) = window();
        let sizes = segment_sizes(&store, &Filter::default(), to);
        assert_eq!(sizes.get(&SegmentType::Inactive), Some(&1), "a was re-segmented in the window");
        assert_eq!(sizes.get(&SegmentType::NewShopper), Some(&1), "b only after it");
        assert_eq!(sizes.get(&SegmentType::HighSpender), Some(&1), "c by its event's context");
        let reached = segment_sizes(&store, &Filter { campaigns: vec![CAMPAIGN.parse().unwrap()], ..Filter::default() }, to);
        assert_eq!(reached.values().sum::<u64>(), 2, "a campaign filter keeps the users it reached");

        let summaries = segments(&store, &Filter::default(), &crate::metrics::Config::default(), start(), start() + Duration::days(7));
        assert_eq!(summaries.len(), 8);
        let high = summaries.iter().find(|s| s.segment == SegmentType::HighSpender).unwrap();
        assert_eq!((high.size, high.impressions), (1, 1));
        assert!(high.ctr == Some(0.0) && high.trend.is_none() && high.reasons.contains_key("trend") && high.reasons.contains_key("cac"), "{high:?}");
    }

    #[test]
    fn hours_per_cell_counts_every_hour_of_long_windows() {
        let from = start().timestamp() + 30 * 60;
        let to = from + 20 * DAY + 5 * HOUR;
        let hours = hours_per_cell(from, to);
        assert_eq!(hours.iter().sum::<u32>() as i64, (to - from) / HOUR + 1);
        assert_eq!(hours[0], 3, "Monday 00:00 three times (the first partially)");
        assert_eq!(week_cell(start().timestamp() + 6 * DAY + 23 * HOUR), 167, "Sunday 23:00 is the last cell");
    }
}
