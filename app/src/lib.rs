//! SwipeSavvy's Leptos application, compiled twice: with `ssr` into the server (rendering and
//! server functions) and with `hydrate` into the browser bundle.
//!
//! Folders follow what a person sees: `pages/` (one file per navigation section), `components/`
//! (pieces shared by pages), `wire` (the types that cross the network), `api` (server functions).

pub mod access;
pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod format;
pub mod pages;
pub mod theme;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use components::layout::Layout;
use pages::{NotFound, Overview, Section, SystemHealth};

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
                    <Route path=path!("/") view=Overview/>
                    <Route path=path!("/campaigns") view=|| view! { <Section section=pages::SectionId::Campaigns/> }/>
                    <Route path=path!("/segments") view=|| view! { <Section section=pages::SectionId::Segments/> }/>
                    <Route path=path!("/funnel") view=|| view! { <Section section=pages::SectionId::Funnel/> }/>
                    <Route path=path!("/insights") view=|| view! { <Section section=pages::SectionId::Insights/> }/>
                    <Route path=path!("/actions") view=|| view! { <Section section=pages::SectionId::ActionCenter/> }/>
                    <Route path=path!("/compliance") view=|| view! { <Section section=pages::SectionId::Compliance/> }/>
                    <Route path=path!("/system-health") view=SystemHealth/>
                </Routes>
            </Layout>
        </Router>
    }
}
