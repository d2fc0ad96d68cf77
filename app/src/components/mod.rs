//! Pieces shared by pages.

pub mod campaign_actions;
pub mod chart;
pub mod filter_bar;
pub mod kpi;
pub mod layout;
pub mod live;
pub mod panel;
