//! `swipesavvy simulate --live` against a running server: actions taken in the product (a pause,
//! a frequency cap) change what the simulation delivers.

use std::process::Stdio;
use std::time::Duration;

use app::access::Scope;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use server::entities::{campaigns, events};
use uuid::Uuid;

use crate::support::{TestApp, spawn_app};

async fn deliveries_after(app: &TestApp, campaign: Uuid, seq: i64) -> u64 {
    events::Entity::find()
        .filter(events::Column::EventType.eq("campaign_delivered"))
        .filter(events::Column::CampaignId.eq(campaign))
        .filter(events::Column::Seq.gt(seq))
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn last_seq(app: &TestApp) -> i64 {
    events::Entity::find().order_by_desc(events::Column::Seq).one(&app.state.db).await.unwrap().map_or(0, |e| e.seq)
}

/// Kills the simulator when the test ends, whatever happens.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_campaign_paused_in_the_product_stops_delivering_in_the_live_simulation() {
    let app = spawn_app().await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "live simulator", &[Scope::Catalogue, Scope::Events], None, app.state.clock.now()).await.unwrap();
    let _simulator = Running(
        crate::support::swipesavvy()
            .args(["simulate", "--to-url", &app.url(""), "--api-key", &key, "--live", "--rate", "200"])
            .args(["--seed", "7", "--users", "400", "--campaigns", "2", "--duration-seconds", "60"])
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // The simulator creates its campaigns through the catalogue, then starts sending.
    let mut ids = Vec::new();
    for _ in 0..100 {
        ids = campaigns::Entity::find().order_by_asc(campaigns::Column::Name).all(&app.state.db).await.unwrap().into_iter().map(|c| c.id).collect();
        if ids.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ids.len(), 2, "the simulator created its campaigns");
    let (paused, running) = (ids[0], ids[1]);
    // Launched (approval needs a person, so the test moves it straight to active).
    campaigns::Entity::update_many()
        .col_expr(campaigns::Column::Status, Expr::value("active"))
        .filter(campaigns::Column::Id.eq(paused))
        .exec(&app.state.db)
        .await
        .unwrap();
    let mut delivering = false;
    for _ in 0..100 {
        if deliveries_after(&app, paused, 0).await > 0 {
            delivering = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivering, "the campaign delivers before the pause");

    let response = app
        .client
        .patch(app.url(&format!("/api/v1/campaigns/{paused}")))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "status": "paused", "reason": "live test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());

    // The simulator re-reads the campaigns every LIVE_REFRESH; after that the pause holds.
    tokio::time::sleep(server::services::simulate::LIVE_REFRESH + Duration::from_millis(1_500)).await;
    let cutoff = last_seq(&app).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(deliveries_after(&app, paused, cutoff).await, 0, "no deliveries after the pause took effect");
    assert!(deliveries_after(&app, running, cutoff).await > 0, "the other campaign goes on");

    // A frequency cap of one a week: after it takes effect, only users never sent the campaign
    // receive it, once.
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/campaigns/{running}")))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "frequency_cap_per_week": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    tokio::time::sleep(server::services::simulate::LIVE_REFRESH + Duration::from_millis(1_500)).await;
    let capped_from = last_seq(&app).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let sends = events::Entity::find()
        .filter(events::Column::EventType.eq("campaign_delivered"))
        .filter(events::Column::CampaignId.eq(running))
        .order_by_asc(events::Column::Seq)
        .all(&app.state.db)
        .await
        .unwrap();
    let sends: Vec<&events::Model> = sends.iter().filter(|e| e.properties["is_holdout"] == false).collect();
    let mut before: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in sends.iter().filter(|e| e.seq <= capped_from) {
        *before.entry(e.user_id.as_str()).or_default() += 1;
    }
    assert!(before.values().any(|n| *n >= 2), "without a cap some users got the campaign twice");
    let mut after = std::collections::HashSet::new();
    for e in sends.iter().filter(|e| e.seq > capped_from) {
        assert!(!before.contains_key(e.user_id.as_str()) && after.insert(e.user_id.as_str()), "{} got a send beyond the cap", e.user_id);
    }
}

#[tokio::test]
async fn a_creative_test_started_in_the_product_decides_the_live_simulations_creatives() {
    let app = spawn_app().await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "live simulator", &[Scope::Catalogue, Scope::Events], None, app.state.clock.now()).await.unwrap();
    let _simulator = Running(
        crate::support::swipesavvy()
            .args(["simulate", "--to-url", &app.url(""), "--api-key", &key, "--live", "--rate", "300"])
            .args(["--seed", "11", "--users", "400", "--campaigns", "2", "--duration-seconds", "60"])
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut campaign = None;
    for _ in 0..100 {
        let all = campaigns::Entity::find().order_by_asc(campaigns::Column::Name).all(&app.state.db).await.unwrap();
        if all.len() == 2 {
            campaign = Some(all[0].id);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let campaign = campaign.expect("the simulator created its campaigns");
    let control = server::entities::creatives::Entity::find()
        .filter(server::entities::creatives::Column::CampaignId.eq(campaign))
        .order_by_asc(server::entities::creatives::Column::Name)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id;

    // A test of the campaign's first creative against a challenger, created and started with the
    // same key (its `catalogue` scope also reads the tests back).
    let post = |path: String, body: serde_json::Value| app.client.post(app.url(&path)).bearer_auth(&key).json(&body).send();
    let response = post(
        "/api/v1/experiments".to_owned(),
        serde_json::json!({
            "name": "Live headline test", "campaign_id": campaign, "primary_metric": "click_rate",
            "arms": [
                { "creative_id": control },
                { "new_creative": { "name": "Challenger", "headline": "Last chance", "body": "Members only", "call_to_action": "Claim" } }
            ]
        }),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let test: app::wire::ExperimentView = response.json().await.unwrap();
    let response = post(format!("/api/v1/experiments/{}/start", test.id), serde_json::json!({})).await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap_or_default());
    let arms: Vec<Uuid> = test.arms.iter().map(|a| a.creative_id.unwrap()).collect();
    let shares: Vec<u32> = test.arms.iter().map(|a| (a.share_percent * 100.0).round() as u32).collect();

    // Once the simulator has re-read the product, every treatment delivery is its user's arm.
    // The deliveries of the campaign in 3 s, once the simulator has re-read the product.
    let fresh_deliveries = || async {
        tokio::time::sleep(server::services::simulate::LIVE_REFRESH + Duration::from_millis(1_500)).await;
        let cutoff = last_seq(&app).await;
        tokio::time::sleep(Duration::from_millis(3_000)).await;
        events::Entity::find()
            .filter(events::Column::EventType.eq("campaign_delivered"))
            .filter(events::Column::CampaignId.eq(campaign))
            .filter(events::Column::Seq.gt(cutoff))
            .all(&app.state.db)
            .await
            .unwrap()
    };
    let sends = fresh_deliveries().await;
    let treated: Vec<&events::Model> = sends.iter().filter(|e| e.properties["is_holdout"] == false).collect();
    assert!(treated.len() >= 20, "{} treatment deliveries", treated.len());
    let mut per_arm = [0; 2];
    for e in &treated {
        let arm = analytics::experiment::arm_for(analytics::experiment::position(test.id, &e.user_id), &shares).unwrap();
        assert_eq!(e.creative_id, Some(arms[arm]), "{} is in arm {arm}", e.user_id);
        per_arm[arm] += 1;
    }
    assert!(per_arm.iter().all(|n| *n > 0), "both arms deliver: {per_arm:?}");

    // Shipped (here by override), the challenger is the campaign's only active creative: the
    // paused control is no longer sent to anyone.
    let response = post(format!("/api/v1/experiments/{}/ship", test.id), serde_json::json!({ "arm": 1, "reason": "checking the simulator follows a rollout" })).await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap_or_default());
    let after = fresh_deliveries().await;
    assert!(!after.is_empty());
    assert!(after.iter().all(|e| e.creative_id == Some(arms[1])), "only the shipped challenger is sent");
}
