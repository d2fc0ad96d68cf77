//! The first cut of the core tables the spec lists (PART 5 "Schema additions", PART 6):
//! segments, campaigns, creatives, behavioural profiles, raw events, the hourly rollups and the
//! data-quality log. Money is integer cents; times are UTC with time zone.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The eight behavioural segments of spec module 3: code, display name, rule.
const SEGMENTS: [(&str, &str, &str); 8] = [
    ("HIGH_SPENDER", "High spender", "Top 20% of users by spend"),
    ("FREQUENT_SHOPPER", "Frequent shopper", "2 or more purchases a week"),
    ("WEEKEND_SHOPPER", "Weekend shopper", "70% or more of purchases on weekends"),
    ("CATEGORY_FOCUSED", "Category focused", "50% or more of spend in one category"),
    ("LOCATION_CLUSTERED", "Location clustered", "Purchases at 1 or 2 locations"),
    ("NEW_SHOPPER", "New shopper", "First purchase less than 30 days ago"),
    ("INACTIVE", "Inactive", "No purchase for more than 30 days"),
    ("SEASONAL_SPENDER", "Seasonal spender", "Spend varies 3x or more across seasons"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(string_len(Segments::Code, 32).primary_key())
                    .col(string_len(Segments::Name, 64))
                    .col(text(Segments::Definition))
                    .to_owned(),
            )
            .await?;
        for (code, name, definition) in SEGMENTS {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(Segments::Table)
                        .columns([Segments::Code, Segments::Name, Segments::Definition])
                        .values_panic([code.into(), name.into(), definition.into()])
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(uuid(Campaigns::Id).primary_key())
                    .col(string_len(Campaigns::Name, 200))
                    .col(string_len(Campaigns::CampaignType, 32))
                    .col(string_len(Campaigns::Status, 16).default("draft"))
                    .col(big_integer(Campaigns::BudgetCents).default(0))
                    // Share of the audience held out for incrementality, in basis points (1000 = 10%).
                    .col(integer(Campaigns::HoldoutShareBp).default(1000))
                    // Comma-separated lists: delivery channels, targeted segment codes (empty: all),
                    // targeted regions (empty: all).
                    .col(string_len(Campaigns::Channels, 64).default(""))
                    .col(string_len(Campaigns::TargetSegments, 255).default(""))
                    .col(string_len(Campaigns::TargetRegions, 255).default(""))
                    // How recipients consented (e.g. double_opt_in), and whether messages carry an
                    // opt-out link: the compliance checks read both.
                    .col(string_len_null(Campaigns::ConsentMethod, 32))
                    .col(boolean(Campaigns::HasOptOutLink).default(false))
                    .col(timestamp_with_time_zone_null(Campaigns::StartsAt))
                    .col(timestamp_with_time_zone_null(Campaigns::EndsAt))
                    // Who created it: an account id or an API key's name.
                    .col(string_len(Campaigns::CreatedBy, 100).default(""))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                    .check(Expr::col(Campaigns::BudgetCents).gte(0))
                    .check(Expr::col(Campaigns::HoldoutShareBp).between(0, 10_000))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_campaigns_status_type")
                    .table(Campaigns::Table)
                    .col(Campaigns::Status)
                    .col(Campaigns::CampaignType)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Creatives::Table)
                    .col(uuid(Creatives::Id).primary_key())
                    .col(uuid(Creatives::CampaignId))
                    .col(string_len(Creatives::Name, 200))
                    .col(string_len(Creatives::Headline, 200))
                    .col(text(Creatives::Body))
                    .col(string_len(Creatives::CallToAction, 100))
                    .col(timestamp_with_time_zone(Creatives::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_creatives_campaign")
                            .from(Creatives::Table, Creatives::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_creatives_campaign")
                    .table(Creatives::Table)
                    .col(Creatives::CampaignId)
                    .to_owned(),
            )
            .await?;

        // Pseudonymous shoppers and their latest segment (spec: analytics.behavioral_profiles).
        manager
            .create_table(
                Table::create()
                    .table(BehavioralProfiles::Table)
                    .col(string_len(BehavioralProfiles::UserId, 100).primary_key())
                    .col(string_len_null(BehavioralProfiles::Segment, 32))
                    .col(double_null(BehavioralProfiles::SegmentScore))
                    .col(timestamp_with_time_zone(BehavioralProfiles::FirstSeenAt))
                    .col(timestamp_with_time_zone(BehavioralProfiles::LastSeenAt))
                    .col(timestamp_with_time_zone(BehavioralProfiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profiles_segment")
                            .from(BehavioralProfiles::Table, BehavioralProfiles::Segment)
                            .to(Segments::Table, Segments::Code),
                    )
                    .to_owned(),
            )
            .await?;

        // Raw events: append-only, the source of truth every rollup can be rebuilt from.
        // `seq` gives a dense, ordered id; `event_id` is the producer's id. A correction of an
        // event is a new row with the next `version` (the latest wins); no row is ever updated.
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(pk_auto(Events::Seq).big_integer())
                    .col(uuid(Events::EventId))
                    .col(integer(Events::Version).default(1))
                    // SHA-256 of the event's canonical content: tells a retry from a correction.
                    .col(string_len(Events::ContentHash, 64))
                    .col(string_len(Events::EventType, 64))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(timestamp_with_time_zone(Events::ReceivedAt))
                    .col(string_len(Events::UserId, 100))
                    .col(string_len_null(Events::SessionId, 255))
                    .col(string_len(Events::Source, 16))
                    .col(uuid_null(Events::CampaignId))
                    .col(uuid_null(Events::CreativeId))
                    .col(json_binary(Events::Properties))
                    .col(json_binary(Events::Context))
                    .col(boolean(Events::LateArrival).default(false))
                    .col(boolean(Events::Backfilled).default(false))
                    .col(big_integer(Events::IngestionLagSeconds))
                    // The API key that sent it (none for imports and the simulator's bulk load).
                    .col(uuid_null(Events::KeyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_events_event_id_version")
                    .table(Events::Table)
                    .col(Events::EventId)
                    .col(Events::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_events_occurred_at", vec![Events::OccurredAt]),
            ("idx_events_type_time", vec![Events::EventType, Events::OccurredAt]),
            ("idx_events_user_time", vec![Events::UserId, Events::OccurredAt]),
            ("idx_events_campaign_time", vec![Events::CampaignId, Events::OccurredAt]),
        ] {
            let mut index = Index::create().name(name).table(Events::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        // Events per hour and type: feeds the ingestion-volume chart and freshness checks
        // without scanning raw events.
        manager
            .create_table(
                Table::create()
                    .table(EventVolumeHourly::Table)
                    .col(timestamp_with_time_zone(EventVolumeHourly::HourStart))
                    .col(string_len(EventVolumeHourly::EventType, 64))
                    .col(big_integer(EventVolumeHourly::Events).default(0))
                    .primary_key(
                        Index::create()
                            .col(EventVolumeHourly::HourStart)
                            .col(EventVolumeHourly::EventType),
                    )
                    .to_owned(),
            )
            .await?;

        // Campaign counters per hour and dimension. Dimensions are never NULL ('' = not given)
        // so the unique key really is unique on both backends.
        manager
            .create_table(
                Table::create()
                    .table(CampaignMetricsHourly::Table)
                    .col(pk_auto(CampaignMetricsHourly::Id).big_integer())
                    .col(uuid(CampaignMetricsHourly::CampaignId))
                    .col(timestamp_with_time_zone(CampaignMetricsHourly::HourStart))
                    .col(string_len(CampaignMetricsHourly::CreativeId, 36).default(""))
                    .col(string_len(CampaignMetricsHourly::Segment, 32).default(""))
                    .col(string_len(CampaignMetricsHourly::Region, 64).default(""))
                    .col(string_len(CampaignMetricsHourly::Platform, 16).default(""))
                    .col(big_integer(CampaignMetricsHourly::Deliveries).default(0))
                    .col(big_integer(CampaignMetricsHourly::HoldoutDeliveries).default(0))
                    .col(big_integer(CampaignMetricsHourly::Views).default(0))
                    .col(big_integer(CampaignMetricsHourly::Clicks).default(0))
                    .col(big_integer(CampaignMetricsHourly::Conversions).default(0))
                    .col(big_integer(CampaignMetricsHourly::RevenueCents).default(0))
                    .col(big_integer(CampaignMetricsHourly::Unsubscribes).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_metrics_campaign")
                            .from(CampaignMetricsHourly::Table, CampaignMetricsHourly::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_campaign_metrics_hourly_key")
                    .table(CampaignMetricsHourly::Table)
                    .col(CampaignMetricsHourly::CampaignId)
                    .col(CampaignMetricsHourly::HourStart)
                    .col(CampaignMetricsHourly::CreativeId)
                    .col(CampaignMetricsHourly::Segment)
                    .col(CampaignMetricsHourly::Region)
                    .col(CampaignMetricsHourly::Platform)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // Spec PART 5 "Schema additions": analytics.data_quality_log.
        manager
            .create_table(
                Table::create()
                    .table(DataQualityLog::Table)
                    .col(uuid(DataQualityLog::RefreshId).primary_key())
                    .col(timestamp_with_time_zone(DataQualityLog::RefreshTimestamp))
                    .col(string_len(DataQualityLog::DataSource, 100))
                    .col(big_integer(DataQualityLog::RecordsProcessed))
                    .col(double(DataQualityLog::RefreshDurationSeconds))
                    .col(big_integer(DataQualityLog::DataLagSeconds))
                    .col(double(DataQualityLog::ValidationPassRatePercent))
                    .col(double(DataQualityLog::IngestionRatePercent))
                    .col(double(DataQualityLog::DuplicateRatePercent))
                    .col(big_integer(DataQualityLog::ErrorCount))
                    .col(json_binary_null(DataQualityLog::ErrorMessages))
                    .check(Expr::col(DataQualityLog::ValidationPassRatePercent).between(0, 100))
                    .check(Expr::col(DataQualityLog::IngestionRatePercent).between(0, 100))
                    .check(Expr::col(DataQualityLog::DuplicateRatePercent).between(0, 100))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_quality_refresh_time")
                    .table(DataQualityLog::Table)
                    .col(DataQualityLog::RefreshTimestamp)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never block the drop.
        manager.drop_table(Table::drop().table(DataQualityLog::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(CampaignMetricsHourly::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(EventVolumeHourly::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Events::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(BehavioralProfiles::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Creatives::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Campaigns::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Segments::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    Code,
    Name,
    Definition,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    CampaignType,
    Status,
    BudgetCents,
    HoldoutShareBp,
    Channels,
    TargetSegments,
    TargetRegions,
    ConsentMethod,
    HasOptOutLink,
    StartsAt,
    EndsAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Creatives {
    Table,
    Id,
    CampaignId,
    Name,
    Headline,
    Body,
    CallToAction,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BehavioralProfiles {
    Table,
    UserId,
    Segment,
    SegmentScore,
    FirstSeenAt,
    LastSeenAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum Events {
    Table,
    Seq,
    EventId,
    Version,
    ContentHash,
    EventType,
    OccurredAt,
    ReceivedAt,
    UserId,
    SessionId,
    Source,
    CampaignId,
    CreativeId,
    Properties,
    Context,
    LateArrival,
    Backfilled,
    IngestionLagSeconds,
    KeyId,
}

#[derive(DeriveIden)]
enum EventVolumeHourly {
    Table,
    HourStart,
    EventType,
    Events,
}

#[derive(DeriveIden)]
enum CampaignMetricsHourly {
    Table,
    Id,
    CampaignId,
    HourStart,
    CreativeId,
    Segment,
    Region,
    Platform,
    Deliveries,
    HoldoutDeliveries,
    Views,
    Clicks,
    Conversions,
    RevenueCents,
    Unsubscribes,
}

#[derive(DeriveIden)]
enum DataQualityLog {
    Table,
    RefreshId,
    RefreshTimestamp,
    DataSource,
    RecordsProcessed,
    RefreshDurationSeconds,
    DataLagSeconds,
    ValidationPassRatePercent,
    IngestionRatePercent,
    DuplicateRatePercent,
    ErrorCount,
    ErrorMessages,
}
