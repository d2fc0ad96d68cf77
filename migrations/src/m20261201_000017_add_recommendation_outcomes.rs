//! Outcome tracking (issue #9): an executed recommendation's measured outcome against its
//! projection, filled in once its evaluation window has passed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER.
        manager.alter_table(Table::alter().table(Recommendations::Table).add_column(json_binary_null(Recommendations::Outcome)).to_owned()).await?;
        manager.alter_table(Table::alter().table(Recommendations::Table).add_column(timestamp_with_time_zone_null(Recommendations::EvaluatedAt)).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Recommendations::Table).drop_column(Recommendations::EvaluatedAt).to_owned()).await?;
        manager.alter_table(Table::alter().table(Recommendations::Table).drop_column(Recommendations::Outcome).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Recommendations {
    Table,
    Outcome,
    EvaluatedAt,
}
