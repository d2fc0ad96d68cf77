//! Behavioural segments computed from purchases (spec Module 3), one per user, by rules applied in
//! a fixed order so they never overlap (docs/metrics.md, "Segments"):
//!
//! 1. `NEW_SHOPPER`: signed up less than 30 days ago;
//! 2. `INACTIVE`: no purchase in the last 30 days;
//! 3. `HIGH_SPENDER`: in the top 20% of the remaining users by spend over the last 90 days;
//! 4. `FREQUENT_SHOPPER`: 2+ purchases a week over the last 28 days (8 or more);
//! 5. `WEEKEND_SHOPPER`: 70%+ of the last 90 days' purchases (at least 3) on Saturday or Sunday;
//! 6. `SEASONAL_SPENDER`: at least 3 purchases in the last 90 days, and over its three 30-day
//!    months the biggest month's spend is 3× or more the smallest's;
//! 7. `CATEGORY_FOCUSED`: 50%+ of the last 90 days' purchases (at least 3) in one category;
//! 8. `LOCATION_CLUSTERED`: everyone else who buys in 1–2 regions; users spread over more regions
//!    fall back to `CATEGORY_FOCUSED` (the spec's largest buying segment).

use chrono::{Datelike, TimeZone, Utc, Weekday};

use super::store::{Kind, NONE, Store, UserFacts};
use crate::domain::SegmentType;

const DAY: i64 = 86_400;

/// One user's purchase behaviour over the look-back windows, as the rules read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Behaviour {
    pub days_since_signup: i64,
    pub purchases_30d: u32,
    pub purchases_28d: u32,
    pub purchases_90d: u32,
    pub weekend_90d: u32,
    pub spend_90d_cents: i64,
    /// Spend in each 30-day month of the last 90 days, oldest first.
    pub monthly_cents: [i64; 3],
    /// Purchases of the most frequent category, and purchases with a category.
    pub top_category: u32,
    pub with_category: u32,
    pub regions: u32,
}

impl Behaviour {
    pub fn of(user: &UserFacts, at: i64) -> Option<Behaviour> {
        let signup = user.signup()?;
        if signup > at {
            return None;
        }
        let mut b = Behaviour { days_since_signup: (at - signup) / DAY, ..Behaviour::default() };
        let mut categories: Vec<(u32, u32)> = Vec::new();
        let mut regions: Vec<u32> = Vec::new();
        for p in user.facts.iter().filter(|f| f.kind == Kind::Purchased && f.at <= at && f.at > at - 90 * DAY) {
            let age = at - p.at;
            b.purchases_90d += 1;
            b.purchases_30d += u32::from(age < 30 * DAY);
            b.purchases_28d += u32::from(age < 28 * DAY);
            b.spend_90d_cents += p.cents;
            b.monthly_cents[(2 - (age / (30 * DAY)).min(2)) as usize] += p.cents;
            let weekday = Utc.timestamp_opt(p.at, 0).single().map(|t| t.weekday());
            b.weekend_90d += u32::from(matches!(weekday, Some(Weekday::Sat | Weekday::Sun)));
            if p.category != NONE {
                b.with_category += 1;
                match categories.iter_mut().find(|(c, _)| *c == p.category) {
                    Some((_, n)) => *n += 1,
                    None => categories.push((p.category, 1)),
                }
            }
            if p.region != NONE && !regions.contains(&p.region) {
                regions.push(p.region);
            }
        }
        b.top_category = categories.iter().map(|(_, n)| *n).max().unwrap_or(0);
        b.regions = regions.len() as u32;
        Some(b)
    }
}

/// The segment by the rules above; `high_spender_floor` is the 90-day spend (cents) from which a
/// user is in the top 20%.
pub fn classify(b: &Behaviour, high_spender_floor: i64) -> SegmentType {
    if b.days_since_signup < 30 {
        SegmentType::NewShopper
    } else if b.purchases_30d == 0 {
        SegmentType::Inactive
    } else if b.spend_90d_cents >= high_spender_floor {
        SegmentType::HighSpender
    } else if b.purchases_28d >= 8 {
        SegmentType::FrequentShopper
    } else if b.purchases_90d >= 3 && b.weekend_90d * 10 >= b.purchases_90d * 7 {
        SegmentType::WeekendShopper
    } else if b.purchases_90d >= 3 && b.monthly_cents.iter().min().is_some_and(|min| *b.monthly_cents.iter().max().unwrap_or(&0) >= 3 * min.max(&1)) {
        SegmentType::SeasonalSpender
    } else if b.with_category >= 3 && b.top_category * 2 >= b.purchases_90d {
        SegmentType::CategoryFocused
    } else if b.regions <= 2 {
        SegmentType::LocationClustered
    } else {
        SegmentType::CategoryFocused
    }
}

