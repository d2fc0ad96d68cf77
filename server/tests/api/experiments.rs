//! Experiments (issue #8): a creative test from draft to shipped through the API, with the
//! pinned assignment, the results against a plain recount, automatic shipping, the sample-ratio
//! block, and an imported per-user file against an independent computation.

use app::access::{Role, Scope};
use app::wire::{ErrorBody, ExperimentStatus, ExperimentView};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::clock::Clock;
use uuid::Uuid;

use crate::support::{Session, TestApp, create_campaign, spawn_app_with_clock_configured};

struct Fixture {
    app: TestApp,
    key: String,
    perf: Session,
    campaign: app::wire::CampaignView,
    start: DateTime<Utc>,
}

impl Fixture {
    async fn new() -> Fixture {
        let start = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        // Sessions outlive the clock's moves (tests move it by hours and days).
        let app = spawn_app_with_clock_configured(Clock::fixed(start), |s| s.session_lifetime_minutes = 60 * 24 * 30).await;
        let (_, key) = server::auth::api_keys::create(&app.state.db, "sender", &[Scope::Events], None, start).await.unwrap();
        let perf = app.sign_in(Role::PerfLead).await;
        let campaign = create_campaign(&app, "Weekend creative test").await;
        Fixture { app, key, perf, campaign, start }
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.app.client.post(self.app.url(path)).header("cookie", &self.perf.cookie).header("origin", self.app.origin()).json(&body).send().await.unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.app.client.get(self.app.url(path)).header("cookie", &self.perf.cookie).send().await.unwrap()
    }

    /// A draft test of the campaign's creative against a new challenger.
    async fn draft(&self, auto_ship: bool) -> ExperimentView {
        let res = self
            .post(
                "/api/v1/experiments",
                json!({
                    "name": "Headline test", "campaign_id": self.campaign.id,
                    "arms": [
                        { "creative_id": self.campaign.creatives[0].id },
                        { "new_creative": { "name": "Limited Stock Alert", "headline": "Only 100 left", "body": "This weekend only", "call_to_action": "Grab it" } }
                    ],
                    "primary_metric": "click_rate", "minimum_effect_percent": 20, "duration_days": 7, "baseline": 0.10, "auto_ship": auto_ship
                }),
            )
            .await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    /// Sends events (the clock first moved past them: they happen 30 to 40 minutes after the start).
    async fn send(&self, batch: &[Value]) {
        if self.app.state.clock.now() < self.start + Duration::hours(1) {
            self.app.state.clock.set(self.start + Duration::hours(1));
        }
        for chunk in batch.chunks(1_000) {
            let res = self.app.client.post(self.app.url("/api/v1/events")).bearer_auth(&self.key).json(&chunk).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["rejected"].as_array().map(Vec::len), Some(0), "{}", body["rejected"][0]);
        }
    }

    fn event(&self, kind: &str, user: &str, at: DateTime<Utc>, properties: Value) -> Value {
        json!({
            "event_id": Uuid::new_v4().to_string(), "event_type": kind, "timestamp": at.to_rfc3339(), "user_id": user,
            "source": "backend", "properties": properties,
            "context": { "platform": "iOS", "user_segment": "HIGH_SPENDER", "region": "US-CA" }
        })
    }

    /// `users` users delivered the campaign 30 minutes after the start, each the creative of their
    /// arm (holdout users an assignment only); the k-th member of arm `i` clicks when
    /// `clicks(i, k)`, so each arm's click rate is exact whatever the hash's split.
    /// Returns per arm (members, clickers) as the test itself counts them.
    fn traffic(&self, experiment: &ExperimentView, users: usize, prefix: &str, clicks: impl Fn(usize, usize) -> bool) -> (Vec<Value>, Vec<(u64, u64)>) {
        let shares: Vec<u32> = experiment.arms.iter().map(|a| (a.share_percent * 100.0).round() as u32).collect();
        let at = self.start + Duration::minutes(30);
        let mut events = Vec::new();
        let mut counts = vec![(0u64, 0u64); shares.len()];
        for n in 0..users {
            let user = format!("{prefix}-{n}");
            let held = analytics::holdout::is_holdout(self.campaign.id, &user, 0.10);
            let arm = analytics::experiment::arm_for(analytics::experiment::position(experiment.id, &user), &shares).unwrap();
            let creative = experiment.arms[arm].creative_id.unwrap();
            let delivered = json!({
                "campaign_id": self.campaign.id, "campaign_type": "DISCOUNT", "creative_id": creative,
                "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": held
            });
            events.push(self.event("campaign_delivered", &user, at, delivered));
            if held {
                continue;
            }
            let k = counts[arm].0 as usize;
            counts[arm].0 += 1;
            if clicks(arm, k) {
                counts[arm].1 += 1;
                let clicked = json!({ "campaign_id": self.campaign.id, "creative_id": creative, "click_type": "cta" });
                events.push(self.event("campaign_clicked", &user, at + Duration::minutes(2), clicked));
            }
        }
        (events, counts)
    }

    async fn view(&self, id: Uuid) -> ExperimentView {
        let res = self.get(&format!("/api/v1/experiments/{id}")).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    async fn event_types(&self) -> Vec<(String, Value)> {
        server::entities::events::Entity::find()
            .filter(server::entities::events::Column::CampaignId.eq(self.campaign.id))
            .all(&self.app.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.event_type, e.properties))
            .collect()
    }

    async fn audit_actions(&self) -> Vec<(String, String)> {
        server::entities::audit_log::Entity::find()
            .filter(server::entities::audit_log::Column::Target.starts_with("experiment:"))
            .all(&self.app.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.action, e.actor))
            .collect()
    }
}

fn fields(body: &ErrorBody) -> Vec<String> {
    body.error.fields.iter().map(|f| f.field.clone()).collect()
}

