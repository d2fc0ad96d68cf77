//! System health (spec module 9, first cut): the server's own health check and the database
//! round trip measured every few seconds by the server.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{load_database_latency, load_health};
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::format;
use crate::wire::{HealthReport, HealthStatus, LatencySample};

#[component]
pub fn SystemHealth() -> impl IntoView {
    let health = Resource::new(|| (), |_| load_health());
    let latency = Resource::new(|| (), |_| load_database_latency());
    view! {
        <Title text="System health"/>
        <h1 class="page-title">"System health"</h1>
        <div class="grid">
            <Panel title="Service status" subtitle="Re-checked every 5 seconds while this page is open" span=5>
                <Suspense fallback=|| view! { <Skeleton/> }>
                    {move || Suspend::new(async move {
                        match health.await {
                            Ok(report) => view! { <StatusList report/> }.into_any(),
                            Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </Panel>
            <Panel title="Database round trip" subtitle="Milliseconds per probe, most recent hour" span=7>
                <Suspense fallback=|| view! { <Skeleton/> }>
                    {move || Suspend::new(async move {
                        match latency.await {
                            Ok(samples) => view! { <LatencyChart samples/> }.into_any(),
                            Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </Panel>
        </div>
    }
}

/// How often the page re-checks health in the browser.
#[cfg(feature = "hydrate")]
const REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// The status card: first the report rendered by the server, then a fresh one every few seconds
/// fetched from `GET /api/v1/health` (which answers a JSON report even with a 503).
#[component]
fn StatusList(report: HealthReport) -> impl IntoView {
    let live = RwSignal::new(report);
    #[cfg(feature = "hydrate")]
    {
        let refresh = move || {
            leptos::task::spawn_local(async move {
                let Ok(response) = gloo_net::http::Request::get("/api/v1/health").send().await else { return };
                if let Ok(report) = response.json::<HealthReport>().await {
                    live.set(report);
                }
            });
        };
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH) {
            on_cleanup(move || handle.clear());
        }
    }
    let status_class = move || match live.read().status {
        HealthStatus::Healthy => "status status--good",
        HealthStatus::Degraded => "status status--warning",
        HealthStatus::Unhealthy => "status status--bad",
    };
    let latency = move || live.read().database.latency_ms.map(format::millis).unwrap_or_else(|| format::MISSING.to_owned());
    let database = move || {
        let report = live.read();
        let reach = if report.database.reachable { "reachable" } else { "unreachable" };
        format!("{}, {reach}", report.database.backend)
    };
    view! {
        <p class=status_class data-testid="health-status">
            <span class="status__dot" aria-hidden="true"></span>
            {move || live.read().status.as_str()}
        </p>
        {move || live.read().reason.clone().map(|r| view! { <p class="status__reason">{r}</p> })}
        <dl class="facts">
            <dt>"Database"</dt>
            <dd>{database}</dd>
            <dt>"Round trip"</dt>
            <dd class="num">{latency}</dd>
            <dt>"Uptime"</dt>
            <dd class="num">{move || format::duration(live.read().uptime_seconds)}</dd>
            <dt>"Version"</dt>
            <dd>{move || live.read().version.clone()}</dd>
            <dt>"Checked"</dt>
            <dd data-testid="health-checked">{move || live.read().checked_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</dd>
        </dl>
    }
}

#[component]
fn LatencyChart(samples: Vec<LatencySample>) -> impl IntoView {
    if samples.is_empty() {
        return view! {
            <EmptyState title="No probes yet" detail="The server probes the database every few seconds after it starts."/>
        }
        .into_any();
    }
    let data = ChartData {
        kind: ChartKind::Line,
        labels: samples.iter().map(|s| s.at.format("%H:%M:%S").to_string()).collect(),
        series: vec![Series {
            name: "Round trip".to_owned(),
            values: samples.iter().map(|s| s.latency_ms).collect(),
        }],
        y_unit: "ms".to_owned(),
    };
    view! {
        <Chart id="db-latency-chart" label="Line chart of database round-trip time in milliseconds" data=Signal::derive(move || data.clone())/>
    }
    .into_any()
}
