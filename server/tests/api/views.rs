//! The funnel (`GET /api/v1/funnel`), the heatmap (`GET /api/v1/heatmap`), the segments
//! (`GET /api/v1/segments`) and a campaign's detail (`GET /api/v1/campaigns/{id}/performance`)
//! against a plain recomputation from the raw event rows (written from docs/metrics.md, without
//! `analytics::metrics`), and against `/api/v1/metrics` and the leaderboard for the same window;
//! so is attribution per campaign and channel (`GET /api/v1/attribution`).

use std::collections::BTreeMap;

use analytics::simulator::{Faults, SimConfig, start_for};
use app::access::Role;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use sea_orm::EntityTrait;
use serde_json::Value;
use server::entities::events;

use crate::support::spawn_app;

const DAY: i64 = 86_400;
const LOOKBACK: i64 = 7 * DAY;

struct Raw {
    kind: String,
    at: DateTime<Utc>,
    session: Option<String>,
    campaign: Option<uuid::Uuid>,
    props: Value,
    context: Value,
}

impl Raw {
    fn engaged(&self, kind: &str) -> bool {
        self.kind == "user_engaged" && self.props["engagement_type"] == kind
    }

    fn within(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.at >= from && self.at < to
    }
}

/// Each customer's events (latest versions), in time order.
async fn raw_events(db: &sea_orm::DatabaseConnection) -> BTreeMap<String, Vec<Raw>> {
    let mut latest: BTreeMap<uuid::Uuid, events::Model> = BTreeMap::new();
    for row in events::Entity::find().all(db).await.unwrap() {
        if latest.get(&row.event_id).is_none_or(|l| row.version > l.version) {
            latest.insert(row.event_id, row);
        }
    }
    let mut rows: Vec<events::Model> = latest.into_values().collect();
    rows.sort_by_key(|r| (r.occurred_at, r.seq));
    let customer = ["campaign_delivered", "campaign_viewed", "campaign_clicked", "campaign_converted", "campaign_abandoned", "user_segmented", "user_purchased", "user_engaged", "user_unsubscribed", "consent_updated"];
    let mut users: BTreeMap<String, Vec<Raw>> = BTreeMap::new();
    for r in rows.into_iter().filter(|r| customer.contains(&r.event_type.as_str())) {
        users.entry(r.user_id.clone()).or_default().push(Raw {
            kind: r.event_type,
            at: r.occurred_at,
            session: r.session_id,
            campaign: r.campaign_id,
            props: r.properties,
            context: r.context,
        });
    }
    users
}

/// The user's segment at `at`: the latest `user_segmented` at or before it, else the event's context.
fn segment_at(events: &[Raw], e: &Raw) -> Option<String> {
    let assigned = events.iter().rfind(|s| s.kind == "user_segmented" && s.at <= e.at);
    assigned.map(|s| s.props["segment_type"].as_str().unwrap().to_owned()).or_else(|| e.context["user_segment"].as_str().map(str::to_owned))
}

/// The scope of an oracle query: a segment and a campaign, or all.
#[derive(Clone, Default)]
struct Only {
    segment: Option<String>,
    campaign: Option<uuid::Uuid>,
}

impl Only {
    fn campaign_event(&self, events: &[Raw], e: &Raw) -> bool {
        e.campaign.is_some()
            && self.campaign.is_none_or(|c| e.campaign == Some(c))
            && self.segment.as_ref().is_none_or(|s| segment_at(events, e).as_ref() == Some(s))
    }
}

