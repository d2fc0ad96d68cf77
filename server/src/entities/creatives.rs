//! `creatives`: the headline / body / call-to-action variants of a campaign.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "creatives")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub name: String,
    pub headline: String,
    pub body: String,
    pub call_to_action: String,
    /// `active` or `paused` (`app::wire::CreativeStatus`).
    pub status: String,
    /// Share of treatment users relative to the other active creatives, percent of normal (100).
    pub weight_percent: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