#[tokio::test]
async fn a_creative_test_runs_from_draft_to_shipped_with_its_decisions_audited_and_emitted() {
    let f = Fixture::new().await;
    let draft = f.draft(false).await;
    assert_eq!(draft.status, ExperimentStatus::Draft);
    assert_eq!(draft.arms.iter().map(|a| a.label.as_str()).collect::<Vec<_>>(), ["A", "Limited Stock Alert"]);
    assert_eq!(draft.arms.iter().map(|a| a.share_percent).collect::<Vec<_>>(), [50.0, 50.0]);
    assert!(draft.results.is_none() && draft.plan.is_some(), "a draft has a plan, not results");
    // The challenger waits, paused, for its test.
    let challenger = draft.arms[1].creative_id.unwrap();
    let campaign = server::services::catalogue::get(&f.app.state.db, f.campaign.id).await.unwrap();
    assert_eq!(campaign.creatives.iter().find(|c| c.id == challenger).unwrap().status, app::wire::CreativeStatus::Paused);

    // Bad drafts name every problem; a role without the capability is refused.
    let res = f
        .post(
            "/api/v1/experiments",
            json!({
                "name": " ", "campaign_id": f.campaign.id, "arms": [{ "creative_id": Uuid::new_v4(), "share_percent": 70 }, { "creative_id": f.campaign.creatives[0].id, "share_percent": 20 }],
                "primary_metric": "click_rate", "guardrails": ["click_rate"], "alpha": 0.9, "duration_days": 400
            }),
        )
        .await;
    assert_eq!(res.status(), 422);
    let found = fields(&res.json().await.unwrap());
    for field in ["name", "guardrails", "alpha", "duration_days", "arms.share_percent", "arms[0].creative_id"] {
        assert!(found.contains(&field.to_owned()), "{field} in {found:?}");
    }
    let cmo = f.app.sign_in(Role::Cmo).await;
    let res = f.app.client.post(f.app.url(&format!("/api/v1/experiments/{}/start", draft.id))).header("cookie", &cmo.cookie).header("origin", f.app.origin()).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(f.get("/api/v1/experiments/not-an-id").await.status(), 422);

    // Start: running, the challenger deliverable, creative_variant_tested emitted.
    let res = f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await;
    assert_eq!(res.status(), 200);
    let running: ExperimentView = res.json().await.unwrap();
    assert_eq!(running.status, ExperimentStatus::Running);
    assert_eq!(running.started_at, Some(f.start));
    let tested: Vec<Value> = f.event_types().await.into_iter().filter(|(t, _)| t == "creative_variant_tested").map(|(_, p)| p).collect();
    assert_eq!(tested.len(), 1);
    assert_eq!(tested[0]["variant_b_creative_id"], challenger.to_string());
    // The design is fixed once it runs, and a second test on the campaign cannot start.
    let res = f.app.client.patch(f.app.url(&format!("/api/v1/experiments/{}", draft.id))).header("cookie", &f.perf.cookie).header("origin", f.app.origin()).json(&json!({ "alpha": 0.1 })).send().await.unwrap();
    assert_eq!(res.status(), 409);
    // Its arms are the test's: pausing one would break the split; its end only moves later.
    let res = f.app.client.patch(f.app.url(&format!("/api/v1/creatives/{}", f.campaign.creatives[0].id))).header("cookie", &f.perf.cookie).header("origin", f.app.origin()).json(&json!({ "status": "paused" })).send().await.unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("arm of running experiment"));
    let res = f.app.client.patch(f.app.url(&format!("/api/v1/experiments/{}", draft.id))).header("cookie", &f.perf.cookie).header("origin", f.app.origin()).json(&json!({ "duration_days": 3 })).send().await.unwrap();
    assert_eq!(res.status(), 409);
    let second = f.draft(false).await;
    let res = f.post(&format!("/api/v1/experiments/{}/start", second.id), json!({})).await;
    assert_eq!(res.status(), 409);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("already in running experiment"));

    // The sender's assignment follows the experiment's pinned hash.
    let shares: Vec<u32> = running.arms.iter().map(|a| (a.share_percent * 100.0).round() as u32).collect();
    for n in 0..40 {
        let user = format!("probe-{n}");
        let res = f.app.client.get(f.app.url(&format!("/api/v1/campaigns/{}/assignment?user_id={user}&channel=push&region=US-CA", f.campaign.id))).bearer_auth(&f.key).send().await.unwrap();
        let assignment: app::wire::Assignment = res.json().await.unwrap();
        if assignment.group == "holdout" {
            assert_eq!(assignment.experiment_id, None);
            continue;
        }
        let arm = analytics::experiment::arm_for(analytics::experiment::position(running.id, &user), &shares).unwrap();
        assert_eq!(assignment.creative_id, running.arms[arm].creative_id, "{user}");
        assert_eq!(assignment.experiment_arm.as_deref(), Some(running.arms[arm].label.as_str()));
    }

    // 4,000 users: the control clicks 10%, the challenger 20%.
    let (mut events, counts) = f.traffic(&running, 4_000, "u", |arm, n| if arm == 0 { n % 10 == 0 } else { n % 5 == 0 });
    // One delivery of the control's creative to a challenger user: off-arm, counted, still
    // analysed in the user's arm.
    let off = (0..).map(|n| format!("u-{n}")).find(|u| {
        !analytics::holdout::is_holdout(f.campaign.id, u, 0.10) && analytics::experiment::arm_for(analytics::experiment::position(running.id, u), &shares) == Some(1)
    });
    let off = off.unwrap();
    events.push(f.event("campaign_delivered", &off, f.start + Duration::minutes(40), json!({
        "campaign_id": f.campaign.id, "campaign_type": "DISCOUNT", "creative_id": f.campaign.creatives[0].id,
        "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false
    })));
    f.send(&events).await;
    f.app.state.clock.advance(Duration::hours(2));

    let view = f.view(running.id).await;
    let results = view.results.as_ref().unwrap();
    assert_eq!(view.off_arm_deliveries, 1);
    // Members and clicks per arm are what the test counted itself.
    let click = &results.outcomes[0];
    assert_eq!(click.outcome.key, "click_rate");
    for (arm, (members, clickers)) in counts.iter().enumerate() {
        assert_eq!(results.arms[arm].users, *members);
        assert_eq!(click.arms[arm].n, *members);
        assert_eq!(click.arms[arm].total, *clickers as f64);
        assert!((click.arms[arm].mean.unwrap() - *clickers as f64 / *members as f64).abs() < 1e-12);
    }
    assert!(results.balanced, "{:?}", results.sample_ratio);
    assert_eq!(results.verdict.state, analytics::experiment::VerdictState::Winner, "{}", results.verdict.headline);
    assert_eq!(results.verdict.winner, Some(1));
    assert!(results.verdict.headline.starts_with("Limited Stock Alert wins on click rate"), "{}", results.verdict.headline);
    assert!(results.verdict.by_sequential && !results.horizon_reached);
    // The guardrail (unsubscribes, by default) is measured too, and every other metric is reported
    // per arm (conversions, revenue per user, ROAS) without judging anything.
    assert_eq!(results.outcomes[1].outcome.key, "unsubscribe_rate");
    assert!(results.outcomes[1].guardrail);
    let reported: Vec<(&str, bool)> = results.outcomes[2..].iter().map(|o| (o.outcome.key.as_str(), o.guardrail || o.primary)).collect();
    assert_eq!(reported, [("conversion_rate", false), ("revenue_per_user", false), ("roas", false)]);
    let revenue = &results.outcomes[3];
    assert_eq!(revenue.arms.iter().map(|a| a.n).collect::<Vec<_>>(), counts.iter().map(|c| c.0).collect::<Vec<_>>());
    assert_eq!(revenue.comparisons.len(), 1, "compared against the control like the primary");

    // The planner reads the campaign's history: its click rate over the last 28 days, and the
    // users per arm a 10% relative lift needs at that rate (α 0.05, 80% power).
    let plan: Value = f.get(&format!("/api/v1/experiments/plan?campaign_id={}&metric=click_rate", f.campaign.id)).await.json().await.unwrap();
    let (members, clickers) = counts.iter().fold((0u64, 0u64), |(m, c), (mm, cc)| (m + mm, c + cc));
    let baseline = clickers as f64 / members as f64;
    assert!((plan["baseline"].as_f64().unwrap() - baseline).abs() < 1e-12, "{plan}");
    assert_eq!(plan["users_per_arm"].as_u64(), analytics::stats::sample_size_per_group(baseline, baseline * 0.1, 0.05, 0.8));
    // Traffic per day of delivery, not diluted over the 28 days: every member joined within an
    // hour, so (at least a day) the day's members.
    assert_eq!(plan["daily_users"].as_f64(), Some(members as f64), "{plan}");
    let res = f.get(&format!("/api/v1/experiments/plan?campaign_id={}&alpha=0.9&power=2&arms=2.5", f.campaign.id)).await;
    assert_eq!(res.status(), 422);
    assert_eq!(fields(&res.json().await.unwrap()), ["alpha", "power", "arms"]);

    // The list shows it with its verdict.
    let list: Vec<app::wire::ExperimentSummary> = f.get("/api/v1/experiments").await.json().await.unwrap();
    let row = list.iter().find(|e| e.id == running.id).unwrap();
    assert_eq!(row.users, counts.iter().map(|c| c.0).sum::<u64>());
    assert_eq!(row.verdict.as_deref(), Some(results.verdict.headline.as_str()));

    // Ship: the challenger takes 100%, the control is paused, the decision is audited and emitted.
    let res = f.post(&format!("/api/v1/experiments/{}/ship", running.id), json!({})).await;
    assert_eq!(res.status(), 200);
    let shipped: ExperimentView = res.json().await.unwrap();
    assert_eq!((shipped.status, shipped.winner_arm), (ExperimentStatus::Shipped, Some(1)));
    assert!(shipped.decision.as_deref().unwrap().contains("Limited Stock Alert shipped to 100% on the verdict"), "{:?}", shipped.decision);
    let campaign = server::services::catalogue::get(&f.app.state.db, f.campaign.id).await.unwrap();
    for creative in &campaign.creatives {
        let expected = if creative.id == challenger { app::wire::CreativeStatus::Active } else { app::wire::CreativeStatus::Paused };
        assert_eq!(creative.status, expected, "{}", creative.name);
    }
    let decided: Vec<Value> = f.event_types().await.into_iter().filter(|(t, _)| t == "experiment_decided").map(|(_, p)| p).collect();
    assert_eq!(decided.iter().map(|d| d["decision"].as_str().unwrap()).collect::<Vec<_>>(), ["started", "shipped"]);
    let decided = &decided[1..];
    assert_eq!((decided[0]["decision"].as_str(), decided[0]["winner_creative_id"].as_str()), (Some("shipped"), Some(challenger.to_string().as_str())));
    assert_eq!(decided[0]["automatic"], false);
    assert!(decided[0]["p_value"].as_f64().unwrap() < 0.05);
    let actions = f.audit_actions().await;
    for action in ["experiment.create", "experiment.start", "experiment.ship"] {
        assert!(actions.iter().any(|(a, who)| a == action && who == &f.perf.email), "{action} by {} in {actions:?}", f.perf.email);
    }
    // Shipped is final; after it, the sender's assignment is the campaign's normal one (the
    // challenger, the only active creative).
    assert_eq!(f.post(&format!("/api/v1/experiments/{}/stop", running.id), json!({})).await.status(), 409);
    let res = f.app.client.get(f.app.url(&format!("/api/v1/campaigns/{}/assignment?user_id=u-7&channel=push&region=US-CA", f.campaign.id))).bearer_auth(&f.key).send().await.unwrap();
    let assignment: app::wire::Assignment = res.json().await.unwrap();
    assert_eq!(assignment.experiment_id, None);
    if assignment.group == "treatment" {
        assert_eq!(assignment.creative_id, Some(challenger));
    }
}

