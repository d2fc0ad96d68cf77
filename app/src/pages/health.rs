//! System health (spec module 9): the server's own health check and database round trip, when
//! data last arrived and was refreshed, the API's latency and error rate as the server measures
//! them, the system metrics, the last day's data quality, and the alerts all of these raise.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{load_database_latency, load_health, load_system_status};
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::format;
use crate::format::or_missing;
use crate::wire::{API_ERROR_RATE_TARGET, API_P95_TARGET_MS, ApiStats, HealthReport, HealthStatus, JobView, LatencySample, SystemStatus};

#[component]
pub fn SystemHealth() -> impl IntoView {
    let health = Resource::new(|| (), |_| load_health());
    let latency = Resource::new(|| (), |_| load_database_latency());
    let system = Resource::new(|| (), |_| load_system_status());
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
            <Suspense fallback=|| view! { <Panel title="Alerts" span=12><Skeleton/></Panel> }>
                {move || Suspend::new(async move {
                    match system.await {
                        Ok(status) => view! { <SystemPanels status/> }.into_any(),
                        Err(err) => view! { <Panel title="Alerts" span=12><ErrorState message=err.to_string()/></Panel> }.into_any(),
                    }
                })}
            </Suspense>
            <super::health_alerts::MetricAlerts/>
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


/// "34 s ago" from a time and the report's own clock.
fn ago(at: Option<chrono::DateTime<chrono::Utc>>, now: chrono::DateTime<chrono::Utc>) -> String {
    at.map_or_else(|| "never".to_owned(), |at| format!("{} ago ({} UTC)", format::duration((now - at).num_seconds()), at.format("%d %b %H:%M:%S")))
}

fn api_line(stats: &ApiStats) -> String {
    format!(
        "{} requests · p50 {} · p95 {} · p99 {} · server errors {} ({})",
        format::count(stats.requests as i64),
        or_missing(stats.p50_ms, format::millis),
        or_missing(stats.p95_ms, format::millis),
        or_missing(stats.p99_ms, format::millis),
        format::count(stats.server_errors as i64),
        or_missing(stats.error_rate, format::percent),
    )
}

#[component]
fn SystemPanels(status: SystemStatus) -> impl IntoView {
    let now = status.as_of;
    let q = status.quality.overall.clone();
    let api = status.api_last_15_minutes.clone();
    let p95_ok = api.p95_ms.is_none_or(|p| p <= API_P95_TARGET_MS);
    let errors_ok = api.error_rate.is_none_or(|r| r <= API_ERROR_RATE_TARGET);
    view! {
        <Panel title="Alerts" subtitle=format!("As of {} UTC", now.format("%H:%M:%S")) span=12>
            {if status.alerts.is_empty() {
                view! { <p class="status status--good"><span class="status__dot" aria-hidden="true"></span>"All systems healthy"</p> }.into_any()
            } else {
                view! {
                    <ul class="alerts" aria-label="Alerts">
                        {status.alerts.iter().map(|a| {
                            let (tone, word) = match a.level {
                                analytics::quality::AlertLevel::Critical => ("bad", "Critical"),
                                analytics::quality::AlertLevel::Warning => ("warning", "Warning"),
                                analytics::quality::AlertLevel::Info => ("good", "Info"),
                            };
                            view! { <li class=format!("status status--{tone}")><span class="status__dot" aria-hidden="true"></span>{format!("{word}: {}", a.message)}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </Panel>
        <Panel title="Data freshness" subtitle="Arrivals of the last 24 hours" span=6>
            <dl class="facts">
                <dt>"Last event received"</dt><dd>{ago(status.last_event_at, now)}</dd>
                <dt>"Last data refresh"</dt><dd>{ago(status.last_refresh_at, now)}</dd>
                <dt>"Freshness (p95 lag)"</dt><dd>{or_missing(q.data_freshness_minutes, |m| format!("{m:.1} min"))}</dd>
                <dt>"Ingestion rate"</dt><dd>{or_missing(q.ingestion_rate_percent, format::percent)}</dd>
                <dt>"Validation pass rate"</dt><dd>{or_missing(q.validation_pass_rate_percent, format::percent)}</dd>
                <dt>"Schema compliance"</dt><dd>{or_missing(q.schema_compliance_percent, format::percent)}</dd>
                <dt>"Completeness"</dt><dd>{or_missing(q.completeness_percent, format::percent)}</dd>
                <dt>"Duplicates"</dt><dd>{or_missing(q.duplicate_rate_percent, format::percent)}</dd>
                <dt>"Late arrivals"</dt><dd>{or_missing(q.late_arrival_rate_percent, format::percent)}</dd>
            </dl>
        </Panel>
        <Panel title="API performance" subtitle="Measured by the server on every API request (the live socket aside)" span=6>
            <dl class="facts">
                <dt>"Last 15 minutes"</dt><dd>{api_line(&status.api_last_15_minutes)}</dd>
                <dt>"Last hour"</dt><dd>{api_line(&status.api_last_hour)}</dd>
                <dt>"Latency p95"</dt>
                <dd class=if p95_ok { "status status--good" } else { "status status--warning" }>
                    {format!("{} (target under {})", or_missing(api.p95_ms, format::millis), format::millis(API_P95_TARGET_MS))}
                </dd>
                <dt>"Error rate"</dt>
                <dd class=if errors_ok { "status status--good" } else { "status status--bad" }>
                    {format!("{} (target under {})", or_missing(api.error_rate, format::percent), format::percent(API_ERROR_RATE_TARGET))}
                </dd>
                {status.metrics.iter().map(|m| view! {
                    <dt>{m.name.clone()}</dt>
                    <dd title=m.reason.clone()>{or_missing(m.value, |v| format::metric(v, m.unit, false))}</dd>
                }).collect_view()}
            </dl>
        </Panel>
        <Panel title="Background jobs" subtitle="This server's jobs since it started; a failing one shows its latest error" span=12>
            <JobTable jobs=status.jobs.clone() now/>
        </Panel>
    }
}

/// Module 9's job list: every background job, how often it runs, its latest pass and failures.
#[component]
fn JobTable(jobs: Vec<JobView>, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <EmptyState title="No jobs yet" detail="No background job has reported yet: they start with the server."/> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Background jobs">
                <thead>
                    <tr><th scope="col">"Job"</th><th scope="col">"Runs every"</th><th scope="col">"Latest pass"</th><th scope="col">"Took"</th><th scope="col">"Status"</th><th scope="col" class="num">"Passes"</th><th scope="col" class="num">"Failed"</th><th scope="col">"Latest error"</th></tr>
                </thead>
                <tbody>
                    {jobs.into_iter().map(|job| {
                        let (tone, word) = match (job.running_since, job.last_ok) {
                            (Some(_), _) => ("good", "Running"),
                            (None, Some(true)) => ("good", "OK"),
                            (None, Some(false)) => ("bad", "Failed"),
                            (None, None) => ("warning", "Not run yet"),
                        };
                        let error = job.last_error.clone().map(|e| format!("{e} ({})", ago(job.last_failed_at, now))).unwrap_or_else(|| "—".to_owned());
                        view! {
                            <tr>
                                <th scope="row">{job.name.clone()}<span class="table__sub">{job.about.clone()}</span></th>
                                <td>{format::duration(job.every_seconds as i64)}</td>
                                <td>{ago(job.last_finished_at, now)}</td>
                                <td>{or_missing(job.last_took_ms.map(|ms| ms as f64), format::millis)}</td>
                                <td class=format!("status status--{tone}")><span class="status__dot" aria-hidden="true"></span>{word}</td>
                                <td class="num">{format::count(job.runs as i64)}</td>
                                <td class="num">{format::count(job.failures as i64)}</td>
                                <td>{error}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
