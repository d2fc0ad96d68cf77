use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::spawn_app;

#[tokio::test]
async fn every_migration_rolls_back_and_reapplies_cleanly() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let total = Migrator::migrations().len();
    assert_eq!(Migrator::get_applied_migrations(db).await.unwrap().len(), total);

    Migrator::down(db, None).await.expect("down");
    assert!(Migrator::get_applied_migrations(db).await.unwrap().is_empty());

    Migrator::up(db, None).await.expect("up again");
    assert_eq!(Migrator::get_pending_migrations(db).await.unwrap().len(), 0);
}

#[tokio::test]
async fn the_eight_segments_of_the_spec_are_seeded() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT code FROM segments ORDER BY code"))
        .await
        .unwrap();
    let codes: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "code").unwrap()).collect();
    let mut expected: Vec<String> = analytics::SegmentType::ALL.iter().map(|s| s.as_str().to_owned()).collect();
    expected.sort();
    assert_eq!(codes, expected);
}

#[tokio::test]
async fn the_database_refuses_a_negative_budget() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let sql = "INSERT INTO campaigns (id, name, campaign_type, status, budget_cents, holdout_share_bp, created_at, updated_at) \
               VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'DISCOUNT', 'draft', -5, 1000, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z')";
    let result = db.execute_unprepared(sql).await;
    assert!(result.is_err(), "a CHECK constraint must reject it");
}
