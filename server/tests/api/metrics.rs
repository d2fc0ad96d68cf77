//! The metrics API against an oracle: a plain recomputation of each metric straight from the raw
//! events in the database, written from docs/metrics.md without the engine's code.

use std::collections::{BTreeMap, BTreeSet};

use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use chrono::{DateTime, Duration, Utc};
use sea_orm::EntityTrait;
use serde_json::Value;
use server::entities::{campaigns, events, spend};

use crate::support::spawn_app;

/// One raw event as the oracle sees it.
struct Raw {
    kind: String,
    at: DateTime<Utc>,
    user: String,
    session: Option<String>,
    campaign: Option<uuid::Uuid>,
    creative: Option<uuid::Uuid>,
    props: Value,
    context: Value,
}

struct Oracle {
    events: Vec<Raw>,
    campaigns: Vec<campaigns::Model>,
    spend: Vec<spend::Model>,
}

/// The filter of one oracle case, as plain values.
#[derive(Default, Clone)]
struct Case {
    query: String,
    campaigns: Vec<uuid::Uuid>,
    types: Vec<String>,
    segments: Vec<String>,
    regions: Vec<String>,
    platforms: Vec<String>,
}

impl Oracle {
    fn segment_at(&self, user: &str, at: DateTime<Utc>, context: &Value) -> Option<String> {
        let latest = self
            .events
            .iter()
            .filter(|e| e.kind == "user_segmented" && e.user == user && e.at <= at)
            .max_by_key(|e| e.at)
            .map(|e| e.props["segment_type"].as_str().unwrap().to_owned());
        latest.or_else(|| context["user_segment"].as_str().map(str::to_owned))
    }

    fn campaign_ok(&self, case: &Case, id: Option<uuid::Uuid>) -> bool {
        let Some(id) = id else { return false };
        let c = self.campaigns.iter().find(|c| c.id == id).unwrap();
        (case.campaigns.is_empty() || case.campaigns.contains(&id)) && (case.types.is_empty() || case.types.contains(&c.campaign_type))
    }

    fn dims_ok(&self, case: &Case, e: &Raw) -> bool {
        (case.segments.is_empty() || self.segment_at(&e.user, e.at, &e.context).is_some_and(|s| case.segments.contains(&s)))
            && (case.regions.is_empty() || e.context["region"].as_str().is_some_and(|r| case.regions.iter().any(|x| x == r)))
            && (case.platforms.is_empty() || e.context["platform"].as_str().is_some_and(|p| case.platforms.iter().any(|x| x == p)))
    }

    fn in_window(e: &Raw, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        e.at >= from && e.at < to
    }

