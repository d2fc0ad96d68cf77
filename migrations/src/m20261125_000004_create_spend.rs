//! The spend ledger: what each campaign cost, per channel and day or hour, as ad platforms and
//! e-mail providers report it. ROAS, CAC and CPC divide by these amounts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Spend::Table)
                    .col(pk_auto(Spend::Id).big_integer())
                    .col(uuid(Spend::CampaignId))
                    .col(string_len(Spend::Channel, 16))
                    .col(timestamp_with_time_zone(Spend::PeriodStart))
                    // `day` or `hour`.
                    .col(string_len(Spend::Granularity, 8))
                    .col(big_integer(Spend::AmountCents))
                    // Who reported it (an account id or an API key's name).
                    .col(string_len(Spend::RecordedBy, 100))
                    .col(timestamp_with_time_zone(Spend::RecordedAt))
                    .check(Expr::col(Spend::AmountCents).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_spend_campaign_period")
                    .table(Spend::Table)
                    .col(Spend::CampaignId)
                    .col(Spend::PeriodStart)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Spend::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Spend {
    Table,
    Id,
    CampaignId,
    Channel,
    PeriodStart,
    Granularity,
    AmountCents,
    RecordedBy,
    RecordedAt,
}
