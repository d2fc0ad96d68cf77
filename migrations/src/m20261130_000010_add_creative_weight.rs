//! A creative's weight: its share of a campaign's treatment users relative to the other active
//! creatives, in percent of a normal share (100). Module 5's "Boost" raises it; 10 to 1,000.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Creatives::Table)
                    .add_column(
                        ColumnDef::new(Creatives::WeightPercent)
                            .integer()
                            .not_null()
                            .default(100)
                            .check(Expr::col(Creatives::WeightPercent).between(10, 1_000)),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Creatives::Table).drop_column(Creatives::WeightPercent).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Creatives {
    Table,
    WeightPercent,
}