    /// Expected values of the checked metrics over `[from, to)`.
    fn expected(&self, case: &Case, from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeMap<&'static str, Option<f64>> {
        let split = !case.segments.is_empty() || !case.regions.is_empty() || !case.platforms.is_empty();
        let window: Vec<&Raw> = self.events.iter().filter(|e| Self::in_window(e, from, to)).collect();
        let matching = |kind: &str| -> Vec<&Raw> {
            window.iter().copied().filter(|e| e.kind == kind && self.campaign_ok(case, e.campaign) && self.dims_ok(case, e)).collect()
        };
        let sends: Vec<&Raw> = matching("campaign_delivered").into_iter().filter(|e| e.props["is_holdout"] == false).collect();
        let views = matching("campaign_viewed");
        let clicks = matching("campaign_clicked");

        // Spend: each campaign's lines in the window, × its matching sends ÷ all its sends when split.
        let mut spend_cents = 0.0;
        for c in self.campaigns.iter().filter(|c| self.campaign_ok(case, Some(c.id))) {
            let lines: i64 = self.spend.iter().filter(|s| s.campaign_id == c.id && s.period_start >= from && s.period_start < to).map(|s| s.amount_cents).sum();
            let share = if split {
                let all = window.iter().filter(|e| e.kind == "campaign_delivered" && e.props["is_holdout"] == false && e.campaign == Some(c.id)).count();
                let mine = sends.iter().filter(|e| e.campaign == Some(c.id)).count();
                if all == 0 { 0.0 } else { mine as f64 / all as f64 }
            } else {
                1.0
            };
            spend_cents += lines as f64 * share;
        }

        // Last-touch attribution, 7-day lookback, over views and clicks of any campaign.
        let (mut attributed_cents, mut orders) = (0i64, 0u64);
        for p in window.iter().filter(|e| e.kind == "user_purchased" && self.dims_ok(case, e)) {
            let last = self
                .events
                .iter()
                .filter(|t| (t.kind == "campaign_viewed" || t.kind == "campaign_clicked") && t.user == p.user && t.at <= p.at && p.at - t.at <= Duration::days(7))
                .max_by_key(|t| t.at);
            if let Some(t) = last
                && self.campaign_ok(case, t.campaign)
            {
                attributed_cents += (p.props["order_value"].as_f64().unwrap() * 100.0).round() as i64;
                orders += 1;
            }
        }

        let users = |list: &[&Raw]| list.iter().map(|e| e.user.clone()).collect::<BTreeSet<_>>();
        let clickers = users(&clicks);
        let converters = clicks
            .iter()
            .filter(|c| {
                self.events.iter().any(|p| {
                    p.kind == "user_purchased" && p.user == c.user && p.at >= c.at && (p.at - c.at <= Duration::hours(24) || (c.session.is_some() && p.session == c.session))
                })
            })
            .map(|c| c.user.clone())
            .collect::<BTreeSet<_>>();
        let is_message = |e: &&Raw| {
            let c = self.campaigns.iter().find(|c| Some(c.id) == e.campaign).unwrap();
            c.channels.split(',').any(|ch| ch == "email" || ch == "push")
        };
        let message_sent = users(&sends.iter().copied().filter(is_message).collect::<Vec<_>>());
        let message_viewed = users(&views.iter().copied().filter(is_message).collect::<Vec<_>>());
        let viewers = users(&views);

        // Incrementality: each (user, campaign) by its first delivery, if that falls in the window.
        let (mut incremental, mut treated_conversions) = (0.0, 0.0);
        for c in &self.campaigns {
            let mut first: BTreeMap<&str, &Raw> = BTreeMap::new();
            for e in self.events.iter().filter(|e| e.kind == "campaign_delivered" && e.campaign == Some(c.id)) {
                first.entry(&e.user).and_modify(|f| if e.at < f.at { *f = e }).or_insert(e);
            }
            let (mut nt, mut nc, mut ct, mut cc) = (0.0, 0.0, 0.0, 0.0);
            for (user, d) in first {
                if !Self::in_window(d, from, to) || !self.campaign_ok(case, d.campaign) || !self.dims_ok(case, d) {
                    continue;
                }
                let bought = self.events.iter().any(|p| p.kind == "user_purchased" && p.user == user && p.at >= d.at && p.at < d.at + Duration::days(7));
                if d.props["is_holdout"] == true {
                    nc += 1.0;
                    cc += f64::from(u8::from(bought));
                } else {
                    nt += 1.0;
                    ct += f64::from(u8::from(bought));
                }
            }
            if nt > 0.0 && nc > 0.0 {
                incremental += ct - nt * cc / nc;
                treated_conversions += ct;
            }
        }

        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        BTreeMap::from([
            ("impressions", Some(views.len() as f64)),
            ("ctr", ratio(100.0 * clicks.len() as f64, views.len() as f64)),
            ("cpc", if spend_cents > 0.0 { ratio(spend_cents / 100.0, clicks.len() as f64) } else { None }),
            ("roas", ratio(attributed_cents as f64, spend_cents)),
            ("aov", ratio(attributed_cents as f64 / 100.0, orders as f64)),
            ("conversion_rate", ratio(100.0 * converters.len() as f64, clickers.len() as f64)),
            ("open_rate", ratio(100.0 * message_sent.intersection(&message_viewed).count() as f64, message_sent.len() as f64)),
            ("avg_frequency", ratio(views.len() as f64, viewers.len() as f64)),
            ("incrementality", if treated_conversions > 0.0 { Some(100.0 * incremental / treated_conversions) } else { None }),
        ])
    }
}

async fn load_oracle(db: &sea_orm::DatabaseConnection) -> Oracle {
    let rows = events::Entity::find().all(db).await.unwrap();
    let events = rows
        .into_iter()
        .map(|r| Raw {
            kind: r.event_type,
            at: r.occurred_at,
            user: r.user_id,
            session: r.session_id,
            campaign: r.campaign_id,
            creative: r.creative_id,
            props: r.properties,
            context: r.context,
        })
        .collect();
    Oracle { events, campaigns: campaigns::Entity::find().all(db).await.unwrap(), spend: spend::Entity::find().all(db).await.unwrap() }
}

