//! `simulate --live`: one tick of real-time behaviour, given the campaigns as the product last
//! reported them. Pure (no clock, no I/O): the caller reads the catalogue, calls [`LiveModel::tick`]
//! with the time, and sends what it returns.
//!
//! What the product decides, the model obeys:
//! - a campaign that is `paused`, `completed` or `archived` delivers nothing (drafts and the
//!   approval states deliver: the simulator's own campaigns are created by a key, which may not
//!   approve, and the demo treats them as running until someone stops them);
//! - deliveries scale with the campaign's budget relative to its budget when the model first saw
//!   it (a doubled budget, twice the deliveries; capped at 4×);
//! - users who opted out (the model's own `user_unsubscribed` / `consent_updated` opted_out, and
//!   users without consent) receive nothing more;
//! - a campaign with a frequency cap sends no user more than the cap in any 7 days (counting the
//!   messages the model sent it; holdout assignments are not messages);
//! - a paused creative is not sent (the caller passes only the campaign's active creatives);
//! - while a creative experiment runs on a campaign ([`LiveExperiment`]), a treatment user gets
//!   the creative of their arm by the product's pinned hash (`crate::experiment::{position,
//!   arm_for}`); held-out users get a creative drawn as before.
//!
//! The true effect of a creative multiplies its click probability: 1.0 for the creatives of the
//! simulated [`World`] (so a test between them is an A/A test), and [`CHALLENGER_CLICK_LIFT`]
//! for any other creative of the campaign. That is a simulator assumption, not a measurement: a
//! challenger a marketer wrote in the product (the A/B test's "clone + modify") clicks 1.5× its
//! campaign's rate, so a live test has a known winner to find.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Rng, SimUser, World, envelope, profile, round2};
use crate::{CampaignStatus, CampaignType, DeliveryChannel, SegmentType};

/// A campaign as the product reports it (`GET /api/v1/campaigns/{id}`).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveCampaign {
    pub id: Uuid,
    pub campaign_type: CampaignType,
    pub channel: DeliveryChannel,
    pub target_segments: Vec<SegmentType>,
    pub creatives: Vec<Uuid>,
    pub status: CampaignStatus,
    pub budget_cents: i64,
    pub holdout_share: f64,
    /// At most this many deliveries to one user in any 7 days.
    pub frequency_cap_per_week: Option<u32>,
    /// The creative test running on the campaign, if any.
    pub experiment: Option<LiveExperiment>,
}

/// A running creative test as the product reports it (`GET /api/v1/experiments/{id}`).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveExperiment {
    pub id: Uuid,
    /// The arms' shares in basis points, in arm order.
    pub shares_bp: Vec<u32>,
    /// Each arm's creative, in arm order.
    pub creatives: Vec<Uuid>,
}

/// The simulator's assumed true effect of a creative the simulated world did not create (a
/// challenger written in the product): its click probability is its campaign's times this.
pub const CHALLENGER_CLICK_LIFT: f64 = 1.5;

impl LiveCampaign {
    /// Whether the product lets it send.
    pub fn delivers(&self) -> bool {
        !matches!(self.status, CampaignStatus::Paused | CampaignStatus::Completed | CampaignStatus::Archived)
    }
}

/// The most a budget increase multiplies deliveries by.
pub const MAX_BUDGET_SCALE: f64 = 4.0;
/// Chance a delivered (non-holdout) message makes its user opt out.
const UNSUBSCRIBE_PER_MESSAGE: f64 = 0.01;

/// The simulated audience and what it remembers between ticks.
pub struct LiveModel {
    users: Vec<SimUser>,
    opted_out: Vec<bool>,
    /// The world's creatives (true effect 1.0; any other is a challenger).
    known_creatives: HashSet<Uuid>,
    first_budget: HashMap<Uuid, i64>,
    rng: Rng,
    /// Deliveries not yet made (fractions carried to the next tick).
    carry: HashMap<Uuid, f64>,
    /// When each user (by index) was sent each campaign in the last 7 days, for frequency caps
    /// (kept for every campaign, so a cap set later counts the sends before it).
    sent: HashMap<(Uuid, usize), VecDeque<DateTime<Utc>>>,
    /// When `sent` is next swept of what is older than 7 days.
    next_sweep: Option<DateTime<Utc>>,
}