#[tokio::test]
async fn automatic_shipping_waits_for_a_sound_winner_and_is_audited_as_the_system() {
    let f = Fixture::new().await;
    let draft = f.draft(true).await;
    f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await;
    let running = f.view(draft.id).await;
    // Too little data: nothing ships.
    let (events, _) = f.traffic(&running, 60, "early", |arm, n| if arm == 0 { n % 10 == 0 } else { n % 5 == 0 });
    f.send(&events).await;
    f.app.state.clock.advance(Duration::hours(1));
    server::jobs::experiments::once(&f.app.state).await.unwrap();
    let view = f.view(draft.id).await;
    assert_eq!(view.status, ExperimentStatus::Running);
    assert_eq!(view.results.as_ref().unwrap().verdict.state, analytics::experiment::VerdictState::Collecting, "{}", view.results.as_ref().unwrap().verdict.headline);
    assert!(view.results.as_ref().unwrap().verdict.headline.contains("more day"), "{}", view.results.as_ref().unwrap().verdict.headline);

    let (events, _) = f.traffic(&running, 4_000, "late", |arm, n| if arm == 0 { n % 10 == 0 } else { n % 5 == 0 });
    f.send(&events).await;
    server::jobs::experiments::once(&f.app.state).await.unwrap();
    let view = f.view(draft.id).await;
    assert_eq!((view.status, view.winner_arm), (ExperimentStatus::Shipped, Some(1)));
    assert!(view.decision.as_deref().unwrap().contains("automatically by system"), "{:?}", view.decision);
    assert!(f.audit_actions().await.contains(&("experiment.ship".to_owned(), "system".to_owned())));
    let decided: Vec<Value> = f.event_types().await.into_iter().filter(|(t, _)| t == "experiment_decided").map(|(_, p)| p).filter(|p| p["decision"] == "shipped").collect();
    assert_eq!(decided[0]["automatic"], true);
}

