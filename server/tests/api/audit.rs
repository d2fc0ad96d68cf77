//! The audit log: actions are chained, the database refuses changes, and `verify` (CLI and API)
//! names the first bad entry after an attacker with database access edits a row (even
//! recomputing every later MAC with a guessed key) or cuts off the newest entries.

use app::access::Role;
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, QueryOrder};
use serde_json::{Value, json};
use server::entities::audit_log;
use server::services::audit;
use sha2::Sha256;

use crate::support::{TestApp, spawn_app};

async fn entries(app: &TestApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find().order_by_asc(audit_log::Column::Seq).all(&app.state.db).await.unwrap()
}

/// A few real actions: a campaign created, launched and paused by people, a failed sign-in.
async fn some_actions(app: &TestApp) {
    let perf = app.sign_in(Role::PerfLead).await;
    let campaign = crate::support::create_campaign(app, "Audited").await;
    for status in ["pending_approval", "scheduled"] {
        let session = if status == "scheduled" { app.sign_in(Role::Compliance).await } else { app.sign_in(Role::PerfLead).await };
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/campaigns/{}", campaign.id)))
            .header("cookie", &session.cookie)
            .header("origin", app.origin())
            .json(&json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{status}");
    }
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/campaigns/{}", campaign.id)))
        .header("cookie", &perf.cookie)
        .header("origin", app.origin())
        .json(&json!({ "budget_cents": 123_456, "reason": "more reach" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.login("nobody@example.com", "wrong").await.status(), 401);
}

async fn verify(app: &TestApp) -> audit::Verification {
    audit::verify(&app.state.db, &app.state.audit).await.unwrap()
}

async fn drop_triggers(app: &TestApp) {
    let statements: &[&str] = match app.state.db.get_database_backend() {
        DatabaseBackend::Postgres => &["DROP TRIGGER audit_log_no_change ON audit_log"],
        _ => &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
    };
    for s in statements {
        app.state.db.execute_unprepared(s).await.unwrap();
    }
}

#[tokio::test]
async fn actions_are_chained_with_who_what_and_before_after_and_the_chain_verifies() {
    let app = spawn_app().await;
    some_actions(&app).await;
    let rows = entries(&app).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    for expected in ["auth.login", "campaign.create", "campaign.submit", "campaign.approve", "campaign.budget_change", "auth.login_failed"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let budget = rows.iter().find(|r| r.action == "campaign.budget_change").unwrap();
    assert_eq!(budget.actor_role, "perf_lead");
    assert!(budget.actor.starts_with("perf_lead-") && budget.actor.ends_with("@example.com"), "{}", budget.actor);
    assert_eq!(budget.reason.as_deref(), Some("more reach"));
    let after: Value = serde_json::from_str(budget.after.as_deref().unwrap()).unwrap();
    let before: Value = serde_json::from_str(budget.before.as_deref().unwrap()).unwrap();
    assert_eq!(after["budget_cents"], 123_456);
    assert_ne!(before["budget_cents"], 123_456);
    assert!(budget.consent_check.as_deref().unwrap().contains("has_opt_out_link"), "the consent facts are recorded");
    let failed = rows.iter().find(|r| r.action == "auth.login_failed").unwrap();
    assert_eq!(failed.actor, "n***@e***.com", "an address that is no staff account is kept masked");
    assert_eq!(rows[0].prev_mac, audit::GENESIS);
    assert!(rows.windows(2).all(|w| w[1].prev_mac == w[0].mac), "each entry links to the one before");

    let result = verify(&app).await;
    assert!(result.ok && result.first_bad.is_none(), "{result:?}");
    assert_eq!(result.entries, rows.len() as u64);

    // The API answers the compliance officer, and nobody without the module.
    let compliance = app.sign_in(Role::Compliance).await;
    let body: Value = app.get_with_cookie("/api/v1/audit/verify", &compliance.cookie).await.json().await.unwrap();
    assert_eq!(body["ok"], true, "{body}");
    let rewards = app.sign_in(Role::RewardsPm).await;
    assert_eq!(app.get_with_cookie("/api/v1/audit/verify", &rewards.cookie).await.status(), 403);
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_an_entry() {
    let app = spawn_app().await;
    some_actions(&app).await;
    for statement in ["UPDATE audit_log SET reason = 'nothing happened'", "DELETE FROM audit_log"] {
        let err = app.state.db.execute_unprepared(statement).await.expect_err(statement);
        assert!(err.to_string().contains("append-only"), "{statement}: {err}");
    }
    if app.state.db.get_database_backend() == DatabaseBackend::Postgres {
        assert!(app.state.db.execute_unprepared("TRUNCATE audit_log").await.is_err());
    }
    assert!(verify(&app).await.ok);
}

#[tokio::test]
async fn an_edited_entry_is_named_even_when_every_later_mac_is_recomputed_with_a_guessed_key() {
    let app = spawn_app().await;
    some_actions(&app).await;
    let rows = entries(&app).await;
    let target = &rows[rows.len() / 2];
    drop_triggers(&app).await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        match backend {
            DatabaseBackend::Postgres => "UPDATE audit_log SET actor = 'someone-else@example.com' WHERE seq = $1",
            _ => "UPDATE audit_log SET actor = 'someone-else@example.com' WHERE seq = ?",
        },
        [target.seq.into()],
    ))
    .await
    .unwrap();
    let result = verify(&app).await;
    assert!(!result.ok);
    assert_eq!(result.first_bad.as_ref().unwrap().seq, target.seq, "{result:?}");

    // The attacker recomputes the edited entry's MAC and every later one with a key they guess.
    let guessed = b"swipesavvy-audit-key-guess-0000000000";
    let mut prev = rows[rows.len() / 2 - 1].mac.clone();
    for row in entries(&app).await.into_iter().filter(|r| r.seq >= target.seq) {
        let bytes = serde_json::to_vec(&json!([
            prev,
            row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            row.actor,
            row.actor_role,
            row.action,
            row.target,
            row.before,
            row.after,
            row.reason,
            row.consent_check
        ]))
        .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(guessed).unwrap();
        mac.update(&bytes);
        let mac = hex::encode(mac.finalize().into_bytes());
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            match backend {
                DatabaseBackend::Postgres => "UPDATE audit_log SET prev_mac = $1, mac = $2 WHERE seq = $3",
                _ => "UPDATE audit_log SET prev_mac = ?, mac = ? WHERE seq = ?",
            },
            [prev.clone().into(), mac.clone().into(), row.seq.into()],
        ))
        .await
        .unwrap();
        prev = mac;
    }
    let result = verify(&app).await;
    assert!(!result.ok);
    let bad = result.first_bad.unwrap();
    assert_eq!(bad.seq, target.seq, "still the edited entry: the guessed key makes no valid MAC");
    assert!(bad.reason.contains("changed"), "{}", bad.reason);
}

#[tokio::test]
async fn cutting_off_the_newest_entries_is_caught_by_the_checkpoint() {
    let app = spawn_app().await;
    some_actions(&app).await;
    let written = audit::checkpoint(&app.state.db, &app.state.audit, app.state.clock.now()).await.unwrap().expect("a checkpoint");
    assert!(audit::checkpoint(&app.state.db, &app.state.audit, app.state.clock.now()).await.unwrap().is_none(), "nothing new, no new line");
    let rows = entries(&app).await;
    assert_eq!(written.seq, rows.last().unwrap().seq);
    assert!(verify(&app).await.ok);

    drop_triggers(&app).await;
    let keep = rows[rows.len() - 3].seq;
    let backend = app.state.db.get_database_backend();
    app.state
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            match backend {
                DatabaseBackend::Postgres => "DELETE FROM audit_log WHERE seq > $1",
                _ => "DELETE FROM audit_log WHERE seq > ?",
            },
            [keep.into()],
        ))
        .await
        .unwrap();
    let result = verify(&app).await;
    assert!(!result.ok, "the remaining chain is valid, but the checkpoint names a missing entry");
    let bad = result.first_bad.unwrap();
    assert_eq!(bad.seq, keep + 1, "{}", bad.reason);
    assert!(bad.reason.contains("missing"), "{}", bad.reason);

    // The CLI says the same and fails.
    let url = match &app.state.settings.database {
        server::config::DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
        server::config::DatabaseTarget::Postgres { url } => secrecy::ExposeSecret::expose_secret(url).to_owned(),
    };
    let config = std::env::temp_dir().join(format!("swipesavvy-audit-cli-{}.toml", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &config,
        format!(
            "audit_key_file = {:?}\naudit_checkpoint_file = {:?}\n",
            app.state.settings.audit_key_file.display().to_string(),
            app.state.settings.audit_checkpoint_file.display().to_string()
        ),
    )
    .unwrap();
    let out = crate::support::swipesavvy()
        .args(["audit", "verify", "--database-url", &url, "--config", &config.display().to_string()])
        .env_remove("DATABASE_URL")
        .env_remove("SWIPESAVVY_AUDIT_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("entry {}", keep + 1)), "{stderr}");
}
