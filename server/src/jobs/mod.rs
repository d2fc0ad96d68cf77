//! Background work started by `serve`.

pub mod change_feed;
pub mod data_refresh;
pub mod database_probe;
pub mod segmentation;
