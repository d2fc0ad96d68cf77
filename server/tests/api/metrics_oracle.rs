//! The metrics API against an oracle: a plain recomputation of each metric straight from the raw
//! event rows in the database, written from docs/metrics.md without the engine's code (nothing
//! here uses `analytics::metrics`). Three simulated worlds, four windows, eight filters.

use std::collections::{BTreeMap, BTreeSet};

use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::EntityTrait;
use serde_json::Value;
use server::entities::{campaigns, creatives, events, spend};

use crate::support::spawn_app;

const LOOKBACK: i64 = 7 * 24 * 3_600;
const HALF_LIFE_HOURS: f64 = 24.0;
const MARGIN_RATE: f64 = 0.35;
/// What customers do. The catalogue also logs marketer actions (`campaign_created`, …) under the
/// marketer's id; those are not a customer's events (no signup, no purchase), but they are events
/// that arrived (data freshness).
const CUSTOMER_EVENTS: [&str; 10] = [
    "campaign_delivered",
    "campaign_viewed",
    "campaign_clicked",
    "campaign_converted",
    "campaign_abandoned",
    "user_segmented",
    "user_purchased",
    "user_engaged",
    "user_unsubscribed",
    "consent_updated",
];

/// One raw event (its latest version) as the oracle sees it.
struct Raw {
    seq: i64,
    kind: String,
    at: DateTime<Utc>,
    received: DateTime<Utc>,
    backfilled: bool,
    user: String,
    session: Option<String>,
    campaign: Option<uuid::Uuid>,
    creative: Option<uuid::Uuid>,
    props: Value,
    context: Value,
}

impl Raw {
    fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }

    /// A send: a `campaign_delivered` with `is_holdout=false`.
    fn is_send(&self) -> bool {
        self.kind == "campaign_delivered" && self.props["is_holdout"] == false
    }

    /// A touch: an impression or a click.
    fn is_touch(&self) -> bool {
        self.kind == "campaign_viewed" || self.kind == "campaign_clicked"
    }

    fn cents(&self) -> i64 {
        (self.props["order_value"].as_f64().unwrap() * 100.0).round() as i64
    }

    fn within(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.at >= from && self.at < to
    }
}

struct Oracle {
    events: Vec<Raw>,
    /// Each user's events, in time order.
    users: BTreeMap<String, Vec<usize>>,
    campaigns: Vec<campaigns::Model>,
    spend: Vec<spend::Model>,
}

/// The filter of one oracle case, as plain values.
#[derive(Default, Clone)]
struct Case {
    query: String,
    campaigns: Vec<uuid::Uuid>,
    types: Vec<String>,
    statuses: Vec<String>,
    creatives: Vec<uuid::Uuid>,
    segments: Vec<String>,
    regions: Vec<String>,
    platforms: Vec<String>,
}

impl Case {
    fn plain(query: &str) -> Case {
        Case { query: query.to_owned(), ..Case::default() }
    }

    /// A segment, region, platform or creative filter splits spend by sends.
    fn splits_spend(&self) -> bool {
        !self.segments.is_empty() || !self.regions.is_empty() || !self.platforms.is_empty() || !self.creatives.is_empty()
    }

    /// A campaign, type, status or creative filter (what narrows the users of metrics 9–13).
    fn narrows_campaigns(&self) -> bool {
        !self.campaigns.is_empty() || !self.types.is_empty() || !self.statuses.is_empty() || !self.creatives.is_empty()
    }
}

/// What the oracle expects of one query.
#[derive(Default)]
struct Expected {
    values: BTreeMap<&'static str, Option<f64>>,
    /// (metric, breakdown key) → value.
    breakdown: BTreeMap<(&'static str, &'static str), Option<f64>>,
}

/// `a` happened at or before `b` (times, whatever order they arrived in).
fn at_or_before(a: &Raw, b: &Raw) -> bool {
    a.at <= b.at
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The 95th percentile, interpolating linearly between the closest ranks (as `percentile_cont`).
fn p95(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = 0.95 * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
}

fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::hours(1)).unwrap()
}

impl Oracle {
    fn user(&self, user: &str) -> impl Iterator<Item = &Raw> {
        self.users[user].iter().map(|i| &self.events[*i])
    }

    fn catalogue(&self, id: uuid::Uuid) -> &campaigns::Model {
        self.campaigns.iter().find(|c| c.id == id).unwrap()
    }

