//! `swipesavvy import-spend`, run as a user would, against a running app's database.


use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::support::{create_campaign, spawn_app};

fn database_url(app: &crate::support::TestApp) -> String {
    match &app.state.settings.database {
        server::config::DatabaseTarget::Postgres { url } => secrecy::ExposeSecret::expose_secret(url).to_owned(),
        server::config::DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
    }
}

fn import_spend(url: &str, args: &[&str]) -> (bool, String) {
    let out = crate::support::swipesavvy()
        .arg("import-spend")
        .args(args)
        .args(["--database-url", url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn a_spend_file_with_a_bad_line_records_nothing_and_names_the_line_then_records_all_when_fixed() {
    let app = spawn_app().await;
    let url = database_url(&app);
    let campaign = create_campaign(&app, "Spend import").await;
    let dir = std::env::temp_dir().join(format!("swipesavvy-spend-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let today = app.state.clock.now().date_naive();
    let yesterday = today - chrono::Duration::days(1);
    let c = campaign.id;
    let unknown = Uuid::new_v4();
    let bad = format!(
        "campaign_id,channel,period_start,granularity,amount\n\
         {c},push,{yesterday},day,125.40\n\
         {c},email,{yesterday}T05:30:00Z,hour,10\n\
         {unknown},push,{yesterday},day,1\n\
         {c},fax,{yesterday},day,-2\n\
         {c},email,{today},day,3.50\n"
    );
    let source = dir.join("spend.csv");
    std::fs::write(&source, bad).unwrap();
    let errors = dir.join("errors.csv");
    let (ok, out) = import_spend(&url, &[source.to_str().unwrap(), "--errors", errors.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(out.contains("line 3: period_start: must be the start of a whole hour"), "{out}");
    assert!(out.contains(&format!("line 4: campaign_id: unknown campaign {unknown}")), "{out}");
    assert!(out.contains("line 5: channel:"), "{out}");
    assert!(out.contains("3 of 5 spend lines") && out.contains("nothing was recorded"), "{out}");
    let report = std::fs::read_to_string(&errors).unwrap();
    assert!(report.starts_with("line,field,reason\n3,period_start,"), "{report}");
    let stored = server::entities::spend::Entity::find().filter(server::entities::spend::Column::CampaignId.eq(c)).count(&app.state.db).await.unwrap();
    assert_eq!(stored, 0, "all or nothing");

    // A negative amount is the ledger's rule, reported under the file's own column name.
    std::fs::write(&source, format!("campaign_id,channel,period_start,granularity,amount\n{c},push,{yesterday},day,-2\n")).unwrap();
    let (ok, out) = import_spend(&url, &[source.to_str().unwrap()]);
    assert!(!ok && out.contains("line 2: amount: must be ≥ 0"), "{out}");

    let good = format!(
        "campaign_id,channel,period_start,granularity,amount\n\
         {c},push,{yesterday},day,125.40\n\
         {c},email,{yesterday}T05:00:00Z,hour,10\n\
         {c},email,{today},day,3.5\n"
    );
    std::fs::write(&source, good).unwrap();
    let (ok, out) = import_spend(&url, &[source.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("recorded 3 spend lines") && out.contains("for 1 campaigns, $138.90 in total"), "{out}");
    let lines = server::entities::spend::Entity::find().filter(server::entities::spend::Column::CampaignId.eq(c)).all(&app.state.db).await.unwrap();
    assert_eq!(lines.iter().map(|l| l.amount_cents).sum::<i64>(), 13_890);
    assert!(lines.iter().all(|l| l.recorded_by == "import:spend.csv"), "{lines:?}");

    // Cents instead of dollars; a file with both is refused as ambiguous.
    let cents = dir.join("cents.csv");
    std::fs::write(&cents, format!("campaign_id,channel,period_start,granularity,amount_cents\n{c},sms,{yesterday},day,250\n")).unwrap();
    let (ok, out) = import_spend(&url, &[cents.to_str().unwrap()]);
    assert!(ok && out.contains("$2.50 in total"), "{out}");
    std::fs::write(&cents, format!("campaign_id,channel,period_start,granularity,amount,amount_cents\n{c},sms,{yesterday},day,1,100\n")).unwrap();
    let (ok, out) = import_spend(&url, &[cents.to_str().unwrap()]);
    assert!(!ok && out.contains("both amount and amount_cents"), "{out}");
    std::fs::remove_dir_all(dir).ok();
}
