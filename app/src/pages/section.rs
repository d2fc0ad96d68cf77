//! The navigation sections of the spec's layout after Overview (each with its modules, spec
//! PART 3), and the page for an address that is none of them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::access::{Capability, Module};

/// The navigation sections after Overview, in the spec's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionId {
    Campaigns,
    Segments,
    Funnel,
    Insights,
    ActionCenter,
    Compliance,
}

impl SectionId {
    pub const ALL: &'static [SectionId] = &[
        SectionId::Campaigns,
        SectionId::Segments,
        SectionId::Funnel,
        SectionId::Insights,
        SectionId::ActionCenter,
        SectionId::Compliance,
    ];

    pub fn title(self) -> &'static str {
        match self {
            SectionId::Campaigns => "Campaigns",
            SectionId::Segments => "Segments",
            SectionId::Funnel => "Funnel",
            SectionId::Insights => "Insights",
            SectionId::ActionCenter => "Action Center",
            SectionId::Compliance => "Compliance",
        }
    }

    /// Whether the section reads the dashboard's global filters (its link carries them).
    pub fn keeps_filters(self) -> bool {
        !matches!(self, SectionId::ActionCenter | SectionId::Compliance)
    }

    pub fn href(self) -> &'static str {
        match self {
            SectionId::Campaigns => "/campaigns",
            SectionId::Segments => "/segments",
            SectionId::Funnel => "/funnel",
            SectionId::Insights => "/insights",
            SectionId::ActionCenter => "/actions",
            SectionId::Compliance => "/compliance",
        }
    }

    /// What a role needs to open the section (the server checks the same in `PAGE_ACCESS`).
    pub fn requires(self) -> Capability {
        match self {
            SectionId::Campaigns => Capability::View(Module::Leaderboard),
            SectionId::Segments => Capability::View(Module::Segments),
            SectionId::Funnel => Capability::View(Module::Funnel),
            SectionId::Insights => Capability::View(Module::RoiDeepDive),
            SectionId::ActionCenter => Capability::View(Module::ActionCenter),
            SectionId::Compliance => Capability::View(Module::ComplianceAudit),
        }
    }

    /// The spec's modules that live in this section (PART 3).
    pub fn modules(self) -> &'static [&'static str] {
        match self {
            SectionId::Campaigns => &["Campaign leaderboard", "Campaign detail", "Creative breakdown"],
            SectionId::Segments => &["Segment picker and summary"],
            SectionId::Funnel => &["Conversion funnel", "Engagement heatmap"],
            SectionId::Insights => &["ROI deep dive", "Incrementality against holdout groups"],
            SectionId::ActionCenter => &["Recommendations: review, execute, schedule, dismiss"],
            SectionId::Compliance => &["Compliance audit log", "Data-access log", "Consent status"],
        }
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found"/>
        <h1 class="page-title">"Page not found"</h1>
        <p>"There is no page at this address. Use the navigation to pick a section."</p>
    }
}
