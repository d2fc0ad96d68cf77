//! Recommendations (issue #9, docs/recommendations.md): what the engine found, and what people
//! did with it. One row per recommendation over its whole life; a situation (type + target +
//! trigger) has at most one open row, enforced here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const STATUSES: [&str; 7] = ["open", "scheduled", "awaiting_approval", "executed", "dismissed", "expired", "failed"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Recommendations::Table)
                    .col(uuid(Recommendations::Id).primary_key())
                    .col(string_len(Recommendations::SituationKey, 300))
                    .col(string_len(Recommendations::Kind, 32))
                    .col(string_len(Recommendations::TargetKind, 16))
                    .col(string_len(Recommendations::TargetId, 64))
                    .col(string_len(Recommendations::Status, 20).check(Expr::col(Recommendations::Status).is_in(STATUSES)))
                    .col(string_len(Recommendations::Level, 10))
                    .col(double(Recommendations::Priority))
                    .col(double(Recommendations::Confidence))
                    // The engine's `Recommendation`, refreshed while it stays open.
                    .col(json_binary(Recommendations::Body))
                    .col(timestamp_with_time_zone(Recommendations::CreatedAt))
                    .col(timestamp_with_time_zone(Recommendations::UpdatedAt))
                    // Why it expired or failed.
                    .col(text_null(Recommendations::ClosedReason))
                    .col(timestamp_with_time_zone_null(Recommendations::ClosedAt))
                    .col(string_len_null(Recommendations::DismissedBy, 200))
                    .col(text_null(Recommendations::DismissedReason))
                    // A dismissal holds until then, or until the situation clears.
                    .col(timestamp_with_time_zone_null(Recommendations::SuppressUntil))
                    .col(timestamp_with_time_zone_null(Recommendations::ClearedAt))
                    .col(timestamp_with_time_zone_null(Recommendations::ScheduledFor))
                    .col(string_len_null(Recommendations::ScheduledBy, 200))
                    .col(string_len_null(Recommendations::ExecutedBy, 200))
                    .col(timestamp_with_time_zone_null(Recommendations::ExecutedAt))
                    // The action carried out (as customised) and what it changed.
                    .col(json_binary_null(Recommendations::Execution))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("recommendations_by_status").table(Recommendations::Table).col(Recommendations::Status).col(Recommendations::Priority).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("recommendations_by_key").table(Recommendations::Table).col(Recommendations::SituationKey).to_owned())
            .await?;
        // A partial unique index (both SQLite and PostgreSQL): one open row per situation.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX recommendations_one_open ON recommendations (situation_key) \
                 WHERE status IN ('open', 'scheduled', 'awaiting_approval')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Recommendations::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Recommendations {
    Table,
    Id,
    SituationKey,
    Kind,
    TargetKind,
    TargetId,
    Status,
    Level,
    Priority,
    Confidence,
    Body,
    CreatedAt,
    UpdatedAt,
    ClosedReason,
    ClosedAt,
    DismissedBy,
    DismissedReason,
    SuppressUntil,
    ClearedAt,
    ScheduledFor,
    ScheduledBy,
    ExecutedBy,
    ExecutedAt,
    Execution,
}
