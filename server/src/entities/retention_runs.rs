//! `retention_runs`: each run of the retention job and what it did.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    pub events_cutoff: DateTimeUtc,
    pub events_deleted: i64,
    pub oldest_audit_entry: Option<DateTimeUtc>,
    pub oldest_access_entry: Option<DateTimeUtc>,
    pub outcome: String,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