impl LiveModel {
    pub fn new(world: &World) -> LiveModel {
        let opted_out = world.users.iter().map(|u| !u.consented).collect();
        LiveModel {
            users: world.users.clone(),
            opted_out,
            known_creatives: world.campaigns.iter().flat_map(|c| c.creatives.iter().map(|k| k.id)).collect(),
            first_budget: HashMap::new(),
            rng: Rng::new(world.config.seed ^ 0x9E37_79B9_7F4A_7C15),
            carry: HashMap::new(),
            sent: HashMap::new(),
            next_sweep: None,
        }
    }

    /// Whether the campaign's frequency cap lets the user (by index) receive one more during the
    /// tick ending at `now`; forgets sends older than 7 days on the way. A send counts until 7
    /// days before the tick's start, so it is at least 7 days older than any send of this tick.
    fn under_cap(&mut self, campaign: &LiveCampaign, user: usize, now: DateTime<Utc>, tick: Duration) -> bool {
        let Some(cap) = campaign.frequency_cap_per_week else { return true };
        let Some(times) = self.sent.get_mut(&(campaign.id, user)) else { return true };
        while times.front().is_some_and(|t| *t <= now - tick - Duration::days(7)) {
            times.pop_front();
        }
        times.len() < cap as usize
    }

    /// Whether the user (by index) has opted out.
    pub fn is_opted_out(&self, user_id: &str) -> bool {
        self.users.iter().position(|u| u.id == user_id).is_some_and(|i| self.opted_out[i])
    }

    /// Deliveries per tick the campaign gets, for `base` at its first budget.
    pub fn delivery_rate(&mut self, campaign: &LiveCampaign, base: f64) -> f64 {
        let first = *self.first_budget.entry(campaign.id).or_insert(campaign.budget_cents);
        if !campaign.delivers() {
            return 0.0;
        }
        let scale = if first > 0 { campaign.budget_cents as f64 / first as f64 } else { 1.0 };
        base * scale.clamp(0.0, MAX_BUDGET_SCALE)
    }

    /// About `events` events happening around `now` (within the last `tick`): half the budget
    /// goes to campaign deliveries (split by campaign, scaled by budget) with their views and
    /// clicks, the rest to organic purchases and app opens.
    pub fn tick(&mut self, campaigns: &[LiveCampaign], now: DateTime<Utc>, tick: Duration, events: usize) -> Vec<Value> {
        let mut out = Vec::new();
        // Once an hour, forget sends older than 8 days (a day's margin over the caps' 7, for any
        // tick length), so memory holds about a week of sends.
        if self.next_sweep.is_none_or(|next| now >= next) {
            let horizon = now - Duration::days(8);
            self.sent.retain(|_, times| {
                while times.front().is_some_and(|t| *t <= horizon) {
                    times.pop_front();
                }
                !times.is_empty()
            });
            self.next_sweep = Some(now + Duration::hours(1));
        }
        let base = if campaigns.is_empty() { 0.0 } else { events as f64 / 2.0 / campaigns.len() as f64 / 2.0 };
        for campaign in campaigns {
            let rate = self.delivery_rate(campaign, base);
            let due = self.carry.get(&campaign.id).copied().unwrap_or(0.0) + rate;
            let whole = due.floor();
            self.carry.insert(campaign.id, due - whole);
            for _ in 0..whole as usize {
                self.deliver(campaign, now, tick, &mut out);
            }
        }
        while out.len() < events {
            let i = self.rng.below(self.users.len());
            let at = self.moment(now, tick);
            let user = &self.users[i];
            let p = profile(user.segment);
            let event = if self.rng.chance(0.3) {
                let value = round2((p.average_order_value * (0.5 + self.rng.unit())).max(1.0));
                let order = self.rng.uuid();
                envelope(&mut self.rng, "user_purchased", at, user, "backend", json!({ "order_id": order.to_string(), "order_value": value, "payment_method": "card" }))
            } else {
                envelope(&mut self.rng, "user_engaged", at, user, "mobile", json!({ "engagement_type": "app_open", "screen_name": "home" }))
            };
            out.push(event);
        }
        out.sort_by(|a, b| a["timestamp"].as_str().cmp(&b["timestamp"].as_str()));
        out
    }

    fn moment(&mut self, now: DateTime<Utc>, tick: Duration) -> DateTime<Utc> {
        let span = tick.num_milliseconds().max(1) as usize;
        now - Duration::milliseconds(self.rng.below(span) as i64)
    }

