//! `recommendations`: what the engine found and what people did with it (see
//! `services::recommendations`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub situation_key: String,
    pub kind: String,
    pub target_kind: String,
    pub target_id: String,
    pub status: String,
    pub level: String,
    pub priority: f64,
    pub confidence: f64,
    pub body: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_reason: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub dismissed_by: Option<String>,
    pub dismissed_reason: Option<String>,
    pub suppress_until: Option<DateTimeUtc>,
    pub cleared_at: Option<DateTimeUtc>,
    pub scheduled_for: Option<DateTimeUtc>,
    pub scheduled_by: Option<String>,
    pub executed_by: Option<String>,
    pub executed_at: Option<DateTimeUtc>,
    pub execution: Option<Json>,
    /// `analytics::recommend::outcome::Outcome`, once the evaluation window has passed.
    pub outcome: Option<Json>,
    pub evaluated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
