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
            <Panel title="Service status" subtitle="Checked when this page loaded" span=5>
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

#[component]
fn StatusList(report: HealthReport) -> impl IntoView {
    let status_class = match report.status {
        HealthStatus::Healthy => "status status--good",
        HealthStatus::Degraded => "status status--warning",
        HealthStatus::Unhealthy => "status status--bad",
    };
    let latency = report.database.latency_ms.map(format::millis).unwrap_or_else(|| format::MISSING.to_owned());
    view! {
        <p class=status_class data-testid="health-status">
            <span class="status__dot" aria-hidden="true"></span>
            {report.status.as_str()}
        </p>
        {report.reason.map(|r| view! { <p class="status__reason">{r}</p> })}
        <dl class="facts">
            <dt>"Database"</dt>
            <dd>{report.database.backend} {if report.database.reachable { ", reachable" } else { ", unreachable" }}</dd>
            <dt>"Round trip"</dt>
            <dd class="num">{latency}</dd>
            <dt>"Uptime"</dt>
            <dd class="num">{format::duration(report.uptime_seconds)}</dd>
            <dt>"Version"</dt>
            <dd>{report.version}</dd>
            <dt>"Checked"</dt>
            <dd>{report.checked_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</dd>
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
