//! Experiments (issue #8): A/B/n tests of creatives or whole campaigns, and imported results
//! of tests run elsewhere. Members are not stored: a member's arm is the pinned hash of the
//! experiment and the user, and their outcomes come from the event log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Experiments::Table)
                    .col(uuid(Experiments::Id).primary_key())
                    .col(string_len(Experiments::Name, 200))
                    // creative, campaign or imported.
                    .col(string_len(Experiments::Kind, 16).check(Expr::col(Experiments::Kind).is_in(["creative", "campaign", "imported"])))
                    .col(uuid_null(Experiments::CampaignId))
                    .col(
                        string_len(Experiments::Status, 16)
                            .check(Expr::col(Experiments::Status).is_in(["draft", "running", "stopped", "shipped", "imported"])),
                    )
                    // [{label, share_bp, creative_id?, campaign_id?}], the control at `control`.
                    .col(json_binary(Experiments::Arms))
                    .col(integer(Experiments::Control))
                    .col(string_len(Experiments::PrimaryMetric, 64))
                    // Comma-separated metric names.
                    .col(string_len(Experiments::Guardrails, 400))
                    .col(string_len(Experiments::Covariate, 16))
                    .col(double(Experiments::MinimumEffect))
                    .col(double(Experiments::Alpha))
                    .col(double(Experiments::Power))
                    .col(integer(Experiments::DurationDays))
                    .col(double_null(Experiments::Baseline))
                    .col(boolean(Experiments::AutoShip))
                    .col(timestamp_with_time_zone_null(Experiments::StartedAt))
                    .col(timestamp_with_time_zone_null(Experiments::StoppedAt))
                    .col(integer_null(Experiments::WinnerArm))
                    .col(text_null(Experiments::Decision))
                    // An imported test's outcomes and per-arm sufficient statistics.
                    .col(json_binary_null(Experiments::Imported))
                    .col(string_len(Experiments::CreatedBy, 200))
                    .col(timestamp_with_time_zone(Experiments::CreatedAt))
                    .col(timestamp_with_time_zone(Experiments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("experiments_by_campaign").table(Experiments::Table).col(Experiments::CampaignId).col(Experiments::Status).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Experiments::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Experiments {
    Table,
    Id,
    Name,
    Kind,
    CampaignId,
    Status,
    Arms,
    Control,
    PrimaryMetric,
    Guardrails,
    Covariate,
    MinimumEffect,
    Alpha,
    Power,
    DurationDays,
    Baseline,
    AutoShip,
    StartedAt,
    StoppedAt,
    WinnerArm,
    Decision,
    Imported,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}
