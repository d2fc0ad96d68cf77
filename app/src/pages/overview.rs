//! Overview: the landing page. For now, the ingestion volume over the last 48 hours.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::load_event_volume;
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::format;
use crate::wire::EventVolume;

const WINDOW_HOURS: u32 = 48;

#[component]
pub fn Overview() -> impl IntoView {
    let volume = Resource::new(|| WINDOW_HOURS, load_event_volume);
    view! {
        <Title text="Overview"/>
        <h1 class="page-title">"Overview"</h1>
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
