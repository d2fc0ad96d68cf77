//! Metric 21 in full: what each attribution model (first touch, last touch, linear, time decay)
//! credits to each campaign and each delivery channel, in conversions and revenue, side by side.
//!
//! The rules are metric 21's (docs/metrics.md): a purchase in the window is credited to the
//! impressions and clicks of campaigns at most the lookback before it; each model shares one
//! conversion (and its value) among them, so a conversion's credit always adds up to 1. Under a
//! filter the purchase must match the filter's segment, region and platform, and only the
//! touches of campaigns in scope keep their credit (the rest went to campaigns outside it).
//!
//! A touch's channel is the channel of the latest delivery of the same campaign to the user at
//! or before the touch (impressions and clicks do not carry one); without such a delivery it is
//! the campaign's channel when it has exactly one, and otherwise unknown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::compute::{Config, Filter, MODELS, Scope, touch_credits};
use super::store::{Fact, Kind, Store};
use crate::domain::{CampaignType, DeliveryChannel};

const HOUR: i64 = 3_600;

/// What one model credits: conversions (fractions of purchases) and revenue in dollars.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    pub conversions: f64,
    pub revenue: f64,
}

/// The four models side by side.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ByModel {
    pub first_touch: Credit,
    pub last_touch: Credit,
    pub linear: Credit,
    pub time_decay: Credit,
}

impl ByModel {
    fn add(&mut self, shares: [f64; 4], cents: i64) {
        for (credit, share) in [&mut self.first_touch, &mut self.last_touch, &mut self.linear, &mut self.time_decay].into_iter().zip(shares) {
            credit.conversions += share;
            credit.revenue += share * cents as f64 / 100.0;
        }
    }

    fn merge(&mut self, o: &ByModel) {
        for (credit, other) in [&mut self.first_touch, &mut self.last_touch, &mut self.linear, &mut self.time_decay].into_iter().zip(o.each()) {
            credit.conversions += other.1.conversions;
            credit.revenue += other.1.revenue;
        }
    }

    /// The models in the order of `MODELS`.
    pub fn each(&self) -> [(&'static str, Credit); 4] {
        [(MODELS[0], self.first_touch), (MODELS[1], self.last_touch), (MODELS[2], self.linear), (MODELS[3], self.time_decay)]
    }

    /// (highest − lowest revenue) ÷ mean revenue × 100: how much the choice of model matters.
    pub fn revenue_spread_percent(&self) -> Option<f64> {
        let revenues = self.each().map(|(_, c)| c.revenue);
        let mean = revenues.iter().sum::<f64>() / 4.0;
        let max = revenues.iter().copied().fold(f64::MIN, f64::max);
        let min = revenues.iter().copied().fold(f64::MAX, f64::min);
        (mean > 0.0).then(|| 100.0 * (max - min) / mean)
    }
}

/// One campaign's credit.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignCredit {
    pub campaign_id: Uuid,
    pub name: String,
    pub campaign_type: CampaignType,
    pub channels: Vec<DeliveryChannel>,
    pub models: ByModel,
    /// Percent; null without revenue.
    pub revenue_spread_percent: Option<f64>,
}

/// One channel's credit; `channel` null is "unknown" (see the module comment).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelCredit {
    pub channel: Option<DeliveryChannel>,
    pub models: ByModel,
}

/// Every model's credit over a window, per campaign and per channel.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    pub lookback_hours: i64,
    pub half_life_hours: f64,
    /// Purchases in the window (matching the filter's segment, region and platform) with at
    /// least one touch in the lookback, whichever campaign it belongs to, and their value.
    pub touched_conversions: u64,
    pub touched_revenue: f64,
    /// What the campaigns in scope received: the sum of `campaigns` (and of `channels`).
    pub total: ByModel,
    /// Campaigns with any credit, by last-touch revenue, highest first.
    pub campaigns: Vec<CampaignCredit>,
    /// Channels with any credit, in the order push, email, sms, in-app, unknown.
    pub channels: Vec<ChannelCredit>,
}

