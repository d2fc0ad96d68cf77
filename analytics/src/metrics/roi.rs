//! Treatment vs holdout for one campaign (metrics 18–20 per campaign, Module 8): rates with
//! intervals, the lift with its interval and test, revenue per user with Welch's test, the
//! sample-ratio check and the effect the test can detect.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::compute::{CampaignTally, Parts, Window};
use crate::stats::{self, Interval, Summary, TestResult};

/// Confidence of every interval here.
pub const CONFIDENCE: f64 = 0.95;
/// The sample-ratio check fails below this p-value (spec: flagged when p < 0.001).
pub const SRM_ALPHA: f64 = 0.001;

/// One campaign's incrementality.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoiRow {
    pub campaign_id: Uuid,
    pub name: String,
    pub treated_users: u64,
    pub holdout_users: u64,
    pub treated_converted: u64,
    pub holdout_converted: u64,
    pub treated_rate: Option<f64>,
    pub holdout_rate: Option<f64>,
    pub treated_rate_interval: Option<Interval>,
    pub holdout_rate_interval: Option<Interval>,
    /// pt − pc, with Newcombe's interval and the two-proportion z-test.
    pub absolute_lift: Option<f64>,
    pub absolute_lift_interval: Option<Interval>,
    pub lift_test: Option<TestResult>,
    /// (pt − pc) ÷ pc (metric 19), with Katz's interval.
    pub relative_lift: Option<f64>,
    pub relative_lift_interval: Option<Interval>,
    /// Ct − Nt·Cc/Nc, and its share of Ct (metric 18), percent, with its interval from Katz's
    /// interval of the rate ratio (`stats::incremental_share`).
    pub incremental_conversions: Option<f64>,
    pub incrementality_percent: Option<f64>,
    #[serde(default)]
    pub incrementality_interval: Option<Interval>,
    /// Revenue per user in each group, dollars, and Welch's test of the difference.
    pub treated_revenue_per_user: Option<f64>,
    pub holdout_revenue_per_user: Option<f64>,
    pub revenue_per_user_interval: Option<Interval>,
    pub revenue_test: Option<TestResult>,
    /// Rt − Nt·Rc/Nc and that minus spend (metric 20), dollars.
    pub incremental_revenue: Option<f64>,
    pub spend: f64,
    pub net_incremental_revenue: Option<f64>,
    /// Module 8's unit economics, per incremental conversion (only while there are more
    /// conversions than the holdout predicts): incremental revenue, spend, and their difference.
    #[serde(default)]
    pub revenue_per_incremental_conversion: Option<f64>,
    #[serde(default)]
    pub cost_per_incremental_conversion: Option<f64>,
    #[serde(default)]
    pub net_per_incremental_conversion: Option<f64>,
    /// Chi-square of the split against the planned holdout share; `balanced` is false when p < 0.001.
    pub planned_holdout_share: f64,
    pub sample_ratio: Option<TestResult>,
    pub balanced: Option<bool>,
    /// The smallest absolute lift detectable at α = 0.05 with 80% power at these group sizes.
    pub minimum_detectable_effect: Option<f64>,
    /// Whether the lift is significant at 5% (and the split is balanced).
    pub significant: Option<bool>,
}

/// What a campaign's holdout comparison says, in plain words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The observed split fails the sample-ratio check: the comparison cannot be trusted.
    Unbalanced,
    LikelyPositive,
    LikelyNegative,
    /// Enough users, no significant lift.
    NoEvidenceYet,
    NotEnoughData,
}

impl Verdict {
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Unbalanced => "Split unbalanced: check the holdout assignment",
            Verdict::LikelyPositive => "Likely positive",
            Verdict::LikelyNegative => "Likely negative",
            Verdict::NoEvidenceYet => "Not enough evidence of a lift yet",
            Verdict::NotEnoughData => "Not enough data yet",
        }
    }
}

impl RoiRow {
    /// The verdict, from the split check, the significance test and the lift's sign.
    pub fn verdict(&self) -> Verdict {
        match (self.balanced, self.significant, self.absolute_lift) {
            (Some(false), _, _) => Verdict::Unbalanced,
            (_, Some(true), Some(lift)) if lift > 0.0 => Verdict::LikelyPositive,
            (_, Some(true), Some(_)) => Verdict::LikelyNegative,
            (_, Some(false), _) => Verdict::NoEvidenceYet,
            _ => Verdict::NotEnoughData,
        }
    }
}

