//! The 25 metrics (spec PART 4, docs/metrics.md): their definitions, the in-memory rollup they
//! are computed from, and the formulas.

pub mod attribution;
pub mod compute;
pub mod definitions;
pub mod leaderboard;
pub mod roi;
pub mod segmentation;
pub mod store;
pub mod views;

pub use compute::{CampaignTally, Config, Filter, MetricValue, Query, SystemStats, Tally, tally};
pub use definitions::{Definition, Direction, KPI_CARDS, MetricId, Status, Target, Unit};
pub use leaderboard::{Performance, SortColumn, creative_notes, sort_rows};
pub use roi::{DayLift, RoiRow, roi_row};
pub use store::{CampaignInfo, Store};
