//! SwipeSavvy's Leptos application, compiled twice: with `ssr` into the server (rendering and
//! server functions) and with `hydrate` into the browser bundle.
//!
//! Folders follow what a person sees: `pages/` (one file per navigation section), `components/`
//! (pieces shared by pages), `wire` (the types that cross the network), `api` (server functions).

pub mod access;
pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod campaign_form;
pub mod components;
pub mod csv;
pub mod experiment_form;
pub mod filters;
pub mod format;
pub mod pages;
pub mod session;
pub mod theme;
pub mod visits;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use access::{Access, Capability, Module};
use components::layout::Layout;
use pages::{Account, ActionCenter, ActionOutcomes, Admin, CampaignPage, Campaigns, Compliance, ExperimentPage, Experiments, FunnelPage, Insights, Login, NewCampaign, NewExperiment, NotFound, Overview, RecommendationPage, Segments, SystemHealth};

/// The access each page requires, by its route path. The server refuses to start when a route
/// below is missing here, and checks this on every request (`server/src/http/pipeline.rs`).
pub const PAGE_ACCESS: &[(&str, Access)] = &[
    ("/login", Access::Public),
    ("/", Access::Requires(Capability::View(Module::KpiCards))),
    ("/campaigns", Access::Requires(Capability::View(Module::Leaderboard))),
    ("/campaigns/new", Access::Requires(Capability::CreateCampaigns)),
    ("/campaigns/{id}", Access::Requires(Capability::View(Module::CampaignDetail))),
    ("/experiments", Access::Requires(Capability::View(Module::Creatives))),
    ("/experiments/new", Access::Requires(Capability::RunExperiments)),
    ("/experiments/{id}", Access::Requires(Capability::View(Module::Creatives))),
    ("/segments", Access::Requires(Capability::View(Module::Segments))),
    ("/funnel", Access::Requires(Capability::View(Module::Funnel))),
    ("/insights", Access::Requires(Capability::View(Module::RoiDeepDive))),
    ("/actions", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/actions/outcomes", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/actions/{id}", Access::Requires(Capability::View(Module::ActionCenter))),
    ("/compliance", Access::Requires(Capability::View(Module::ComplianceAudit))),
    ("/system-health", Access::Requires(Capability::View(Module::SystemHealth))),
    ("/admin", Access::Requires(Capability::ManageUsers)),
    ("/account", Access::SignedIn),
];

/// The declared access of a page route.
pub fn page_access(path: &str) -> Option<Access> {
    PAGE_ACCESS.iter().find(|(p, _)| *p == path).map(|(_, access)| *access)
}

/// The HTML document around the app: head, theme, scripts. Rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The persisted theme is known on the server (cookie), so the first paint is already right.
    let theme = theme::theme_from_request().map(|t| t.as_str());
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // ECharts, pinned from npm and served locally; deferred scripts run in order,
                // so it is there before hydration starts.
                <script src="/vendor/echarts.min.js" defer></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: routes inside the shared layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: mark the document so that tests (and
    // people debugging) can tell a hydrated page from a server-rendered one.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/swipesavvy.css"/>
        <Title formatter=|page: String| format!("{page} · SwipeSavvy Analytics")/>
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/login") view=Login/>
                    <Route path=path!("/") view=Overview/>
                    <Route path=path!("/campaigns") view=Campaigns/>
                    <Route path=path!("/campaigns/new") view=NewCampaign/>
                    <Route path=path!("/campaigns/:id") view=CampaignPage/>
                    <Route path=path!("/experiments") view=Experiments/>
                    <Route path=path!("/experiments/new") view=NewExperiment/>
                    <Route path=path!("/experiments/:id") view=ExperimentPage/>
                    <Route path=path!("/segments") view=Segments/>
                    <Route path=path!("/funnel") view=FunnelPage/>
                    <Route path=path!("/insights") view=Insights/>
                    <Route path=path!("/actions") view=ActionCenter/>
                    <Route path=path!("/actions/outcomes") view=ActionOutcomes/>
                    <Route path=path!("/actions/:id") view=RecommendationPage/>
                    <Route path=path!("/compliance") view=Compliance/>
                    <Route path=path!("/system-health") view=SystemHealth/>
                    <Route path=path!("/admin") view=Admin/>
                    <Route path=path!("/account") view=Account/>
                </Routes>
            </Layout>
        </Router>
    }
}
