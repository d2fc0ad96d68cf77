//! Personal data (issue #7): the one customer directory, where contact details live (never in
//! events, logs or metrics), and the data-access log: who read user-level rows, unmasked personal
//! data, ran a privacy query or exported, when, with which filter, and why. The access log is
//! append-only like the audit log (triggers on both backends); it names users only by a keyed
//! pseudonym, so an erasure leaves nothing in it that is the person's.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER data_access_log_no_update BEFORE UPDATE ON data_access_log BEGIN SELECT RAISE(ABORT, 'the data-access log is append-only'); END",
    "CREATE TRIGGER data_access_log_no_delete BEFORE DELETE ON data_access_log BEGIN SELECT RAISE(ABORT, 'the data-access log is append-only'); END",
];

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION data_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the data-access log is append-only'; END $$",
    "CREATE TRIGGER data_access_log_no_change BEFORE UPDATE OR DELETE ON data_access_log FOR EACH ROW EXECUTE FUNCTION data_access_log_append_only()",
    "CREATE TRIGGER data_access_log_no_truncate BEFORE TRUNCATE ON data_access_log FOR EACH STATEMENT EXECUTE FUNCTION data_access_log_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(string_len(Customers::UserId, 100).primary_key())
                    .col(text_null(Customers::Email))
                    .col(text_null(Customers::Phone))
                    .col(text_null(Customers::Name))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("idx_customers_email").table(Customers::Table).col(Customers::Email).to_owned()).await?;

        manager
            .create_table(
                Table::create()
                    .table(DataAccessLog::Table)
                    .col(pk_auto(DataAccessLog::Seq).big_integer())
                    .col(timestamp_with_time_zone(DataAccessLog::At))
                    .col(string_len(DataAccessLog::Actor, 300))
                    .col(string_len(DataAccessLog::ActorRole, 32))
                    // read_user_rows, unmask, privacy_query, consent_trail, export, …
                    .col(string_len(DataAccessLog::Action, 64))
                    // What was read: `customer:user#<pseudonym>`, `export:campaigns`, …
                    .col(text(DataAccessLog::Subject))
                    // The filter or query as asked (JSON), personal data masked.
                    .col(text_null(DataAccessLog::Filter))
                    .col(text_null(DataAccessLog::Reason))
                    .col(big_integer_null(DataAccessLog::Rows))
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("idx_data_access_log_at").table(DataAccessLog::Table).col(DataAccessLog::At).to_owned()).await?;
        let db = manager.get_connection();
        let triggers = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => POSTGRES_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        for statement in triggers {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The access log is kept for years: rolling back is only for a database that has none yet.
        let db = manager.get_connection();
        let row = db.query_one_raw(sea_orm::Statement::from_string(manager.get_database_backend(), "SELECT COUNT(*) AS n FROM data_access_log")).await?;
        let entries: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if entries > 0 {
            return Err(DbErr::Migration(format!("the data-access log holds {entries} entries, which must be kept; refusing to drop it")));
        }
        manager.drop_table(Table::drop().table(DataAccessLog::Table).to_owned()).await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION data_access_log_append_only()").await?;
        }
        manager.drop_table(Table::drop().table(Customers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    UserId,
    Email,
    Phone,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DataAccessLog {
    Table,
    Seq,
    At,
    Actor,
    ActorRole,
    Action,
    Subject,
    Filter,
    Reason,
    Rows,
}
