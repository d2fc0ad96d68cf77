//! `experiments`: A/B/n tests and imported test results (see `services::experiments`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "experiments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub campaign_id: Option<Uuid>,
    pub status: String,
    pub arms: Json,
    pub control: i32,
    pub primary_metric: String,
    pub guardrails: String,
    pub covariate: String,
    pub minimum_effect: f64,
    pub alpha: f64,
    pub power: f64,
    pub duration_days: i32,
    pub baseline: Option<f64>,
    pub auto_ship: bool,
    pub started_at: Option<DateTimeUtc>,
    pub stopped_at: Option<DateTimeUtc>,
    pub winner_arm: Option<i32>,
    pub decision: Option<String>,
    pub imported: Option<Json>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
