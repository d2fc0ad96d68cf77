//! Queries and domain operations, each taking the state or a connection. Handlers, server
//! functions and jobs call these; they never build queries themselves.

pub mod access_log;
pub mod alerts;
pub mod audit;
pub mod audit_query;
pub mod catalogue;
pub mod consent;
pub mod customers;
pub mod erasure;
pub mod experiments;
pub mod event_volume;
pub mod health;
pub mod quality;
pub mod recommendation_outcomes;
pub mod recommendations;
pub mod live_load;
pub mod load;
pub mod metrics;
pub mod rebuild;
pub mod regulatory;
pub mod report_schedules;
pub mod retention;
pub mod segments;
pub mod simulate;
pub mod spend_import;
pub mod system_log;
pub mod system_status;
pub mod visits;
pub mod webhook;
