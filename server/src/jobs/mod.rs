//! Background work started by `serve`.

pub mod change_feed;
pub mod database_probe;
