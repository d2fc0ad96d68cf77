//! The audit log: one row per state-changing action, append-only, each row carrying an HMAC that
//! chains it to the row before (`server/src/services/audit.rs`). The database itself refuses to
//! change or remove a row (triggers on both backends), and `audit_head` is the one row appenders
//! lock in turn, so two writers never chain to the same predecessor.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
];

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Seq).big_integer())
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string_len(AuditLog::Actor, 300))
                    .col(string_len(AuditLog::ActorRole, 32))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::Target, 300))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .col(text_null(AuditLog::Reason))
                    .col(text_null(AuditLog::ConsentCheck))
                    .col(string_len(AuditLog::PrevMac, 64))
                    .col(string_len(AuditLog::Mac, 64))
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("idx_audit_log_at").table(AuditLog::Table).col(AuditLog::At).to_owned()).await?;
        manager
            .create_table(Table::create().table(AuditHead::Table).col(integer(AuditHead::Id).primary_key()).col(big_integer(AuditHead::Appends).default(0)).to_owned())
            .await?;
        manager.exec_stmt(Query::insert().into_table(AuditHead::Table).columns([AuditHead::Id, AuditHead::Appends]).values_panic([1.into(), 0.into()]).to_owned()).await?;
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
        // The log is kept for years: rolling back is only for a database that has none yet.
        let db = manager.get_connection();
        let row = db.query_one_raw(sea_orm::Statement::from_string(manager.get_database_backend(), "SELECT COUNT(*) AS n FROM audit_log")).await?;
        let entries: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if entries > 0 {
            return Err(DbErr::Migration(format!("the audit log holds {entries} entries, which must be kept; refusing to drop it")));
        }
        manager.drop_table(Table::drop().table(AuditHead::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION audit_log_append_only()").await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    At,
    Actor,
    ActorRole,
    Action,
    Target,
    Before,
    After,
    Reason,
    ConsentCheck,
    PrevMac,
    Mac,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Appends,
}
