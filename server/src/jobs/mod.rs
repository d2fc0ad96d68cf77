//! Background work started by `serve`.

pub mod database_probe;
