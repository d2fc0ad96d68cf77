//! `events`: the raw, append-only event log (one row per version of an event).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub event_id: Uuid,
    pub version: i32,
    pub content_hash: String,
    pub event_type: String,
    pub occurred_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub user_id: String,
    pub session_id: Option<String>,
    pub source: String,
    pub campaign_id: Option<Uuid>,
    pub creative_id: Option<Uuid>,
    pub properties: Json,
    pub context: Json,
    pub late_arrival: bool,
    pub backfilled: bool,
    pub ingestion_lag_seconds: i64,
    pub key_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
