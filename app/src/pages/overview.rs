//! Overview, the CMO's landing page: the executive KPI cards (Module 1) for the global filters,
//! updated live, and the ingestion volume of the last 48 hours.

use leptos::prelude::*;

use crate::api::{load_event_volume, load_kpis};
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::components::filter_bar::{DashboardHead, use_filters};
use crate::components::kpi::KpiCards;
use crate::components::live::{NewRecommendations, use_live_feed};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::format;
use crate::wire::EventVolume;

const WINDOW_HOURS: u32 = 48;

#[component]
pub fn Overview() -> impl IntoView {
    let filters = use_filters();
    let board = Resource::new(move || filters.with(|f| f.encode()), load_kpis);
    let feed = use_live_feed(filters);
    let volume = Resource::new(|| WINDOW_HOURS, load_event_volume);
    view! {
        <DashboardHead title="Overview" feed/>
        {crate::session::signed_in().filter(|me| me.can(crate::access::Capability::View(crate::access::Module::RoiDeepDive))).map(|_| view! {
            <div class="toolbar">
                <a class="button button--quiet" href=move || filters.with(|f| f.href("/api/v1/reports/board.pdf")) download="">"Board report (PDF)"</a>
            </div>
        })}
        <NewRecommendations feed/>
        <section class="kpi-grid" aria-label="Executive KPIs">
            // A transition keeps the cards on screen while new filters load: no jump, no blank.
            <Transition fallback=|| (0..5).map(|_| view! { <div class="kpi kpi--loading"><Skeleton lines=4/></div> }).collect_view()>
                {move || Suspend::new(async move {
                    match board.await {
                        Ok(board) => view! { <KpiCards board feed filters=filters.get_untracked()/> }.into_any(),
                        Err(err) => view! { <div class="kpi-grid__error"><ErrorState message=err.to_string()/></div> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <div class="grid">
            <Panel
                title="Ingested events per hour"
                subtitle=format!("Last {WINDOW_HOURS} hours, UTC, all event types")
                span=12
            >
                <Suspense fallback=|| view! { <Skeleton/> }>
                    {move || Suspend::new(async move {
                        match volume.await {
                            Ok(volume) => view! { <VolumeChart volume/> }.into_any(),
                            Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </Panel>
        </div>
    }
}

#[component]
fn VolumeChart(volume: EventVolume) -> impl IntoView {
    if volume.total == 0 {
        return view! {
            <EmptyState
                title="No events in the last 48 hours"
                detail="Nothing has been ingested in this window, so there is nothing to plot yet."
            />
        }
        .into_any();
    }
    let data = ChartData {
        kind: ChartKind::Bar,
        labels: volume.hours.iter().map(|b| b.hour_start.format("%d %b %H:00").to_string()).collect(),
        series: vec![Series {
            name: "Events".to_owned(),
            values: volume.hours.iter().map(|b| Some(b.count as f64)).collect(),
        }],
        y_unit: "events".to_owned(),
    };
    view! {
        <p class="figure">
            <span class="figure__value">{format::count(volume.total)}</span>
            <span class="figure__label">" events in the window"</span>
        </p>
        <Chart id="event-volume-chart" label="Bar chart of ingested events per hour" data=Signal::derive(move || data.clone())/>
        <p class="freshness">"as of " {volume.as_of.format("%H:%M UTC").to_string()}</p>
    }
    .into_any()
}
