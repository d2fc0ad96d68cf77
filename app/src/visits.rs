//! Each visit to a dashboard section, reported as the spec's `dashboard_accessed` (docs/events.md):
//! when the person moves to another section or leaves the page, the browser sends the section,
//! the seconds spent, the filters in effect at the end and whether a download was asked for. A
//! change of filters within a section continues the visit.

use analytics::events::DashboardSection;
use leptos::prelude::*;

/// The dashboard section a path belongs to (`None`: a page outside the dashboard).
pub fn section_of(path: &str) -> Option<DashboardSection> {
    let path = path.trim_end_matches('/');
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "" => Some(DashboardSection::Kpi),
        "campaigns" if path != "/campaigns/new" => Some(DashboardSection::Campaigns),
        "segments" => Some(DashboardSection::Segments),
        "funnel" => Some(DashboardSection::Funnel),
        "insights" => Some(DashboardSection::Roi),
        "system-health" => Some(DashboardSection::Health),
        "actions" => Some(DashboardSection::ActionCenter),
        "compliance" => Some(DashboardSection::Compliance),
        _ => None,
    }
}

/// Watches the route for the signed-in person (nothing on the server).
#[component]
pub fn VisitTracker() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    browser::track();
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    use analytics::events::DashboardSection;
    use leptos::prelude::*;
    use leptos_router::hooks::use_location;
    use wasm_bindgen::JsCast;

    use crate::wire::DashboardVisit;

    struct Visit {
        section: DashboardSection,
        started_ms: f64,
        filters: BTreeMap<String, String>,
        export_requested: bool,
    }

    fn now_ms() -> f64 {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }

    /// Sends a finished visit as a beacon, which outlives the page it is sent from.
    fn send(visit: Visit) {
        let seconds = ((now_ms() - visit.started_ms) / 1000.0).round().clamp(0.0, 86_400.0) as i64;
        let body = DashboardVisit { section: visit.section, time_spent_seconds: seconds, filters: visit.filters, export_requested: visit.export_requested };
        let (Some(window), Ok(body)) = (web_sys::window(), serde_json::to_string(&body)) else { return };
        let _ = window.navigator().send_beacon_with_opt_str("/api/v1/dashboard-visits", Some(&body));
    }

    pub fn track() {
        let location = use_location();
        // The dashboard's own query keys, as the router decoded them (the last of a repeated key).
        let query = crate::components::filter_bar::use_query_pairs();
        let current: Rc<RefCell<Option<Visit>>> = Rc::default();
        let on_route = current.clone();
        Effect::new(move |_| {
            let path = location.pathname.get();
            let filters: BTreeMap<String, String> = query.get().0.into_iter().collect();
            let section = super::section_of(&path);
            let mut slot = on_route.borrow_mut();
            match (slot.as_mut(), section) {
                // The same section with other filters: the same visit.
                (Some(visit), Some(section)) if visit.section == section => visit.filters = filters,
                _ => {
                    if let Some(done) = slot.take() {
                        send(done);
                    }
                    *slot = section.map(|section| Visit { section, started_ms: now_ms(), filters, export_requested: false });
                }
            }
        });
        let on_leave = current.clone();
        let leave = window_event_listener(leptos::ev::pagehide, move |_| {
            if let Some(done) = on_leave.borrow_mut().take() {
                send(done);
            }
        });
        // A download is a link to an export or a report (or a table saved from the page).
        let on_click = current;
        let click = window_event_listener(leptos::ev::click, move |event| {
            let link = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|e| e.closest("a[href*='/api/v1/exports/'], a[href*='/api/v1/reports/'], a[download]").ok().flatten());
            if let (Some(_), Some(visit)) = (link, on_click.borrow_mut().as_mut()) {
                visit.export_requested = true;
            }
        });
        on_cleanup(move || {
            leave.remove();
            click.remove();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dashboard_page_names_its_section_and_other_pages_none() {
        let cases = [
            ("/", Some(DashboardSection::Kpi)),
            ("/campaigns", Some(DashboardSection::Campaigns)),
            ("/campaigns/5b1f0c9e-8f5e-4c47-9a51-0d6a1c3a2b10", Some(DashboardSection::Campaigns)),
            ("/campaigns/new", None),
            ("/segments", Some(DashboardSection::Segments)),
            ("/funnel", Some(DashboardSection::Funnel)),
            ("/insights", Some(DashboardSection::Roi)),
            ("/system-health", Some(DashboardSection::Health)),
            ("/actions/outcomes", Some(DashboardSection::ActionCenter)),
            ("/compliance", Some(DashboardSection::Compliance)),
            ("/experiments", None),
            ("/account", None),
            ("/login", None),
        ];
        for (path, section) in cases {
            assert_eq!(section_of(path), section, "{path}");
        }
    }
}
