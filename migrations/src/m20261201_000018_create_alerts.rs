//! Alerts (issue #9, docs/alerts.md): the rules people set on a metric and filter, the alerts that
//! fired (a rule's, an anomaly the detector found, or a recommendation that must reach people at
//! once), and their webhook deliveries, kept until delivered or given up on so a restart loses none.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .col(uuid(AlertRules::Id).primary_key())
                    .col(string_len(AlertRules::Name, 200))
                    .col(string_len(AlertRules::Metric, 40))
                    // The filter as the metrics API's query string (`campaign=…&segment=…`).
                    .col(text(AlertRules::Filters))
                    .col(string_len(AlertRules::Comparison, 8).check(Expr::col(AlertRules::Comparison).is_in(["below", "above"])))
                    .col(double(AlertRules::Threshold))
                    .col(integer(AlertRules::ForDays))
                    .col(string_len(AlertRules::CreatedBy, 200))
                    .col(timestamp_with_time_zone(AlertRules::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(uuid(Alerts::Id).primary_key())
                    .col(string_len(Alerts::Source, 16).check(Expr::col(Alerts::Source).is_in(["threshold", "anomaly", "recommendation"])))
                    // `rule/<id>`, `anomaly/<metric id>` or `recommendation/<id>`: at most one open alert per key.
                    .col(string_len(Alerts::Key, 200))
                    .col(uuid_null(Alerts::RuleId))
                    .col(string_len(Alerts::Metric, 40))
                    .col(uuid_null(Alerts::CampaignId))
                    .col(string_len(Alerts::Severity, 10))
                    .col(string_len(Alerts::Kind, 24))
                    .col(text(Alerts::Message))
                    .col(double_null(Alerts::Observed))
                    .col(double_null(Alerts::Expected))
                    .col(json_binary(Alerts::Details))
                    .col(timestamp_with_time_zone(Alerts::FiredAt))
                    .col(timestamp_with_time_zone(Alerts::LastSeenAt))
                    .col(timestamp_with_time_zone_null(Alerts::ClearedAt))
                    .col(string_len_null(Alerts::AcknowledgedBy, 200))
                    .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
                    .col(text_null(Alerts::AcknowledgeNote))
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("alerts_by_time").table(Alerts::Table).col(Alerts::FiredAt).to_owned()).await?;
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX alerts_one_open ON alerts (key) WHERE cleared_at IS NULL")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::AlertId))
                    .col(text(WebhookDeliveries::Url))
                    // The exact bytes signed and sent.
                    .col(text(WebhookDeliveries::Body))
                    .col(string_len(WebhookDeliveries::Status, 10).check(Expr::col(WebhookDeliveries::Status).is_in(["pending", "delivered", "failed"])))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("webhook_deliveries_due").table(WebhookDeliveries::Table).col(WebhookDeliveries::Status).col(WebhookDeliveries::NextAttemptAt).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alerts::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AlertRules::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    Name,
    Metric,
    Filters,
    Comparison,
    Threshold,
    ForDays,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Source,
    Key,
    RuleId,
    Metric,
    CampaignId,
    Severity,
    Kind,
    Message,
    Observed,
    Expected,
    Details,
    FiredAt,
    LastSeenAt,
    ClearedAt,
    AcknowledgedBy,
    AcknowledgedAt,
    AcknowledgeNote,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    AlertId,
    Url,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}
