//! Consent enforcement (issue #7): a delivery to a user the region's regime does not allow is
//! refused and counted; consent facts are kept as a history; a sender's assignment says who is
//! ineligible before any holdout split.

use app::access::Scope;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::entities::{consent_history, consent_violations_hourly};
use uuid::Uuid;

use crate::support::{TestApp, create_campaign, spawn_app};

fn event(kind: &str, user: &str, region: &str, minutes_ago: i64, properties: Value) -> Value {
    json!({
        "event_id": Uuid::new_v4().to_string(), "event_type": kind,
        "timestamp": (Utc::now() - Duration::minutes(minutes_ago)).to_rfc3339(), "user_id": user,
        "source": "backend", "properties": properties,
        "context": { "platform": "iOS", "user_segment": "HIGH_SPENDER", "region": region }
    })
}

fn consent(user: &str, region: &str, minutes_ago: i64, channel: &str, status: &str, method: &str) -> Value {
    event("consent_updated", user, region, minutes_ago, json!({ "channel": channel, "status": status, "method": method, "source": "settings", "region": region }))
}

struct Fixture {
    app: TestApp,
    key: String,
    campaign: String,
    creative: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let app = spawn_app().await;
        let (_, key) = server::auth::api_keys::create(&app.state.db, "sender", &[Scope::Events], None, app.state.clock.now()).await.unwrap();
        let campaign = create_campaign(&app, "Consent checked").await;
        Fixture { campaign: campaign.id.to_string(), creative: campaign.creatives[0].id.to_string(), app, key }
    }

    fn delivered(&self, user: &str, region: &str, channel: &str, holdout: bool) -> Value {
        let properties = json!({
            "campaign_id": self.campaign, "campaign_type": "DISCOUNT", "creative_id": self.creative,
            "segment_id": "HIGH_SPENDER", "delivery_channel": channel, "is_holdout": holdout
        });
        event("campaign_delivered", user, region, 1, properties)
    }

    async fn send(&self, batch: Vec<Value>) -> Value {
        let res = self.app.client.post(self.app.url("/api/v1/events")).bearer_auth(&self.key).json(&batch).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    async fn violations(&self) -> i64 {
        consent_violations_hourly::Entity::find().all(&self.app.state.db).await.unwrap().iter().map(|r| r.violations).sum()
    }
}

