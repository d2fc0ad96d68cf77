//! A creative's status: `active` creatives are delivered, `paused` ones are not (Module 5's
//! "Pause creative"). Existing creatives stay active.

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
                        ColumnDef::new(Creatives::Status)
                            .string_len(16)
                            .not_null()
                            .default("active")
                            .check(Expr::col(Creatives::Status).is_in(["active", "paused"])),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Creatives::Table).drop_column(Creatives::Status).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Creatives {
    Table,
    Status,
}