/// The funnel's users per step, from the words of docs/metrics.md: after the click = later, and in
/// the click's session or within 24 h of it; each step follows the one before.
fn oracle_funnel(users: &BTreeMap<String, Vec<Raw>>, only: &Only, from: DateTime<Utc>, to: DateTime<Utc>) -> [u64; 5] {
    let mut out = [0u64; 5];
    for events in users.values() {
        let in_scope = |e: &Raw, kind: &str| e.kind == kind && e.within(from, to) && only.campaign_event(events, e);
        if !events.iter().any(|e| in_scope(e, "campaign_viewed")) {
            continue;
        }
        let mut depth = 1;
        for c in events.iter().filter(|e| in_scope(e, "campaign_clicked")) {
            let related = |x: &Raw| (x.at - c.at).num_seconds() <= DAY || (c.session.is_some() && x.session == c.session);
            let mut reached = 2;
            let mut previous = c.at;
            for step in ["app_open", "add_to_cart", "purchase"] {
                let next = events.iter().find(|x| {
                    let kind = if step == "purchase" { x.kind == "user_purchased" && x.at >= previous } else { x.engaged(step) && x.at > previous };
                    kind && related(x)
                });
                match next {
                    Some(x) => {
                        reached += 1;
                        previous = x.at;
                    }
                    None => break,
                }
            }
            depth = depth.max(reached);
        }
        for step in out.iter_mut().take(depth) {
            *step += 1;
        }
    }
    out
}

