//! A native experiment's members and their outcomes, read from the metrics store.
//!
//! A member is a user who was sent one of the experiment's campaigns (a treatment delivery,
//! never a holdout assignment) between the start and the end of the analysis; they joined at
//! their first such delivery. Their arm is the pinned hash's ([`super::arm_for`]), whatever was
//! actually delivered (intention to treat); deliveries of another arm's creative or campaign are
//! counted as `off_arm`, a caveat on the results. Outcomes count from the joining moment to the
//! end; the covariate looks back 28 days before it.

use super::{COVARIATE_DAYS, Covariate, Metric, analysis::Analysis, arm_for, position};
use crate::metrics::store::{Fact, Kind, NONE, Store};
use crate::stats::Moments;
use uuid::Uuid;

/// Which deliveries make members, and where they go.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub experiment: Uuid,
    pub shares_bp: Vec<u32>,
    /// What each arm delivers: a campaign (store index) and, for a creative test, the creative.
    pub arms: Vec<(u32, Option<u32>)>,
    /// Seconds since the epoch: the start, and the end (exclusive) of the analysis.
    pub from: i64,
    pub to: i64,
    pub covariate: Covariate,
}

/// What the members did, per arm.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub users: Vec<u64>,
    /// Per arm, per [`Metric::ALL`] in order; ROAS holds converted revenue per user in dollars
    /// (it becomes ROAS with the arm's spend, in [`Observed::analysis`]).
    pub metrics: Vec<[Moments; 5]>,
    /// Treatment deliveries per arm, and those that sent another arm's creative or campaign.
    pub sends: Vec<u64>,
    pub off_arm: u64,
    /// The arms' spend in cents: each campaign's spend over the test, split by its sends.
    pub spend_cents: Vec<f64>,
    /// The first member's joining moment (seconds), when anyone joined.
    pub first_joined: Option<i64>,
}

impl Observed {
    /// The analysis input for the given metrics (primary first).
    pub fn analysis(&self, metrics: &[Metric], covariate: Covariate) -> Analysis {
        let outcomes = metrics
            .iter()
            .map(|metric| {
                let per_arm: Vec<Moments> = self.metrics.iter().map(|m| m[metric.index()]).collect();
                if *metric != Metric::Roas {
                    return Ok(per_arm);
                }
                // ROAS = revenue ÷ spend = mean revenue per member × members ÷ spend.
                if self.spend_cents.iter().any(|s| *s <= 0.0) {
                    return Err("no spend is recorded for the campaign during the test, so ROAS has no denominator".to_owned());
                }
                Ok(per_arm.iter().zip(&self.spend_cents).map(|(m, cents)| m.scaled(m.n as f64 / (cents / 100.0))).collect())
            })
            .collect();
        Analysis {
            users: self.users.clone(),
            outcomes,
            covariate: covariate != Covariate::None,
        }
    }
}

fn in_scope(scope: &Scope, fact: &Fact) -> bool {
    fact.campaign != NONE
        && scope
            .arms
            .iter()
            .any(|(campaign, _)| *campaign == fact.campaign)
}