#[tokio::test]
async fn a_sample_ratio_mismatch_blocks_the_verdict_and_shipping_needs_an_override_with_a_reason() {
    let f = Fixture::new().await;
    let draft = f.draft(false).await;
    f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await;
    let running = f.view(draft.id).await;
    // The sender dropped three in four challenger users: a broken split.
    let (events, _) = f.traffic(&running, 3_000, "u", |arm, n| if arm == 0 { n % 10 == 0 } else { n % 5 == 0 });
    let shares = [5_000, 5_000];
    let kept: Vec<Value> = events
        .into_iter()
        .filter(|e| {
            let user = e["user_id"].as_str().unwrap();
            let n: usize = user.trim_start_matches("u-").parse().unwrap();
            analytics::experiment::arm_for(analytics::experiment::position(running.id, user), &shares) == Some(0) || n % 4 == 0
        })
        .collect();
    f.send(&kept).await;
    f.app.state.clock.advance(Duration::hours(1));
    let view = f.view(draft.id).await;
    let results = view.results.unwrap();
    assert!(!results.balanced);
    assert_eq!(results.verdict.state, analytics::experiment::VerdictState::SampleRatioMismatch);
    assert!(results.verdict.headline.contains("against a planned 50/50 split"), "{}", results.verdict.headline);

    let ship = format!("/api/v1/experiments/{}/ship", draft.id);
    let res = f.post(&ship, json!({})).await;
    assert_eq!(res.status(), 409);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("no winner to ship"));
    let res = f.post(&ship, json!({ "arm": 1 })).await;
    assert_eq!(res.status(), 422);
    assert_eq!(fields(&res.json().await.unwrap()), ["reason"]);
    let res = f.post(&ship, json!({ "arm": 1, "reason": "Brand team's call; the split bug is in the sender" })).await;
    assert_eq!(res.status(), 200);
    let shipped: ExperimentView = res.json().await.unwrap();
    assert!(shipped.decision.unwrap().contains("by manual override"));
}