/// Impressions, clicks and attributed purchases (any campaign's latest touch within 7 days) by
/// day of the week × UTC hour.
fn oracle_heatmap(users: &BTreeMap<String, Vec<Raw>>, only: &Only, from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeMap<(u32, u32), [u64; 3]> {
    let mut out: BTreeMap<(u32, u32), [u64; 3]> = BTreeMap::new();
    for events in users.values() {
        for e in events.iter().filter(|e| e.within(from, to)) {
            let cell = (e.at.weekday().num_days_from_monday(), e.at.hour());
            let slot = match e.kind.as_str() {
                "campaign_viewed" if only.campaign_event(events, e) => 0,
                "campaign_clicked" if only.campaign_event(events, e) => 1,
                "user_purchased" => {
                    let segment_ok = only.segment.as_ref().is_none_or(|s| segment_at(events, e).as_ref() == Some(s));
                    let touched = events.iter().any(|t| {
                        (t.kind == "campaign_viewed" || t.kind == "campaign_clicked") && t.campaign.is_some() && t.at <= e.at && (e.at - t.at).num_seconds() <= LOOKBACK
                    });
                    if !(segment_ok && touched && only.campaign.is_none()) {
                        continue;
                    }
                    2
                }
                _ => continue,
            };
            out.entry(cell).or_default()[slot] += 1;
        }
    }
    out
}

/// Metric 21 by the words of docs/metrics.md: each purchase in the window shares one conversion
/// among the impressions and clicks of campaigns in the 7 days before it (its own second
/// included); time decay halves a touch's weight every 24 h. Keyed by campaign and by channel (the
/// latest delivery of the touch's campaign before it); values are [conversions, dollars] per model
/// in the order first touch, last touch, linear, time decay.
type ModelFigures = [[f64; 2]; 4];
fn oracle_attribution(users: &BTreeMap<String, Vec<Raw>>, only: &Only, from: DateTime<Utc>, to: DateTime<Utc>) -> (BTreeMap<uuid::Uuid, ModelFigures>, BTreeMap<String, ModelFigures>) {
    let (mut by_campaign, mut by_channel): (BTreeMap<uuid::Uuid, ModelFigures>, BTreeMap<String, ModelFigures>) = Default::default();
    for events in users.values() {
        for (i, p) in events.iter().enumerate().filter(|(_, p)| p.kind == "user_purchased" && p.within(from, to)) {
            if only.segment.as_ref().is_some_and(|s| segment_at(events, p).as_ref() != Some(s)) {
                continue;
            }
            let dollars = p.props["order_value"].as_f64().unwrap();
            let touches: Vec<usize> = (0..i)
                .filter(|j| {
                    let t = &events[*j];
                    (t.kind == "campaign_viewed" || t.kind == "campaign_clicked") && t.campaign.is_some() && (p.at - t.at).num_seconds() <= LOOKBACK
                })
                .collect();
            let weights: Vec<f64> = touches.iter().map(|j| 0.5f64.powf((p.at - events[*j].at).num_seconds() as f64 / DAY as f64)).collect();
            let total: f64 = weights.iter().sum();
            for (k, j) in touches.iter().enumerate() {
                let t = &events[*j];
                if only.campaign.is_some_and(|c| t.campaign != Some(c)) {
                    continue;
                }
                let shares = [f64::from(u8::from(k == 0)), f64::from(u8::from(k == touches.len() - 1)), 1.0 / touches.len() as f64, weights[k] / total];
                let channel = events[..*j]
                    .iter()
                    .rfind(|d| d.kind == "campaign_delivered" && d.campaign == t.campaign && d.props["is_holdout"] == false)
                    .map(|d| d.props["delivery_channel"].as_str().unwrap().to_owned())
                    .unwrap();
                for figures in [by_campaign.entry(t.campaign.unwrap()).or_default(), by_channel.entry(channel).or_default()] {
                    for (m, share) in shares.iter().enumerate() {
                        figures[m][0] += share;
                        figures[m][1] += share * dollars;
                    }
                }
            }
        }
    }
    (by_campaign, by_channel)
}

#[tokio::test]
async fn funnel_heatmap_segments_and_campaign_detail_equal_a_recomputation_from_the_raw_events() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let days = 10;
    let config = SimConfig { seed: 37, users: 3_000, days, campaigns: 6, start: start_for(now, days), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    server::services::simulate::to_db(&app.state, config.clone(), |_, _| {}).await.unwrap();
    let session = app.sign_in(Role::Cmo).await;
    let (from, to) = (config.start, config.start + Duration::days(i64::from(days)));
    let window = format!("from={}&to={}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"));
    let get = |path: String| {
        let app = &app;
        let cookie = session.cookie.clone();
        async move {
            let res = app.get_with_cookie(&path, &cookie).await;
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let users = raw_events(&app.state.db).await;
    let campaigns: Vec<uuid::Uuid> = {
        let board = get(format!("/api/v1/campaigns?{window}&sort=clicks")).await;
        board["rows"].as_array().unwrap().iter().map(|r| r["campaign_id"].as_str().unwrap().parse().unwrap()).collect()
    };
    // The two segments with the most clicks, so the segment views have something to show.
    let segments_by_clicks: Vec<String> = {
        let mut clicks: BTreeMap<String, u64> = BTreeMap::new();
        for events in users.values() {
            for e in events.iter().filter(|e| e.kind == "campaign_clicked" && e.within(from, to)) {
                *clicks.entry(segment_at(events, e).unwrap()).or_default() += 1;
            }
        }
        let mut ranked: Vec<(String, u64)> = clicks.into_iter().collect();
        ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
        ranked.into_iter().map(|(s, _)| s).collect()
    };
    let (s1, s2) = (segments_by_clicks[0].clone(), segments_by_clicks[1].clone());
    let metrics = |query: String| {
        let get = &get;
        async move {
            let body = get(format!("/api/v1/metrics?{query}")).await;
            body["metrics"].as_array().unwrap().iter().map(|m| (m["id"].as_str().unwrap().to_owned(), m["value"].as_f64())).collect::<BTreeMap<_, _>>()
        }
    };

    // Module 6: every step's users, plain and compared by segment and by campaign.
    let steps = |f: &Value| f["steps"].as_array().unwrap().iter().map(|s| s["users"].as_u64().unwrap()).collect::<Vec<_>>();
    let body = get(format!("/api/v1/funnel?{window}")).await;
    let plain = steps(&body["funnel"]);
    assert_eq!(plain, oracle_funnel(&users, &Only::default(), from, to), "the funnel's users per step");
    assert!(plain.windows(2).all(|w| w[0] >= w[1]), "steps never increase: {plain:?}");
    assert!(plain[4] > 0, "some users went all the way: {plain:?}");
    // Every clicker of this world saw the campaign in the window (nothing happened before it), so
    // purchasers after a click ÷ the click step is metric 3.
    let whole = metrics(window.clone()).await;
    let purchasers = body["funnel"]["purchasers_after_click"].as_f64().unwrap();
    assert!(purchasers >= plain[4] as f64);
    assert!((100.0 * purchasers / plain[1] as f64 - whole["conversion_rate"].unwrap()).abs() < 1e-9, "{purchasers} of {}", plain[1]);
    let names = ["impression", "click", "app_open", "add_to_cart", "purchase"];
    for (k, step) in body["funnel"]["steps"].as_array().unwrap().iter().enumerate() {
        assert_eq!(step["step"], names[k]);
        if k > 0 {
            let expected = 100.0 * plain[k] as f64 / plain[k - 1] as f64;
            assert!((step["rate"].as_f64().unwrap() - expected).abs() < 1e-9);
            assert_eq!(step["drop_off"].as_u64(), Some(plain[k - 1] - plain[k]));
            assert!(step["median_seconds_from_previous"].as_f64().unwrap() > 0.0, "{step}");
        }
    }
    assert!(body["funnel"]["insight"].as_str().unwrap().contains("biggest drop-off"), "{}", body["funnel"]["insight"]);
    assert_eq!(body["compare"].as_array().unwrap().len(), 0);

    let compared = get(format!("/api/v1/funnel?{window}&compare=segment:{s1},segment:{s2}")).await;
    let items = compared["compare"].as_array().unwrap();
    assert_eq!(items.len(), 2, "one funnel per item");
    for (item, segment) in items.iter().zip([&s1, &s2]) {
        assert_eq!(item["item"], format!("segment:{segment}"));
        let only = Only { segment: Some(segment.to_owned()), ..Only::default() };
        let expected = oracle_funnel(&users, &only, from, to);
        assert!(expected[1] > 0);
        assert_eq!(steps(&item["funnel"]), expected, "{segment}");
    }
    assert_eq!(steps(&compared["funnel"]), plain, "the main funnel stays the filters'");
    let (a, b) = (campaigns[0], campaigns[1]);
    let compared = get(format!("/api/v1/funnel?{window}&compare=campaign:{a}&compare=campaign:{b}")).await;
    let items = compared["compare"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, id) in items.iter().zip([a, b]) {
        let only = Only { campaign: Some(id), ..Only::default() };
        assert_eq!(steps(&item["funnel"]), oracle_funnel(&users, &only, from, to), "campaign {id}");
        assert!(item["label"].as_str().unwrap().contains('#'), "the campaign's name");
    }
    assert!(compared["best"].is_string());

    // Module 7: every cell, plain and with a segment overlay.
    for (query, only) in [(String::new(), Only::default()), (format!("&segment={s1}"), Only { segment: Some(s1.clone()), ..Only::default() })] {
        let heat = get(format!("/api/v1/heatmap?{window}{query}")).await;
        let expected = oracle_heatmap(&users, &only, from, to);
        let rows = heat["cells"].as_array().unwrap();
        assert_eq!(rows.len(), 7);
        for (d, row) in rows.iter().enumerate() {
            assert_eq!(row.as_array().unwrap().len(), 24);
            for (h, cell) in row.as_array().unwrap().iter().enumerate() {
                let e = expected.get(&(d as u32, h as u32)).copied().unwrap_or_default();
                let got = [cell["impressions"].as_u64().unwrap(), cell["clicks"].as_u64().unwrap(), cell["conversions"].as_u64().unwrap()];
                assert_eq!(got, e, "{query} day {d} hour {h}");
            }
        }
        let total_clicks: u64 = expected.values().map(|c| c[1]).sum();
        let peaks = heat["peaks"].as_array().unwrap();
        assert!(!peaks.is_empty() && peaks.len() <= 3);
        let top = expected.values().map(|c| c[1]).max().unwrap();
        assert_eq!(peaks[0]["clicks"].as_u64(), Some(top));
        assert!((peaks[0]["share"].as_f64().unwrap() - 100.0 * top as f64 / total_clicks as f64).abs() < 1e-9);
        let m = metrics(format!("{window}{query}")).await;
        assert_eq!(heat["totals"]["impressions"].as_f64(), m["impressions"], "{query}");
    }

    // Module 3: sizes from the rows; the figures are /api/v1/metrics?segment=X's.
    let body = get(format!("/api/v1/segments?{window}")).await;
    let rows = body["segments"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for events in users.values() {
        let Some(last) = events.iter().rfind(|e| e.at < to) else { continue };
        let assigned = events.iter().rfind(|s| s.kind == "user_segmented" && s.at < to);
        let segment = assigned.map(|s| s.props["segment_type"].as_str().unwrap().to_owned()).or_else(|| last.context["user_segment"].as_str().map(str::to_owned));
        *sizes.entry(segment.unwrap()).or_default() += 1;
    }
    let previous_window = format!("from={}&to={}", (from - Duration::days(i64::from(days))).format("%Y-%m-%d"), from.format("%Y-%m-%d"));
    let previous = get(format!("/api/v1/segments?{previous_window}")).await;
    for (row, before) in rows.iter().zip(previous["segments"].as_array().unwrap()) {
        let code = row["segment"].as_str().unwrap();
        assert_eq!(row["size"].as_u64(), Some(sizes.get(code).copied().unwrap_or(0)), "{code}'s size");
        let m = metrics(format!("{window}&segment={code}")).await;
        for field in ["ltv", "cac", "aov", "ctr", "conversion_rate"] {
            assert_eq!(row[field].as_f64(), m[field], "{code} {field}");
            assert!(row[field].is_number() || row["reasons"][field].is_string(), "{code} {field}: null without a reason");
        }
        assert_eq!(row["previous_revenue"], before["revenue"], "{code}: the trend compares with the window just before");
        if let Some(trend) = row["trend"].as_f64() {
            let (r, p) = (row["revenue"].as_f64().unwrap(), row["previous_revenue"].as_f64().unwrap());
            assert!((trend - (r - p) / p.abs()).abs() < 1e-9);
        }
    }
    assert_eq!(rows.iter().map(|r| r["size"].as_u64().unwrap()).sum::<u64>(), users.len() as u64, "everyone known has one segment");
    let one = get(format!("/api/v1/segments?{window}&segment=INACTIVE")).await;
    assert_eq!(one["segments"].as_array().unwrap().len(), 1);

    // Module 4: totals are the leaderboard's row, the series add up, frequency from the rows.
    for id in &campaigns[..2] {
        let detail = get(format!("/api/v1/campaigns/{id}/performance?{window}")).await;
        let board = get(format!("/api/v1/campaigns?{window}&campaign={id}")).await;
        let row = &board["rows"][0];
        for field in ["sends", "impressions", "clicks", "conversions", "revenue", "orders", "spend", "roas", "ctr"] {
            assert_eq!(detail["totals"][field], row[field], "{id} {field}");
        }
        for field in ["sends", "impressions", "clicks", "orders"] {
            let sum: u64 = detail["daily"].as_array().unwrap().iter().map(|p| p[field].as_u64().unwrap()).sum();
            assert_eq!(Some(sum), detail["totals"][field].as_u64(), "{id}: daily {field}");
        }
        assert_eq!(detail["daily"].as_array().unwrap().len(), days as usize);
        assert_eq!(detail["hourly"].as_array().unwrap().len(), 48);
        let mut expected = [0u64; 5];
        for events in users.values() {
            let n = events.iter().filter(|e| e.kind == "campaign_viewed" && e.campaign == Some(*id) && e.within(from, to)).count();
            if n > 0 {
                expected[n.min(5) - 1] += 1;
            }
        }
        let got: Vec<u64> = detail["frequency"]["buckets"].as_array().unwrap().iter().map(|b| b["users"].as_u64().unwrap()).collect();
        assert_eq!(got, expected, "{id}: users by impressions");
        let segments = detail["segments"].as_array().unwrap();
        assert_eq!(segments.len(), 8);
        assert_eq!(segments.iter().map(|s| s["impressions"].as_u64().unwrap()).sum::<u64>(), detail["totals"]["impressions"].as_u64().unwrap());
        let creatives = detail["creatives"].as_array().unwrap();
        assert!(creatives.len() >= 2 && creatives.iter().all(|k| k["headline"].is_string() && k["creative_id"].is_string()));
        assert_eq!(detail["campaign"]["id"], id.to_string());
    }
    let unknown = uuid::Uuid::new_v4();
    let res = app.get_with_cookie(&format!("/api/v1/campaigns/{unknown}/performance"), &session.cookie).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains(&unknown.to_string()), "the message names the campaign");

    // Module 8: attribution per campaign and channel, plain, by segment and by campaign.
    let models = ["first_touch", "last_touch", "linear", "time_decay"];
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    for (query, only) in [
        (String::new(), Only::default()),
        (format!("&segment={s1}"), Only { segment: Some(s1.clone()), ..Only::default() }),
        (format!("&campaign={}", campaigns[0]), Only { campaign: Some(campaigns[0]), ..Only::default() }),
    ] {
        let body = get(format!("/api/v1/attribution?{window}{query}")).await;
        let (by_campaign, by_channel) = oracle_attribution(&users, &only, from, to);
        let rows = body["campaigns"].as_array().unwrap();
        assert_eq!(rows.len(), by_campaign.len(), "{query}: campaigns with credit");
        for row in rows {
            let expected = by_campaign[&row["campaign_id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap()];
            for (m, model) in models.iter().enumerate() {
                let (conversions, revenue) = (row["models"][model]["conversions"].as_f64().unwrap(), row["models"][model]["revenue"].as_f64().unwrap());
                assert!(close(conversions, expected[m][0]) && close(revenue, expected[m][1]), "{query} {} {model}: {conversions} {revenue} vs {:?}", row["name"], expected[m]);
            }
        }
        let channels = body["channels"].as_array().unwrap();
        assert_eq!(channels.len(), by_channel.len(), "{query}: channels with credit");
        for row in channels {
            let expected = by_channel[row["channel"].as_str().unwrap()];
            for (m, model) in models.iter().enumerate() {
                assert!(close(row["models"][model]["revenue"].as_f64().unwrap(), expected[m][1]), "{query} {} {model}", row["channel"]);
            }
        }
        // The totals are metric 21's breakdown, and last touch is the leaderboard's revenue.
        let all = get(format!("/api/v1/metrics?{window}{query}")).await;
        let spread = all["metrics"].as_array().unwrap().iter().find(|m| m["id"] == "attribution_spread").unwrap().clone();
        for model in models {
            assert!(close(body["total"][model]["revenue"].as_f64().unwrap(), spread["breakdown"][model].as_f64().unwrap()), "{query} {model}");
        }
        let board = get(format!("/api/v1/campaigns?{window}{query}&per_page=100")).await;
        for row in board["rows"].as_array().unwrap() {
            let credited = rows.iter().find(|r| r["campaign_id"] == row["campaign_id"]).map_or(0.0, |r| r["models"]["last_touch"]["revenue"].as_f64().unwrap());
            assert!(close(credited, row["revenue"].as_f64().unwrap()), "{query} {}", row["name"]);
        }
    }
    if let Some(first) = oracle_attribution(&users, &Only::default(), from, to).0.values().next() {
        assert!(first[0][0] > 0.0, "the world has attributed conversions");
    }

    // Bad parameters are named.
    let bad = [
        ("/api/v1/funnel?compare=segment:VIP".to_owned(), "compare"),
        ("/api/v1/funnel?compare=campaign:nope".to_owned(), "compare"),
        (format!("/api/v1/funnel?compare=campaign:{unknown}"), "compare"),
        ("/api/v1/funnel?compare=region:EU".to_owned(), "compare"),
        ("/api/v1/funnel?segment=VIP".to_owned(), "segment"),
        ("/api/v1/heatmap?segment=VIP".to_owned(), "segment"),
        ("/api/v1/heatmap?per_page=3".to_owned(), "per_page"),
        ("/api/v1/attribution?segment=VIP".to_owned(), "segment"),
        ("/api/v1/attribution?from=2026-02-30".to_owned(), "from"),
        ("/api/v1/segments?from=2026-13-01".to_owned(), "from"),
        ("/api/v1/segments?from=2026-01-02&to=2026-01-01".to_owned(), "from"),
        (format!("/api/v1/segments?from={}", (now + Duration::days(2)).format("%Y-%m-%d")), "from"),
        (format!("/api/v1/campaigns/{a}/performance?campaign={b}"), "campaign"),
        (format!("/api/v1/campaigns/{a}/performance?platform=Symbian"), "platform"),
        ("/api/v1/campaigns/not-a-uuid/performance".to_owned(), "id"),
    ];
    for (path, field) in bad {
        let res = app.get_with_cookie(&path, &session.cookie).await;
        assert_eq!(res.status(), 422, "{path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["fields"].as_array().unwrap().iter().any(|f| f["field"] == field), "{path}: {body}");
    }
}
