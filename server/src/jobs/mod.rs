//! Background work started by `serve`.

pub mod alerts;
pub mod board;
pub mod audit_checkpoint;
pub mod change_feed;
pub mod data_refresh;
pub mod database_probe;
pub mod experiments;
pub mod recommendations;
pub mod reports;
pub mod retention;
pub mod segmentation;
