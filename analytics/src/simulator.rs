//! The simulator's behavioural model: demo data, and the ground truth the tests check the
//! product's measurements against. Pure and deterministic: the same configuration and seed give
//! the same users, campaigns, events and truth, byte for byte.
//!
//! The model (spec PART 2 / module 3 segments, module 7 engagement patterns):
//! - users belong to the 8 behavioural segments in the spec's proportions; each has a region,
//!   and consents to marketing with a region's rate (checked before any holdout assignment);
//! - every user buys organically with a segment's daily probability, in both groups;
//! - each campaign targets some segments on one day; consenting users are split by the pinned
//!   holdout hash (`crate::holdout`); held-out users only get a `campaign_delivered` record with
//!   `is_holdout=true`; treated users are delivered, then view, click and convert with the
//!   segment's rates times the campaign's quality, a conversion being an extra purchase; every
//!   fifth campaign converts nobody (its true effect is zero), so false positives can be counted;
//! - after a click (which starts a session: the click, and the app open, add to cart and purchase
//!   that follow it, carry the same `session_id`), a user opens the app (`user_engaged`,
//!   `app_open`, 3–60 s later) with the segment's app-open rate and then adds to cart
//!   (`add_to_cart`, within 15 minutes, before any purchase) with its add-to-cart rate; a user
//!   who converts always opened the app and filled a cart before buying, and the rates for the
//!   others are set so that the segment's overall rates per click are its profile's
//!   (`flow_rest`). These steps draw from their own random sequence: with or without them the
//!   same users view, click and buy at the same times for the same amounts, so the ground truth
//!   (purchase probabilities, lift) does not depend on them. Organic purchases have no session;
//! - unsubscribes rise with the number of messages a user has had;
//! - with `SimConfig::experiments = n`, the first n campaigns with two or more creatives run a
//!   creative test ([`SimExperiment`]): its arms are the campaign's creatives, split evenly; a
//!   treated user gets the creative of their arm by the product's pinned hash
//!   (`crate::experiment::{position, arm_for}`) instead of a random one, and their click
//!   probability is multiplied by the arm's true multiplier (the control's 1.0; every third test,
//!   from the first, is an A/A test with 1.0 everywhere; the others' variants get 1.3 and 0.75
//!   alternately). The test's id comes from its own random sequence, and the random creative is
//!   drawn anyway, so with no experiments every event is as it was.
//!
//! The truth: for each campaign, over each user's measurement window (the 7 days from their
//! assignment, as the product measures it), the exact probability of at least one purchase in
//! each group (p₀ from the daily purchase probabilities of the days the window covers, the
//! partial first and last day weighted by the hour pattern; p₁ = 1 − (1 − p₀)(1 − q) with q the
//! user's conversion probability, a conversion falling within 24 h of the click), averaged over
//! each group's users; the true lift on the treated p̄₁/p̄₀(treated) − 1; and the true
//! incremental revenue Σ q·AOV over treated users. Per segment, the expected view, click and conversion rates over
//! the deliveries that actually happened, and the app-open and add-to-cart rates per click. Per
//! experiment ([`ExperimentTruth`]): its start (midnight of the delivery day), its duration (that
//! day and the 7-day window), and per arm its members (treated users delivered in it) and the mean
//! of their click probabilities, which a measured click rate estimates.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{CampaignType, DeliveryChannel, SegmentType};

pub mod experiment;
pub mod live;
pub mod market;

/// Days after the delivery day over which a campaign's effect is measured.
pub const WINDOW_DAYS: i64 = 7;

/// A small, fast, well-mixed generator (SplitMix64), written out so the sequence never changes
/// with a dependency's version: determinism is part of the simulator's contract.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    pub fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// The behaviour of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmentProfile {
    pub segment: SegmentType,
    /// Users in the spec's module 3 (for proportions).
    pub spec_users: u32,
    /// Chance of an organic purchase on a given day.
    pub daily_purchase_probability: f64,
    /// Chance a delivered message is viewed.
    pub view_rate: f64,
    /// Chance a delivered message is clicked (the spec's CTR, per delivery).
    pub click_rate: f64,
    /// Chance a click converts into a purchase (the spec's conversion).
    pub conversion_rate: f64,
    /// Average order value, dollars.
    pub average_order_value: f64,
    /// Chance a click is followed by an app open in its session (the funnel's third step).
    pub app_open_rate: f64,
    /// Chance an app open after a click is followed by an add to cart (the fourth step).
    pub add_to_cart_rate: f64,
}

/// The spec's module 3 figures: sizes, CTR and conversion; purchase frequency and order value
/// follow from its descriptions (2+/week for frequent shoppers, inactive for 30+ days…).
pub fn segment_profiles() -> [SegmentProfile; 8] {
    use SegmentType::*;
    let p = |segment, spec_users, daily, view, click, conversion, aov, (open, cart)| SegmentProfile {
        segment,
        spec_users,
        daily_purchase_probability: daily,
        view_rate: view,
        click_rate: click,
        conversion_rate: conversion,
        average_order_value: aov,
        app_open_rate: open,
        add_to_cart_rate: cart,
    };
    // App open and add to cart: around the spec's module 6 example (85.4% of clicks open the
    // app, 78.2% of those add to cart) for engaged segments, less for new, seasonal and inactive
    // users. Each pair's product stays above the segment's conversion rate at the best campaign
    // quality (×1.4), so every buyer can have come through the cart.
    [
        p(HighSpender, 45_230, 0.08, 0.32, 0.042, 0.18, 85.0, (0.90, 0.80)),
        p(FrequentShopper, 78_450, 0.30, 0.28, 0.031, 0.14, 38.0, (0.88, 0.78)),
        p(WeekendShopper, 56_230, 0.10, 0.26, 0.028, 0.12, 31.0, (0.85, 0.72)),
        p(CategoryFocused, 92_100, 0.06, 0.24, 0.023, 0.09, 24.0, (0.84, 0.66)),
        p(LocationClustered, 34_560, 0.07, 0.29, 0.035, 0.15, 42.0, (0.86, 0.74)),
        p(NewShopper, 12_890, 0.05, 0.22, 0.021, 0.08, 18.0, (0.80, 0.55)),
        p(Inactive, 145_670, 0.003, 0.12, 0.012, 0.03, 15.0, (0.70, 0.40)),
        p(SeasonalSpender, 23_450, 0.04, 0.25, 0.026, 0.11, 29.0, (0.82, 0.60)),
    ]
}

/// Regions with their marketing-consent rates (GDPR regions lower).
pub const REGIONS: [(&str, f64); 6] = [("US-CA", 0.86), ("US-NY", 0.84), ("US-TX", 0.88), ("CA-ON", 0.80), ("EU-DE", 0.62), ("EU-FR", 0.65)];

