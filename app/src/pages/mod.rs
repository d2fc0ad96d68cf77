//! One module per navigation section.

mod account;
mod action_outcomes;
mod actions;
mod admin;
mod campaign;
mod campaigns;
mod compliance;
mod experiments;
mod funnel;
mod health;
mod health_alerts;
mod insights;
mod login;
mod new_campaign;
mod overview;
mod report_schedules;
mod section;
mod segments;

pub use account::Account;
pub use action_outcomes::ActionOutcomes;
pub use actions::{ActionCenter, RecommendationPage};
pub use admin::Admin;
pub use campaign::CampaignPage;
pub use campaigns::Campaigns;
pub use compliance::Compliance;
pub use experiments::{ExperimentPage, Experiments, NewExperiment};
pub use funnel::FunnelPage;
pub use health::SystemHealth;
pub use insights::Insights;
pub use login::Login;
pub use new_campaign::NewCampaign;
pub use overview::Overview;
pub use section::{NotFound, SectionId};
pub use segments::Segments;
