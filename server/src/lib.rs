//! The SwipeSavvy server: command line, configuration, storage, HTTP API, server-side rendering
//! and background jobs. Pure analytics lives in the `analytics` crate; pages in `app`.
//!
//! - `cli`: subcommands (`serve`, `migrate`); `config`: the one `Settings`; `error`: the one
//!   `AppError`; `clock`: the one time source.
//! - `db`: connecting and migrating; `entities`: one file per table; `services`: queries.
//! - `http`: the router and the request pipeline every route goes through; `jobs`: background work.
//! - `startup`: wiring it together into a running application.

pub mod auth;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod clock;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod exports;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod progress;
pub mod reports;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use error::{AppError, Result};