/// Incrementality of the users first assigned on one day (Module 8's "over time" drill: does the
/// lift fade for later cohorts?). Pooled over the campaigns with both groups that day, as metric
/// 18 pools them; the interval only when one campaign is measured, where it means one thing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayLift {
    /// Start of the day (UTC), or of the period on its first day.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Users first assigned that day to each group, and those who purchased within their
    /// measurement window, over every campaign of the filter.
    pub treated_users: u64,
    pub holdout_users: u64,
    pub treated_converted: u64,
    pub holdout_converted: u64,
    /// Σ (Ct − Nt·Cc/Nc) over the day's campaigns with both groups.
    pub incremental_conversions: Option<f64>,
    /// That ÷ their Σ Ct × 100.
    pub incrementality_percent: Option<f64>,
    pub incrementality_interval: Option<Interval>,
    /// Campaigns with both groups that day.
    pub campaigns: usize,
}

/// The longest period drilled day by day.
pub const MAX_DAYS: i64 = 92;

/// The windows of [`DayLift`]s: one per UTC day of `[from, to)` (seconds; the last `MAX_DAYS`
/// days of it), each a window of first assignments. A caller tallies them with its other windows
/// (one walk over the users) and hands the tallies to `day_lifts`.
pub fn day_windows(from: i64, to: i64) -> Vec<Window> {
    const DAY: i64 = 86_400;
    let mut windows = Vec::new();
    let mut start = from.max(to - MAX_DAYS * DAY);
    while start < to {
        let end = ((start.div_euclid(DAY) + 1) * DAY).min(to);
        windows.push(Window { from: start, to: end, parts: Parts { incrementality: true, ..Parts::default() } });
        start = end;
    }
    windows
}

/// The days' lifts from the tallies of `day_windows`.
pub fn day_lifts(windows: &[Window], tallies: Vec<super::Tally>) -> Vec<DayLift> {
    let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap_or_default();
    windows
        .iter()
        .zip(tallies)
        .map(|(w, t)| {
            let sum = |f: fn(&CampaignTally) -> u64| t.campaigns.values().map(f).sum::<u64>();
            let measured: Vec<&CampaignTally> = t.campaigns.values().filter(|c| c.incremental_conversions().is_some()).collect();
            let incremental = (!measured.is_empty()).then(|| measured.iter().filter_map(|c| c.incremental_conversions()).sum::<f64>());
            let converted: u64 = measured.iter().map(|c| c.treated_converted).sum();
            DayLift {
                from: at(w.from),
                to: at(w.to),
                treated_users: sum(|c| c.treated),
                holdout_users: sum(|c| c.held),
                treated_converted: sum(|c| c.treated_converted),
                holdout_converted: sum(|c| c.held_converted),
                incremental_conversions: incremental,
                incrementality_percent: incremental.filter(|_| converted > 0).map(|i| 100.0 * i / converted as f64),
                incrementality_interval: match measured[..] {
                    [c] => incremental_share_percent(c.treated_converted, c.treated, c.held_converted, c.held),
                    _ => None,
                },
                campaigns: measured.len(),
            }
        })
        .collect()
}

/// The 95% interval of incrementality (1 − pc/pt), in percent.
fn incremental_share_percent(xt: u64, nt: u64, xc: u64, nc: u64) -> Option<Interval> {
    stats::incremental_share(xt, nt, xc, nc, CONFIDENCE).map(|i| Interval { low: 100.0 * i.low, high: 100.0 * i.high })
}

