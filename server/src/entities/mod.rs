//! sea-orm entities, one file per table, matching the migrations exactly. Entities are the
//! database's shape; the API speaks the wire types of `app::wire`.

pub mod accounts;
pub mod alert_rules;
pub mod alerts;
pub mod api_keys;
pub mod audit_log;
pub mod campaigns;
pub mod consent_history;
pub mod consent_regimes;
pub mod consent_violations_hourly;
pub mod creatives;
pub mod customers;
pub mod data_access_log;
pub mod event_volume_hourly;
pub mod events;
pub mod experiments;
pub mod personal_tokens;
pub mod probe_hourly;
pub mod quality_hourly;
pub mod retention_runs;
pub mod query_hourly;
pub mod recommendations;
pub mod report_deliveries;
pub mod report_schedules;
pub mod sessions;
pub mod spend;
pub mod webhook_deliveries;