    /// The campaign itself is in the campaign, type and status filters.
    fn campaign_in_scope(&self, case: &Case, id: uuid::Uuid) -> bool {
        let c = self.catalogue(id);
        (case.campaigns.is_empty() || case.campaigns.contains(&id))
            && (case.types.is_empty() || case.types.contains(&c.campaign_type))
            && (case.statuses.is_empty() || case.statuses.contains(&c.status))
    }

    /// A campaign event matches on its own campaign and creative.
    fn campaign_ok(&self, case: &Case, e: &Raw) -> bool {
        let Some(id) = e.campaign else { return false };
        self.campaign_in_scope(case, id) && (case.creatives.is_empty() || e.creative.is_some_and(|c| case.creatives.contains(&c)))
    }

    fn segment_at(&self, e: &Raw) -> Option<String> {
        let latest = self.user(&e.user).filter(|s| s.is("user_segmented") && s.at <= e.at).max_by_key(|s| s.at);
        latest.map(|s| s.props["segment_type"].as_str().unwrap().to_owned()).or_else(|| e.context["user_segment"].as_str().map(str::to_owned))
    }

    /// Segment (at the event's time), region and platform match on the event.
    fn dims_ok(&self, case: &Case, e: &Raw) -> bool {
        (case.segments.is_empty() || self.segment_at(e).is_some_and(|s| case.segments.contains(&s)))
            && (case.regions.is_empty() || e.context["region"].as_str().is_some_and(|r| case.regions.iter().any(|x| x == r)))
            && (case.platforms.is_empty() || e.context["platform"].as_str().is_some_and(|p| case.platforms.iter().any(|x| x == p)))
    }

    fn is_message(&self, e: &Raw) -> bool {
        self.catalogue(e.campaign.unwrap()).channels.split(',').any(|ch| ch == "email" || ch == "push")
    }

    /// The user's touches at or before the purchase and at most 7 days before it, oldest first.
    fn touches(&self, p: &Raw) -> Vec<&Raw> {
        self.user(&p.user).filter(|t| t.is_touch() && t.campaign.is_some() && at_or_before(t, p) && (p.at - t.at).num_seconds() <= LOOKBACK).collect()
    }

    /// Metrics 9–13: under a campaign, type, status or creative filter, the user received a send
    /// of a matching campaign before the window's end.
    fn reached(&self, case: &Case, user: &str, to: DateTime<Utc>) -> bool {
        !case.narrows_campaigns() || self.user(user).any(|e| e.is_send() && e.at < to && self.campaign_ok(case, e))
    }

    /// Spend in the window, in cents: per campaign, × its matching sends ÷ all its sends when
    /// the filter splits spend. `only` restricts it to some campaigns.
    fn spend_cents(&self, case: &Case, from: DateTime<Utc>, to: DateTime<Utc>, only: Option<&BTreeSet<uuid::Uuid>>) -> f64 {
        let mut total = 0.0;
        for c in self.campaigns.iter().filter(|c| self.campaign_in_scope(case, c.id) && only.is_none_or(|o| o.contains(&c.id))) {
            let lines: i64 = self.spend.iter().filter(|s| s.campaign_id == c.id && s.period_start >= from && s.period_start < to).map(|s| s.amount_cents).sum();
            let share = if case.splits_spend() {
                let sends = self.events.iter().filter(|e| e.is_send() && e.campaign == Some(c.id) && e.within(from, to));
                let (mut all, mut mine) = (0u64, 0u64);
                for e in sends {
                    all += 1;
                    mine += u64::from(self.campaign_ok(case, e) && self.dims_ok(case, e));
                }
                if all == 0 { 0.0 } else { mine as f64 / all as f64 }
            } else {
                1.0
            };
            total += lines as f64 * share;
        }
        total
    }

