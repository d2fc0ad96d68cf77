//! Integration tests of the server: one binary, shared fixtures in `support`.
//! The backend is SQLite unless `TEST_DATABASE_URL` names a PostgreSQL server
//! (`cargo xtask test` runs this binary once per backend).

mod access;
mod alerts;
mod audit;
mod auth;
mod catalogue;
mod cli;
mod clock;
mod compliance;
mod consent;
mod dashboard;
mod data_refresh;
mod durability;
mod erasure;
mod experiments;
mod exports;
mod health;
mod import;
mod ingest;
mod live;
mod metrics;
mod metrics_oracle;
mod migrations;
mod openapi;
mod pages;
mod privacy;
mod recommendations;
mod reports;
mod segmentation;
mod simulate_live;
mod spend_import;
mod support;
mod system_metrics;
mod tables;
mod views;
