//! One module per navigation section.

mod account;
mod admin;
mod campaigns;
mod health;
mod login;
mod overview;
mod section;

pub use account::Account;
pub use admin::Admin;
pub use campaigns::Campaigns;
pub use health::SystemHealth;
pub use login::Login;
pub use overview::Overview;
pub use section::{NotFound, Section, SectionId};