/// Relative engagement by hour of day (module 7: lunch and evening peaks).
const HOUR_WEIGHTS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 0.9, 0.8, 0.8, 0.9, 1.4, 1.3, 0.9, 0.8, 0.8, 0.9, 1.1, 1.5, 1.7, 1.5, 1.0, 0.5,
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    pub seed: u64,
    pub users: u32,
    pub days: u32,
    pub campaigns: u32,
    /// Midnight UTC of the first simulated day.
    pub start: DateTime<Utc>,
    /// Share of each campaign's audience held out (0.10 = 10%).
    pub holdout_share: f64,
    /// Bad, duplicated and late events on demand, to exercise the quality pipeline.
    #[serde(default)]
    pub faults: Faults,
    /// How many campaigns run a creative experiment with known true effects (0 = none; the
    /// first campaigns with at least two creatives).
    #[serde(default)]
    pub experiments: u32,
}

/// Shares of the generated events to spoil (each in [0, 1)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// Events made invalid (an unknown `source`): they must be rejected.
    pub invalid_rate: f64,
    /// Events sent a second time, unchanged: they must be counted as duplicates.
    pub duplicate_rate: f64,
    /// Events whose occurrence is moved 25–48 hours earlier than their sending: late arrivals.
    pub late_rate: f64,
}

/// How many events each fault touched (part of the truth).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    pub invalid: u64,
    pub duplicates: u64,
    pub late: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimUser {
    pub id: String,
    pub segment: SegmentType,
    pub region: String,
    pub platform: String,
    pub consented: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimCreative {
    pub id: Uuid,
    pub name: String,
    pub headline: String,
    pub body: String,
    pub call_to_action: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimCampaign {
    pub id: Uuid,
    pub name: String,
    pub campaign_type: CampaignType,
    pub channel: DeliveryChannel,
    pub target_segments: Vec<SegmentType>,
    pub creatives: Vec<SimCreative>,
    pub budget_cents: i64,
    /// The day (from 0) it is delivered.
    pub day: u32,
    /// Multiplies the segments' click rates (how good the offer is).
    pub quality: f64,
    /// Multiplies the segments' conversion rates: the quality, or 0 for a campaign with no effect.
    pub effect: f64,
}

/// A creative experiment the simulation runs on a campaign (`SimConfig::experiments`): its
/// arms are the campaign's creatives in order, each with a true click multiplier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimExperiment {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// The arms' shares in basis points (an even split, the first arm taking the remainder).
    pub shares_bp: Vec<u32>,
    /// Per arm: multiplies the click probability of its members (the control's is 1.0).
    pub click_multipliers: Vec<f64>,
}

/// What the simulation truly did, for tests to compare measurements against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignTruth {
    pub campaign_id: Uuid,
    pub name: String,
    pub treated_users: u64,
    pub holdout_users: u64,
    /// The first assignment and the end (exclusive) of the last user's 7-day window.
    pub window_from: DateTime<Utc>,
    pub window_to: DateTime<Utc>,
    /// Probability of at least one purchase in the window, per group (baseline included).
    pub purchase_probability_holdout: f64,
    pub purchase_probability_treated: f64,
    /// What the treated users' probability would have been without the campaign.
    pub baseline_probability_treated: f64,
    /// The effect on the treated: p̄₁ / p̄₀(treated) − 1.
    pub true_lift: f64,
    /// Expected revenue the campaign caused, dollars.
    pub true_incremental_revenue: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentTruth {
    pub users: u64,
    pub deliveries: u64,
    /// Expected views, clicks and conversions per delivery over the deliveries that happened.
    pub view_rate: f64,
    pub click_rate: f64,
    /// Per click.
    pub conversion_rate: f64,
    pub daily_purchase_probability: f64,
    pub average_order_value: f64,
    /// Per click: the chance of an app open in the click's session, and of an add to cart (after
    /// that open). Whether the click converts or not, these are the profile's rates.
    #[serde(default)]
    pub app_open_rate: f64,
    #[serde(default)]
    pub add_to_cart_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub config: SimConfig,
    pub campaigns: Vec<CampaignTruth>,
    pub segments: BTreeMap<String, SegmentTruth>,
    /// Events generated, faulty ones included (duplicates count once per sending).
    pub events: u64,
    pub faults: FaultCounts,
    /// The experiments run (`SimConfig::experiments`), with each arm's members and true click rate.
    #[serde(default)]
    pub experiments: Vec<ExperimentTruth>,
}

/// A simulated experiment as it truly ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentTruth {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// Midnight of the campaign's delivery day.
    pub started_at: DateTime<Utc>,
    /// The delivery day and the window after it: `WINDOW_DAYS + 1`.
    pub duration_days: u32,
    pub arms: Vec<ExperimentArmTruth>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentArmTruth {
    pub creative_id: Uuid,
    pub share_bp: u32,
    pub click_multiplier: f64,
    /// Treatment users delivered in this arm (each joins the test once).
    pub members: u64,
    /// The mean over the arm's members of their click probability: what a measured click rate
    /// (members who clicked ÷ members) estimates.
    pub expected_click_rate: f64,
}

/// One day's spend line of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimSpend {
    pub campaign_id: Uuid,
    pub channel: DeliveryChannel,
    pub day_start: DateTime<Utc>,
    pub amount_cents: i64,
}

/// The simulated world before any event: users and campaigns.
#[derive(Debug, Clone)]
pub struct World {
    pub config: SimConfig,
    pub users: Vec<SimUser>,
    pub campaigns: Vec<SimCampaign>,
    pub spend: Vec<SimSpend>,
    pub experiments: Vec<SimExperiment>,
}

/// Seeds the experiments' own random sequence (with the configuration's seed), so asking for
/// experiments never changes the other draws.
const EXPERIMENT_STREAM: u64 = 0x2545_F491_4F6C_DD1D;

/// The true click multiplier of the variants (arms after the first) of experiments that are not
/// A/A tests: 1.3 and 0.75 alternately.
pub const VARIANT_CLICK_MULTIPLIERS: [f64; 2] = [1.3, 0.75];