    /// A creative's true effect on clicks: 1.0 for the world's, [`CHALLENGER_CLICK_LIFT`] for others.
    pub fn click_lift(&self, creative: Uuid) -> f64 {
        if self.known_creatives.contains(&creative) { 1.0 } else { CHALLENGER_CLICK_LIFT }
    }

    /// One delivery to an eligible user (targeted, consenting, not opted out), with what follows.
    fn deliver(&mut self, campaign: &LiveCampaign, now: DateTime<Utc>, tick: Duration, out: &mut Vec<Value>) {
        if campaign.creatives.is_empty() {
            return;
        }
        // A few tries at finding an eligible user; a campaign without any sends nothing.
        let candidates: Vec<usize> = (0..20).map(|_| self.rng.below(self.users.len())).collect();
        let Some(index) = candidates.into_iter().find(|&i| {
            !self.opted_out[i]
                && (campaign.target_segments.is_empty() || campaign.target_segments.contains(&self.users[i].segment))
                && self.under_cap(campaign, i, now, tick)
        }) else {
            return;
        };
        let at = self.moment(now, tick);
        // Drawn whether or not a test decides, so the other draws stay put.
        let drawn = campaign.creatives[self.rng.below(campaign.creatives.len())];
        let user = self.users[index].clone();
        let holdout = crate::holdout::is_holdout(campaign.id, &user.id, campaign.holdout_share);
        let arm_creative = campaign.experiment.as_ref().filter(|_| !holdout).and_then(|e| {
            crate::experiment::arm_for(crate::experiment::position(e.id, &user.id), &e.shares_bp).and_then(|arm| e.creatives.get(arm).copied())
        });
        let creative = arm_creative.unwrap_or(drawn);
        let lift = self.click_lift(creative);
        let ids = (campaign.id.to_string(), creative.to_string());
        out.push(envelope(&mut self.rng, "campaign_delivered", at, &user, "backend", json!({
            "campaign_id": ids.0, "campaign_type": campaign.campaign_type.as_str(), "creative_id": ids.1,
            "segment_id": user.segment.as_str(), "delivery_channel": campaign.channel.as_str(), "is_holdout": holdout,
            "allocation_method": "random"
        })));
        if holdout {
            return;
        }
        let times = self.sent.entry((campaign.id, index)).or_default();
        let position = times.partition_point(|t| *t <= at);
        times.insert(position, at);
        let p = profile(user.segment);
        if self.rng.chance(p.view_rate) {
            out.push(envelope(&mut self.rng, "campaign_viewed", at, &user, "mobile", json!({ "campaign_id": ids.0, "creative_id": ids.1, "view_duration_seconds": 3, "view_type": "opened" })));
            if self.rng.chance((p.click_rate * lift / p.view_rate).min(1.0)) {
                out.push(envelope(&mut self.rng, "campaign_clicked", at, &user, "mobile", json!({ "campaign_id": ids.0, "creative_id": ids.1, "click_type": "cta", "time_to_click_seconds": 5 })));
            }
        }
        if self.rng.chance(UNSUBSCRIBE_PER_MESSAGE) {
            self.opted_out[index] = true;
            out.push(envelope(&mut self.rng, "user_unsubscribed", at, &user, "mobile", json!({ "unsubscribe_type": "all_campaigns", "unsubscribe_reason": "too_many_campaigns", "campaign_id": ids.0 })));
            out.push(envelope(&mut self.rng, "consent_updated", at, &user, "backend", json!({ "channel": campaign.channel.as_str(), "status": "opted_out", "method": "unsubscribe", "source": "message_link", "region": user.region })));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::{Faults, SimConfig, world};
    use chrono::TimeZone;

    fn setup_config() -> SimConfig {
        SimConfig {
            seed: 5,
            users: 2_000,
            days: 10,
            campaigns: 2,
            start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            holdout_share: 0.10,
            faults: Faults::default(),
            experiments: 0,
        }
    }

    fn setup() -> (LiveModel, Vec<LiveCampaign>) {
        let w = world(&setup_config());
        let campaigns = w
            .campaigns
            .iter()
            .map(|c| LiveCampaign {
                id: c.id,
                campaign_type: c.campaign_type,
                channel: c.channel,
                target_segments: Vec::new(),
                creatives: c.creatives.iter().map(|k| k.id).collect(),
                status: CampaignStatus::Active,
                budget_cents: c.budget_cents,
                holdout_share: 0.10,
                frequency_cap_per_week: None,
                experiment: None,
            })
            .collect();
        (LiveModel::new(&w), campaigns)
    }

    fn deliveries(events: &[Value], campaign: Uuid) -> usize {
        events
            .iter()
            .filter(|e| e["event_type"] == "campaign_delivered" && e["properties"]["campaign_id"] == campaign.to_string())
            .count()
    }

    fn run(model: &mut LiveModel, campaigns: &[LiveCampaign], ticks: usize) -> Vec<Value> {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        (0..ticks).flat_map(|t| model.tick(campaigns, now + Duration::seconds(t as i64), Duration::seconds(1), 200)).collect()
    }

    #[test]
    fn without_an_experiment_the_events_are_as_before_experiments_existed() {
        use sha2::{Digest, Sha256};
        let (mut model, campaigns) = setup();
        let events = run(&mut model, &campaigns, 30);
        let mut hash = Sha256::new();
        for e in &events {
            hash.update(e.to_string().as_bytes());
            hash.update(b"\n");
        }
        let digest: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        // Pinned before `LiveCampaign::experiment` existed (the fields' order is serde_json's).
        assert_eq!((events.len(), digest.as_str()), (6_000, "3005fe5f6a30e08738db067963573db0759c635bb6a2616d7f2b3427e72e945a"));
    }

    #[test]
    fn a_running_test_delivers_the_hash_arms_and_the_challenger_clicks_more() {
        let config = SimConfig { users: 50_000, ..setup_config() };
        let w = world(&config);
        let c = &w.campaigns[0];
        let challenger = Uuid::from_u128(0xC4A1_1E46);
        let experiment = LiveExperiment { id: Uuid::from_u128(77), shares_bp: vec![5_000, 5_000], creatives: vec![c.creatives[0].id, challenger] };
        let campaign = LiveCampaign {
            id: c.id,
            campaign_type: c.campaign_type,
            channel: c.channel,
            target_segments: Vec::new(),
            creatives: c.creatives.iter().map(|k| k.id).chain([challenger]).collect(),
            status: CampaignStatus::Active,
            budget_cents: c.budget_cents,
            holdout_share: 0.10,
            frequency_cap_per_week: None,
            experiment: Some(experiment.clone()),
        };
        let mut model = LiveModel::new(&w);
        assert_eq!((model.click_lift(c.creatives[0].id), model.click_lift(challenger)), (1.0, CHALLENGER_CLICK_LIFT));
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let campaigns = [campaign];
        // Per arm: treatment deliveries and clicks.
        let (mut sent, mut clicks, mut held) = ([0u64; 2], [0u64; 2], 0u64);
        for t in 0..100 {
            // A whole tick first; then only deliveries (a tick adds three times as many organic
            // events around them, which this test has no use for).
            let at = now + Duration::seconds(t);
            let events = if t == 0 {
                model.tick(&campaigns, at, Duration::seconds(1), 4_000)
            } else {
                let mut events = Vec::new();
                for _ in 0..1_000 {
                    model.deliver(&campaigns[0], at, Duration::seconds(1), &mut events);
                }
                events
            };
            for e in &events {
                let user = e["user_id"].as_str().unwrap_or_default();
                let arm = crate::experiment::arm_for(crate::experiment::position(experiment.id, user), &experiment.shares_bp).unwrap();
                match e["event_type"].as_str() {
                    Some("campaign_delivered") if e["properties"]["is_holdout"] == true => held += 1,
                    Some("campaign_delivered") => {
                        assert_eq!(e["properties"]["creative_id"], experiment.creatives[arm].to_string().as_str(), "{user} is in arm {arm}");
                        sent[arm] += 1;
                    }
                    Some("campaign_clicked") => {
                        assert_eq!(e["properties"]["creative_id"], experiment.creatives[arm].to_string().as_str());
                        clicks[arm] += 1;
                    }
                    _ => {}
                }
            }
        }
        assert!(held > 0 && sent.iter().all(|s| *s > 30_000), "{sent:?}, {held} held out");
        let rate = |arm: usize| clicks[arm] as f64 / sent[arm] as f64;
        // About 1,000 control clicks and 1,500 challenger clicks: the ratio's standard error is
        // about 0.06.
        let ratio = rate(1) / rate(0);
        assert!((ratio - CHALLENGER_CLICK_LIFT).abs() < 0.25, "challenger {:.4} vs control {:.4}: ×{ratio:.2}", rate(1), rate(0));
    }

    #[test]
    fn a_paused_campaign_delivers_nothing_while_the_others_go_on() {
        let (mut model, mut campaigns) = setup();
        campaigns[0].status = CampaignStatus::Paused;
        let events = run(&mut model, &campaigns, 20);
        assert_eq!(deliveries(&events, campaigns[0].id), 0);
        assert!(deliveries(&events, campaigns[1].id) > 100);
        campaigns[1].status = CampaignStatus::Completed;
        assert_eq!(deliveries(&run(&mut model, &campaigns, 5), campaigns[1].id), 0);
    }

    #[test]
    fn deliveries_scale_with_the_budget() {
        let (mut model, mut campaigns) = setup();
        let before = deliveries(&run(&mut model, &campaigns, 20), campaigns[0].id);
        campaigns[0].budget_cents *= 2;
        let after = deliveries(&run(&mut model, &campaigns, 20), campaigns[0].id);
        assert!((after as f64 / before as f64 - 2.0).abs() < 0.05, "{before} then {after}");
        campaigns[0].budget_cents = 0;
        assert_eq!(deliveries(&run(&mut model, &campaigns, 5), campaigns[0].id), 0);
    }

    #[test]
    fn users_who_opted_out_receive_nothing_more() {
        let (mut model, campaigns) = setup();
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let mut opted_out: std::collections::HashSet<String> = std::collections::HashSet::new();
        let delivered_to = |e: &Value| (e["event_type"] == "campaign_delivered").then(|| e["user_id"].as_str().unwrap_or_default().to_owned());
        for t in 0..60 {
            let events = model.tick(&campaigns, now + Duration::seconds(t), Duration::seconds(1), 200);
            for user in events.iter().filter_map(delivered_to) {
                assert!(!opted_out.contains(&user), "{user} got a delivery after opting out");
            }
            opted_out.extend(events.iter().filter(|e| e["event_type"] == "consent_updated").map(|e| e["user_id"].as_str().unwrap_or_default().to_owned()));
        }
        assert!(!opted_out.is_empty(), "some users opted out");
        assert!(opted_out.iter().all(|u| model.is_opted_out(u)));
        // Users without consent never receive anything.
        let events = run(&mut model, &campaigns, 10);
        assert!(events.iter().filter_map(delivered_to).all(|user| model.users.iter().any(|u| u.id == user && u.consented)));
    }

    #[test]
    fn a_frequency_cap_holds_over_any_seven_days() {
        let (mut model, mut campaigns) = setup();
        let sends = |events: &[Value], campaign: Uuid| {
            let mut per_user: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
            for e in events.iter().filter(|e| {
                e["event_type"] == "campaign_delivered" && e["properties"]["campaign_id"] == campaign.to_string() && e["properties"]["is_holdout"] == false
            }) {
                let at = DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap()).unwrap().with_timezone(&Utc);
                per_user.entry(e["user_id"].as_str().unwrap().to_owned()).or_default().push(at);
            }
            per_user
        };
        // Without a cap, some users get the same campaign twice or more in a few minutes.
        let uncapped = run(&mut model, &campaigns, 40);
        assert!(sends(&uncapped, campaigns[1].id).values().any(|t| t.len() >= 2));

        // Capped at 2 a week: over 10 simulated days (a tick every 6 hours, so sends from more than
        // 7 days ago stop counting), no 7-day span holds more than 2 sends to one user.
        campaigns[0].frequency_cap_per_week = Some(2);
        let start = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap();
        let events: Vec<Value> =
            (0..40).flat_map(|t| model.tick(&campaigns, start + Duration::hours(6 * t), Duration::seconds(1), 400)).collect();
        let capped = sends(&events, campaigns[0].id);
        let mut most = 0;
        for times in capped.values() {
            let mut times = times.clone();
            times.sort();
            for (i, t) in times.iter().enumerate() {
                let within = times[i..].iter().take_while(|u| **u - *t < Duration::days(7)).count();
                most = most.max(within);
            }
        }
        assert_eq!(most, 2, "the cap is reached and never exceeded");
        // Sends older than 7 days stop counting: some users got more than 2 over the 10 days.
        assert!(capped.values().any(|t| t.len() > 2), "the cap is per 7 days, not for ever");
        // The other campaign is not capped.
        assert!(sends(&events, campaigns[1].id).values().any(|t| t.len() > 2));
    }
}