    /// Expected values of the checked metrics over `[from, to)`.
    fn expected(&self, case: &Case, from: DateTime<Utc>, to: DateTime<Utc>) -> Expected {
        let mut out = Expected::default();
        let window: Vec<&Raw> = self.events.iter().filter(|e| e.within(from, to)).collect();
        let matching = |kind: &str| -> Vec<&Raw> { window.iter().copied().filter(|e| e.is(kind) && self.campaign_ok(case, e) && self.dims_ok(case, e)).collect() };
        let sends: Vec<&Raw> = window.iter().copied().filter(|e| e.is_send() && self.campaign_ok(case, e) && self.dims_ok(case, e)).collect();
        let views = matching("campaign_viewed");
        let clicks = matching("campaign_clicked");
        let purchases: Vec<&Raw> = window.iter().copied().filter(|e| e.is("user_purchased") && self.dims_ok(case, e)).collect();
        let spend_cents = self.spend_cents(case, from, to, None);
        let users = |list: &[&Raw]| list.iter().map(|e| e.user.clone()).collect::<BTreeSet<_>>();
        let pct = |a: usize, b: usize| ratio(100.0 * a as f64, b as f64);

        // Attribution: each purchase in the window (segment, region, platform on the purchase)
        // with a touch in the lookback; the four models credit campaigns in scope.
        let (mut attributed_cents, mut orders) = (0i64, 0u64);
        let mut models = [0.0f64; 4];
        let mut new_customers = BTreeSet::new();
        for p in &purchases {
            let touches = self.touches(p);
            let (Some(first), Some(last)) = (touches.first(), touches.last()) else { continue };
            let cents = p.cents() as f64;
            if self.campaign_ok(case, last) {
                attributed_cents += p.cents();
                orders += 1;
                models[1] += cents;
                // A new customer: the user's first-ever purchase is this one (in the window, attributed).
                let first_ever = self.user(&p.user).find(|e| e.is("user_purchased")).unwrap();
                if first_ever.seq == p.seq {
                    new_customers.insert(p.user.clone());
                }
            }
            if self.campaign_ok(case, first) {
                models[0] += cents;
            }
            let weights: Vec<f64> = touches.iter().map(|t| 0.5f64.powf((p.at - t.at).num_seconds() as f64 / 3_600.0 / HALF_LIFE_HOURS)).collect();
            let total_weight: f64 = weights.iter().sum();
            for (t, w) in touches.iter().zip(&weights) {
                if self.campaign_ok(case, t) {
                    models[2] += cents / touches.len() as f64;
                    models[3] += cents * w / total_weight;
                }
            }
        }

        let clickers = users(&clicks);
        let converters = clicks
            .iter()
            .filter(|c| {
                self.user(&c.user).any(|p| {
                    p.is("user_purchased") && at_or_before(c, p) && ((p.at - c.at) <= Duration::hours(24) || (c.session.is_some() && p.session == c.session))
                })
            })
            .map(|c| c.user.clone())
            .collect::<BTreeSet<_>>();
        let message_sent = users(&sends.iter().copied().filter(|e| self.is_message(e)).collect::<Vec<_>>());
        let message_viewed = users(&views.iter().copied().filter(|e| self.is_message(e)).collect::<Vec<_>>());
        let message_clicked = users(&clicks.iter().copied().filter(|e| self.is_message(e)).collect::<Vec<_>>());
        let viewers = users(&views);

        // Time to first conversion: per (user, campaign), the first impression in the window, then
        // the first purchase at or after it and within 7 days.
        let mut first_view: BTreeMap<(&str, uuid::Uuid), &Raw> = BTreeMap::new();
        for v in &views {
            first_view.entry((&v.user, v.campaign.unwrap())).or_insert(v);
        }
        let hours: Vec<f64> = first_view
            .values()
            .filter_map(|v| self.user(&v.user).find(|p| p.is("user_purchased") && at_or_before(v, p) && (p.at - v.at).num_seconds() <= LOOKBACK).map(|p| (p.at - v.at).num_seconds() as f64 / 3_600.0))
            .collect();

        // Incrementality: each (user, campaign) by its first delivery, if that falls in the window.
        let (mut incremental, mut treated_conversions, mut expected_conversions, mut incremental_cents) = (0.0, 0.0, 0.0, 0.0);
        let mut measured = BTreeSet::new();
        for c in &self.campaigns {
            let mut first: BTreeMap<&str, &Raw> = BTreeMap::new();
            for e in self.events.iter().filter(|e| e.is("campaign_delivered") && e.campaign == Some(c.id)) {
                first.entry(&e.user).or_insert(e);
            }
            let (mut nt, mut nc, mut ct, mut cc, mut rt, mut rc) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for (user, d) in first {
                if !d.within(from, to) || !self.campaign_ok(case, d) || !self.dims_ok(case, d) {
                    continue;
                }
                let bought: Vec<&Raw> = self.user(user).filter(|p| p.is("user_purchased") && at_or_before(d, p) && p.at < d.at + Duration::days(7)).collect();
                let (converted, cents) = (f64::from(u8::from(!bought.is_empty())), bought.iter().map(|p| p.cents()).sum::<i64>() as f64);
                if d.props["is_holdout"] == true {
                    (nc, cc, rc) = (nc + 1.0, cc + converted, rc + cents);
                } else {
                    (nt, ct, rt) = (nt + 1.0, ct + converted, rt + cents);
                }
            }
            if nt > 0.0 && nc > 0.0 {
                measured.insert(c.id);
                incremental += ct - nt * cc / nc;
                treated_conversions += ct;
                expected_conversions += nt * cc / nc;
                incremental_cents += rt - nt * rc / nc;
            }
        }
        let measured_spend = self.spend_cents(case, from, to, Some(&measured));

        // Budget utilisation: spend from each counted campaign's start to the window's end ÷ its
        // budget, pooled over the campaigns (active, paused, completed unless a status filter).
        let (mut spent, mut budget) = (0i64, 0i64);
        for c in self.campaigns.iter().filter(|c| self.campaign_in_scope(case, c.id)) {
            if case.statuses.is_empty() && !["active", "paused", "completed"].contains(&c.status.as_str()) {
                continue;
            }
            budget += c.budget_cents;
            let started = |s: &&spend::Model| c.starts_at.is_none_or(|start| s.period_start >= start);
            spent += self.spend.iter().filter(|s| s.campaign_id == c.id && s.period_start < to).filter(started).map(|s| s.amount_cents).sum::<i64>();
        }

        // Customer value (9–13): users reached by a matching campaign before the window's end;
        // segment, region and platform on each purchase, and on the signup event for cohorts.
        let (mut purchasers, mut repeaters, mut revenue_cents) = (0usize, 0usize, 0i64);
        let (mut ltv_buyers, mut ltv_cents) = (0usize, 0i64);
        let mut cohort = [(0usize, 0usize); 3];
        for user in self.users.keys() {
            if !self.reached(case, user, to) {
                continue;
            }
            let mine: Vec<&Raw> = self.user(user).filter(|p| p.is("user_purchased")).collect();
            let in_window = mine.iter().filter(|p| p.within(from, to) && self.dims_ok(case, p)).collect::<Vec<_>>();
            purchasers += usize::from(!in_window.is_empty());
            repeaters += usize::from(in_window.len() >= 2);
            revenue_cents += in_window.iter().map(|p| p.cents()).sum::<i64>();

            // Signup: the user's first event of any kind.
            let signup = self.user(user).next().unwrap();
            if !signup.within(from, to) || !self.dims_ok(case, signup) {
                continue;
            }
            let year: Vec<&&Raw> = mine.iter().filter(|p| p.at >= signup.at && p.at < signup.at + Duration::days(365)).collect();
            ltv_buyers += usize::from(!year.is_empty());
            ltv_cents += year.iter().map(|p| p.cents()).sum::<i64>();
            for (k, days) in [30, 60, 90].into_iter().enumerate() {
                let retained = usize::from(mine.iter().any(|p| p.at >= signup.at && p.at < signup.at + Duration::days(days)));
                // "signed up in the window at least N days before its end": signup ≤ end − N days
                // (the user's N days are then all observed).
                let limit = to - Duration::days(days);
                let old_enough = signup.at <= limit;
                if old_enough {
                    cohort[k].0 += 1;
                    cohort[k].1 += retained;
                }
            }
        }
        let dollars = |cents: f64| cents / 100.0;
        let cac = if spend_cents > 0.0 { ratio(dollars(spend_cents), new_customers.len() as f64) } else { None };
        // "for customers who signed up in the window (users with a purchase in their first 365
        // days): revenue in their first 365 days ÷ those customers".
        let ltv = ratio(dollars(ltv_cents as f64), ltv_buyers as f64);
        let payback = match (cac, ltv) {
            (Some(cac), Some(ltv)) if ltv > 0.0 => Some(cac / (ltv / 12.0)),
            _ => None,
        };
        let retention = |(n, k): (usize, usize)| pct(k, n);

        // Data freshness: every event (filters do not apply) not backfilled whose arrival hour
        // overlaps the window; lag in whole seconds, in minutes.
        let lags: Vec<f64> = self
            .events
            .iter()
            .filter(|e| !e.backfilled && hour_of(e.received) >= hour_of(from) && hour_of(e.received) < to)
            .map(|e| (e.received - e.at).num_seconds() as f64 / 60.0)
            .collect();

        let model_mean = models.iter().sum::<f64>() / 4.0;
        let spread = ratio(100.0 * (models.iter().copied().fold(f64::MIN, f64::max) - models.iter().copied().fold(f64::MAX, f64::min)), model_mean);

        out.values = BTreeMap::from([
            ("impressions", Some(views.len() as f64)),
            ("ctr", pct(clicks.len(), views.len())),
            ("cpc", if spend_cents > 0.0 { ratio(dollars(spend_cents), clicks.len() as f64) } else { None }),
            ("roas", ratio(attributed_cents as f64, spend_cents)),
            ("aov", ratio(dollars(attributed_cents as f64), orders as f64)),
            ("conversion_rate", pct(converters.len(), clickers.len())),
            ("open_rate", pct(message_sent.intersection(&message_viewed).count(), message_sent.len())),
            ("avg_frequency", ratio(views.len() as f64, viewers.len() as f64)),
            ("incrementality", ratio(100.0 * incremental, treated_conversions)),
            ("cac", cac),
            ("budget_utilization", ratio(100.0 * spent as f64, budget as f64)),
            ("ltv", ltv),
            ("cac_payback", payback),
            ("repeat_purchase_rate", pct(repeaters, purchasers)),
            ("gross_margin", ratio(100.0 * (revenue_cents as f64 * MARGIN_RATE - spend_cents), revenue_cents as f64)),
            ("cohort_retention", retention(cohort[0])),
            ("click_rate", pct(message_viewed.intersection(&message_clicked).count(), message_viewed.len())),
            ("time_to_first_conversion", median(hours)),
            ("holdout_lift", ratio(100.0 * incremental, expected_conversions)),
            ("net_incremental_revenue", (!measured.is_empty()).then(|| dollars(incremental_cents - measured_spend))),
            ("attribution_spread", spread),
            ("data_freshness", p95(lags)),
        ]);
        out.breakdown = BTreeMap::from([
            (("cohort_retention", "retention_30d"), retention(cohort[0])),
            (("cohort_retention", "retention_60d"), retention(cohort[1])),
            (("cohort_retention", "retention_90d"), retention(cohort[2])),
            (("cohort_retention", "users_30d"), Some(cohort[0].0 as f64)),
            (("cohort_retention", "users_60d"), Some(cohort[1].0 as f64)),
            (("cohort_retention", "users_90d"), Some(cohort[2].0 as f64)),
            (("attribution_spread", "first_touch"), Some(dollars(models[0]))),
            (("attribution_spread", "last_touch"), Some(dollars(models[1]))),
            (("attribution_spread", "linear"), Some(dollars(models[2]))),
            (("attribution_spread", "time_decay"), Some(dollars(models[3]))),
        ]);

        out
    }
}

