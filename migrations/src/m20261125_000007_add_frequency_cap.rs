//! A campaign's frequency cap: at most this many deliveries to one user in any 7 days (the
//! spec's "adjust send frequency" speaks of weekly sends). Null: no cap.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(ColumnDef::new(Campaigns::FrequencyCapPerWeek).integer().null().check(Expr::col(Campaigns::FrequencyCapPerWeek).gte(1)))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Campaigns::Table).drop_column(Campaigns::FrequencyCapPerWeek).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    FrequencyCapPerWeek,
}
