//! `consent_regimes`: the legal regime of each region prefix (opt-in or opt-out), as data.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_regimes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region_prefix: String,
    pub name: String,
    pub mode: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