#[tokio::test]
async fn every_checked_metric_equals_a_plain_recomputation_from_the_raw_events() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let days = 12;
    let config = SimConfig { seed: 17, users: 1_000, days, campaigns: 6, start: start_for(now, days), holdout_share: 0.2, faults: Faults::default() };
    server::services::simulate::to_db(&app.state, config.clone(), |_, _| {}).await.unwrap();
    let oracle = load_oracle(&app.state.db).await;
    assert!(oracle.events.iter().all(|e| e.creative.is_some() || e.campaign.is_none() || e.kind == "user_unsubscribed"));
    let session = app.sign_in(Role::Cmo).await;

    let first = oracle.campaigns[0].clone();
    let cases = [
        Case { query: String::new(), ..Case::default() },
        Case { query: format!("&campaign={}", first.id), campaigns: vec![first.id], ..Case::default() },
        Case { query: "&segment=HIGH_SPENDER,FREQUENT_SHOPPER".to_owned(), segments: vec!["HIGH_SPENDER".into(), "FREQUENT_SHOPPER".into()], ..Case::default() },
        Case {
            query: format!("&type={}&platform=iOS&region=US-CA,US-NY", first.campaign_type),
            types: vec![first.campaign_type.clone()],
            platforms: vec!["iOS".into()],
            regions: vec!["US-CA".into(), "US-NY".into()],
            ..Case::default()
        },
    ];
    let (from, to) = (config.start, config.start + Duration::days(i64::from(days)));
    let mut compared = 0;
    for case in &cases {
        let path = format!("/api/v1/metrics?from={}&to={}{}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"), case.query);
        let res = app.get_with_cookie(&path, &session.cookie).await;
        assert_eq!(res.status(), 200, "{path}");
        let body: Value = res.json().await.unwrap();
        let by_id: BTreeMap<String, Value> = body["metrics"].as_array().unwrap().iter().map(|m| (m["id"].as_str().unwrap().to_owned(), m.clone())).collect();
        assert_eq!(by_id.len(), 25);
        for (id, expected) in oracle.expected(case, from, to) {
            let got = by_id[id]["value"].as_f64();
            match (got, expected) {
                (Some(g), Some(e)) => assert!((g - e).abs() <= 1e-9 * e.abs().max(1.0), "{id} {path}: API {g}, oracle {e}"),
                (None, None) => assert!(by_id[id]["reason"].is_string(), "{id} {path}: null without a reason"),
                (g, e) => panic!("{id} {path}: API {g:?}, oracle {e:?}"),
            }
            compared += usize::from(expected.is_some());
        }
    }
    assert!(compared >= 25, "enough non-null comparisons ({compared})");
}

#[tokio::test]
async fn metric_queries_name_a_bad_filter_and_unknown_metrics_are_404() {
    let app = spawn_app().await;
    let session = app.sign_in(Role::Cmo).await;
    for (query, field) in [("segment=BIG_SPENDER", "segment"), ("from=yesterday", "from"), ("colour=red", "colour"), ("campaign=42", "campaign")] {
        let res = app.get_with_cookie(&format!("/api/v1/metrics?{query}"), &session.cookie).await;
        assert_eq!(res.status(), 422, "{query}");
        let body = res.text().await.unwrap();
        assert!(body.contains(field), "{query}: {body}");
    }
    let res = app.get_with_cookie("/api/v1/metrics/roi", &session.cookie).await;
    assert_eq!(res.status(), 404);

    // With no data every metric is null and says why; none is a made-up number.
    let body: Value = app.get_with_cookie("/api/v1/metrics", &session.cookie).await.json().await.unwrap();
    for m in body["metrics"].as_array().unwrap() {
        if m["id"] != "impressions" {
            assert!(m["value"].is_null() && m["reason"].is_string(), "{m}");
        }
    }
    let one: Value = app.get_with_cookie("/api/v1/metrics/ctr?granularity=hour", &session.cookie).await.json().await.unwrap();
    assert_eq!(one["series"].as_array().unwrap().len(), 24, "a day of hourly points: {one}");
    let seed: Value = app.get_with_cookie("/metrics/roas?campaign_id=00000000-0000-4000-8000-000000000000", &session.cookie).await.json().await.unwrap();
    assert!(seed["roas"].is_null() && seed["confidence"].is_number(), "{seed}");
}
