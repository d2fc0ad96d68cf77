//! A scenario market: each campaign is given a known daily audience and behaviour (who is
//! delivered to, who clicks, buys and unsubscribes, what a day costs), so that chosen entities meet
//! a recommendation's trigger and the others do not. The recommendation tests configure it per
//! campaign; its figures follow fixed rules rather than chance, so a test knows the answer.
//!
//! Like [`super::live::LiveModel`], it obeys what the product decided:
//! - a campaign that does not deliver (paused, completed, archived) has no deliveries and no spend;
//! - deliveries and spend scale with the campaign's budget against its budget when the market
//!   first saw it (capped at [`super::live::MAX_BUDGET_SCALE`]);
//! - a user who unsubscribed is not delivered to again;
//! - the holdout follows the product's pinned hash (`crate::holdout::is_holdout`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::live::{LiveCampaign, MAX_BUDGET_SCALE};
use crate::SegmentType;

/// One day of a campaign's market.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// Users in the day's audience (at the campaign's first budget).
    pub users: u32,
    /// The same users every day (a fixed audience), or new ones each day.
    pub same_users_daily: bool,
    pub segment: SegmentType,
    /// Every n-th treatment user clicks, every n-th buys, every n-th one delivered unsubscribes
    /// (0: nobody).
    pub click_every: u32,
    pub buy_every: u32,
    pub unsubscribe_every: u32,
    /// Order value in cents.
    pub order_cents: i64,
    /// The day's spend in cents (at the campaign's first budget; none when 0).
    pub spend_cents: i64,
    /// The creative delivered (default: the campaign's first).
    pub creative: Option<Uuid>,
    /// `false`: the users are not delivered to; each buys once on their own (organic members of
    /// the segment whom no campaign reached).
    pub delivered: bool,
}

impl Traffic {
    /// 200 × `scale` new high spenders a day delivered and shown the campaign; every 33rd treatment
    /// user clicks and every 100th buys for `order_dollars`; the day costs $100 × `scale`. At $50
    /// an order that returns about 1.0×, at $150 about 3.0×.
    pub fn standard(order_dollars: f64, scale: f64) -> Traffic {
        Traffic {
            users: (200.0 * scale).round() as u32,
            same_users_daily: false,
            segment: SegmentType::HighSpender,
            click_every: 33,
            buy_every: 100,
            unsubscribe_every: 0,
            order_cents: (order_dollars * 100.0).round() as i64,
            spend_cents: (10_000.0 * scale).round() as i64,
            creative: None,
            delivered: true,
        }
    }
}

/// What one day of a campaign's market made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketDay {
    /// Events as a producer sends them (`POST /api/v1/events`), in time order per user.
    pub events: Vec<Value>,
    /// The day's spend in cents (0: none to record).
    pub spend_cents: i64,
}

/// The market's memory between days.
#[derive(Debug, Default)]
pub struct Market {
    unsubscribed: HashSet<String>,
    first_budget: HashMap<Uuid, i64>,
    /// Event ids count up from here, so each is unique.
    next_event: u64,
}

impl Market {
    pub fn new() -> Market {
        Market::default()
    }

    /// The day starting at `day` of `traffic` for `campaign` as the product reports it now.
    pub fn day(&mut self, campaign: &LiveCampaign, day: DateTime<Utc>, traffic: &Traffic) -> MarketDay {
        let first = *self.first_budget.entry(campaign.id).or_insert(campaign.budget_cents);
        if traffic.delivered && !campaign.delivers() {
            return MarketDay::default();
        }
        let scale = if first > 0 && traffic.delivered { (campaign.budget_cents as f64 / first as f64).clamp(0.0, MAX_BUDGET_SCALE) } else { 1.0 };
        let users = (traffic.users as f64 * scale).round() as u32;
        let creative = traffic.creative.or(campaign.creatives.first().copied()).map(|c| c.to_string());
        let short = &campaign.id.simple().to_string()[..8];
        let segment = traffic.segment.as_str();
        let at = day + Duration::minutes(30);
        let mut events = Vec::new();
        let mut delivered_today = 0u32;
        // Clicks and purchases count treatment users only, so the holdout's draw never changes them.
        let mut treated = 0u32;
        for i in 0..users {
            let user = if traffic.same_users_daily { format!("{short}-{segment}-{i}") } else { format!("{short}-{segment}-{}-{i}", day.timestamp()) };
            if self.unsubscribed.contains(&user) {
                continue;
            }
            let next = &mut self.next_event;
            let mut event = |kind: &str, minutes: i64, properties: Value| {
                *next += 1;
                json!({
                    "event_id": Uuid::from_u64_pair(campaign.id.as_u64_pair().0, *next).to_string(),
                    "event_type": kind, "timestamp": (at + Duration::minutes(minutes)).to_rfc3339(), "user_id": user,
                    "source": "backend", "properties": properties,
                    "context": { "platform": "iOS", "user_segment": segment, "region": "US-CA" }
                })
            };
            let purchase = || json!({ "order_id": Uuid::new_v4().to_string(), "order_value": traffic.order_cents as f64 / 100.0 });
            if !traffic.delivered {
                events.push(event("user_purchased", 0, purchase()));
                continue;
            }
            delivered_today += 1;
            let held = crate::holdout::is_holdout(campaign.id, &user, campaign.holdout_share);
            let delivered = json!({
                "campaign_id": campaign.id, "campaign_type": campaign.campaign_type.as_str(), "creative_id": creative,
                "segment_id": segment, "delivery_channel": campaign.channel.as_str(), "is_holdout": held
            });
            events.push(event("campaign_delivered", 0, delivered));
            if held {
                continue;
            }
            let n = treated;
            treated += 1;
            events.push(event("campaign_viewed", 1, json!({ "campaign_id": campaign.id, "creative_id": creative })));
            if traffic.click_every > 0 && n % traffic.click_every == 0 {
                events.push(event("campaign_clicked", 2, json!({ "campaign_id": campaign.id, "creative_id": creative, "click_type": "cta" })));
            }
            if traffic.buy_every > 0 && n % traffic.buy_every == 0 {
                events.push(event("user_purchased", 5, purchase()));
            }
            if traffic.unsubscribe_every > 0 && (delivered_today - 1) % traffic.unsubscribe_every == 0 {
                let unsubscribed = json!({ "unsubscribe_type": "all_campaigns", "unsubscribe_reason": "too_many_campaigns", "campaign_id": campaign.id });
                events.push(event("user_unsubscribed", 6, unsubscribed));
                self.unsubscribed.insert(user);
            }
        }
        let spend_cents = if traffic.delivered { (traffic.spend_cents as f64 * scale).round() as i64 } else { 0 };
        MarketDay { events, spend_cents }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CampaignStatus, CampaignType, DeliveryChannel};

