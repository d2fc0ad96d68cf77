//! `alerts`: what fired, a rule's or an anomaly's, until it clears and after (see
//! `services::alerts`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub source: String,
    pub key: String,
    pub rule_id: Option<Uuid>,
    pub metric: String,
    pub campaign_id: Option<Uuid>,
    pub severity: String,
    pub kind: String,
    pub message: String,
    pub observed: Option<f64>,
    pub expected: Option<f64>,
    pub details: Json,
    pub fired_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub cleared_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledge_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
