//! `event_volume_hourly`: ingested events per UTC hour and event type.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_volume_hourly")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour_start: DateTimeUtc,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_type: String,
    pub events: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