    fn campaign(holdout_share: f64) -> LiveCampaign {
        LiveCampaign {
            id: Uuid::from_u128(7),
            campaign_type: CampaignType::Discount,
            channel: DeliveryChannel::Push,
            target_segments: vec![SegmentType::HighSpender],
            creatives: vec![Uuid::from_u128(8)],
            status: CampaignStatus::Active,
            budget_cents: 100_000,
            holdout_share,
            frequency_cap_per_week: None,
            experiment: None,
        }
    }

    fn count(day: &MarketDay, kind: &str) -> usize {
        day.events.iter().filter(|e| e["event_type"] == kind).count()
    }

    fn monday() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_006_400, 0).unwrap()
    }

    #[test]
    fn a_standard_day_delivers_to_every_user_and_the_treated_click_and_buy_by_the_numbers() {
        let mut market = Market::new();
        let day = market.day(&campaign(0.0), monday(), &Traffic::standard(150.0, 1.0));
        assert_eq!((count(&day, "campaign_delivered"), count(&day, "campaign_viewed")), (200, 200));
        // Users 0, 33, …, 198 click; 0 and 100 buy.
        assert_eq!((count(&day, "campaign_clicked"), count(&day, "user_purchased")), (7, 2));
        assert_eq!(day.spend_cents, 10_000);
        let ids: HashSet<&str> = day.events.iter().map(|e| e["event_id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), day.events.len(), "every event its own id");
    }

    #[test]
    fn the_market_obeys_the_campaign_status_budget_and_holdout() {
        let mut market = Market::new();
        let mut c = campaign(0.1);
        let day = market.day(&c, monday(), &Traffic::standard(150.0, 1.0));
        let held = day.events.iter().filter(|e| e["properties"]["is_holdout"] == true).count();
        assert_eq!(held, 200 - count(&day, "campaign_viewed"), "the holdout sees nothing");
        assert!((5..=40).contains(&held), "about a tenth held out: {held}");
        // Twice the budget: twice the audience and the spend.
        c.budget_cents *= 2;
        let doubled = market.day(&c, monday() + Duration::days(1), &Traffic::standard(150.0, 1.0));
        assert_eq!((count(&doubled, "campaign_delivered"), doubled.spend_cents), (400, 20_000));
        // Paused: nothing delivered or spent; organic buyers still buy.
        c.status = CampaignStatus::Paused;
        assert_eq!(market.day(&c, monday() + Duration::days(2), &Traffic::standard(150.0, 1.0)), MarketDay::default());
        let organic = Traffic { users: 3, delivered: false, ..Traffic::standard(20.0, 1.0) };
        let bought = market.day(&c, monday(), &organic);
        assert_eq!((count(&bought, "user_purchased"), bought.events.len(), bought.spend_cents), (3, 3, 0));
    }

    #[test]
    fn whoever_unsubscribed_is_not_delivered_to_again() {
        let mut market = Market::new();
        let c = campaign(0.0);
        let tiring = Traffic { users: 10, same_users_daily: true, unsubscribe_every: 5, ..Traffic::standard(150.0, 1.0) };
        let first = market.day(&c, monday(), &tiring);
        assert_eq!((count(&first, "campaign_delivered"), count(&first, "user_unsubscribed")), (10, 2));
        let second = market.day(&c, monday() + Duration::days(1), &tiring);
        assert_eq!(count(&second, "campaign_delivered"), 8);
    }
}
