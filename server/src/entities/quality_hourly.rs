//! `quality_hourly`: ingestion quality counters per arrival hour and event category.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quality_hourly")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour_start: DateTimeUtc,
    #[sea_orm(primary_key, auto_increment = false)]
    pub category: String,
    pub received: i64,
    pub schema_ok: i64,
    pub valid: i64,
    pub duplicates: i64,
    pub stored: i64,
    pub late: i64,
    pub complete: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