fn refusal(result: &Value, index: usize) -> String {
    let rejection = result["rejected"].as_array().unwrap().iter().find(|r| r["index"] == index).unwrap_or_else(|| panic!("event {index} refused: {result}"));
    assert_eq!(rejection["field"], "user_id");
    rejection["reason"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_regime_refuses_and_counts_what_it_must_and_lets_through_what_it_may() {
    let f = Fixture::new().await;
    // The table a new installation starts with is the documented default.
    let mut stored = server::services::consent::regimes(&f.app.state.db).await.unwrap();
    let mut defaults = analytics::consent::default_regimes();
    stored.sort_by(|a, b| a.region_prefix.cmp(&b.region_prefix));
    defaults.sort_by(|a, b| a.region_prefix.cmp(&b.region_prefix));
    assert_eq!(stored, defaults);

    // Opt-in region (GDPR) without any consent: refused, holdout assignment included.
    let result = f.send(vec![f.delivered("eu-1", "EU-DE", "push", false), f.delivered("eu-1", "EU-DE", "push", true)]).await;
    assert_eq!(result["accepted"], 0, "{result}");
    let reason = refusal(&result, 0);
    assert!(reason.contains("eu-1") && reason.contains("GDPR") && reason.contains("express consent") && reason.contains("compliance violation"), "{reason}");
    refusal(&result, 1);
    assert_eq!(f.violations().await, 2);

    // Opt-out region with an opt-out on record: refused.
    let result = f.send(vec![consent("ca-1", "US-CA", 30, "email", "opted_out", "unsubscribe"), f.delivered("ca-1", "US-CA", "email", false)]).await;
    assert_eq!(result["accepted"], 1, "the consent fact is stored: {result}");
    assert!(refusal(&result, 1).contains("CCPA/CPRA"), "{result}");
    assert_eq!(f.violations().await, 3);

    // Opt-out region without any record: delivered.
    let result = f.send(vec![f.delivered("tx-1", "US-TX", "email", false)]).await;
    assert_eq!((result["accepted"].as_u64(), result["rejected"].as_array().unwrap().len()), (Some(1), 0), "{result}");

    // Canada (CASL) needs express consent: implied is not enough, a single opt-in is.
    let result = f.send(vec![consent("on-1", "CA-ON", 30, "sms", "opted_in", "implied"), f.delivered("on-1", "CA-ON", "sms", false)]).await;
    assert!(refusal(&result, 1).contains("implied"), "{result}");
    let result = f.send(vec![consent("on-1", "CA-ON", 20, "sms", "opted_in", "single_opt_in"), f.delivered("on-1", "CA-ON", "sms", false)]).await;
    assert_eq!(result["accepted"], 2, "{result}");

    // Consent on one channel does not cover another, and a stored consent counts in later batches.
    f.send(vec![consent("eu-2", "EU-FR", 60, "push", "opted_in", "double_opt_in")]).await;
    let result = f.send(vec![f.delivered("eu-2", "EU-FR", "push", true), f.delivered("eu-2", "EU-FR", "email", false)]).await;
    assert_eq!(result["accepted"], 1, "{result}");
    assert!(refusal(&result, 1).contains("no consent to email"), "{result}");

    // A sender's region label cannot take a user out of the stricter law their own record names.
    let result = f.send(vec![f.delivered("eu-2", "US-TX", "email", false)]).await;
    assert!(refusal(&result, 0).contains("GDPR"), "{result}");

    // An unsubscribe from all campaigns withdraws every channel from then on.
    let result = f.send(vec![
        event("user_unsubscribed", "eu-2", "EU-FR", 30, json!({ "unsubscribe_type": "all_campaigns", "unsubscribe_reason": "too_many_campaigns" })),
        f.delivered("eu-2", "EU-FR", "push", false),
    ])
    .await;
    assert!(refusal(&result, 1).contains("opted out of push"), "{result}");

    // A delivery from before the consent was withdrawn still counts (arriving late is no violation).
    let mut earlier = f.delivered("ca-2", "US-CA", "email", false);
    earlier["timestamp"] = json!((Utc::now() - Duration::minutes(90)).to_rfc3339());
    let result = f.send(vec![consent("ca-2", "US-CA", 60, "email", "opted_out", "unsubscribe"), earlier]).await;
    assert_eq!(result["accepted"], 2, "{result}");

    // A retry of a delivery stored before an opt-out is a duplicate, not a violation.
    let delivered = f.delivered("ca-3", "US-CA", "push", false);
    f.send(vec![delivered.clone()]).await;
    f.send(vec![consent("ca-3", "US-CA", 0, "push", "opted_out", "unsubscribe")]).await;
    let before = f.violations().await;
    let result = f.send(vec![delivered]).await;
    assert_eq!(result["duplicates"], 1, "{result}");
    assert_eq!(f.violations().await, before);

    // A correction replaces its event's facts, even with none: an unsubscribe from everything
    // corrected, within five minutes, to a frequency-cap request withdraws nothing.
    let mut unsubscribe = event("user_unsubscribed", "us-9", "US-TX", 10, json!({ "unsubscribe_type": "all_campaigns" }));
    f.send(vec![unsubscribe.clone()]).await;
    unsubscribe["properties"]["unsubscribe_type"] = json!("frequency_cap");
    assert_eq!(f.send(vec![unsubscribe]).await["corrections"], 1);
    let us9 = consent_history::Entity::find().filter(consent_history::Column::UserId.eq("us-9")).all(&f.app.state.db).await.unwrap();
    assert!(us9.is_empty(), "{us9:?}");

    // The history keeps every fact, the unsubscribe as one row per channel it withdrew.
    let db = &f.app.state.db;
    let eu2 = consent_history::Entity::find().filter(consent_history::Column::UserId.eq("eu-2")).all(db).await.unwrap();
    assert_eq!(eu2.len(), 5, "one opt-in, four withdrawals: {eu2:?}");
    assert!(eu2.iter().filter(|r| r.method == "unsubscribe").all(|r| r.status == "opted_out" && r.source.as_deref() == Some("unsubscribe: too_many_campaigns")));
    let per_campaign = consent_violations_hourly::Entity::find().all(db).await.unwrap();
    assert!(per_campaign.iter().all(|r| r.campaign_id.to_string() == f.campaign));
    let gdpr_push: i64 = per_campaign.iter().filter(|r| r.regime == "GDPR" && r.channel == "push").map(|r| r.violations).sum();
    assert_eq!(gdpr_push, 3, "{per_campaign:?}");
    let gdpr_email: i64 = per_campaign.iter().filter(|r| r.regime == "GDPR" && r.channel == "email").map(|r| r.violations).sum();
    assert_eq!(gdpr_email, 2, "{per_campaign:?}");
}

#[tokio::test]
async fn a_sender_learns_who_is_ineligible_before_the_holdout_split() {
    let f = Fixture::new().await;
    let ask = |query: String| {
        let f = &f;
        async move {
            let res = f.app.client.get(f.app.url(&format!("/api/v1/campaigns/{}/assignment?{query}", f.campaign))).bearer_auth(&f.key).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, a) = ask("user_id=eu-9&region=EU-DE&channel=email".into()).await;
    assert_eq!(status, 200);
    assert_eq!((a["group"].as_str(), a["eligible"].as_bool(), a["regime"].as_str()), (Some("ineligible"), Some(false), Some("GDPR")), "{a}");
    assert!(a["creative_id"].is_null() && a["eligibility"].as_str().unwrap().contains("express consent"), "{a}");

    // Without a region, the one their consent facts name; with consent, a group by the hash.
    f.send(vec![consent("eu-9", "EU-DE", 5, "email", "opted_in", "double_opt_in")]).await;
    let (_, a) = ask("user_id=eu-9&channel=email".into()).await;
    assert!(a["eligible"].as_bool().unwrap() && ["holdout", "treatment"].contains(&a["group"].as_str().unwrap()), "{a}");
    // An unknown region with no facts gets the strictest rule.
    let (_, a) = ask("user_id=nowhere-1".into()).await;
    assert_eq!(a["group"], "ineligible", "{a}");
    let (status, a) = ask("user_id=u&channel=pigeon".into()).await;
    assert_eq!(status, 422, "{a}");
    assert_eq!(a["error"]["fields"][0]["field"], "channel");
}

#[tokio::test]
async fn approval_shows_the_reachable_share_and_launch_is_refused_below_the_threshold() {
    use app::access::Role;
    let f = Fixture::new().await;
    let segmented = |user: &str, segment: &str| event("user_segmented", user, "", 40, json!({ "segment_type": segment, "segment_score": 0.9 }));
    f.send(vec![
        segmented("aud-eu-a", "HIGH_SPENDER"),
        consent("aud-eu-a", "EU-DE", 30, "email", "opted_in", "double_opt_in"),
        // No consent facts at all: region unknown, so the strictest rule.
        segmented("aud-eu-b", "HIGH_SPENDER"),
        // Consent on another channel only.
        segmented("aud-eu-c", "HIGH_SPENDER"),
        consent("aud-eu-c", "EU-FR", 30, "push", "opted_in", "double_opt_in"),
        segmented("aud-us-d", "HIGH_SPENDER"),
        consent("aud-us-d", "US-TX", 30, "email", "opted_in", "single_opt_in"),
        // Not in the target segment.
        segmented("aud-other", "INACTIVE"),
    ])
    .await;
    let mut request = crate::support::campaign_request("Email the high spenders");
    request.channels = vec![analytics::DeliveryChannel::Email];
    request.target_regions = Vec::new();
    let campaign = crate::support::create_campaign_from(&f.app, request).await;
    let perf = f.app.sign_in(Role::PerfLead).await.cookie;
    let compliance = f.app.sign_in(Role::Compliance).await.cookie;

    let consent_of = |cookie: String| {
        let f = &f;
        async move { f.app.get_with_cookie(&format!("/api/v1/campaigns/{}/consent", campaign.id), &cookie).await.json::<Value>().await.unwrap() }
    };
    let shown = consent_of(perf.clone()).await;
    assert_eq!((shown["audience"].as_u64(), shown["eligible"].as_u64(), shown["share"].as_f64()), (Some(4), Some(2), Some(0.5)), "{shown}");
    assert_eq!((shown["threshold"].as_f64(), shown["launch_allowed"].as_bool()), (Some(0.6), Some(false)), "{shown}");
    assert!(shown["summary"].as_str().unwrap().starts_with("50% of 4 users"), "{shown}");
    assert!(shown["by_regime"].as_array().unwrap().iter().any(|r| r["regime"] == "GDPR" && r["audience"] == 2 && r["eligible"] == 1), "{shown}");

    let send_patch = |cookie: String, body: Value| {
        let f = &f;
        async move {
            f.app
                .client
                .patch(f.app.url(&format!("/api/v1/campaigns/{}", campaign.id)))
                .header("cookie", cookie)
                .header("origin", f.app.origin())
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let patch = |cookie: String, status: &'static str| send_patch(cookie, json!({ "status": status }));
    assert_eq!(patch(perf.clone(), "pending_approval").await.status(), 200);
    assert_eq!(patch(compliance.clone(), "scheduled").await.status(), 200);
    let refused = patch(perf.clone(), "active").await;
    assert_eq!(refused.status(), 409);
    let message = refused.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("cannot launch") && message.contains("50% of 4 users") && message.contains("at least 60%"), "{message}");

    // The approval's audit entry carries the share the approver saw.
    use sea_orm::QueryOrder;
    let approval = server::entities::audit_log::Entity::find()
        .filter(server::entities::audit_log::Column::Action.eq("campaign.approve"))
        .order_by_desc(server::entities::audit_log::Column::Seq)
        .one(&f.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let check: Value = serde_json::from_str(approval.consent_check.as_deref().unwrap()).unwrap();
    assert_eq!(check["audience"]["eligible_share"], 0.5, "{check}");

    // Once a third of them consents, the campaign may launch.
    f.send(vec![consent("aud-eu-b", "EU-DE", 10, "email", "opted_in", "double_opt_in")]).await;
    assert_eq!(consent_of(compliance).await["share"], 0.75);
    // A launch that also changes the targeting is judged on the new audience (here 0 of 1).
    let sneaky = send_patch(perf.clone(), json!({ "status": "active", "target_segments": ["INACTIVE"] })).await;
    assert_eq!(sneaky.status(), 409, "{}", sneaky.text().await.unwrap());
    assert_eq!(patch(perf.clone(), "active").await.status(), 200);
    // Once live, retargeting it to an audience it may not reach is refused too.
    assert_eq!(send_patch(perf.clone(), json!({ "target_segments": ["INACTIVE"] })).await.status(), 409);
    // Paused, it may be retargeted; resuming is then judged on the new audience.
    assert_eq!(send_patch(perf.clone(), json!({ "status": "paused", "reason": "retarget" })).await.status(), 200);
    assert_eq!(send_patch(perf.clone(), json!({ "target_segments": ["INACTIVE"] })).await.status(), 200);
    let resume = patch(perf, "active").await;
    assert_eq!(resume.status(), 409);
    assert!(resume.text().await.unwrap().contains("cannot resume"));
}
