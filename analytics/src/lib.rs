//! The I/O-free core of SwipeSavvy Analytics.
//!
//! Everything here is a pure function of its inputs: no database, no clock, no network. Callers pass
//! the current time in (`now`) so that every rule is testable with a fixed time. The server loads
//! aggregates at the edge and hands them to these functions.

pub mod anomaly;
pub mod consent;
pub mod domain;
pub mod experiment;
pub mod events;
pub mod holdout;
pub mod metrics;
pub mod quality;
pub mod recommend;
pub mod regulation;
pub mod series;
pub mod simulator;
pub mod stats;

pub use domain::{CampaignStatus, CampaignType, DeliveryChannel, EventSource, Platform, SegmentType, UnknownName};
pub use series::{HourBucket, hourly_series};
