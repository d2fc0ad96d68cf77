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