async fn load_oracle(db: &sea_orm::DatabaseConnection) -> Oracle {
    // The latest version of each event.
    let mut latest: BTreeMap<uuid::Uuid, events::Model> = BTreeMap::new();
    for row in events::Entity::find().all(db).await.unwrap() {
        if latest.get(&row.event_id).is_none_or(|l| row.version > l.version) {
            latest.insert(row.event_id, row);
        }
    }
    let mut events: Vec<Raw> = latest
        .into_values()
        .map(|r| Raw {
            seq: r.seq,
            kind: r.event_type,
            at: r.occurred_at,
            received: r.received_at,
            backfilled: r.backfilled,
            user: r.user_id,
            session: r.session_id,
            campaign: r.campaign_id,
            creative: r.creative_id,
            props: r.properties,
            context: r.context,
        })
        .collect();
    events.sort_by_key(|e| (e.at, e.seq));
    let mut users: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate().filter(|(_, e)| CUSTOMER_EVENTS.contains(&e.kind.as_str())) {
        users.entry(e.user.clone()).or_default().push(i);
    }
    Oracle { events, users, campaigns: campaigns::Entity::find().all(db).await.unwrap(), spend: spend::Entity::find().all(db).await.unwrap() }
}

/// The worlds: (seed, users, days, campaigns, with events in the same second as a purchase).
/// The longer ones give signups 30, 60 and 90 days before the window's end (cohorts) and
/// backfilled history (data freshness). Only the first has the same-second events, so the others
/// check every metric against the document with no tie allowance.
const WORLDS: [(u64, u32, u32, u32, bool); 3] = [(17, 1_000, 12, 6, true), (29, 600, 40, 6, false), (41, 300, 95, 7, false)];

