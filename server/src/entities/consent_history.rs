//! `consent_history`: every consent fact per user and channel, from `consent_updated` and
//! `user_unsubscribed` events; kept beyond the raw events' retention.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: Uuid,
    pub user_id: String,
    pub channel: String,
    pub status: String,
    pub method: String,
    pub source: Option<String>,
    pub region: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