#[tokio::test]
async fn stopping_and_extending_are_decisions_too() {
    let f = Fixture::new().await;
    let draft = f.draft(false).await;
    f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await;
    let res = f
        .app
        .client
        .patch(f.app.url(&format!("/api/v1/experiments/{}", draft.id)))
        .header("cookie", &f.perf.cookie)
        .header("origin", f.app.origin())
        .json(&json!({ "duration_days": 21, "reason": "weekend traffic is low" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let extended: ExperimentView = res.json().await.unwrap();
    assert_eq!(extended.duration_days, 21);
    assert_eq!(extended.ends_at, Some(f.start + Duration::days(21)));
    let res = f.post(&format!("/api/v1/experiments/{}/stop", draft.id), json!({ "reason": "season over" })).await;
    assert_eq!(res.status(), 200);
    let stopped: ExperimentView = res.json().await.unwrap();
    assert_eq!(stopped.status, ExperimentStatus::Stopped);
    let decisions: Vec<String> = f.event_types().await.into_iter().filter(|(t, _)| t == "experiment_decided").map(|(_, p)| p["decision"].as_str().unwrap().to_owned()).collect();
    assert_eq!(decisions, ["started", "extended", "stopped"]);
    let actions: Vec<String> = f.audit_actions().await.into_iter().map(|(a, _)| a).collect();
    assert!(actions.contains(&"experiment.extend".to_owned()) && actions.contains(&"experiment.stop".to_owned()), "{actions:?}");
}

/// Rows of a test run elsewhere: arm, a 0/1 outcome, a spend with its pre-period covariate.
fn imported_rows() -> Vec<(String, u8, f64, f64)> {
    (0..2_500)
        .map(|i: u64| {
            let arm = ["control", "subject_b", "subject_c"][(i % 5).min(2) as usize];
            let clicked = u8::from(i % 7 == 0 || (arm == "subject_b" && i % 11 == 0));
            let pre = ((i * 37) % 100) as f64 / 2.0;
            let spend = pre * 0.8 + ((i * 13) % 40) as f64 + if arm == "subject_c" { 3.0 } else { 0.0 };
            (arm.to_owned(), clicked, spend, pre)
        })
        .collect()
}

#[tokio::test]
async fn an_imported_file_gives_the_counts_means_and_intervals_of_a_plain_recount() {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let f = Fixture::new().await;
    let rows = imported_rows();
    let mut csv = String::from("user,arm,clicked,spend,pre_spend\n");
    for (i, (arm, clicked, spend, pre)) in rows.iter().enumerate() {
        csv.push_str(&format!("u{i},{arm},{clicked},{spend},{pre}\n"));
    }
    let res = f
        .app
        .client
        .post(f.app.url("/api/v1/experiments/import?name=Email+subject+test&control=control&outcome=clicked:binary&outcome=spend:numeric:pre_spend&source=esp.csv"))
        .header("cookie", &f.perf.cookie)
        .header("origin", f.app.origin())
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let view: ExperimentView = res.json().await.unwrap();
    assert_eq!(view.status, ExperimentStatus::Imported);
    let results = view.results.unwrap();
    assert_eq!(results.arms.iter().map(|a| a.label.as_str()).collect::<Vec<_>>(), ["control", "subject_b", "subject_c"]);

    // The plain recount.
    let z = 1.959_963_984_540_054;
    for (arm_index, label) in ["control", "subject_b", "subject_c"].iter().enumerate() {
        let of_arm: Vec<&(String, u8, f64, f64)> = rows.iter().filter(|r| r.0 == *label).collect();
        let n = of_arm.len() as f64;
        assert_eq!(results.arms[arm_index].users, of_arm.len() as u64);
        // The rate with Wilson's interval.
        let x = of_arm.iter().filter(|r| r.1 == 1).count() as f64;
        let p = x / n;
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        let rate = &results.outcomes[0].arms[arm_index];
        assert_eq!(rate.total, x);
        assert!((rate.mean.unwrap() - p).abs() < 1e-12);
        let interval = rate.interval.unwrap();
        assert!((interval.low - (centre - half)).abs() < 1e-9 && (interval.high - (centre + half)).abs() < 1e-9, "{interval:?}");
        // The mean with its t interval.
        let mean = of_arm.iter().map(|r| r.2).sum::<f64>() / n;
        let variance = of_arm.iter().map(|r| (r.2 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let t = StudentsT::new(0.0, 1.0, n - 1.0).unwrap().inverse_cdf(0.975);
        let spend = &results.outcomes[1].arms[arm_index];
        assert!((spend.mean.unwrap() - mean).abs() < 1e-9);
        let interval = spend.interval.unwrap();
        assert!((interval.low - (mean - t * (variance / n).sqrt())).abs() < 1e-9, "{interval:?}");
        // Welch's difference against the control.
        if arm_index > 0 {
            let control: Vec<f64> = rows.iter().filter(|r| r.0 == "control").map(|r| r.2).collect();
            let (nc, mc) = (control.len() as f64, control.iter().sum::<f64>() / control.len() as f64);
            let vc = control.iter().map(|v| (v - mc).powi(2)).sum::<f64>() / (nc - 1.0);
            let se = (variance / n + vc / nc).sqrt();
            let df = (variance / n + vc / nc).powi(2) / ((variance / n).powi(2) / (n - 1.0) + (vc / nc).powi(2) / (nc - 1.0));
            let q = StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(0.975);
            let c = results.outcomes[1].comparisons.iter().find(|c| c.arm == arm_index).unwrap();
            let welch = c.interval.unwrap();
            assert!((c.difference.unwrap() - (mean - mc)).abs() < 1e-9);
            assert!((welch.low - (mean - mc - q * se)).abs() < 1e-9 && (welch.high - (mean - mc + q * se)).abs() < 1e-9, "{welch:?}");
            // CUPED ran on the covariate and narrowed the interval.
            let adjusted = c.adjusted_interval.unwrap();
            assert!(adjusted.high - adjusted.low < welch.high - welch.low);
        }
    }
    assert!(results.outcomes[1].variance_reduction.unwrap() > 0.3);
    // Two variants: Holm's correction on the primary outcome.
    let primary = &results.outcomes[0].comparisons;
    assert_eq!(primary.len(), 2);
    assert!(primary.iter().all(|c| c.holm_p_value.unwrap() >= c.p_value.unwrap()));

    // Bad files are refused with the line and the column.
    let send = |query: &str, body: &str| {
        f.app.client.post(f.app.url(&format!("/api/v1/experiments/import?{query}"))).header("cookie", &f.perf.cookie).header("origin", f.app.origin()).body(body.to_owned()).send()
    };
    let res = send("control=control&outcome=clicked:binary", "arm,clicked\ncontrol,1\nb,2\n").await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.json::<ErrorBody>().await.unwrap().error.fields[0].reason.contains("line 3: column 'clicked' is declared binary"));
    let res = send("control=nobody&outcome=clicked:binary", "arm,clicked\ncontrol,1\nb,0\n").await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.json::<ErrorBody>().await.unwrap().error.fields[0].reason.contains("no arm is labelled 'nobody'"));
    let res = send("control=control&outcome=clicks:binary", "arm,clicked\ncontrol,1\nb,0\n").await.unwrap();
    assert!(res.json::<ErrorBody>().await.unwrap().error.fields[0].reason.contains("no column 'clicks'"));
    let res = send("outcome=clicked:sometimes", "arm,clicked\n").await.unwrap();
    let fields = fields(&res.json().await.unwrap());
    assert!(fields.contains(&"outcome".to_owned()) && fields.contains(&"control".to_owned()), "{fields:?}");
}

#[tokio::test]
async fn the_command_line_imports_an_experiment_and_prints_its_verdict() {
    let dir = std::env::temp_dir().join(format!("swipesavvy-exp-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("export.csv");
    let mut csv = String::from("arm,clicked,spend,pre_spend\n");
    for (arm, clicked, spend, pre) in imported_rows() {
        csv.push_str(&format!("{arm},{clicked},{spend},{pre}\n"));
    }
    std::fs::write(&file, csv).unwrap();
    let (url, _) = crate::support::fresh_database_url().await;
    let out = crate::support::swipesavvy()
        .args(["import", "experiment", file.to_str().unwrap(), "--control", "control", "--outcome", "clicked:binary", "--outcome", "spend:numeric:pre_spend", "--database-url", &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("verdict: "), "{stdout}");
    assert!(stdout.contains("subject_b vs control"), "{stdout}");
    assert!(stdout.contains("CUPED: variance −"), "{stdout}");
    // A bad declaration is a clear error, and nothing is stored.
    let out = crate::support::swipesavvy()
        .args(["import", "experiment", file.to_str().unwrap(), "--control", "control", "--outcome", "clicked", "--database-url", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("name:binary or name:numeric"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn at_the_planned_end_the_fixed_horizon_test_decides_what_the_sequential_test_could_not_yet() {
    let f = Fixture::new().await;
    let draft = f.draft(false).await;
    f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await;
    let running = f.view(draft.id).await;
    // 10% against 12.5%, about 2,000 members each: significant at 5% on a fixed horizon
    // (z ≈ 2.5), but short of the always-valid boundary (Λ ≈ 5 < 1/α = 20).
    let (events, _) = f.traffic(&running, 4_444, "u", |arm, k| if arm == 0 { k % 10 == 0 } else { k % 8 == 0 });
    f.send(&events).await;
    let before = f.view(draft.id).await.results.unwrap();
    assert_eq!(before.verdict.state, analytics::experiment::VerdictState::Collecting, "{}", before.verdict.headline);
    assert!(!before.horizon_reached);
    let c = &before.outcomes[0].comparisons[0];
    assert!(c.p_value.unwrap() < 0.05 && c.sequential_p_value.unwrap() > 0.05, "{c:?}");

    // A week later (the planned duration), with no new member, the fixed-horizon test decides.
    f.app.state.clock.advance(Duration::days(7));
    let after = f.view(draft.id).await.results.unwrap();
    assert!(after.horizon_reached);
    assert_eq!(after.verdict.state, analytics::experiment::VerdictState::Winner, "{}", after.verdict.headline);
    assert!(!after.verdict.by_sequential);
    assert_eq!(after.verdict.winner, Some(1));
    // The fixed-horizon test looks once, at the planned end: members and outcomes after it do
    // not count (else every later read would be another look).
    let late_at = f.start + Duration::days(7) + Duration::minutes(30);
    let late: Vec<Value> = (0..300)
        .map(|n| {
            let delivered = json!({ "campaign_id": f.campaign.id, "campaign_type": "DISCOUNT", "creative_id": running.arms[0].creative_id, "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false });
            f.event("campaign_delivered", &format!("late-{n}"), late_at, delivered)
        })
        .collect();
    f.send(&late).await;
    let later = f.view(draft.id).await.results.unwrap();
    assert_eq!(later.arms.iter().map(|a| a.users).collect::<Vec<_>>(), after.arms.iter().map(|a| a.users).collect::<Vec<_>>());
    // Automatic shipping waits for the always-valid test; a fixed-horizon winner is a person's call.
    let res = f.app.client.patch(f.app.url(&format!("/api/v1/experiments/{}", draft.id))).header("cookie", &f.perf.cookie).header("origin", f.app.origin()).json(&json!({ "auto_ship": true })).send().await.unwrap();
    assert_eq!(res.status(), 200);
    server::jobs::experiments::once(&f.app.state).await.unwrap();
    assert_eq!(f.view(draft.id).await.status, ExperimentStatus::Running);
}

#[tokio::test]
async fn each_decision_also_needs_the_catalogue_right_it_exercises() {
    let f = Fixture::new().await;
    // Data science may run tests on existing copy, but may not write new copy into a campaign
    // (creating campaigns is not theirs) nor pause the losers (pausing is not theirs).
    let science = f.app.sign_in(Role::DataScience).await;
    let as_science = |path: String, body: Value| f.app.client.post(f.app.url(&path)).header("cookie", &science.cookie).header("origin", f.app.origin()).json(&body).send();
    let challenger = json!({
        "name": "Copy test", "campaign_id": f.campaign.id, "primary_metric": "click_rate",
        "arms": [{ "creative_id": f.campaign.creatives[0].id }, { "new_creative": { "name": "B", "headline": "New", "body": "Copy", "call_to_action": "Go" } }]
    });
    assert_eq!(as_science("/api/v1/experiments".to_owned(), challenger).await.unwrap().status(), 403);
    let draft = f.draft(false).await;
    f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await;
    let res = as_science(format!("/api/v1/experiments/{}/ship", draft.id), json!({ "arm": 0, "reason": "keep it" })).await.unwrap();
    assert_eq!(res.status(), 403);
    // Unsubscribes are a guardrail, not something to optimise.
    let res = f.post("/api/v1/experiments", json!({ "name": "x", "campaign_id": f.campaign.id, "primary_metric": "unsubscribe_rate", "arms": [{ "creative_id": f.campaign.creatives[0].id }, { "creative_id": draft.arms[1].creative_id }] })).await;
    assert_eq!(res.status(), 422);
    assert!(fields(&res.json().await.unwrap()).contains(&"primary_metric".to_owned()));
}

/// `simulate --to-db --experiments 2`: the simulator's tests are stored as creative tests, and the
/// product measures each arm's members exactly and its click rate within its 95% Wilson interval
/// of the true rate (the ground truth written to the truth file).
#[tokio::test]
async fn simulated_experiments_are_measured_against_their_ground_truth() {
    use analytics::simulator::{Faults, SimConfig, Truth, start_for};
    use chrono::TimeZone;
    // A fixed day: the weekday moves the simulator's draws (weekend shoppers buy more then).
    let now = Utc.with_ymd_and_hms(2026, 10, 14, 12, 0, 0).unwrap();
    let app = crate::support::spawn_app_with(Clock::fixed(now)).await;
    let days = 12;
    // Seed 3 (an A/A test with 3 arms and a test with 4, about 150 to 200 members an arm): each
    // of the 7 arms' 95% intervals covers its true rate. A 95% interval misses now and then, so
    // another seed may miss one, which is no fault of the measurement.
    let config = SimConfig { seed: 3, users: 3_000, days, campaigns: 3, start: start_for(now, days), holdout_share: 0.10, faults: Faults::default(), experiments: 2 };
    let dir = std::env::temp_dir().join(format!("swipesavvy-sim-exp-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let truth_file = dir.join("truth.json");
    server::services::simulate::run(server::services::simulate::Target::Database(&app.state), config, Some(&truth_file)).await.unwrap();
    let truth: Truth = serde_json::from_str(&std::fs::read_to_string(&truth_file).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(truth.experiments.len(), 2, "the truth file lists the experiments");
    assert!(truth.experiments[0].arms.iter().all(|a| a.click_multiplier == 1.0), "the first is an A/A test");
    assert!(truth.experiments[1].arms.iter().any(|a| a.click_multiplier != 1.0), "the second has true effects");
    // As after a restart: the rollup read back from the log.
    app.state.metrics.load(&app.state.db).await.unwrap();

    let creatives = server::entities::creatives::Entity::find().all(&app.state.db).await.unwrap();
    let mut intervals = 0;
    for t in &truth.experiments {
        let view = server::services::experiments::view(&app.state.db, &app.state.metrics, t.id, now).await.unwrap();
        let ends = t.started_at + Duration::days(i64::from(t.duration_days));
        assert!(ends <= now);
        assert_eq!((view.status, view.started_at, view.stopped_at), (ExperimentStatus::Stopped, Some(t.started_at), Some(ends)));
        assert_eq!((view.campaign_id, view.kind, view.created_by.as_str()), (Some(t.campaign_id), app::wire::ExperimentKind::Creative, "simulator"));
        assert_eq!((view.primary_metric.as_str(), view.guardrails.clone(), view.covariate.as_str()), ("click_rate", vec!["unsubscribe_rate".to_owned()], "spend"));
        assert!(view.decision.as_deref().is_some_and(|d| d.contains("Simulated")), "{:?}", view.decision);
        assert_eq!(view.off_arm_deliveries, 0, "every treatment delivery is its member's arm");
        let results = view.results.expect("a stopped test has results");
        let clicks = &results.outcomes[0];
        assert_eq!(clicks.outcome.key, "click_rate");
        assert_eq!(view.arms.len(), t.arms.len());
        for (i, arm) in t.arms.iter().enumerate() {
            let name = &creatives.iter().find(|c| c.id == arm.creative_id).unwrap().name;
            assert_eq!((view.arms[i].creative_id, &view.arms[i].label), (Some(arm.creative_id), name));
            assert_eq!((view.arms[i].share_percent * 100.0).round() as u32, arm.share_bp);
            assert_eq!(results.arms[i].users, arm.members, "arm {i}'s members");
            assert!(arm.members >= 50, "{:?}", t.arms);
            let interval = clicks.arms[i].interval.unwrap();
            assert!(
                interval.contains(arm.expected_click_rate),
                "experiment {} arm {i}: measured {:?} in [{:.4}, {:.4}], true {:.4}",
                t.id,
                clicks.arms[i].mean,
                interval.low,
                interval.high,
                arm.expected_click_rate
            );
            intervals += 1;
        }
    }
    assert_eq!(intervals, 7);

    // A rerun adds no second copy.
    server::services::simulate::load_experiments(&app.state, &truth, now).await.unwrap();
    assert_eq!(server::entities::experiments::Entity::find().all(&app.state.db).await.unwrap().len(), 2);

    // Over the API they cannot be backdated: `--to-url` refuses them, saying why.
    let config = SimConfig { experiments: 1, ..truth.config.clone() };
    let err = server::services::simulate::to_url("http://127.0.0.1:9", "key", config, |_, _| {}).await.unwrap_err();
    assert!(err.to_string().contains("--experiments needs --to-db"), "{err}");
}

/// A `multipart/form-data` body as a browser's upload form sends it.
fn multipart(fields: &[(&str, &str)], file: &str) -> (String, String) {
    let boundary = "----swipesavvy-test-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"esp-export.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_dashboard_upload_form_imports_a_file_and_opens_the_test_or_says_why_not() {
    let f = Fixture::new().await;
    let mut csv = String::from("arm,clicked,spend,pre_spend\n");
    for (arm, clicked, spend, pre) in imported_rows() {
        csv.push_str(&format!("{arm},{clicked},{spend},{pre}\n"));
    }
    let upload = |fields: Vec<(&'static str, &'static str)>, file: String| {
        let (content_type, body) = multipart(&fields, &file);
        f.app.client.post(f.app.url("/api/v1/experiments/import")).header("cookie", &f.perf.cookie).header("origin", f.app.origin()).header("content-type", content_type).body(body).send()
    };
    let res = upload(vec![("name", "ESP subject test"), ("arm_column", "arm"), ("control", "control"), ("outcomes", "clicked:binary, spend:numeric:pre_spend"), ("splits", "")], csv.clone()).await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id: Uuid = location.strip_prefix("/experiments/").unwrap().parse().unwrap();
    let view = f.view(id).await;
    assert_eq!((view.name.as_str(), view.status), ("ESP subject test", ExperimentStatus::Imported));
    assert_eq!(view.results.unwrap().outcomes.iter().map(|o| o.outcome.key.as_str()).collect::<Vec<_>>(), ["clicked", "spend"]);
    assert!(view.decision.unwrap().contains("esp-export.csv (2500 rows)"));

    // A bad file goes back to the list with the reason, and nothing is stored.
    let before = server::entities::experiments::Entity::find().all(&f.app.state.db).await.unwrap().len();
    let res = upload(vec![("control", "control"), ("outcomes", "clicked:binary")], "arm,clicked\ncontrol,1\nb,7\n".to_owned()).await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/experiments?import_error="), "{location}");
    let reason: String = url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes()).find(|(k, _)| k == "import_error").unwrap().1.into_owned();
    assert!(reason.contains("line 3: column 'clicked' is declared binary"), "{reason}");
    assert_eq!(server::entities::experiments::Entity::find().all(&f.app.state.db).await.unwrap().len(), before);
}

#[tokio::test]
async fn a_campaign_test_with_a_custom_split_reports_every_metric_per_arm() {
    let f = Fixture::new().await;
    let other = create_campaign(&f.app, "Weekend cashback version").await;
    let res = f
        .post(
            "/api/v1/experiments",
            json!({
                "name": "Discount or cashback", "kind": "campaign", "campaign_id": f.campaign.id,
                "arms": [{ "campaign_id": f.campaign.id, "share_percent": 70 }, { "campaign_id": other.id, "share_percent": 30 }],
                "primary_metric": "conversion_rate", "guardrails": [], "minimum_effect_percent": 20, "duration_days": 7, "baseline": 0.1
            }),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let draft: ExperimentView = res.json().await.unwrap();
    assert_eq!(draft.arms.iter().map(|a| a.share_percent).collect::<Vec<_>>(), [70.0, 30.0]);
    assert_eq!(f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await.status(), 200);

    // The sender asks the first campaign; a user of the second arm is sent the other campaign.
    let shares = [7_000u32, 3_000];
    let campaigns = [&f.campaign, &other];
    let mut checked = [false; 2];
    for n in 0..40 {
        let user = format!("ask-{n}");
        let arm = analytics::experiment::arm_for(analytics::experiment::position(draft.id, &user), &shares).unwrap();
        let res = f.app.client.get(f.app.url(&format!("/api/v1/campaigns/{}/assignment?user_id={user}&channel=push&region=US-CA", f.campaign.id))).bearer_auth(&f.key).send().await.unwrap();
        let a: app::wire::Assignment = res.json().await.unwrap();
        if a.group == "holdout" {
            continue;
        }
        assert_eq!(a.experiment_id, Some(draft.id));
        assert_eq!(a.group, if arm == 0 { "treatment" } else { "other_arm" }, "{user}");
        checked[arm] = true;
    }
    assert_eq!(checked, [true, true]);

    // 3,000 users: each member converts (and buys $40) when k % 10 == 0 in arm A, k % 5 == 0 in
    // arm B; the spend is $500 for A and $300 for B on the start's day.
    let at = f.start + Duration::minutes(30);
    let mut events = Vec::new();
    let mut counts = [(0u64, 0u64); 2];
    for n in 0..3_000 {
        let user = format!("ct-{n}");
        let held = analytics::holdout::is_holdout(f.campaign.id, &user, 0.10);
        let arm = analytics::experiment::arm_for(analytics::experiment::position(draft.id, &user), &shares).unwrap();
        let campaign = if held { &f.campaign } else { campaigns[arm] };
        let creative = campaign.creatives[0].id;
        events.push(f.event("campaign_delivered", &user, at, json!({
            "campaign_id": campaign.id, "campaign_type": "DISCOUNT", "creative_id": creative,
            "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": held
        })));
        if held {
            continue;
        }
        let k = counts[arm].0;
        counts[arm].0 += 1;
        if k % (if arm == 0 { 10 } else { 5 }) == 0 {
            counts[arm].1 += 1;
            let order = Uuid::new_v4().to_string();
            events.push(f.event("campaign_converted", &user, at + Duration::minutes(5), json!({
                "campaign_id": campaign.id, "creative_id": creative, "order_id": order, "order_value": 40.0
            })));
            events.push(f.event("user_purchased", &user, at + Duration::minutes(5), json!({ "order_id": order, "order_value": 40.0, "payment_method": "card" })));
        }
    }
    f.send(&events).await;
    let day = DateTime::from_timestamp(f.start.timestamp().div_euclid(86_400) * 86_400, 0).unwrap();
    let spend = json!({ "entries": [
        { "campaign_id": f.campaign.id, "channel": "push", "period_start": day, "granularity": "day", "amount_cents": 50_000 },
        { "campaign_id": other.id, "channel": "push", "period_start": day, "granularity": "day", "amount_cents": 30_000 }
    ]});
    let res = f.post("/api/v1/spend", spend).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    f.app.state.clock.advance(Duration::hours(2));

    let view = f.view(draft.id).await;
    let results = view.results.as_ref().unwrap();
    assert!(results.balanced, "a 70/30 split is checked against 70/30: {:?}", results.sample_ratio);
    let keys: Vec<&str> = results.outcomes.iter().map(|o| o.outcome.key.as_str()).collect();
    assert_eq!(keys, ["conversion_rate", "click_rate", "revenue_per_user", "roas"]);
    let spend_dollars = [500.0, 300.0];
    for arm in 0..2 {
        let (members, converters) = counts[arm];
        assert_eq!(results.arms[arm].users, members);
        let rate = &results.outcomes[0].arms[arm];
        assert_eq!((rate.n, rate.total), (members, converters as f64));
        let revenue = &results.outcomes[2].arms[arm];
        assert!((revenue.mean.unwrap() - 40.0 * converters as f64 / members as f64).abs() < 1e-9, "{revenue:?}");
        let roas = &results.outcomes[3].arms[arm];
        assert!(results.outcomes[3].unavailable.is_none(), "{:?}", results.outcomes[3].unavailable);
        assert!((roas.mean.unwrap() - 40.0 * converters as f64 / spend_dollars[arm]).abs() < 1e-9, "arm {arm}: {roas:?}");
    }
    assert_eq!(results.verdict.state, analytics::experiment::VerdictState::Winner, "{}", results.verdict.headline);
    assert!(results.verdict.headline.starts_with("Weekend cashback version wins on conversion rate"), "{}", results.verdict.headline);
}

#[tokio::test]
async fn every_treatment_delivery_of_a_running_test_is_recorded_with_its_arm_and_a_contradiction_is_corrected() {
    let f = Fixture::new().await;
    let draft = f.draft(false).await;
    // Before the start, a delivery is in no test: a claim of one is corrected, the delivery kept.
    let at = f.start + Duration::minutes(30);
    let delivered = |user: &str, extra: Value| {
        let mut properties = json!({
            "campaign_id": f.campaign.id, "campaign_type": "DISCOUNT", "creative_id": f.campaign.creatives[0].id,
            "segment_id": "HIGH_SPENDER", "delivery_channel": "push", "is_holdout": false
        });
        properties.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        f.event("campaign_delivered", user, at, properties)
    };
    let f = &f;
    let post = |batch: Vec<Value>| async move {
        let res = f.app.client.post(f.app.url("/api/v1/events")).bearer_auth(&f.key).json(&batch).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    f.app.state.clock.set(f.start + Duration::hours(1));
    let body = post(vec![delivered("early", json!({ "experiment_id": draft.id, "experiment_arm": "A" }))]).await;
    assert_eq!((body["accepted"].as_u64(), &body["rejected"]), (Some(1), &json!([])), "{body}");
    assert_eq!(body["corrected"][0]["field"], "properties.experiment_id", "{body}");
    assert!(body["corrected"][0]["reason"].as_str().unwrap().contains("does not run on campaign"), "{body}");

    f.app.state.clock.set(f.start);
    assert_eq!(f.post(&format!("/api/v1/experiments/{}/start", draft.id), json!({})).await.status(), 200);
    f.app.state.clock.set(f.start + Duration::hours(1));
    let view = f.view(draft.id).await;
    let shares: Vec<u32> = view.arms.iter().map(|a| (a.share_percent * 100.0).round() as u32).collect();
    let users: Vec<String> = (0..40).map(|n| format!("rec-{n}")).filter(|u| !analytics::holdout::is_holdout(f.campaign.id, u, 0.10)).collect();
    let arm_of = |user: &str| view.arms[analytics::experiment::arm_for(analytics::experiment::position(draft.id, user), &shares).unwrap()].label.clone();

    // Without a claim, the product records the arm; a right claim is accepted as it is.
    let (quiet, claiming) = (&users[0], &users[1]);
    let body = post(vec![
        delivered(quiet, json!({})),
        delivered(claiming, json!({ "experiment_id": draft.id, "experiment_arm": arm_of(claiming) })),
    ])
    .await;
    assert_eq!(body["rejected"], json!([]), "{body}");
    let stored = server::entities::events::Entity::find()
        .filter(server::entities::events::Column::EventType.eq("campaign_delivered"))
        .filter(server::entities::events::Column::CampaignId.eq(f.campaign.id))
        .all(&f.app.state.db)
        .await
        .unwrap();
    for user in [quiet, claiming] {
        let row = stored.iter().find(|e| &e.user_id == user).unwrap();
        assert_eq!(row.properties["experiment_id"], json!(draft.id.to_string()), "{user}");
        assert_eq!(row.properties["experiment_arm"], json!(arm_of(user)), "{user}");
    }

    // A claim against the hash or of another test is corrected: the delivery is stored in the
    // hash's arm, the claim kept beside it. A holdout with an arm, or half a claim, is malformed
    // and refused; the rest of the batch is kept.
    let wrong = if arm_of(&users[2]) == view.arms[0].label { view.arms[1].label.clone() } else { view.arms[0].label.clone() };
    let mut holdout = delivered("held", json!({ "experiment_id": draft.id, "experiment_arm": arm_of("held") }));
    holdout["properties"]["is_holdout"] = json!(true);
    let body = post(vec![
        delivered(&users[2], json!({ "experiment_id": draft.id, "experiment_arm": wrong })),
        delivered(&users[3], json!({ "experiment_id": Uuid::new_v4(), "experiment_arm": arm_of(&users[3]) })),
        holdout,
        delivered(&users[4], json!({ "experiment_arm": arm_of(&users[4]) })),
    ])
    .await;
    let listed = |key: &str| -> Vec<(String, String)> {
        body[key].as_array().unwrap().iter().map(|r| (r["field"].as_str().unwrap().to_owned(), r["reason"].as_str().unwrap().to_owned())).collect()
    };
    let (corrected, rejected) = (listed("corrected"), listed("rejected"));
    assert_eq!(body["accepted"], 2, "{body}");
    assert_eq!(corrected.len(), 2, "{body}");
    assert_eq!(corrected[0].0, "properties.experiment_arm");
    assert!(corrected[0].1.contains("never switches arm"), "{}", corrected[0].1);
    assert_eq!(corrected[1].0, "properties.experiment_id");
    assert!(corrected[1].1.contains(&format!("is {}", draft.id)), "{}", corrected[1].1);
    assert_eq!(rejected.len(), 2, "{body}");
    assert_eq!(rejected[0], ("properties.experiment_arm".to_owned(), "a holdout assignment is in no test arm".to_owned()));
    assert_eq!(rejected[1].0, "properties.experiment_id");
    let stored = server::entities::events::Entity::find()
        .filter(server::entities::events::Column::EventType.eq("campaign_delivered"))
        .filter(server::entities::events::Column::CampaignId.eq(f.campaign.id))
        .all(&f.app.state.db)
        .await
        .unwrap();
    let row = stored.iter().find(|e| e.user_id == users[2]).unwrap();
    assert_eq!(row.properties["experiment_arm"], json!(arm_of(&users[2])), "stored in the hash's arm");
    assert_eq!(row.properties["experiment_claim"]["experiment_arm"], json!(wrong), "the claim kept beside it");
}
