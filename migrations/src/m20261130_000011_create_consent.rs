//! Marketing consent (issue #7): the legal regime of each region as data, every consent fact a
//! user ever gave or withdrew per channel, and the deliveries refused for want of consent.
//!
//! `consent_history` outlives the raw events (retention may drop those): it is the consent trail
//! a regulator asks for. Only a GDPR erasure removes a user's rows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The regimes a new installation starts with; an operator edits the table to change them.
/// (region prefix, law, mode)
const REGIMES: &[(&str, &str, &str)] = &[
    ("EU", "GDPR", "opt_in"),
    ("GB", "UK GDPR / PECR", "opt_in"),
    ("CA", "CASL", "opt_in"),
    ("US", "CAN-SPAM / US state law", "opt_out"),
    ("US-CA", "CCPA/CPRA", "opt_out"),
    ("US-VA", "VCDPA", "opt_out"),
    ("US-CO", "CPA", "opt_out"),
    ("*", "unknown region (strictest rule)", "opt_in"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsentRegimes::Table)
                    .col(string_len(ConsentRegimes::RegionPrefix, 32).primary_key())
                    .col(string_len(ConsentRegimes::Name, 100))
                    .col(string_len(ConsentRegimes::Mode, 16).check(Expr::col(ConsentRegimes::Mode).is_in(["opt_in", "opt_out"])))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert().into_table(ConsentRegimes::Table).columns([ConsentRegimes::RegionPrefix, ConsentRegimes::Name, ConsentRegimes::Mode]).to_owned();
        for (prefix, name, mode) in REGIMES {
            insert.values_panic([(*prefix).into(), (*name).into(), (*mode).into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentHistory::Table)
                    .col(pk_auto(ConsentHistory::Id).big_integer())
                    // The event it came from (an unsubscribe from every channel states four
                    // facts); a correction of that event replaces its rows.
                    .col(uuid(ConsentHistory::EventId))
                    .col(string_len(ConsentHistory::UserId, 100))
                    .col(string_len(ConsentHistory::Channel, 16))
                    .col(string_len(ConsentHistory::Status, 16))
                    .col(string_len(ConsentHistory::Method, 32))
                    .col(text_null(ConsentHistory::Source))
                    .col(text_null(ConsentHistory::Region))
                    .col(timestamp_with_time_zone(ConsentHistory::OccurredAt))
                    .col(timestamp_with_time_zone(ConsentHistory::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_consent_history_event")
                    .table(ConsentHistory::Table)
                    .col(ConsentHistory::EventId)
                    .col(ConsentHistory::Channel)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_consent_history_user")
                    .table(ConsentHistory::Table)
                    .col(ConsentHistory::UserId)
                    .col(ConsentHistory::OccurredAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentViolationsHourly::Table)
                    .col(timestamp_with_time_zone(ConsentViolationsHourly::HourStart))
                    .col(uuid(ConsentViolationsHourly::CampaignId))
                    .col(string_len(ConsentViolationsHourly::Channel, 16))
                    .col(string_len(ConsentViolationsHourly::Regime, 100))
                    .col(big_integer(ConsentViolationsHourly::Violations).default(0))
                    .primary_key(
                        Index::create()
                            .col(ConsentViolationsHourly::HourStart)
                            .col(ConsentViolationsHourly::CampaignId)
                            .col(ConsentViolationsHourly::Channel)
                            .col(ConsentViolationsHourly::Regime),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConsentViolationsHourly::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ConsentHistory::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ConsentRegimes::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ConsentRegimes {
    Table,
    RegionPrefix,
    Name,
    Mode,
}

#[derive(DeriveIden)]
enum ConsentHistory {
    Table,
    Id,
    EventId,
    UserId,
    Channel,
    Status,
    Method,
    Source,
    Region,
    OccurredAt,
    RecordedAt,
}

#[derive(DeriveIden)]
enum ConsentViolationsHourly {
    Table,
    HourStart,
    CampaignId,
    Channel,
    Regime,
    Violations,
}