/// Every known user's segment at `at`, with the one they had before (`None` when they had none):
/// `(user index, new, previous)` for the users whose segment changes.
pub fn changes(store: &Store, at: i64) -> Vec<(usize, SegmentType, Option<SegmentType>)> {
    let behaviours: Vec<Option<Behaviour>> = store.users.iter().map(|u| Behaviour::of(u, at)).collect();
    // The top 20% by 90-day spend, among users past their first 30 days who bought in the last 30.
    let mut spends: Vec<i64> =
        behaviours.iter().flatten().filter(|b| b.days_since_signup >= 30 && b.purchases_30d > 0).map(|b| b.spend_90d_cents).collect();
    spends.sort_unstable();
    let floor = if spends.is_empty() { i64::MAX } else { spends[(spends.len() * 8 / 10).min(spends.len() - 1)].max(1) };
    store
        .users
        .iter()
        .zip(&behaviours)
        .enumerate()
        .filter_map(|(i, (user, b))| {
            let b = b.as_ref()?;
            let now = classify(b, floor);
            let before = user.segment_at(at, user.facts.iter().rev().find(|f| f.at <= at).and_then(|f| f.context_segment));
            (before != Some(now)).then_some((i, now, before))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(days: i64, p30: u32, p28: u32, p90: u32, weekend: u32, spend: i64, months: [i64; 3], top: u32, cat: u32, regions: u32) -> Behaviour {
        Behaviour {
            days_since_signup: days,
            purchases_30d: p30,
            purchases_28d: p28,
            purchases_90d: p90,
            weekend_90d: weekend,
            spend_90d_cents: spend,
            monthly_cents: months,
            top_category: top,
            with_category: cat,
            regions,
        }
    }

    #[test]
    fn the_rules_apply_in_their_order() {
        let floor = 100_000;
        assert_eq!(classify(&b(10, 5, 5, 5, 0, 900_000, [0, 0, 900_000], 0, 0, 1), floor), SegmentType::NewShopper, "new wins over high spend");
        assert_eq!(classify(&b(200, 0, 0, 4, 0, 50_000, [20_000, 30_000, 0], 0, 0, 1), floor), SegmentType::Inactive);
        assert_eq!(classify(&b(200, 9, 9, 20, 0, 150_000, [50_000, 50_000, 50_000], 0, 0, 1), floor), SegmentType::HighSpender, "high spend wins over frequency");
        assert_eq!(classify(&b(200, 9, 8, 20, 0, 60_000, [20_000, 20_000, 20_000], 0, 0, 1), floor), SegmentType::FrequentShopper);
        assert_eq!(classify(&b(200, 2, 2, 5, 4, 30_000, [10_000, 10_000, 10_000], 0, 0, 1), floor), SegmentType::WeekendShopper, "4 of 5 = 80% on weekends");
        assert_eq!(classify(&b(200, 1, 1, 3, 0, 30_000, [2_000, 4_000, 24_000], 0, 0, 1), floor), SegmentType::SeasonalSpender);
        assert_eq!(classify(&b(200, 1, 1, 4, 0, 30_000, [10_000, 10_000, 10_000], 3, 4, 5), floor), SegmentType::CategoryFocused);
        assert_eq!(classify(&b(200, 1, 1, 4, 0, 30_000, [10_000, 10_000, 10_000], 1, 4, 2), floor), SegmentType::LocationClustered);
        assert_eq!(classify(&b(200, 1, 1, 4, 0, 30_000, [10_000, 10_000, 10_000], 1, 4, 3), floor), SegmentType::CategoryFocused, "the fallback");
    }
}
