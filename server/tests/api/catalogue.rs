//! The campaign catalogue and the spend ledger.

use app::access::{Role, Scope};
use app::wire::{CampaignView, ErrorBody};
use serde_json::json;

use crate::support::{TestApp, campaign_request, spawn_app};

async fn patch(app: &TestApp, cookie: &str, id: uuid::Uuid, body: serde_json::Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/campaigns/{id}")))
        .header("cookie", cookie)
        .header("origin", app.origin())
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_campaign_goes_through_approval_launch_and_pause_each_by_its_role() {
    let app = spawn_app().await;
    let perf = app.sign_in(Role::PerfLead).await;
    let compliance = app.sign_in(Role::Compliance).await;
    let res = app
        .client
        .post(app.url("/api/v1/campaigns"))
        .header("cookie", &perf.cookie)
        .header("origin", app.origin())
        .json(&campaign_request("Weekend Shopper Cashback"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let campaign: CampaignView = res.json().await.unwrap();
    assert_eq!(campaign.status, analytics::CampaignStatus::Draft);
    assert_eq!(campaign.holdout_percent, 10.0);
    assert_eq!(campaign.creatives.len(), 1);

    // Draft cannot jump to active: 409 naming where it may go.
    let res = patch(&app, &perf.cookie, campaign.id, json!({ "status": "active" })).await;
    assert_eq!(res.status(), 409);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("pending_approval"));

    assert_eq!(patch(&app, &perf.cookie, campaign.id, json!({ "status": "pending_approval" })).await.status(), 200);
    // The performance lead may not approve; compliance may.
    let res = patch(&app, &perf.cookie, campaign.id, json!({ "status": "scheduled" })).await;
    assert_eq!(res.status(), 403);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("approve"));
    assert_eq!(patch(&app, &compliance.cookie, campaign.id, json!({ "status": "scheduled" })).await.status(), 200);
    // Compliance may not launch or change the budget; the performance lead may.
    assert_eq!(patch(&app, &compliance.cookie, campaign.id, json!({ "status": "active" })).await.status(), 403);
    assert_eq!(patch(&app, &compliance.cookie, campaign.id, json!({ "budget_cents": 1 })).await.status(), 403);
    let launched: CampaignView = patch(&app, &perf.cookie, campaign.id, json!({ "status": "active" })).await.json().await.unwrap();
    assert_eq!(launched.status, analytics::CampaignStatus::Active);
    let paused: CampaignView =
        patch(&app, &perf.cookie, campaign.id, json!({ "status": "paused", "reason": "ROAS below 2x", "budget_cents": 1_500_000 }))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!((paused.status, paused.budget_cents), (analytics::CampaignStatus::Paused, 1_500_000));

    // The marketer actions are in the event log.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let actions: Vec<String> = server::entities::events::Entity::find()
        .filter(server::entities::events::Column::CampaignId.eq(campaign.id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    for action in ["campaign_created", "campaign_launched", "campaign_paused"] {
        assert!(actions.contains(&action.to_owned()), "{action} in {actions:?}");
    }
    // The pause keeps its reason and what the campaign did over the last 7 days.
    let paused = server::entities::events::Entity::find()
        .filter(server::entities::events::Column::CampaignId.eq(campaign.id))
        .filter(server::entities::events::Column::EventType.eq("campaign_paused"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let snapshot = &paused.properties["pause_metrics_snapshot"];
    assert_eq!(snapshot["reason"], "ROAS below 2x", "{snapshot}");
    assert_eq!(snapshot["window_days"], 7, "{snapshot}");
    for figure in ["impressions", "clicks", "ctr_percent", "conversions", "spend", "revenue", "roas"] {
        assert!(snapshot.get(figure).is_some(), "{figure} in {snapshot}");
    }
}

#[tokio::test]
async fn an_api_key_may_keep_the_catalogue_but_never_approve() {
    let app = spawn_app().await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "planner", &[Scope::Catalogue], None, app.state.clock.now()).await.unwrap();
    let res = app.client.post(app.url("/api/v1/campaigns")).bearer_auth(&key).json(&campaign_request("From the planner")).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let campaign: CampaignView = res.json().await.unwrap();
    let submit = app
        .client
        .patch(app.url(&format!("/api/v1/campaigns/{}", campaign.id)))
        .bearer_auth(&key)
        .json(&json!({ "status": "pending_approval" }))
        .send()
        .await
        .unwrap();
    assert_eq!(submit.status(), 200);
    let approve = app
        .client
        .patch(app.url(&format!("/api/v1/campaigns/{}", campaign.id)))
        .bearer_auth(&key)
        .json(&json!({ "status": "scheduled" }))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 403);
    let events_only = server::auth::api_keys::create(&app.state.db, "events", &[Scope::Events], None, app.state.clock.now()).await.unwrap().1;
    let res = app.client.post(app.url("/api/v1/campaigns")).bearer_auth(&events_only).json(&campaign_request("x")).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn bad_campaigns_name_every_wrong_field() {
    let app = spawn_app().await;
    let perf = app.sign_in(Role::PerfLead).await;
    let mut request = serde_json::to_value(campaign_request("")).unwrap();
    request["budget_cents"] = json!(-1);
    request["channels"] = json!([]);
    request["holdout_percent"] = json!(80);
    request["creatives"] = json!([{ "name": "A", "headline": "", "body": "b", "call_to_action": "c" }]);
    request["starts_at"] = json!("2026-12-01T00:00:00Z");
    request["ends_at"] = json!("2026-11-01T00:00:00Z");
    request["frequency_cap_per_week"] = json!(0);
    let res = app.client.post(app.url("/api/v1/campaigns")).header("cookie", &perf.cookie).header("origin", app.origin()).json(&request).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let fields: Vec<String> = res.json::<ErrorBody>().await.unwrap().error.fields.into_iter().map(|f| f.field).collect();
    for field in ["name", "budget_cents", "channels", "holdout_percent", "ends_at", "creatives[0].headline", "frequency_cap_per_week"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    request["campaign_type"] = json!("TELEPORT");
    let res = app.client.post(app.url("/api/v1/campaigns")).header("cookie", &perf.cookie).header("origin", app.origin()).json(&request).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.json::<ErrorBody>().await.unwrap().error.message.contains("campaign_type"));
    let unknown = app.get_with_cookie(&format!("/api/v1/campaigns/{}", uuid::Uuid::new_v4()), &perf.cookie).await;
    assert_eq!(unknown.status(), 404);

    // A frequency cap is set, changed, refused out of range and removed with 0.
    let campaign = crate::support::create_campaign(&app, "Cap test").await;
    assert_eq!(campaign.frequency_cap_per_week, None);
    let patch = |body: serde_json::Value| {
        app.client.patch(app.url(&format!("/api/v1/campaigns/{}", campaign.id))).header("cookie", &perf.cookie).header("origin", app.origin()).json(&body).send()
    };
    let res = patch(json!({ "frequency_cap_per_week": 3 })).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<app::wire::CampaignView>().await.unwrap().frequency_cap_per_week, Some(3));
    let res = patch(json!({ "frequency_cap_per_week": 51 })).await.unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<ErrorBody>().await.unwrap().error.fields[0].field, "frequency_cap_per_week");
    let res = patch(json!({ "frequency_cap_per_week": 0 })).await.unwrap();
    assert_eq!(res.json::<app::wire::CampaignView>().await.unwrap().frequency_cap_per_week, None);
}

#[tokio::test]
async fn spend_is_recorded_per_campaign_channel_and_period_all_or_nothing() {
    let app = spawn_app().await;
    let cmo = app.sign_in(Role::Cmo).await;
    let campaign = crate::support::create_campaign(&app, "Spend test").await;
    let post = |body: serde_json::Value| {
        app.client.post(app.url("/api/v1/spend")).header("cookie", &cmo.cookie).header("origin", app.origin()).json(&body).send()
    };
    let good = json!({ "entries": [
        { "campaign_id": campaign.id, "channel": "push", "period_start": "2026-11-24T00:00:00Z", "granularity": "day", "amount_cents": 125_000 },
        { "campaign_id": campaign.id, "channel": "email", "period_start": "2026-11-24T13:00:00Z", "granularity": "hour", "amount_cents": 4_500 }
    ]});
    let res = post(good).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<app::wire::SpendResult>().await.unwrap().total_cents, 129_500);

    let bad = json!({ "entries": [
        { "campaign_id": campaign.id, "channel": "push", "period_start": "2026-11-24T00:00:00Z", "granularity": "day", "amount_cents": 100 },
        { "campaign_id": uuid::Uuid::new_v4(), "channel": "push", "period_start": "2026-11-24T10:30:00Z", "granularity": "hour", "amount_cents": -5 }
    ]});
    let res = post(bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let fields: Vec<String> = res.json::<ErrorBody>().await.unwrap().error.fields.into_iter().map(|f| f.field).collect();
    assert_eq!(fields, vec!["entries[1].campaign_id", "entries[1].amount_cents", "entries[1].period_start"]);
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(server::entities::spend::Entity::find().count(&app.state.db).await.unwrap(), 2, "nothing of the bad request was kept");

    let rewards = app.sign_in(Role::RewardsPm).await;
    let res = app.client.post(app.url("/api/v1/spend")).header("cookie", &rewards.cookie).header("origin", app.origin()).json(&json!({"entries": []})).send().await.unwrap();
    assert_eq!(res.status(), 403, "the rewards PM may not change budgets");
}

#[tokio::test]
async fn budget_moves_between_campaigns_in_one_step_and_is_logged() {
    let app = spawn_app().await;
    let cmo = app.sign_in(Role::Cmo).await;
    let compliance = app.sign_in(Role::Compliance).await;
    let (a, b) = (crate::support::create_campaign(&app, "Giving").await, crate::support::create_campaign(&app, "Receiving").await);
    let post = |cookie: String, body: serde_json::Value| {
        let app = &app;
        async move { app.client.post(app.url("/api/v1/reallocations")).header("cookie", cookie).header("origin", app.origin()).json(&body).send().await.unwrap() }
    };
    let move_of = |amount: i64| json!({ "from_campaign_id": a.id, "to_campaign_id": b.id, "amount_cents": amount, "reason": "performance" });
    let res = post(cmo.cookie.clone(), move_of(10_000)).await;
    assert_eq!(res.status(), 200);
    let moved: app::wire::ReallocationResult = res.json().await.unwrap();
    assert_eq!((moved.from.budget_cents, moved.to.budget_cents), (a.budget_cents - 10_000, b.budget_cents + 10_000));
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let logged = server::entities::events::Entity::find()
        .filter(server::entities::events::Column::EventType.eq("budget_reallocated"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].properties["amount"], 100.0);
    assert_eq!(logged[0].properties["reallocation_id"], moved.reallocation_id.to_string());

    // More than the giving campaign has, nothing, the same campaign twice: named, nothing moves.
    let res = post(cmo.cookie.clone(), move_of(a.budget_cents)).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<ErrorBody>().await.unwrap().error.fields[0].field, "amount_cents");
    assert_eq!(post(cmo.cookie.clone(), move_of(0)).await.status(), 422);
    let same = json!({ "from_campaign_id": a.id, "to_campaign_id": a.id, "amount_cents": 1, "reason": "manual" });
    assert_eq!(post(cmo.cookie.clone(), same).await.status(), 422);
    let unknown = json!({ "from_campaign_id": uuid::Uuid::new_v4(), "to_campaign_id": a.id, "amount_cents": 1, "reason": "manual" });
    assert_eq!(post(cmo.cookie.clone(), unknown).await.status(), 404);
    assert_eq!(post(compliance.cookie.clone(), move_of(1)).await.status(), 403, "the role may not change budgets");
    let after: app::wire::CampaignView = app.get_with_cookie(&format!("/api/v1/campaigns/{}", a.id), &cmo.cookie).await.json().await.unwrap();
    assert_eq!(after.budget_cents, a.budget_cents - 10_000, "refused moves changed nothing");
}

#[tokio::test]
async fn a_sender_asks_which_group_a_user_is_in_by_the_pinned_hash() {
    let app = spawn_app().await;
    let campaign = crate::support::create_campaign(&app, "Held out").await;
    let (_, key) = server::auth::api_keys::create(&app.state.db, "sender", &[app::access::Scope::Events], None, app.state.clock.now()).await.unwrap();
    let mut groups = std::collections::HashMap::new();
    for i in 0..40 {
        let user = format!("user-{i}");
        let res = app.client.get(app.url(&format!("/api/v1/campaigns/{}/assignment?user_id={user}&region=US-CA", campaign.id))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let a: app::wire::Assignment = res.json().await.unwrap();
        let held = analytics::holdout::is_holdout(campaign.id, &user, campaign.holdout_percent / 100.0);
        assert_eq!(a.group, if held { "holdout" } else { "treatment" }, "{user}");
        *groups.entry(a.group).or_insert(0) += 1;
    }
    assert_eq!(groups.values().sum::<i32>(), 40);
    for query in ["user_id=", ""] {
        let res = app.client.get(app.url(&format!("/api/v1/campaigns/{}/assignment?{query}", campaign.id))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(res.status(), 422, "{query}");
        assert_eq!(res.json::<ErrorBody>().await.unwrap().error.fields[0].field, "user_id");
    }
    let res = app.client.get(app.url(&format!("/api/v1/campaigns/{}/assignment?user_id=u", uuid::Uuid::new_v4()))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_paused_creative_is_audited_and_never_assigned() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let mut request = campaign_request("Two creatives");
    let mut second = request.creatives[0].clone();
    second.name = "B".to_owned();
    request.creatives.push(second);
    let campaign = crate::support::create_campaign_from(&app, request).await;
    let (a, b) = (campaign.creatives[0].id, campaign.creatives[1].id);
    let perf = app.sign_in(Role::PerfLead).await;
    let cmo = app.sign_in(Role::Cmo).await;
    let analyst = app.sign_in(Role::DataScience).await;
    let send = |cookie: String, id: uuid::Uuid, body: serde_json::Value| {
        let app = &app;
        async move {
            app.client
                .patch(app.url(&format!("/api/v1/creatives/{id}")))
                .header("cookie", cookie)
                .header("origin", app.origin())
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // Whose role may not pause campaigns may not pause a creative either.
    assert_eq!(send(analyst.cookie.clone(), b, json!({ "status": "paused" })).await.status(), 403);
    // A bad status names the field; an unknown creative is a 404.
    let res = send(perf.cookie.clone(), b, json!({ "status": "stopped" })).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("status"));
    assert_eq!(send(perf.cookie.clone(), uuid::Uuid::new_v4(), json!({ "status": "paused" })).await.status(), 404);

    let res = send(cmo.cookie.clone(), b, json!({ "status": "paused", "reason": "Low ROAS" })).await;
    assert_eq!(res.status(), 200);
    let view: CampaignView = res.json().await.unwrap();
    let status_of = |v: &CampaignView, id| v.creatives.iter().find(|c| c.id == id).unwrap().status;
    assert_eq!(status_of(&view, b), app::wire::CreativeStatus::Paused);
    assert_eq!(status_of(&view, a), app::wire::CreativeStatus::Active);

    // Every treatment user now gets creative A; held-out users get none.
    let (_, key) = server::auth::api_keys::create(&app.state.db, "sender", &[Scope::Events], None, app.state.clock.now()).await.unwrap();
    for i in 0..30 {
        let url = app.url(&format!("/api/v1/campaigns/{}/assignment?user_id=u-{i}&region=US-CA", campaign.id));
        let assignment: app::wire::Assignment = app.client.get(url).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        let expected = (assignment.group == "treatment").then_some(a);
        assert_eq!(assignment.creative_id, expected, "u-{i}");
    }

    // The audit log has the change with its reason and the campaign before and after.
    let entries = server::entities::audit_log::Entity::find()
        .filter(server::entities::audit_log::Column::Target.eq(format!("creative:{b}")))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "creative.pause");
    assert_eq!(entries[0].reason.as_deref(), Some("Low ROAS"));

    // Resuming brings it back; asking again for the same status changes nothing and logs nothing.
    assert_eq!(send(perf.cookie.clone(), b, json!({ "status": "active" })).await.status(), 200);
    assert_eq!(send(perf.cookie.clone(), b, json!({ "status": "active" })).await.status(), 200);
    let entries = server::entities::audit_log::Entity::find()
        .filter(server::entities::audit_log::Column::Target.eq(format!("creative:{b}")))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(entries.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["creative.pause", "creative.resume"]);

    // Boost: a weight of 130 gives B 130 ÷ 230 of the treatment users, by the pinned hash.
    let lifecycle = app.sign_in(Role::LifecycleLead).await;
    assert_eq!(send(lifecycle.cookie.clone(), b, json!({ "weight_percent": 130 })).await.status(), 403, "weights are budget decisions");
    for bad in [json!({ "weight_percent": 5 }), json!({ "weight_percent": 1001 }), json!({})] {
        let res = send(perf.cookie.clone(), b, bad.clone()).await;
        assert_eq!(res.status(), 422, "{bad}");
    }
    let res = send(perf.cookie.clone(), b, json!({ "weight_percent": 130, "reason": "Best CTR" })).await;
    assert_eq!(res.status(), 200);
    let view: CampaignView = res.json().await.unwrap();
    assert_eq!(view.creatives.iter().map(|c| c.weight_percent).collect::<Vec<_>>(), [100, 130]);
    for i in 0..30 {
        let user = format!("u-{i}");
        let url = app.url(&format!("/api/v1/campaigns/{}/assignment?user_id={user}&region=US-CA", campaign.id));
        let assignment: app::wire::Assignment = app.client.get(url).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        let position = analytics::holdout::position(campaign.id, &user);
        let expected = analytics::holdout::creative_slot(position, campaign.holdout_percent / 100.0, &[100, 130]).map(|slot| [a, b][slot]);
        assert_eq!(assignment.creative_id, expected, "{user}");
    }
    let weighted = server::entities::audit_log::Entity::find()
        .filter(server::entities::audit_log::Column::Action.eq("creative.weight"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(weighted.len(), 1);
}