/// The channel a touch at `facts[j]` came through (module comment).
fn channel_of(store: &Store, facts: &[Fact], j: usize) -> Option<DeliveryChannel> {
    let touch = &facts[j];
    facts[..j]
        .iter()
        .rev()
        .find(|f| f.kind == Kind::Sent && f.campaign == touch.campaign)
        .and_then(|f| f.channel)
        .or_else(|| match store.campaigns[touch.campaign as usize].channels.as_slice() {
            [only] => Some(*only),
            _ => None,
        })
}

/// The credit of every model for the purchases in `[from, to)` (seconds since the epoch).
pub fn attribution(store: &Store, filter: &Filter, config: &Config, from: i64, to: i64) -> Attribution {
    let scope = Scope::new(store, filter);
    let lookback = config.lookback_hours * HOUR;
    let half_life = config.half_life_hours * HOUR as f64;
    let mut touched = (0u64, 0i64);
    let mut campaigns: BTreeMap<u32, ByModel> = BTreeMap::new();
    let mut channels: BTreeMap<Option<DeliveryChannel>, ByModel> = BTreeMap::new();
    for user in &store.users {
        let facts = &user.facts;
        let start = facts.partition_point(|f| f.at < from);
        let end = facts.partition_point(|f| f.at < to);
        for i in start..end {
            let purchase = &facts[i];
            if purchase.kind != Kind::Purchased || !scope.dimensions(user, purchase) {
                continue;
            }
            let mut any = false;
            touch_credits(facts, i, lookback, half_life, |j, touch, shares| {
                any = true;
                if scope.campaign(touch) {
                    campaigns.entry(touch.campaign).or_default().add(shares, purchase.cents);
                    channels.entry(channel_of(store, facts, j)).or_default().add(shares, purchase.cents);
                }
            });
            if any {
                touched.0 += 1;
                touched.1 += purchase.cents;
            }
        }
    }

    let mut total = ByModel::default();
    for models in campaigns.values() {
        total.merge(models);
    }
    let mut campaigns: Vec<CampaignCredit> = campaigns
        .into_iter()
        .map(|(index, models)| {
            let info = &store.campaigns[index as usize];
            CampaignCredit {
                campaign_id: info.id,
                name: info.name.clone(),
                campaign_type: info.campaign_type,
                channels: info.channels.clone(),
                models,
                revenue_spread_percent: models.revenue_spread_percent(),
            }
        })
        .collect();
    campaigns.sort_by(|a, b| b.models.last_touch.revenue.total_cmp(&a.models.last_touch.revenue).then_with(|| a.name.cmp(&b.name)));
    // `None` sorts first in a map; unknown goes last.
    let (unknown, known): (Vec<_>, Vec<_>) = channels.into_iter().partition(|(channel, _)| channel.is_none());
    let channels = known.into_iter().chain(unknown).map(|(channel, models)| ChannelCredit { channel, models }).collect();
    Attribution {
        lookback_hours: config.lookback_hours,
        half_life_hours: config.half_life_hours,
        touched_conversions: touched.0,
        touched_revenue: touched.1 as f64 / 100.0,
        total,
        campaigns,
        channels,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::metrics::compute::{LAST_TOUCH, tally};
    use crate::metrics::store::NONE;
    use crate::simulator::{Faults, SimConfig, world};

    fn fact(at_hours: f64, kind: Kind, campaign: u32) -> Fact {
        Fact {
            at: (at_hours * HOUR as f64) as i64,
            kind,
            campaign,
            creative: NONE,
            region: NONE,
            platform: None,
            channel: None,
            context_segment: None,
            session: NONE,
            cents: if kind == Kind::Purchased { 10_000 } else { 0 },
            category: NONE,
            key: 0,
        }
    }

    #[test]
    fn each_model_shares_one_conversion_among_the_touches_in_the_lookback() {
        // A purchase at hour 200 with a 7-day (168 h) lookback and a 24 h half-life: the click at
        // hour 8 is outside, the purchase at hour 100 is not a touch, a campaign-less view is not
        // either.
        let facts = [
            fact(8.0, Kind::Clicked, 0),
            fact(100.0, Kind::Purchased, NONE),
            fact(152.0, Kind::Viewed, 0),
            fact(170.0, Kind::Viewed, NONE),
            fact(176.0, Kind::Clicked, 1),
            fact(200.0, Kind::Viewed, 2),
            fact(200.0, Kind::Purchased, NONE),
        ];
        let mut seen = Vec::new();
        touch_credits(&facts, 6, 168 * HOUR, 24.0 * HOUR as f64, |j, _, shares| seen.push((j, shares)));
        assert_eq!(seen.iter().map(|(j, _)| *j).collect::<Vec<_>>(), vec![2, 4, 5]);
        // Weights 2^(−48/24) = 0.25, 2^(−24/24) = 0.5 and 2^0 = 1, of 1.75 in all.
        let expected = [[1.0, 0.0, 1.0 / 3.0, 0.25 / 1.75], [0.0, 0.0, 1.0 / 3.0, 0.5 / 1.75], [0.0, 1.0, 1.0 / 3.0, 1.0 / 1.75]];
        for ((_, shares), want) in seen.iter().zip(expected) {
            for (got, want) in shares.iter().zip(want) {
                assert!((got - want).abs() < 1e-12, "{shares:?} vs {want:?}");
            }
        }
        for model in 0..4 {
            assert!((seen.iter().map(|(_, s)| s[model]).sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // No touch in the lookback, no credit.
        let mut called = false;
        touch_credits(&facts, 1, 24 * HOUR, 24.0 * HOUR as f64, |_, _, _| called = true);
        assert!(!called);
    }

    #[test]
    fn campaigns_and_channels_share_out_every_touched_conversion_and_last_touch_matches_the_tally() {
        let config = SimConfig { seed: 11, users: 2_000, days: 14, campaigns: 6, start: Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap(), holdout_share: 0.2, faults: Faults::default(), experiments: 0 };
        let w = world(&config);
        let (store, _) = Store::from_simulation(&w);
        let (from, to) = (config.start.timestamp(), (config.start + Duration::days(14)).timestamp());
        let metrics = Config::default();
        let a = attribution(&store, &Filter::default(), &metrics, from, to);
        assert!(a.touched_conversions > 50, "{}", a.touched_conversions);
        for (name, credit) in a.total.each() {
            // Without a filter every touch is in scope, so each model hands out every conversion.
            assert!((credit.conversions - a.touched_conversions as f64).abs() < 1e-6, "{name}: {credit:?}");
            assert!((credit.revenue - a.touched_revenue).abs() < 1e-6, "{name}: {credit:?}");
            let by_channel: f64 = a.channels.iter().map(|c| c.models.each()[MODELS.iter().position(|m| *m == name).unwrap()].1.revenue).sum();
            assert!((by_channel - credit.revenue).abs() < 1e-6, "{name}");
        }
        // Last touch is the model ROAS uses: the same revenue per campaign as the tally.
        let t = tally(&store, &Filter::default(), &metrics, from, to);
        for c in &a.campaigns {
            let index = store.campaign_index(c.campaign_id).unwrap();
            let cents = t.campaigns.get(&index).map_or(0, |c| c.attributed_cents);
            assert!((c.models.each()[LAST_TOUCH].1.revenue - cents as f64 / 100.0).abs() < 1e-6, "{}", c.name);
        }
        assert!(a.channels.iter().all(|c| c.channel.is_some()), "the simulator records a channel on every delivery");

        // A campaign filter keeps only that campaign's credit.
        let only = a.campaigns[0].campaign_id;
        let narrowed = attribution(&store, &Filter { campaigns: vec![only], ..Filter::default() }, &metrics, from, to);
        assert_eq!(narrowed.campaigns.len(), 1);
        assert_eq!(narrowed.campaigns[0].models, a.campaigns[0].models);
        assert_eq!(narrowed.touched_conversions, a.touched_conversions);
    }
}