/// Every member's outcomes, folded per arm.
pub fn observe(store: &Store, scope: &Scope) -> Observed {
    let arms = scope.arms.len();
    let mut out = Observed {
        users: vec![0; arms],
        metrics: vec![[Moments::default(); 5]; arms],
        sends: vec![0; arms],
        spend_cents: vec![0.0; arms],
        ..Observed::default()
    };
    // Per campaign in scope, treatment deliveries per arm (for the spend split).
    let mut campaign_sends: Vec<(u32, Vec<u64>)> = Vec::new();
    let lookback = COVARIATE_DAYS * 86_400;
    for (index, user) in store.users.iter().enumerate() {
        match user.span {
            Some((first, last)) if last >= scope.from && first < scope.to => {}
            _ => continue,
        }
        let facts = &user.facts;
        let start = facts.partition_point(|f| f.at < scope.from);
        let Some(join) = facts[start..]
            .iter()
            .take_while(|f| f.at < scope.to)
            .position(|f| f.kind == Kind::Sent && in_scope(scope, f))
        else {
            continue;
        };
        let join = start + join;
        let joined_at = facts[join].at;
        let Some(arm) = arm_for(
            position(scope.experiment, &store.user_ids[index]),
            &scope.shares_bp,
        ) else {
            continue;
        };
        out.users[arm] += 1;
        out.first_joined = Some(out.first_joined.map_or(joined_at, |first| first.min(joined_at)));

        let (mut clicked, mut converted, mut unsubscribed) = (false, false, false);
        let (mut revenue, mut converted_revenue) = (0i64, 0i64);
        for fact in facts[join..].iter().take_while(|f| f.at < scope.to) {
            match fact.kind {
                Kind::Sent if in_scope(scope, fact) => {
                    out.sends[arm] += 1;
                    let (campaign, creative) = scope.arms[arm];
                    if fact.campaign != campaign || creative.is_some_and(|c| c != fact.creative) {
                        out.off_arm += 1;
                    }
                    match campaign_sends.iter_mut().find(|(c, _)| *c == fact.campaign) {
                        Some((_, per_arm)) => per_arm[arm] += 1,
                        None => {
                            let mut per_arm = vec![0; arms];
                            per_arm[arm] = 1;
                            campaign_sends.push((fact.campaign, per_arm));
                        }
                    }
                }
                Kind::Clicked if in_scope(scope, fact) => clicked = true,
                Kind::Converted if in_scope(scope, fact) => {
                    converted = true;
                    converted_revenue += fact.cents;
                }
                Kind::Purchased => revenue += fact.cents,
                Kind::Unsubscribed => unsubscribed = true,
                _ => {}
            }
        }
        let before = &facts[facts.partition_point(|f| f.at < joined_at - lookback)..join];
        let x = match scope.covariate {
            Covariate::Spend => {
                before
                    .iter()
                    .filter(|f| f.kind == Kind::Purchased && f.at < joined_at)
                    .map(|f| f.cents)
                    .sum::<i64>() as f64
                    / 100.0
            }
            Covariate::Visits => before
                .iter()
                .filter(|f| f.kind == Kind::AppOpen && f.at < joined_at)
                .count() as f64,
            Covariate::None => 0.0,
        };
        let values = [
            f64::from(u8::from(clicked)),
            f64::from(u8::from(converted)),
            revenue as f64 / 100.0,
            converted_revenue as f64 / 100.0,
            f64::from(u8::from(unsubscribed)),
        ];
        for (moments, y) in out.metrics[arm].iter_mut().zip(values) {
            moments.push(y, x);
        }
    }
    // Each campaign's spend over the test (whole spend lines from the start's day), by sends.
    let day_start = scope.from.div_euclid(86_400) * 86_400;
    for (campaign, per_arm) in &campaign_sends {
        let cents: i64 = store
            .spend
            .iter()
            .filter(|s| s.campaign == *campaign && s.at >= day_start && s.at < scope.to)
            .map(|s| s.cents)
            .sum();
        let total: u64 = per_arm.iter().sum();
        if total == 0 {
            continue;
        }
        for (arm, sends) in per_arm.iter().enumerate() {
            out.spend_cents[arm] += cents as f64 * *sends as f64 / total as f64;
        }
    }
    out
}

/// A campaign's history over `[from, to)` as if it had been a one-arm test: its treatment users
/// per day since it first reached someone (the planner's traffic) and what they did (the
/// planner's baseline).
pub fn history(store: &Store, campaign: u32, from: i64, to: i64) -> (f64, Observed) {
    let scope = Scope {
        experiment: Uuid::nil(),
        shares_bp: vec![10_000],
        arms: vec![(campaign, None)],
        from,
        to,
        covariate: Covariate::None,
    };
    let observed = observe(store, &scope);
    // Per day since the first member joined (at least a day): a campaign two days old is not
    // diluted over the whole window, and one that stopped sending, or keeps reaching the same
    // audience, is not taken for more new users a day than it brings.
    let days = observed.first_joined.map_or(1.0, |first| ((to - first) as f64 / 86_400.0).max(1.0));
    (observed.users[0] as f64 / days, observed)
}
