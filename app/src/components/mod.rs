//! Pieces shared by pages.

pub mod chart;
pub mod layout;
pub mod panel;
