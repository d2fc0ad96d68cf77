//! `report_schedules`: a report someone asked to receive at a local time (see
//! `services::report_schedules`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "report_schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub report: String,
    pub campaign_id: Option<Uuid>,
    pub query: String,
    pub frequency: String,
    pub weekday: Option<i32>,
    pub day_of_month: Option<i32>,
    pub hour: i32,
    pub minute: i32,
    pub time_zone: String,
    pub channel: String,
    pub destination: String,
    pub created_by: String,
    pub created_role: String,
    pub created_at: DateTimeUtc,
    pub next_run_at: DateTimeUtc,
    pub last_run_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
