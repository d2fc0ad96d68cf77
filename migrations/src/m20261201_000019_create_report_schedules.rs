//! Scheduled reports (issue #10, docs/reports.md "Scheduled delivery"): who asked for which report,
//! when (a local time in an IANA zone), and where to (e-mail or a webhook); and each delivery with
//! its attempts, one per schedule and due time, so a restart or a second server sends none twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportSchedules::Table)
                    .col(uuid(ReportSchedules::Id).primary_key())
                    .col(string_len(ReportSchedules::Name, 200))
                    .col(string_len(ReportSchedules::Report, 16).check(Expr::col(ReportSchedules::Report).is_in(["board", "campaign", "compliance"])))
                    .col(uuid_null(ReportSchedules::CampaignId))
                    // The report's filters and period as its API's query string (`range=7d&segment=…`).
                    .col(text(ReportSchedules::Query))
                    .col(string_len(ReportSchedules::Frequency, 8).check(Expr::col(ReportSchedules::Frequency).is_in(["daily", "weekly", "monthly"])))
                    .col(integer_null(ReportSchedules::Weekday))
                    .col(integer_null(ReportSchedules::DayOfMonth))
                    .col(integer(ReportSchedules::Hour))
                    .col(integer(ReportSchedules::Minute))
                    .col(string_len(ReportSchedules::TimeZone, 64))
                    .col(string_len(ReportSchedules::Channel, 8).check(Expr::col(ReportSchedules::Channel).is_in(["email", "webhook"])))
                    // E-mail addresses (comma-separated) or the webhook's URL.
                    .col(text(ReportSchedules::Destination))
                    .col(string_len(ReportSchedules::CreatedBy, 200))
                    .col(string_len(ReportSchedules::CreatedRole, 32))
                    .col(timestamp_with_time_zone(ReportSchedules::CreatedAt))
                    .col(timestamp_with_time_zone(ReportSchedules::NextRunAt))
                    .col(timestamp_with_time_zone_null(ReportSchedules::LastRunAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReportDeliveries::Table)
                    .col(uuid(ReportDeliveries::Id).primary_key())
                    .col(uuid(ReportDeliveries::ScheduleId))
                    // The schedule's time this delivery is for (the report's period ends then).
                    .col(timestamp_with_time_zone(ReportDeliveries::DueAt))
                    .col(string_len(ReportDeliveries::Status, 10).check(Expr::col(ReportDeliveries::Status).is_in(["pending", "delivered", "failed"])))
                    .col(integer(ReportDeliveries::Attempts))
                    .col(timestamp_with_time_zone(ReportDeliveries::NextAttemptAt))
                    .col(text_null(ReportDeliveries::LastError))
                    .col(big_integer_null(ReportDeliveries::Bytes))
                    .col(timestamp_with_time_zone(ReportDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(ReportDeliveries::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("report_deliveries_once").table(ReportDeliveries::Table).col(ReportDeliveries::ScheduleId).col(ReportDeliveries::DueAt).unique().to_owned())
            .await?;
        manager
            .create_index(Index::create().name("report_deliveries_due").table(ReportDeliveries::Table).col(ReportDeliveries::Status).col(ReportDeliveries::NextAttemptAt).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ReportDeliveries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ReportSchedules::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ReportSchedules {
    Table,
    Id,
    Name,
    Report,
    CampaignId,
    Query,
    Frequency,
    Weekday,
    DayOfMonth,
    Hour,
    Minute,
    TimeZone,
    Channel,
    Destination,
    CreatedBy,
    CreatedRole,
    CreatedAt,
    NextRunAt,
    LastRunAt,
}

#[derive(DeriveIden)]
enum ReportDeliveries {
    Table,
    Id,
    ScheduleId,
    DueAt,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    Bytes,
    CreatedAt,
    DeliveredAt,
}
