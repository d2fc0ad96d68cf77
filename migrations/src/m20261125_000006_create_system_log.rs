//! The server's own measurements per hour, for system metrics 24 (uptime, from health probes)
//! and 25 (cost per query, from measured query time).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProbeHourly::Table)
                    .col(timestamp_with_time_zone(ProbeHourly::HourStart).primary_key())
                    .col(big_integer(ProbeHourly::Probes).default(0))
                    .col(big_integer(ProbeHourly::Succeeded).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QueryHourly::Table)
                    .col(timestamp_with_time_zone(QueryHourly::HourStart).primary_key())
                    .col(big_integer(QueryHourly::Queries).default(0))
                    .col(double(QueryHourly::CpuSeconds).default(0.0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(QueryHourly::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ProbeHourly::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProbeHourly {
    Table,
    HourStart,
    Probes,
    Succeeded,
}

#[derive(DeriveIden)]
enum QueryHourly {
    Table,
    HourStart,
    Queries,
    CpuSeconds,
}
