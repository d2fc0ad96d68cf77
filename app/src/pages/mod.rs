//! One module per navigation section.

mod health;
mod overview;
mod section;

pub use health::SystemHealth;
pub use overview::Overview;
pub use section::{NotFound, Section, SectionId};
