//! `consent_violations_hourly`: deliveries refused because the user was not eligible, per hour,
//! campaign, channel and regime.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_violations_hourly")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour_start: DateTimeUtc,
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub regime: String,
    pub violations: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