fn close(got: f64, expected: f64) -> bool {
    (got - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

#[tokio::test]
async fn every_checked_metric_equals_a_plain_recomputation_from_the_raw_events() {
    let mut non_null: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    for (seed, users, days, campaign_count, same_second) in WORLDS {
        let app = spawn_app().await;
        let now = app.state.clock.now();
        let config = SimConfig { seed, users, days, campaigns: campaign_count, start: start_for(now, days), holdout_share: 0.2, faults: Faults::default(), experiments: 0 };
        server::services::simulate::to_db(&app.state, config.clone(), |_, _| {}).await.unwrap();
        let session = app.sign_in(Role::Cmo).await;
        let planner = app.sign_in(Role::PerfLead).await;
        change_the_catalogue(&app, &planner.cookie, &session.cookie, start_for(now, days)).await;
        if same_second {
            add_events_in_the_same_second(&app, start_for(now, days)).await;
        }
        let oracle = load_oracle(&app.state.db).await;
        let customer = |e: &&Raw| CUSTOMER_EVENTS.contains(&e.kind.as_str());
        assert!(oracle.events.iter().filter(customer).all(|e| e.creative.is_some() || e.campaign.is_none() || e.kind == "user_unsubscribed"));
        assert!(oracle.events.iter().any(|e| !customer(&e)), "the catalogue changes were logged");
        let creatives = creatives::Entity::find().all(&app.state.db).await.unwrap();

        let mut simulated: Vec<&campaigns::Model> = oracle.campaigns.iter().filter(|c| c.starts_at.is_some()).collect();
        simulated.sort_by_key(|c| c.starts_at);
        // The first campaign is the one of the same-second events; the second was archived.
        let (first, second) = (simulated[0].clone(), simulated[2].clone());
        let creative_of = |c: &campaigns::Model| creatives.iter().find(|k| k.campaign_id == c.id).unwrap().id;
        let (c1, c2) = (creative_of(&first), creative_of(&second));
        let cases = [
            Case::plain(""),
            Case { query: format!("&campaign={}", first.id), campaigns: vec![first.id], ..Case::default() },
            Case { query: "&segment=HIGH_SPENDER,FREQUENT_SHOPPER".to_owned(), segments: vec!["HIGH_SPENDER".into(), "FREQUENT_SHOPPER".into()], ..Case::default() },
            Case {
                query: format!("&type={}&platform=iOS&region=US-CA,US-NY", first.campaign_type),
                types: vec![first.campaign_type.clone()],
                platforms: vec!["iOS".into()],
                regions: vec!["US-CA".into(), "US-NY".into()],
                ..Case::default()
            },
            Case {
                query: "&status=completed,paused&platform=Android".to_owned(),
                statuses: vec!["completed".into(), "paused".into()],
                platforms: vec!["Android".into()],
                ..Case::default()
            },
            Case { query: "&status=active".to_owned(), statuses: vec!["active".into()], ..Case::default() },
            Case { query: "&status=archived,draft".to_owned(), statuses: vec!["archived".into(), "draft".into()], ..Case::default() },
            Case { query: format!("&creative={c1},{c2}"), creatives: vec![c1, c2], ..Case::default() },
        ];

        // Windows: the whole simulation; its last 8 days up to now (arrivals, so data freshness);
        // from the last arrival on (arrival is bucketed by hour); and, for long worlds, a window
        // ending exactly 30 days after the signups (the cohort's boundary).
        let start = config.start;
        let date = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        let time = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let tomorrow = date(now + Duration::days(1));
        let last_arrival = oracle.events.iter().map(|e| e.received).max().unwrap().duration_trunc(Duration::seconds(1)).unwrap();
        let first_signup = oracle.events[0].at;
        let mut windows = vec![
            (date(start), date(start + Duration::days(i64::from(days))), cases.len()),
            (date(start + Duration::days(i64::from(days) - 8)), tomorrow.clone(), cases.len()),
            (time(last_arrival), tomorrow, 1),
        ];
        if days > 31 {
            windows.push((date(start), time(first_signup + Duration::days(30)), 1));
        }

        for (from, to, case_count) in &windows {
            for case in &cases[..*case_count] {
                let path = format!("/api/v1/metrics?from={from}&to={to}{}", case.query);
                let res = app.get_with_cookie(&path, &session.cookie).await;
                assert_eq!(res.status(), 200, "{path}");
                let body: Value = res.json().await.unwrap();
                let by_id: BTreeMap<String, Value> = body["metrics"].as_array().unwrap().iter().map(|m| (m["id"].as_str().unwrap().to_owned(), m.clone())).collect();
                assert_eq!(by_id.len(), 25);
                // The window the API used: `to` is never after now.
                let parse = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
                let (from_t, to_t) = (parse(&by_id["impressions"]["from"]), parse(&by_id["impressions"]["to"]));
                // Windows end on a whole second, rounded up (docs/metrics.md).
                let as_of = parse(&body["as_of"]);
                let as_of = as_of.duration_trunc(Duration::seconds(1)).unwrap() + Duration::seconds(i64::from(as_of.timestamp_subsec_nanos() > 0));
                let asked_to = if to.len() == 10 { format!("{to}T00:00:00Z") } else { to.clone() }.parse::<DateTime<Utc>>().unwrap();
                assert_eq!(to_t, asked_to.min(as_of), "{path}: the window's end");
                let expected = oracle.expected(case, from_t, to_t);
                let label = format!("seed {seed}, {path}");
                for (id, e) in &expected.values {
                    let got = by_id[*id]["value"].as_f64();
                    check(&label, id, got, *e, &by_id[*id], &mut failures);
                    *non_null.entry((*id).to_owned()).or_default() += usize::from(e.is_some());
                }
                for ((id, key), e) in &expected.breakdown {
                    let got = by_id[*id]["breakdown"][*key].as_f64();
                    let name = format!("{id}.breakdown.{key}");
                    check(&label, &name, got, *e, &Value::Null, &mut failures);
                    *non_null.entry(name).or_default() += usize::from(e.is_some());
                }
            }
        }

        // A rollup reloaded from the log (as after a restart) sees every stored event: data
        // freshness then equals the document's value, with no allowance.
        app.state.metrics.load(&app.state.db).await.unwrap();
        let (from, to, _) = &windows[1];
        let path = format!("/api/v1/metrics/data_freshness?from={from}&to={to}");
        let body: Value = app.get_with_cookie(&path, &session.cookie).await.json::<Value>().await.unwrap()["metric"].clone();
        let to_t = body["to"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
        let from_t = body["from"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
        let expected = oracle.expected(&cases[0], from_t, to_t).values["data_freshness"];
        check(&format!("seed {seed}, {path} (reloaded)"), "data_freshness", body["value"].as_f64(), expected, &body, &mut failures);
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
    // Every comparison was made against a number at least once (not only null against null).
    for (id, n) in &non_null {
        eprintln!("{id}: {n} non-null comparisons");
        assert!(*n > 0, "{id} was never non-null: the oracle compared nothing");
    }
}

/// Beyond the simulator's world, all completed: one campaign archived, a draft campaign with
/// spend, and a spend line the day before a campaign's start (budget utilisation counts spend
/// from each campaign's start; the other metrics count the ledger in the window).
async fn change_the_catalogue(app: &crate::support::TestApp, cookie: &str, cmo_cookie: &str, start: DateTime<Utc>) {
    let mut all = campaigns::Entity::find().all(&app.state.db).await.unwrap();
    all.sort_by_key(|c| c.starts_at);
    let archived = &all[1];
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/campaigns/{}", archived.id)))
        .header("cookie", cookie)
        .header("origin", app.origin())
        .json(&serde_json::json!({ "status": "archived", "reason": "oracle" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "archive {}", res.text().await.unwrap());
    let res = app.client.post(app.url("/api/v1/campaigns")).header("cookie", cookie).header("origin", app.origin()).json(&crate::support::campaign_request("Oracle draft")).send().await.unwrap();
    assert_eq!(res.status(), 201, "create a draft");
    let draft: Value = res.json().await.unwrap();
    assert_eq!(draft["status"], "draft");
    let latest = all.last().unwrap();
    let day = |t: DateTime<Utc>| t.duration_trunc(Duration::days(1)).unwrap();
    let entries = serde_json::json!({ "entries": [
        { "campaign_id": draft["id"], "channel": "push", "period_start": day(start + Duration::days(2)), "granularity": "day", "amount_cents": 150_000 },
        { "campaign_id": latest.id, "channel": latest.channels.split(',').next().unwrap(), "period_start": day(latest.starts_at.unwrap() - Duration::days(1)), "granularity": "day", "amount_cents": 70_000 }
    ]});
    let res = app.client.post(app.url("/api/v1/spend")).header("cookie", cmo_cookie).header("origin", app.origin()).json(&entries).send().await.unwrap();
    assert_eq!(res.status(), 200, "spend {}", res.text().await.unwrap());
}

/// Two customers whose events share a second with a purchase that arrived first (in an earlier
/// batch): a send, an impression and a click of the first simulated campaign for one, a holdout
/// assignment for the other. By the document's words they count (at or before / after the
/// purchase); ingested in the other order the implementation would count them too.
async fn add_events_in_the_same_second(app: &crate::support::TestApp, start: DateTime<Utc>) {
    let mut all = campaigns::Entity::find().all(&app.state.db).await.unwrap();
    all.retain(|c| c.starts_at.is_some());
    all.sort_by_key(|c| c.starts_at);
    let campaign = &all[0];
    let creative = creatives::Entity::find().all(&app.state.db).await.unwrap().into_iter().find(|k| k.campaign_id == campaign.id).unwrap().id;
    let at = start + Duration::days(1) + Duration::hours(12);
    let event = |kind: &str, user: &str, at: DateTime<Utc>, source: &str, properties: Value| {
        serde_json::json!({
            "event_id": uuid::Uuid::new_v4(), "event_type": kind, "timestamp": at.to_rfc3339(), "user_id": user, "source": source,
            "properties": properties,
            "context": { "platform": "iOS", "region": "US-CA", "user_segment": "HIGH_SPENDER" }
        })
    };
    let consent = serde_json::json!({ "channel": "push", "status": "opted_in", "method": "single_opt_in", "source": "signup", "region": "US-CA" });
    let delivered = |holdout: bool| {
        serde_json::json!({ "campaign_id": campaign.id, "campaign_type": campaign.campaign_type, "creative_id": creative, "segment_id": "HIGH_SPENDER",
            "delivery_channel": campaign.channels.split(',').next().unwrap(), "is_holdout": holdout, "allocation_method": "random" })
    };
    let purchase = |value: f64| serde_json::json!({ "order_id": uuid::Uuid::new_v4().to_string(), "order_value": value, "payment_method": "card" });
    let first = vec![
        event("consent_updated", "same-second-1", at - Duration::hours(4), "backend", consent.clone()),
        event("consent_updated", "same-second-2", at - Duration::hours(4), "backend", consent),
        event("user_purchased", "same-second-1", at, "backend", purchase(61.25)),
        event("user_purchased", "same-second-2", at, "backend", purchase(47.5)),
    ];
    let then = vec![
        event("campaign_delivered", "same-second-1", at, "backend", delivered(false)),
        event("campaign_viewed", "same-second-1", at, "mobile", serde_json::json!({ "campaign_id": campaign.id, "creative_id": creative, "view_duration_seconds": 3, "view_type": "opened" })),
        event("campaign_clicked", "same-second-1", at, "mobile", serde_json::json!({ "campaign_id": campaign.id, "creative_id": creative, "click_type": "cta", "time_to_click_seconds": 0 })),
        event("campaign_delivered", "same-second-2", at, "backend", delivered(true)),
    ];
    let producer = server::ingest::Producer { key_id: None, rules: analytics::events::Rules { allow_backfill: true } };
    for batch in [first, then] {
        let n = batch.len();
        let result = server::ingest::ingest(&app.state, batch, producer).await.unwrap();
        assert_eq!(result.accepted, n, "{:?}", result.rejected);
    }
}

/// One comparison: equal (1e-9 relative), or both null with a reason.
fn check(label: &str, id: &str, got: Option<f64>, expected: Option<f64>, metric: &Value, failures: &mut Vec<String>) {
    let same = match (got, expected) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    };
    if !same {
        failures.push(format!("{id} {label}: API {got:?}, oracle {expected:?}"));
    } else if got.is_none() && !metric.is_null() {
        assert!(metric["reason"].is_string(), "{id} {label}: null without a reason");
    }
}
