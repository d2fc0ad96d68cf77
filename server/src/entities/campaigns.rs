//! `campaigns`: the campaign catalogue.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub campaign_type: String,
    pub status: String,
    pub budget_cents: i64,
    pub holdout_share_bp: i32,
    pub channels: String,
    pub target_segments: String,
    pub target_regions: String,
    pub consent_method: Option<String>,
    pub has_opt_out_link: bool,
    pub shares_data_with_third_parties: bool,
    /// At most this many deliveries to one user in any 7 days; `None`: no cap.
    pub frequency_cap_per_week: Option<i32>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
