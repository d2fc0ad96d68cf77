//! Two more US state privacy laws Module 11 names (Utah's UCPA, Connecticut's CTDPA), both
//! opt-out regimes, as rows of the regime table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REGIMES: &[(&str, &str, &str)] = &[("US-UT", "UCPA", "opt_out"), ("US-CT", "CTDPA", "opt_out")];

#[derive(DeriveIden)]
enum ConsentRegimes {
    Table,
    RegionPrefix,
    Name,
    Mode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut insert = Query::insert().into_table(ConsentRegimes::Table).columns([ConsentRegimes::RegionPrefix, ConsentRegimes::Name, ConsentRegimes::Mode]).to_owned();
        for (prefix, name, mode) in REGIMES {
            insert.values_panic([(*prefix).into(), (*name).into(), (*mode).into()]);
        }
        // An operator may have added them already: keep theirs.
        insert.on_conflict(OnConflict::column(ConsentRegimes::RegionPrefix).do_nothing().to_owned());
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let prefixes: Vec<&str> = REGIMES.iter().map(|(p, _, _)| *p).collect();
        manager.exec_stmt(Query::delete().from_table(ConsentRegimes::Table).and_where(Expr::col(ConsentRegimes::RegionPrefix).is_in(prefixes)).to_owned()).await
    }
}