impl SimConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.users == 0 || self.campaigns == 0 {
            return Err("give at least one user and one campaign".to_owned());
        }
        if self.days < WINDOW_DAYS as u32 + 2 {
            return Err(format!("simulate at least {} days, so each campaign has a full {WINDOW_DAYS}-day window", WINDOW_DAYS + 2));
        }
        if self.experiments > self.campaigns {
            return Err("give at most one experiment per campaign".to_owned());
        }
        if !(0.0..=0.5).contains(&self.holdout_share) {
            return Err("the holdout share must be between 0 and 0.5".to_owned());
        }
        for (name, rate) in [("invalid", self.faults.invalid_rate), ("duplicate", self.faults.duplicate_rate), ("late", self.faults.late_rate)] {
            if !(0.0..1.0).contains(&rate) {
                return Err(format!("the {name} rate must be between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// Users and campaigns for a configuration.
pub fn world(config: &SimConfig) -> World {
    let mut rng = Rng::new(config.seed);
    let profiles = segment_profiles();
    let weights: Vec<f64> = profiles.iter().map(|p| f64::from(p.spec_users)).collect();
    let users: Vec<SimUser> = (0..config.users)
        .map(|i| {
            let segment = profiles[rng.weighted(&weights)].segment;
            let (region, consent_rate) = REGIONS[rng.below(REGIONS.len())];
            let platform = ["iOS", "Android", "Web"][rng.weighted(&[0.45, 0.45, 0.10])];
            SimUser { id: format!("user-{:06}", i + 1), segment, region: region.to_owned(), platform: platform.to_owned(), consented: rng.chance(consent_rate) }
        })
        .collect();
    // Campaigns are delivered on days that leave a full window after them.
    let last_day = config.days - WINDOW_DAYS as u32 - 1;
    let campaigns = (0..config.campaigns)
        .map(|i| {
            let campaign_type = CampaignType::ALL[i as usize % CampaignType::ALL.len()];
            let segments: Vec<SegmentType> = {
                let first = SegmentType::ALL[rng.below(8)];
                let second = SegmentType::ALL[rng.below(8)];
                let mut s = vec![first, second];
                s.sort();
                s.dedup();
                s
            };
            let creatives = (0..2 + rng.below(3))
                .map(|c| SimCreative {
                    id: rng.uuid(),
                    name: format!("Variant {}", (b'A' + c as u8) as char),
                    headline: ["Save 20% this weekend", "Double cashback today", "Your points are waiting", "New deals near you"][c % 4].to_owned(),
                    body: "Limited time, for members only.".to_owned(),
                    call_to_action: ["Shop now", "Activate", "Claim", "See deals"][c % 4].to_owned(),
                })
                .collect();
            let quality = 0.7 + 0.7 * rng.unit();
            SimCampaign {
                id: rng.uuid(),
                name: format!("{} #{}", title_case(campaign_type.as_str()), i + 1),
                campaign_type,
                channel: [DeliveryChannel::Push, DeliveryChannel::Email, DeliveryChannel::InApp][rng.below(3)],
                target_segments: segments,
                creatives,
                budget_cents: 500_000 + 100_000 * rng.below(20) as i64,
                day: if last_day == 0 { 0 } else { (i * last_day / config.campaigns.max(1)).min(last_day) },
                quality,
                effect: if i % 5 == 4 { 0.0 } else { quality },
            }
        })
        .collect::<Vec<_>>();
    let spend = campaigns
        .iter()
        .map(|c| SimSpend {
            campaign_id: c.id,
            channel: c.channel,
            day_start: config.start + Duration::days(i64::from(c.day)),
            amount_cents: c.budget_cents * 6 / 10,
        })
        .collect();
    let experiments = experiments_for(config, &campaigns);
    World { config: config.clone(), users, campaigns, spend, experiments }
}

/// The experiments of the first `config.experiments` campaigns with at least two creatives, from
/// their own random sequence: the k-th (from 0) is an A/A test when k is a multiple of 3 (every
/// arm 1.0); otherwise its variants' clicks are multiplied by 1.3 and 0.75 alternately.
fn experiments_for(config: &SimConfig, campaigns: &[SimCampaign]) -> Vec<SimExperiment> {
    let mut rng = Rng::new(config.seed ^ EXPERIMENT_STREAM);
    campaigns
        .iter()
        .filter(|c| c.creatives.len() >= 2)
        .take(config.experiments as usize)
        .enumerate()
        .map(|(k, campaign)| {
            let arms = campaign.creatives.len();
            let even = 10_000 / arms as u32;
            let mut shares_bp = vec![even; arms];
            shares_bp[0] += 10_000 - even * arms as u32;
            let click_multipliers = (0..arms)
                .map(|arm| if arm == 0 || k % 3 == 0 { 1.0 } else { VARIANT_CLICK_MULTIPLIERS[(arm - 1) % 2] })
                .collect();
            SimExperiment { id: rng.uuid(), campaign_id: campaign.id, shares_bp, click_multipliers }
        })
        .collect()
}

fn title_case(code: &str) -> String {
    code.split('_').map(|w| format!("{}{}", &w[..1], w[1..].to_lowercase())).collect::<Vec<_>>().join(" ")
}

fn profile(segment: SegmentType) -> SegmentProfile {
    segment_profiles().into_iter().find(|p| p.segment == segment).unwrap_or(segment_profiles()[0])
}

/// A time on `day` at an hour drawn from the engagement pattern (weekend shoppers favour weekends
/// by being more likely to act then; the hour pattern is shared).
fn moment(rng: &mut Rng, start: DateTime<Utc>, day: i64) -> DateTime<Utc> {
    let hour = rng.weighted(&HOUR_WEIGHTS) as i64;
    let minute = rng.below(60) as i64;
    let second = rng.below(60) as i64;
    start + Duration::days(day) + Duration::hours(hour) + Duration::minutes(minute) + Duration::seconds(second)
}

/// For a click that does not convert (its conversion probability being `convert`): the chance of
/// an app open, and of an add to cart after that open, such that over all clicks the app-open rate
/// is the profile's `o` and the add-to-cart rate `o·c` (a buyer always opens and adds to cart):
/// o = v + (1 − v)·a and o·c = v + (1 − v)·a·b give a = (o − v) ÷ (1 − v), b = (o·c − v) ÷ (o − v).
fn flow_rest(p: &SegmentProfile, convert: f64) -> (f64, f64) {
    let (open, cart) = (p.app_open_rate, p.app_open_rate * p.add_to_cart_rate);
    let v = convert.min(cart);
    if v >= 1.0 {
        return (0.0, 0.0);
    }
    let a = ((open - v) / (1.0 - v)).clamp(0.0, 1.0);
    let b = if open > v { ((cart - v) / (open - v)).clamp(0.0, 1.0) } else { 0.0 };
    (a, b)
}

fn is_weekend(t: DateTime<Utc>) -> bool {
    matches!(t.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
}

/// A user's chance of an organic purchase on the day starting at `day_start`. Weekend shoppers
/// buy twice as often on weekends and less on weekdays; over a week it stays the segment's
/// (2 weekend days × 2.0 + 5 × 0.6 = 7).
fn daily_probability(segment: SegmentType, day_start: DateTime<Utc>) -> f64 {
    let d = profile(segment).daily_purchase_probability;
    let factor = match (segment, is_weekend(day_start)) {
        (SegmentType::WeekendShopper, true) => 2.0,
        (SegmentType::WeekendShopper, false) => 0.6,
        _ => 1.0,
    };
    (d * factor).min(1.0)
}

/// The chance that a `moment` on `t`'s day falls at or after `t` (hours by the pattern, the
/// second within the hour uniform over 3,600).
fn share_at_or_after(t: DateTime<Utc>) -> f64 {
    let total: f64 = HOUR_WEIGHTS.iter().sum();
    let hour = t.hour() as usize;
    let later: f64 = HOUR_WEIGHTS[hour + 1..].iter().sum();
    let seconds_left = 3_600 - (t.minute() * 60 + t.second()) as usize;
    (later + HOUR_WEIGHTS[hour] * seconds_left as f64 / 3_600.0) / total
}

/// The exact chance of at least one organic purchase in `[t, t + 7 days)`: the rest of `t`'s day,
/// six whole days, and the part of the seventh day before `t`'s time.
fn baseline_probability(segment: SegmentType, t: DateTime<Utc>) -> f64 {
    let day_start = Utc.from_utc_datetime(&t.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists"));
    let after = share_at_or_after(t);
    let mut none = 1.0 - daily_probability(segment, day_start) * after;
    for k in 1..WINDOW_DAYS {
        none *= 1.0 - daily_probability(segment, day_start + Duration::days(k));
    }
    none *= 1.0 - daily_probability(segment, day_start + Duration::days(WINDOW_DAYS)) * (1.0 - after);
    1.0 - none
}

/// Generates the simulation day by day, handing each day's events (the API's envelope, JSON) to
/// `sink`, and returns the truth.
pub fn run(world: &World, sink: impl FnMut(u32, Vec<Value>)) -> Truth {
    run_in_parts(world, FLUSH_EVENTS, sink)
}

/// `run`, handing a day over whenever it has made `part` events.
fn run_in_parts(world: &World, part: usize, mut sink: impl FnMut(u32, Vec<Value>)) -> Truth {
    let config = &world.config;
    let mut rng = Rng::new(config.seed ^ 0xD1B5_4A32_D192_ED03);
    let mut segment_acc: BTreeMap<String, (SegmentTruth, f64, f64, f64)> = BTreeMap::new();
    for user in &world.users {
        let p = profile(user.segment);
        let entry = segment_acc.entry(user.segment.as_str().to_owned()).or_default();
        entry.0.users += 1;
        entry.0.daily_purchase_probability = p.daily_purchase_probability;
        entry.0.average_order_value = p.average_order_value;
        entry.0.app_open_rate = p.app_open_rate;
        entry.0.add_to_cart_rate = p.app_open_rate * p.add_to_cart_rate;
    }
    let mut unsubscribed = vec![false; world.users.len()];
    let mut messages = vec![0u32; world.users.len()];
    let mut truths: Vec<CampaignTruth> = Vec::new();
    let mut experiment_truths: Vec<ExperimentTruth> = Vec::new();
    let mut total_events = 0u64;
    let mut spoiler = Spoiler {
        faults: config.faults,
        rng: Rng::new(config.seed ^ 0xA076_1D64_78BD_642F),
        counts: FaultCounts::default(),
        signup: config.start + Duration::minutes(1),
    };
    // The post-click flow (sessions, app opens, adds to cart) draws from its own sequence too, so
    // it never changes who views, clicks or buys, nor when, nor for how much.
    let mut flow_rng = Rng::new(config.seed ^ 0x5851_F42D_4C95_7F2D);

    // Signup facts (each user's consent on every channel, and segment) come first and are handed
    // over alone, unspoiled: they are the system of record's, and a delivery is refused unless its
    // user's consent is stored before it (the late-arrival fault never moves an event before them).
    let mut signup = Vec::new();
    for user in &world.users {
        let status = if user.consented { "opted_in" } else { "opted_out" };
        let method = if user.region.starts_with("EU") { "double_opt_in" } else { "single_opt_in" };
        for channel in [DeliveryChannel::Push, DeliveryChannel::Email, DeliveryChannel::Sms, DeliveryChannel::InApp] {
            let consent = json!({ "channel": channel.as_str(), "status": status, "method": method, "source": "signup", "region": user.region });
            signup.push(envelope(&mut rng, "consent_updated", config.start + Duration::minutes(1), user, "backend", consent));
        }
        let segmented = json!({ "segment_type": user.segment.as_str(), "segment_score": 0.9 });
        signup.push(envelope(&mut rng, "user_segmented", config.start + Duration::minutes(1), user, "backend", segmented));
    }
    while !signup.is_empty() {
        let rest = signup.split_off(signup.len().min(part));
        total_events += signup.len() as u64;
        sink(0, std::mem::replace(&mut signup, rest));
    }

    for day in 0..config.days {
        let mut events = Vec::new();
        let day_start = config.start + Duration::days(i64::from(day));
        let mut push = |event_type: &str, at: DateTime<Utc>, user: &SimUser, properties: Value, rng: &mut Rng, source: &str, session: Option<&str>| {
            let mut event = envelope(rng, event_type, at, user, source, properties);
            if let Some(session) = session {
                event["session_id"] = Value::from(session);
            }
            events.push(event);
            // A large world hands its day over in parts, so memory holds a part, not a day.
            if events.len() >= part {
                flush(day, &mut events, &mut spoiler, &mut total_events, &mut sink);
            }
        };

        // Organic purchases, the same for everyone whatever the campaigns do.
        for user in &world.users {
            let p = profile(user.segment);
            if rng.chance(daily_probability(user.segment, day_start)) {
                let at = moment(&mut rng, config.start, i64::from(day));
                let value = (p.average_order_value * (0.5 + rng.unit())).max(1.0);
                let order = rng.uuid();
                push("user_purchased", at, user, json!({ "order_id": order.to_string(), "order_value": round2(value), "payment_method": "card" }), &mut rng, "backend", None);
            }
        }

        for campaign in world.campaigns.iter().filter(|c| c.day == day) {
            let mut treated = 0u64;
            let mut held = 0u64;
            let (mut first_assignment, mut last_assignment) = (None::<DateTime<Utc>>, None::<DateTime<Utc>>);
            let (mut p0_held, mut p0_treated, mut p1_sum, mut incremental) = (0.0, 0.0, 0.0, 0.0);
            let experiment = world.experiments.iter().find(|e| e.campaign_id == campaign.id);
            // Per arm: members, and the sum of their click probabilities.
            let mut arm_acc = vec![(0u64, 0.0f64); experiment.map_or(0, |e| e.shares_bp.len())];
            for (index, user) in world.users.iter().enumerate() {
                if !campaign.target_segments.contains(&user.segment) || !user.consented || unsubscribed[index] {
                    continue;
                }
                let p = profile(user.segment);
                // Drawn whether or not an experiment overrides it, so the other draws stay put.
                let drawn = rng.below(campaign.creatives.len());
                let at = moment(&mut rng, config.start, i64::from(day));
                let p0 = baseline_probability(user.segment, at);
                first_assignment = Some(first_assignment.map_or(at, |f| f.min(at)));
                last_assignment = Some(last_assignment.map_or(at, |l| l.max(at)));
                let holdout = crate::holdout::is_holdout(campaign.id, &user.id, config.holdout_share);
                // In an experiment, a treatment user gets the creative of their arm (the
                // product's pinned hash); held-out users are never members.
                let arm = experiment
                    .filter(|_| !holdout)
                    .and_then(|e| crate::experiment::arm_for(crate::experiment::position(e.id, &user.id), &e.shares_bp).map(|arm| (arm, e.click_multipliers[arm])));
                let creative = &campaign.creatives[arm.map_or(drawn, |(arm, _)| arm)];
                let delivered = json!({
                    "campaign_id": campaign.id.to_string(), "campaign_type": campaign.campaign_type.as_str(),
                    "creative_id": creative.id.to_string(), "segment_id": user.segment.as_str(),
                    "delivery_channel": campaign.channel.as_str(), "is_holdout": holdout, "allocation_method": "random"
                });
                push("campaign_delivered", at, user, delivered, &mut rng, "backend", None);
                if holdout {
                    held += 1;
                    p0_held += p0;
                    continue;
                }
                treated += 1;
                p0_treated += p0;
                messages[index] += 1;
                let view = p.view_rate;
                let click = match arm {
                    Some((_, multiplier)) => (p.click_rate * campaign.quality * multiplier).min(view),
                    None => (p.click_rate * campaign.quality).min(view),
                };
                if let Some((arm, _)) = arm {
                    arm_acc[arm].0 += 1;
                    arm_acc[arm].1 += click;
                }
                let convert = (p.conversion_rate * campaign.effect).min(1.0);
                let q = click * convert;
                p1_sum += 1.0 - (1.0 - p0) * (1.0 - q);
                incremental += q * p.average_order_value;
                let acc = segment_acc.entry(user.segment.as_str().to_owned()).or_default();
                acc.0.deliveries += 1;
                acc.1 += view;
                acc.2 += click;
                acc.3 += q;

                // View → click → convert, each conditional on the step before.
                if rng.chance(view) {
                    let seen = at + Duration::minutes(1 + rng.below(90) as i64);
                    push("campaign_viewed", seen, user, json!({ "campaign_id": campaign.id.to_string(), "creative_id": creative.id.to_string(), "view_duration_seconds": 2 + rng.below(20), "view_type": "opened" }), &mut rng, "mobile", None);
                    if rng.chance(click / view) {
                        let clicked = seen + Duration::seconds(5 + rng.below(120) as i64);
                        // The click opens a session that its app open, add to cart and purchase share.
                        let session = flow_rng.uuid().to_string();
                        let session = Some(session.as_str());
                        push("campaign_clicked", clicked, user, json!({ "campaign_id": campaign.id.to_string(), "creative_id": creative.id.to_string(), "click_type": "cta", "time_to_click_seconds": (clicked - seen).num_seconds() }), &mut rng, "mobile", session);
                        let engaged = |kind: &str| json!({ "engagement_type": kind, "session_id": session, "screen_name": if kind == "app_open" { "offer" } else { "cart" } });
                        let opened = clicked + Duration::seconds(3 + flow_rng.below(58) as i64);
                        if rng.chance(convert) {
                            // Within 24 h of the click, so inside the user's measurement window.
                            let bought = clicked + Duration::minutes(10 + rng.below(20 * 60) as i64);
                            let value = round2((p.average_order_value * (0.5 + rng.unit())).max(1.0));
                            let order = rng.uuid();
                            // A buyer opened the app and filled a cart first (the flow's own draws
                            // come from `flow_rng`, so the purchase itself is as before).
                            let room = (bought - opened).num_seconds() - 30;
                            let carted = opened + Duration::seconds(20 + flow_rng.below(room.clamp(1, 900) as usize) as i64);
                            push("user_engaged", opened, user, engaged("app_open"), &mut flow_rng, "mobile", session);
                            push("user_engaged", carted, user, engaged("add_to_cart"), &mut flow_rng, "mobile", session);
                            push("campaign_converted", bought, user, json!({ "campaign_id": campaign.id.to_string(), "creative_id": creative.id.to_string(), "order_id": order.to_string(), "order_value": value, "attribution_model": "last_touch", "conversion_delay_seconds": (bought - clicked).num_seconds() }), &mut rng, "backend", session);
                            push("user_purchased", bought, user, json!({ "order_id": order.to_string(), "order_value": value, "payment_method": "card", "promo_code_used": true }), &mut rng, "backend", session);
                        } else {
                            // Non-buyers open and fill a cart at the rates that make the segment's
                            // overall app-open and add-to-cart rates per click what its profile says.
                            let (open_rest, cart_rest) = flow_rest(&p, convert);
                            if flow_rng.chance(open_rest) {
                                push("user_engaged", opened, user, engaged("app_open"), &mut flow_rng, "mobile", session);
                                if flow_rng.chance(cart_rest) {
                                    let carted = opened + Duration::seconds(20 + flow_rng.below(900) as i64);
                                    push("user_engaged", carted, user, engaged("add_to_cart"), &mut flow_rng, "mobile", session);
                                }
                            }
                        }
                    }
                }
                // Unsubscribes rise with the number of messages received.
                if rng.chance(0.002 * f64::from(messages[index])) {
                    unsubscribed[index] = true;
                    let at = at + Duration::hours(2);
                    push("user_unsubscribed", at, user, json!({ "unsubscribe_type": "all_campaigns", "unsubscribe_reason": "too_many_campaigns", "campaign_id": campaign.id.to_string(), "previous_email_frequency": messages[index] }), &mut rng, "mobile", None);
                }
            }
            let mean = |sum: f64, n: u64| if n > 0 { sum / n as f64 } else { 0.0 };
            let (p0_mean, baseline_treated, p1_mean) = (mean(p0_held, held), mean(p0_treated, treated), mean(p1_sum, treated));
            let window_from = first_assignment.unwrap_or(day_start);
            let window_to = last_assignment.unwrap_or(day_start) + Duration::days(WINDOW_DAYS);
            truths.push(CampaignTruth {
                campaign_id: campaign.id,
                name: campaign.name.clone(),
                treated_users: treated,
                holdout_users: held,
                window_from,
                window_to,
                purchase_probability_holdout: p0_mean,
                purchase_probability_treated: p1_mean,
                baseline_probability_treated: baseline_treated,
                true_lift: if baseline_treated > 0.0 { p1_mean / baseline_treated - 1.0 } else { 0.0 },
                true_incremental_revenue: round2(incremental),
            });
            if let Some(e) = experiment {
                experiment_truths.push(ExperimentTruth {
                    id: e.id,
                    campaign_id: campaign.id,
                    started_at: day_start,
                    duration_days: WINDOW_DAYS as u32 + 1,
                    arms: campaign
                        .creatives
                        .iter()
                        .zip(&arm_acc)
                        .enumerate()
                        .map(|(i, (creative, (members, clicks)))| ExperimentArmTruth {
                            creative_id: creative.id,
                            share_bp: e.shares_bp[i],
                            click_multiplier: e.click_multipliers[i],
                            members: *members,
                            expected_click_rate: if *members > 0 { clicks / *members as f64 } else { 0.0 },
                        })
                        .collect(),
                });
            }
        }

        flush(day, &mut events, &mut spoiler, &mut total_events, &mut sink);
    }

    let segments = segment_acc
        .into_iter()
        .map(|(code, (mut truth, views, clicks, conversions))| {
            if truth.deliveries > 0 {
                let n = truth.deliveries as f64;
                truth.view_rate = views / n;
                truth.click_rate = clicks / n;
                truth.conversion_rate = if clicks > 0.0 { conversions / clicks } else { 0.0 };
            }
            (code, truth)
        })
        .collect();
    Truth { config: config.clone(), campaigns: truths, segments, events: total_events, faults: spoiler.counts, experiments: experiment_truths }
}

/// Spoils a share of one day's events as asked: a late event is moved 25–48 hours earlier (it
/// then arrives late); an invalid one gets a `source` no producer may send; a duplicate is sent
/// twice. Each event gets at most one fault. Nothing is moved to before `signup`, when the users'
/// consent facts are recorded (a delivery before them would rightly be refused).
struct Spoiler {
    faults: Faults,
    /// Faults draw from their own sequence, so asking for them never changes the clean events.
    rng: Rng,
    counts: FaultCounts,
    signup: DateTime<Utc>,
}

impl Spoiler {
    fn apply(&mut self, events: &mut Vec<Value>) {
        let (faults, rng, counts) = (&self.faults, &mut self.rng, &mut self.counts);
        if faults.invalid_rate == 0.0 && faults.duplicate_rate == 0.0 && faults.late_rate == 0.0 {
            return;
        }
        let mut copies = Vec::new();
        for event in events.iter_mut() {
            let roll = rng.unit();
            if roll < faults.invalid_rate {
                event["source"] = Value::from("web");
                counts.invalid += 1;
            } else if roll < faults.invalid_rate + faults.duplicate_rate {
                copies.push(event.clone());
                counts.duplicates += 1;
            } else if roll < faults.invalid_rate + faults.duplicate_rate + faults.late_rate {
                if let Some(at) = event["timestamp"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
                    let earlier = at.with_timezone(&Utc) - Duration::hours(25 + rng.below(24) as i64);
                    if earlier > self.signup {
                        event["timestamp"] = Value::from(earlier.to_rfc3339());
                        counts.late += 1;
                    }
                }
            }
        }
        events.extend(copies);
    }
}

/// One event as the API takes it (the history and the live model both make them here).
fn envelope(rng: &mut Rng, event_type: &str, at: DateTime<Utc>, user: &SimUser, source: &str, properties: Value) -> Value {
    json!({
        "event_id": rng.uuid().to_string(),
        "event_type": event_type,
        "timestamp": at.to_rfc3339(),
        "user_id": user.id,
        "source": source,
        "properties": properties,
        "context": { "platform": user.platform, "region": user.region, "user_segment": user.segment.as_str() }
    })
}

/// The most events of a day handed over at once (a world of a million users makes several
/// million on its first day; as JSON they would not fit in memory together).
const FLUSH_EVENTS: usize = 200_000;

/// Hands over what a day has made so far: sorted by time, with the faults asked for.
fn flush(day: u32, events: &mut Vec<Value>, spoiler: &mut Spoiler, total: &mut u64, sink: &mut impl FnMut(u32, Vec<Value>)) {
    if events.is_empty() {
        return;
    }
    events.sort_by(|a, b| a["timestamp"].as_str().cmp(&b["timestamp"].as_str()));
    spoiler.apply(events);
    *total += events.len() as u64;
    sink(day, std::mem::take(events));
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A start at midnight UTC `days` days before `now`.
pub fn start_for(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let today = now.with_hour(0).and_then(|t| t.with_minute(0)).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
    today - Duration::days(i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            users: 3_000,
            days: 14,
            campaigns: 4,
            start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            holdout_share: 0.10,
            faults: Faults::default(),
            experiments: 0,
        }
    }

    #[test]
    fn faults_spoil_the_asked_share_without_changing_the_clean_events() {
        let clean = config(4);
        let mut faulty = clean.clone();
        faulty.faults = Faults { invalid_rate: 0.02, duplicate_rate: 0.03, late_rate: 0.05 };
        let (clean_truth, clean_events) = collect(&clean);
        let (truth, events) = collect(&faulty);
        // Each user's signup facts (4 consents and a segment) are never spoiled.
        let n = clean_events.len() - 5 * clean.users as usize;
        let slack = |rate: f64, n: usize| 4.0 * (rate * (1.0 - rate) * n as f64).sqrt() + 1.0;
        let near = |count: u64, rate: f64| (count as f64 - rate * n as f64).abs() < slack(rate, n);
        assert!(near(truth.faults.invalid, 0.02) && near(truth.faults.duplicates, 0.03), "{:?}", truth.faults);
        // A late event moves 25–48 hours back, never before signup: events later than 49 hours
        // after it can always move, those earlier than 26 hours never.
        let after = |hours: i64| {
            let since = (clean.start + Duration::minutes(1) + Duration::hours(hours)).to_rfc3339();
            clean_events.iter().filter(|e| e["timestamp"].as_str().is_some_and(|t| t > since.as_str())).count()
        };
        let (always, sometimes) = (after(49), after(26));
        let late = truth.faults.late as f64;
        assert!(late > 0.05 * always as f64 - slack(0.05, always) && late < 0.05 * sometimes as f64 + slack(0.05, sometimes), "{:?}", truth.faults);
        assert_eq!(events.len() as u64, clean_events.len() as u64 + truth.faults.duplicates);
        assert_eq!(truth.campaigns, clean_truth.campaigns, "the ground truth of the clean world is unchanged");
        let invalid = events.iter().filter(|e| e["source"] == "web").count() as u64;
        assert_eq!(invalid, truth.faults.invalid);
    }

    fn collect(config: &SimConfig) -> (Truth, Vec<Value>) {
        let world = world(config);
        let mut all = Vec::new();
        let truth = run(&world, |_, events| all.extend(events));
        (truth, all)
    }

    #[test]
    fn a_day_handed_over_in_parts_holds_the_same_events_and_truth() {
        let world = world(&config(8));
        let mut whole = Vec::new();
        let truth = run_in_parts(&world, usize::MAX, |_, events| whole.push(events));
        let mut parts = Vec::new();
        let truth_in_parts = run_in_parts(&world, 500, |_, events| parts.push(events));
        assert_eq!(serde_json::to_string(&truth).unwrap(), serde_json::to_string(&truth_in_parts).unwrap());
        assert!(parts.len() > whole.len() && parts.iter().all(|p| p.len() <= 500 + 1), "{} parts", parts.len());
        let key = |e: &Value| e["event_id"].as_str().unwrap().to_owned();
        let mut a: Vec<String> = whole.iter().flatten().map(key).collect();
        let mut b: Vec<String> = parts.iter().flatten().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn the_same_seed_gives_the_same_truth_and_events() {
        let (a, events_a) = collect(&config(7));
        let (b, events_b) = collect(&config(7));
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        assert_eq!(events_a, events_b);
        let (c, _) = collect(&config(8));
        assert_ne!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&c).unwrap());
    }

    #[test]
    fn every_generated_event_passes_the_ingestion_rules() {
        let cfg = config(3);
        let (_, events) = collect(&cfg);
        let now = cfg.start + Duration::days(i64::from(cfg.days));
        for event in events {
            let raw: crate::events::RawEvent = serde_json::from_value(event.clone()).unwrap();
            crate::events::validate(raw, now, crate::events::Rules::default()).unwrap_or_else(|issues| panic!("{event}: {issues:?}"));
        }
    }

    #[test]
    fn measured_segment_rates_match_the_truth_within_sampling_error() {
        let config = config(11);
        let (truth, events) = collect(&config);
        let segment_of: BTreeMap<String, String> = events
            .iter()
            .map(|e| (e["user_id"].as_str().unwrap().to_owned(), e["context"]["user_segment"].as_str().unwrap().to_owned()))
            .collect();
        // Per segment: deliveries, views, clicks, conversions, organic purchases and their values.
        #[derive(Default)]
        struct Seen {
            delivered: f64,
            viewed: f64,
            clicked: f64,
            converted: f64,
            organic: Vec<f64>,
        }
        let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
        for e in &events {
            let s = seen.entry(segment_of[e["user_id"].as_str().unwrap()].clone()).or_default();
            match e["event_type"].as_str().unwrap() {
                "campaign_delivered" if e["properties"]["is_holdout"] == false => s.delivered += 1.0,
                "campaign_viewed" => s.viewed += 1.0,
                "campaign_clicked" => s.clicked += 1.0,
                "campaign_converted" => s.converted += 1.0,
                // Organic purchases carry no session (those after a click share its session).
                "user_purchased" if e["session_id"].is_null() => s.organic.push(e["properties"]["order_value"].as_f64().unwrap()),
                _ => {}
            }
        }
        // A binomial rate within 4 standard errors of the truth.
        let close = |what: &str, segment: &str, hits: f64, n: f64, p: f64| {
            let se = (p * (1.0 - p) / n).sqrt();
            assert!((hits / n - p).abs() < 4.0 * se + 1e-9, "{segment}: observed {what} {:.4} vs true {p:.4} (n = {n})", hits / n);
        };
        let mut checked = 0;
        for (segment, t) in &truth.segments {
            let s = &seen[segment];
            if s.delivered >= 200.0 {
                close("view rate", segment, s.viewed, s.delivered, t.view_rate);
                close("click rate", segment, s.clicked, s.delivered, t.click_rate);
                checked += 1;
            }
            if s.clicked >= 100.0 {
                close("conversion per click", segment, s.converted, s.clicked, t.conversion_rate);
            }
            // Weekend shoppers' chance moves with the day of the week; the others' is flat.
            let user_days = t.users as f64 * f64::from(config.days);
            if segment != "WEEKEND_SHOPPER" && t.users >= 50 {
                close("daily purchase probability", segment, s.organic.len() as f64, user_days, t.daily_purchase_probability);
            }
            // Order values are uniform on [0.5, 1.5) × AOV: mean AOV, sd AOV / √12.
            if s.organic.len() >= 50 {
                let mean = s.organic.iter().sum::<f64>() / s.organic.len() as f64;
                let se = t.average_order_value / 12f64.sqrt() / (s.organic.len() as f64).sqrt();
                assert!((mean - t.average_order_value).abs() < 4.0 * se + 0.01, "{segment}: mean order {mean:.2} vs {:.2}", t.average_order_value);
            }
        }
        assert!(checked >= 2, "enough segments had deliveries to check");
    }

    #[test]
    fn clicks_lead_to_app_opens_and_carts_in_their_session_at_the_segment_rates() {
        let (truth, events) = collect(&SimConfig { users: 15_000, campaigns: 10, ..config(12) });
        let of = |e: &Value, key: &str| e[key].as_str().map(str::to_owned);
        // Per session: the click's segment and time, and what followed it.
        type Flow = (String, DateTime<Utc>, Vec<(String, DateTime<Utc>)>);
        let mut sessions: BTreeMap<String, Flow> = BTreeMap::new();
        let at = |e: &Value| DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap()).unwrap().with_timezone(&Utc);
        for e in events.iter().filter(|e| e["event_type"] == "campaign_clicked") {
            let session = of(e, "session_id").expect("every click has a session");
            assert!(sessions.insert(session, (e["context"]["user_segment"].as_str().unwrap().to_owned(), at(e), Vec::new())).is_none(), "one click per session");
        }
        for e in &events {
            let step = match (e["event_type"].as_str().unwrap(), e["properties"]["engagement_type"].as_str()) {
                ("user_engaged", Some(kind)) => kind.to_owned(),
                ("user_purchased", _) => "purchase".to_owned(),
                _ => continue,
            };
            let Some(session) = of(e, "session_id") else {
                assert_eq!(step, "purchase", "only organic purchases have no session");
                continue;
            };
            let flow = sessions.get_mut(&session).expect("a flow's session starts with a click");
            assert!(at(e) > flow.1, "{step} after the click");
            flow.2.push((step, at(e)));
        }
        let mut rates: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
        for (segment, _, steps) in sessions.values() {
            let time = |name: &str| steps.iter().find(|s| s.0 == name).map(|s| s.1);
            let (open, cart, bought) = (time("app_open"), time("add_to_cart"), time("purchase"));
            assert!(cart.is_none() || open < cart, "a cart follows an app open");
            assert!(bought.is_none() || (cart.is_some() && cart < bought), "a buyer filled a cart first");
            let r = rates.entry(segment.clone()).or_default();
            r.0 += 1.0;
            r.1 += f64::from(u8::from(open.is_some()));
            r.2 += f64::from(u8::from(cart.is_some()));
        }
        let mut checked = 0;
        for (segment, (clicks, opens, carts)) in rates {
            let t = &truth.segments[&segment];
            if clicks < 50.0 {
                continue;
            }
            for (observed, expected) in [(opens / clicks, t.app_open_rate), (carts / clicks, t.add_to_cart_rate)] {
                let se = (expected * (1.0 - expected) / clicks).sqrt();
                assert!((observed - expected).abs() < 4.0 * se + 1e-9, "{segment}: {observed:.3} vs {expected:.3} over {clicks} clicks");
            }
            checked += 1;
        }
        assert!(checked >= 2, "enough segments clicked to check");
    }

    #[test]
    fn the_rates_for_non_buyers_give_the_profile_rates_over_all_clicks() {
        let (_, events) = collect(&config(6));
        let engaged = events.iter().filter(|e| e["event_type"] == "user_engaged").count();
        let clicks = events.iter().filter(|e| e["event_type"] == "campaign_clicked").count();
        assert!(engaged > clicks / 2 && engaged < 2 * clicks, "{engaged} app opens and carts for {clicks} clicks");
        for p in [0.05, 0.2] {
            for segment in segment_profiles() {
                let (a, b) = flow_rest(&segment, p * 0.5);
                assert!((0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&b));
                let v = p * 0.5;
                assert!((v + (1.0 - v) * a - segment.app_open_rate).abs() < 1e-12);
                assert!((v + (1.0 - v) * a * b - segment.app_open_rate * segment.add_to_cart_rate).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn holdout_users_receive_nothing_but_the_assignment_record() {
        let (_, events) = collect(&config(5));
        let held: std::collections::BTreeSet<(String, String)> = events
            .iter()
            .filter(|e| e["event_type"] == "campaign_delivered" && e["properties"]["is_holdout"] == true)
            .map(|e| (e["user_id"].as_str().unwrap().to_owned(), e["properties"]["campaign_id"].as_str().unwrap().to_owned()))
            .collect();
        assert!(!held.is_empty());
        for e in &events {
            if matches!(e["event_type"].as_str(), Some("campaign_viewed" | "campaign_clicked" | "campaign_converted")) {
                let key = (e["user_id"].as_str().unwrap().to_owned(), e["properties"]["campaign_id"].as_str().unwrap().to_owned());
                assert!(!held.contains(&key), "a held-out user engaged with the campaign: {e}");
            }
        }
    }

    #[test]
    fn the_true_lift_follows_from_the_two_probabilities() {
        let (truth, _) = collect(&config(9));
        for c in &truth.campaigns {
            assert!(c.purchase_probability_treated >= c.baseline_probability_treated);
            let lift = c.purchase_probability_treated / c.baseline_probability_treated - 1.0;
            assert!((lift - c.true_lift).abs() < 1e-12);
            // Randomised groups: their baselines differ only by sampling.
            assert!((c.baseline_probability_treated - c.purchase_probability_holdout).abs() < 0.1, "{c:?}");
            assert!(c.window_to - c.window_from >= Duration::days(WINDOW_DAYS) && c.window_to - c.window_from <= Duration::days(WINDOW_DAYS + 1));
        }
    }

    /// SHA-256 of every event's JSON (object keys sorted, whatever serde_json's features), in the
    /// order handed over.
    fn digest(events: &[Value]) -> String {
        use sha2::{Digest, Sha256};
        fn canonical(v: &Value, out: &mut String) {
            match v {
                Value::Object(map) => {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    out.push('{');
                    for (i, k) in keys.into_iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&Value::from(k.as_str()).to_string());
                        out.push(':');
                        canonical(&map[k], out);
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        canonical(item, out);
                    }
                    out.push(']');
                }
                other => out.push_str(&other.to_string()),
            }
        }
        let mut hash = Sha256::new();
        for e in events {
            let mut text = String::new();
            canonical(e, &mut text);
            hash.update(text.as_bytes());
            hash.update(b"\n");
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn without_experiments_every_event_and_truth_is_as_before_they_existed() {
        // Pinned from this world before `SimConfig::experiments` existed: asking for none must
        // leave every draw where it was.
        let (truth, events) = collect(&config(7));
        assert_eq!(events.len(), 20_853);
        assert_eq!(digest(&events), "80f462d3dae25aa479618be7e9f42a497814cd1ccd743839850575d07e8ad3e6");
        let rest = json!({ "campaigns": truth.campaigns, "segments": truth.segments, "events": truth.events });
        assert_eq!(digest(&[rest]), "00682694805080c5010343613c93f5a9cf644467a6c5528e752d6251680b0797");
        assert!(truth.experiments.is_empty());
        // A configuration written before the field existed reads as no experiments.
        let mut old = serde_json::to_value(config(7)).unwrap();
        old.as_object_mut().unwrap().remove("experiments");
        let old: SimConfig = serde_json::from_value(old).unwrap();
        assert_eq!(old, config(7));
        let truth: Truth = serde_json::from_value({
            let mut t = serde_json::to_value(&truth).unwrap();
            t.as_object_mut().unwrap().remove("experiments");
            t
        })
        .unwrap();
        assert!(truth.experiments.is_empty());
    }

    #[test]
    fn experiments_deliver_each_members_hash_arm_with_the_arms_true_click_rates() {
        let cfg = SimConfig { users: 6_000, experiments: 2, ..config(7) };
        let w = world(&cfg);
        let (truth, events) = collect(&cfg);
        assert_eq!(truth.experiments.len(), 2);
        assert_ne!(truth.experiments[0].id, truth.experiments[1].id);
        for (k, (t, e)) in truth.experiments.iter().zip(&w.experiments).enumerate() {
            let campaign = &w.campaigns[k];
            assert_eq!((t.id, t.campaign_id), (e.id, campaign.id), "the first campaigns with 2+ creatives");
            assert_eq!(t.started_at, cfg.start + Duration::days(i64::from(campaign.day)));
            assert_eq!(t.duration_days, WINDOW_DAYS as u32 + 1);
            assert_eq!(t.arms.len(), campaign.creatives.len());
            let shares: Vec<u32> = t.arms.iter().map(|a| a.share_bp).collect();
            assert_eq!(shares.iter().sum::<u32>(), 10_000);
            assert!(shares[1..].iter().all(|s| *s == 10_000 / shares.len() as u32 && *s <= shares[0]), "{shares:?}");
            // The first is an A/A test; the second's variants get 1.3 and 0.75 alternately.
            let multipliers: Vec<f64> = t.arms.iter().map(|a| a.click_multiplier).collect();
            let expected = if k == 0 { vec![1.0; multipliers.len()] } else { [1.0, 1.3, 0.75, 1.3][..multipliers.len()].to_vec() };
            assert_eq!(multipliers, expected);

            // Every treatment delivery carries the arm's creative; members and their clicks per arm.
            let id = campaign.id.to_string();
            let arm_of = |user: &str| crate::experiment::arm_for(crate::experiment::position(t.id, user), &shares).unwrap();
            let mut members = vec![0u64; t.arms.len()];
            let mut click_sum = vec![0.0; t.arms.len()];
            let mut clicked = vec![0u64; t.arms.len()];
            let segment_of = |e: &Value| e["context"]["user_segment"].as_str().unwrap().parse::<SegmentType>().unwrap();
            for e in events.iter().filter(|e| e["properties"]["campaign_id"] == id.as_str()) {
                let user = e["user_id"].as_str().unwrap();
                let arm = arm_of(user);
                match e["event_type"].as_str().unwrap() {
                    "campaign_delivered" if e["properties"]["is_holdout"] == false => {
                        assert_eq!(e["properties"]["creative_id"], t.arms[arm].creative_id.to_string().as_str(), "{user} in arm {arm}");
                        members[arm] += 1;
                        let p = profile(segment_of(e));
                        click_sum[arm] += (p.click_rate * campaign.quality * t.arms[arm].click_multiplier).min(p.view_rate);
                    }
                    "campaign_viewed" | "campaign_clicked" | "campaign_converted" => {
                        assert_eq!(e["properties"]["creative_id"], t.arms[arm].creative_id.to_string().as_str());
                        clicked[arm] += u64::from(e["event_type"] == "campaign_clicked");
                    }
                    _ => {}
                }
            }
            let campaign_truth = truth.campaigns.iter().find(|c| c.campaign_id == campaign.id).unwrap();
            assert_eq!(members.iter().sum::<u64>(), campaign_truth.treated_users, "members are the treated users");
            for (arm, a) in t.arms.iter().enumerate() {
                assert_eq!(a.members, members[arm]);
                assert!(a.members >= 50, "{:?}", t.arms);
                assert!((a.expected_click_rate - click_sum[arm] / members[arm] as f64).abs() < 1e-12);
                // The measured rate is within 4 standard errors of the truth.
                let (n, p) = (members[arm] as f64, a.expected_click_rate);
                assert!((clicked[arm] as f64 / n - p).abs() < 4.0 * (p * (1.0 - p) / n).sqrt(), "arm {arm}: {} of {n} vs {p}", clicked[arm]);
            }
        }
        // The other campaigns run no test and deliver each of their creatives at random.
        for campaign in &w.campaigns[2..] {
            assert!(truth.experiments.iter().all(|t| t.campaign_id != campaign.id));
            let id = campaign.id.to_string();
            let delivered: std::collections::BTreeSet<&str> = events
                .iter()
                .filter(|e| e["event_type"] == "campaign_delivered" && e["properties"]["campaign_id"] == id.as_str())
                .map(|e| e["properties"]["creative_id"].as_str().unwrap())
                .collect();
            assert_eq!(delivered.len(), campaign.creatives.len(), "{}", campaign.name);
        }
    }

    #[test]
    fn too_short_a_simulation_is_refused_with_the_reason() {
        let mut cfg = config(1);
        cfg.days = 5;
        assert!(cfg.check().unwrap_err().contains("9 days"));
    }
}