/// The ROI row of a campaign's tally; `spend_cents` as the filter splits it.
pub fn roi_row(campaign_id: Uuid, name: &str, c: &CampaignTally, spend_cents: f64, planned_holdout_share: f64) -> RoiRow {
    let rate = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64);
    let (nt, nc, xt, xc) = (c.treated, c.held, c.treated_converted, c.held_converted);
    let treated_rate = rate(xt, nt);
    let holdout_rate = rate(xc, nc);
    let absolute_lift = treated_rate.zip(holdout_rate).map(|(a, b)| a - b);
    let relative_lift = treated_rate.zip(holdout_rate).and_then(|(a, b)| (b > 0.0).then(|| a / b - 1.0));
    let lift_test = stats::two_proportion_z(xt, nt, xc, nc);
    let treated_revenue = Summary::from_sums(nt, c.treated_cents as f64 / 100.0, c.treated_cents_sq / 10_000.0);
    let holdout_revenue = Summary::from_sums(nc, c.held_cents as f64 / 100.0, c.held_cents_sq / 10_000.0);
    let welch = stats::welch(treated_revenue, holdout_revenue, CONFIDENCE);
    let incremental_revenue = c.incremental_cents().map(|cents| cents / 100.0);
    let sample_ratio = (planned_holdout_share > 0.0 && planned_holdout_share < 1.0)
        .then(|| stats::sample_ratio(&[nt, nc], &[1.0 - planned_holdout_share, planned_holdout_share]))
        .flatten();
    let balanced = sample_ratio.map(|t| t.p_value >= SRM_ALPHA);
    let incremental_conversions = c.incremental_conversions();
    let spend = spend_cents / 100.0;
    let net_incremental_revenue = incremental_revenue.map(|r| r - spend);
    let per_incremental = |dollars: Option<f64>| dollars.zip(incremental_conversions.filter(|n| *n > 0.0)).map(|(d, n)| d / n);
    RoiRow {
        campaign_id,
        name: name.to_owned(),
        treated_users: nt,
        holdout_users: nc,
        treated_converted: xt,
        holdout_converted: xc,
        treated_rate,
        holdout_rate,
        treated_rate_interval: stats::wilson(xt, nt, CONFIDENCE),
        holdout_rate_interval: stats::wilson(xc, nc, CONFIDENCE),
        absolute_lift,
        absolute_lift_interval: stats::newcombe_difference(xt, nt, xc, nc, CONFIDENCE),
        lift_test,
        relative_lift,
        relative_lift_interval: stats::relative_lift(xt, nt, xc, nc, CONFIDENCE),
        incremental_conversions,
        incrementality_percent: incremental_conversions.and_then(|i| (xt > 0).then(|| 100.0 * i / xt as f64)),
        incrementality_interval: incremental_share_percent(xt, nt, xc, nc),
        treated_revenue_per_user: (nt > 0).then_some(treated_revenue.mean),
        holdout_revenue_per_user: (nc > 0).then_some(holdout_revenue.mean),
        revenue_per_user_interval: welch.map(|w| w.1),
        revenue_test: welch.map(|w| w.0),
        incremental_revenue,
        spend,
        net_incremental_revenue,
        revenue_per_incremental_conversion: per_incremental(incremental_revenue),
        cost_per_incremental_conversion: per_incremental(Some(spend)),
        net_per_incremental_conversion: per_incremental(net_incremental_revenue),
        planned_holdout_share,
        sample_ratio,
        balanced,
        minimum_detectable_effect: holdout_rate.and_then(|p| stats::minimum_detectable_effect(p, nt, nc, 0.05, 0.80)),
        significant: lift_test.map(|t| t.p_value < 0.05 && balanced != Some(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Filter, Store, tally};
    use crate::simulator::{Faults, SimConfig, world};
    use chrono::{Duration, TimeZone, Utc};

    /// Ground truth check of the issue: over seeds with 200+ campaigns, the true lift lies in the
    /// reported 95% interval for 92–98% of them, and at most 8% of the campaigns with no true
    /// effect are reported significant. Runs on the simulator's model directly, through the same
    /// store and tally the server uses.
    #[test]
    fn reported_intervals_cover_the_true_lift() {
        let (mut covered, mut measured, mut null_campaigns, mut false_positives) = (0, 0, 0, 0);
        // 30 worlds: about 1,300 campaigns, 240 of them with no true effect, so the false-positive
        // rate is measured to about ±1.4 points.
        for seed in 1..=30u64 {
            let config = SimConfig {
                seed,
                users: 2_400,
                days: 30,
                campaigns: 44,
                start: Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap(),
                holdout_share: 0.2,
                faults: Faults::default(),
                experiments: 0,
            };
            let world = world(&config);
            let now = config.start + Duration::days(i64::from(config.days));
            let (store, truth) = Store::from_simulation(&world);
            let t = tally(&store, &Filter::default(), &crate::metrics::Config::default(), config.start.timestamp(), now.timestamp());
            for c in &truth.campaigns {
                let index = store.campaign_index(c.campaign_id).unwrap();
                let row = roi_row(c.campaign_id, &c.name, &t.campaigns[&index], 0.0, config.holdout_share);
                assert_eq!((row.treated_users, row.holdout_users), (c.treated_users, c.holdout_users), "every assignment is measured");
                let Some(interval) = row.relative_lift_interval else { continue };
                measured += 1;
                covered += usize::from(interval.contains(c.true_lift));
                if c.true_lift == 0.0 {
                    null_campaigns += 1;
                    false_positives += usize::from(row.significant == Some(true));
                }
            }
        }
        let coverage = covered as f64 / measured as f64;
        assert!(measured >= 200, "{measured} campaigns measured");
        assert!((0.92..=0.98).contains(&coverage), "coverage {coverage:.3} of {measured}");
        assert!(null_campaigns >= 30, "{null_campaigns} null campaigns");
        let rate = false_positives as f64 / null_campaigns as f64;
        assert!(rate <= 0.08, "false positive rate {rate:.3} of {null_campaigns}");
    }

    #[test]
    fn unit_economics_are_per_incremental_conversion() {
        // 1,000 treated with 60 buyers ($3,000), 100 held out with 3 buyers ($120): the holdout
        // predicts 30 conversions and $1,200, so 30 incremental conversions bring $1,800; with
        // $900 spent, each costs $30 and nets $30.
        let c = CampaignTally { treated: 1_000, treated_converted: 60, treated_cents: 300_000, held: 100, held_converted: 3, held_cents: 12_000, ..CampaignTally::default() };
        let row = roi_row(Uuid::nil(), "c", &c, 90_000.0, 0.1);
        assert_eq!(row.incremental_conversions, Some(30.0));
        assert_eq!(row.incremental_revenue, Some(1_800.0));
        assert_eq!(row.revenue_per_incremental_conversion, Some(60.0));
        assert_eq!(row.cost_per_incremental_conversion, Some(30.0));
        assert_eq!(row.net_per_incremental_conversion, Some(30.0));
        // No more conversions than the holdout predicts: nothing to divide by.
        let flat = CampaignTally { treated_converted: 30, ..c };
        let row = roi_row(Uuid::nil(), "c", &flat, 90_000.0, 0.1);
        assert_eq!((row.revenue_per_incremental_conversion, row.cost_per_incremental_conversion, row.net_per_incremental_conversion), (None, None, None));
    }

    fn lift_by_day(store: &Store, filter: &Filter, config: &crate::metrics::Config, from: i64, to: i64) -> Vec<DayLift> {
        let windows = day_windows(from, to);
        day_lifts(&windows, crate::metrics::compute::tally_windows(store, filter, config, &windows))
    }

    #[test]
    fn the_days_of_a_period_share_out_its_first_assignments() {
        let start = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
        let config = SimConfig { seed: 5, users: 3_000, days: 10, campaigns: 6, start, holdout_share: 0.2, faults: Faults::default(), experiments: 0 };
        let (store, _) = Store::from_simulation(&world(&config));
        let metrics = crate::metrics::Config::default();
        // From mid-morning: the first "day" is the rest of that day.
        let (from, to) = ((start + Duration::hours(10)).timestamp(), (start + Duration::days(10)).timestamp());
        let days = lift_by_day(&store, &Filter::default(), &metrics, from, to);
        assert_eq!(days.len(), 10);
        assert_eq!((days[0].from.timestamp(), days[0].to), (from, start + Duration::days(1)));
        let whole = tally(&store, &Filter::default(), &metrics, from, to);
        assert_eq!(days.iter().map(|d| d.treated_users).sum::<u64>(), whole.campaigns.values().map(|c| c.treated).sum::<u64>());
        assert_eq!(days.iter().map(|d| d.holdout_converted).sum::<u64>(), whole.campaigns.values().map(|c| c.held_converted).sum::<u64>());
        let day = days.iter().find(|d| d.campaigns > 1).expect("a day with several campaigns");
        assert!(day.incrementality_percent.is_some() && day.incrementality_interval.is_none());
        // One campaign: its interval, around its value.
        let one = Filter { campaigns: vec![store.campaigns[0].id], ..Filter::default() };
        let day = lift_by_day(&store, &one, &metrics, from, to).into_iter().find(|d| d.treated_converted > 0 && d.holdout_users > 0).expect("a measured day");
        let (value, interval) = (day.incrementality_percent.unwrap(), day.incrementality_interval.unwrap());
        assert!(interval.low <= value && value <= interval.high, "{value} in {interval:?}");
    }
}
