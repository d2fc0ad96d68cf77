//! Dashboard accounts, their server-side sessions and personal read tokens. Secrets are never
//! stored: passwords as argon2id hashes, session and token secrets as SHA-256 digests.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(uuid(Accounts::Id).primary_key())
                    // Stored lower-cased, so uniqueness ignores case.
                    .col(string_len_uniq(Accounts::Email, 254))
                    .col(string_len(Accounts::Role, 32))
                    .col(string_len(Accounts::PasswordHash, 255))
                    .col(timestamp_with_time_zone_null(Accounts::DisabledAt))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(uuid(Sessions::Id).primary_key())
                    .col(string_len_uniq(Sessions::TokenHash, 64))
                    .col(uuid(Sessions::AccountId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(string_len_null(Sessions::ClientIp, 64))
                    .col(string_len_null(Sessions::UserAgent, 255))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_account")
                            .from(Sessions::Table, Sessions::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_sessions_account").table(Sessions::Table).col(Sessions::AccountId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PersonalTokens::Table)
                    .col(uuid(PersonalTokens::Id).primary_key())
                    .col(uuid(PersonalTokens::AccountId))
                    .col(string_len(PersonalTokens::Name, 100))
                    .col(string_len_uniq(PersonalTokens::TokenHash, 64))
                    // The first characters of the secret, so people can tell their tokens apart.
                    .col(string_len(PersonalTokens::Prefix, 16))
                    .col(timestamp_with_time_zone(PersonalTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(PersonalTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(PersonalTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_personal_tokens_account")
                            .from(PersonalTokens::Table, PersonalTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_personal_tokens_account")
                    .table(PersonalTokens::Table)
                    .col(PersonalTokens::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PersonalTokens::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Sessions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Accounts::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Email,
    Role,
    PasswordHash,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    AccountId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    ClientIp,
    UserAgent,
}

#[derive(DeriveIden)]
enum PersonalTokens {
    Table,
    Id,
    AccountId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}
