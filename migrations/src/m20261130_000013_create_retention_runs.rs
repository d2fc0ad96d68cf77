//! Retention (issue #7): each run of the retention job is recorded (the fact the regulatory
//! checks read), and a campaign states whether it shares personal data with third parties
//! (CCPA/CPRA's "sale or sharing").

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RetentionRuns::Table)
                    .col(pk_auto(RetentionRuns::Id).big_integer())
                    .col(timestamp_with_time_zone(RetentionRuns::StartedAt))
                    .col(timestamp_with_time_zone(RetentionRuns::FinishedAt))
                    // Raw events that occurred before this were deleted.
                    .col(timestamp_with_time_zone(RetentionRuns::EventsCutoff))
                    .col(big_integer(RetentionRuns::EventsDeleted))
                    .col(timestamp_with_time_zone_null(RetentionRuns::OldestAuditEntry))
                    .col(timestamp_with_time_zone_null(RetentionRuns::OldestAccessEntry))
                    .col(string_len(RetentionRuns::Outcome, 16))
                    .col(text_null(RetentionRuns::Error))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(ColumnDef::new(Campaigns::SharesDataWithThirdParties).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Campaigns::Table).drop_column(Campaigns::SharesDataWithThirdParties).to_owned()).await?;
        manager.drop_table(Table::drop().table(RetentionRuns::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum RetentionRuns {
    Table,
    Id,
    StartedAt,
    FinishedAt,
    EventsCutoff,
    EventsDeleted,
    OldestAuditEntry,
    OldestAccessEntry,
    Outcome,
    Error,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    SharesDataWithThirdParties,
}
