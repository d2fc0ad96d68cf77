//! The schema, as an ordered list of migrations. Every `up` has a `down`; migrations never import
//! entities or domain types, so each one stays a frozen record of the schema at its date.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_core_tables;
mod m20261125_000002_create_accounts;
mod m20261125_000003_create_api_keys;
mod m20261125_000004_create_spend;
mod m20261125_000005_create_quality_counters;
mod m20261125_000006_create_system_log;
mod m20261125_000007_add_frequency_cap;
mod m20261125_000008_create_audit_log;
mod m20261130_000009_add_creative_status;
mod m20261130_000010_add_creative_weight;
mod m20261130_000011_create_consent;
mod m20261130_000012_create_customers_and_access_log;
mod m20261130_000013_create_retention_runs;
mod m20261130_000014_add_state_regimes;
mod m20261130_000015_create_experiments;
mod m20261130_000016_create_recommendations;
mod m20261201_000017_add_recommendation_outcomes;
mod m20261201_000018_create_alerts;
mod m20261201_000019_create_report_schedules;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_core_tables::Migration),
            Box::new(m20261125_000002_create_accounts::Migration),
            Box::new(m20261125_000003_create_api_keys::Migration),
            Box::new(m20261125_000004_create_spend::Migration),
            Box::new(m20261125_000005_create_quality_counters::Migration),
            Box::new(m20261125_000006_create_system_log::Migration),
            Box::new(m20261125_000007_add_frequency_cap::Migration),
            Box::new(m20261125_000008_create_audit_log::Migration),
            Box::new(m20261130_000009_add_creative_status::Migration),
            Box::new(m20261130_000010_add_creative_weight::Migration),
            Box::new(m20261130_000011_create_consent::Migration),
            Box::new(m20261130_000012_create_customers_and_access_log::Migration),
            Box::new(m20261130_000013_create_retention_runs::Migration),
            Box::new(m20261130_000014_add_state_regimes::Migration),
            Box::new(m20261130_000015_create_experiments::Migration),
            Box::new(m20261130_000016_create_recommendations::Migration),
            Box::new(m20261201_000017_add_recommendation_outcomes::Migration),
            Box::new(m20261201_000018_create_alerts::Migration),
            Box::new(m20261201_000019_create_report_schedules::Migration),
        ]
    }
}
