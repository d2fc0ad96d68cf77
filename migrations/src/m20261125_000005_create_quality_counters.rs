//! Ingestion quality counters per arrival hour and event category: what `GET /api/v1/quality`
//! computes the spec's seven quality metrics from, without scanning raw events.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QualityHourly::Table)
                    .col(timestamp_with_time_zone(QualityHourly::HourStart))
                    .col(string_len(QualityHourly::Category, 32))
                    .col(big_integer(QualityHourly::Received).default(0))
                    .col(big_integer(QualityHourly::SchemaOk).default(0))
                    .col(big_integer(QualityHourly::Valid).default(0))
                    .col(big_integer(QualityHourly::Duplicates).default(0))
                    .col(big_integer(QualityHourly::Stored).default(0))
                    .col(big_integer(QualityHourly::Late).default(0))
                    .col(big_integer(QualityHourly::Complete).default(0))
                    .primary_key(Index::create().col(QualityHourly::HourStart).col(QualityHourly::Category))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(QualityHourly::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum QualityHourly {
    Table,
    HourStart,
    Category,
    Received,
    SchemaOk,
    Valid,
    Duplicates,
    Stored,
    Late,
    Complete,
}
