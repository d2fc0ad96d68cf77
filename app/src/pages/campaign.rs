//! One campaign (Module 4) and its creatives (Module 5), for the global filters: the campaign's
//! status, budget and actions; its figures over the period; the segments it reached; its daily and
//! hourly series; how often users saw it; and each creative with the spec's notes and its own
//! pause or resume. Refreshes when the live feed says the figures moved, or after a change.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::{BoostTopCreatives, ChangeCampaign, ChangeCreative, PauseLowCreatives, load_campaign};
use crate::components::campaign_actions::{BudgetForm, ChangeOutcome, CreativeOutcome, CreativeStatusForm, CreativeWeightForms, StepForm, close_menus_after};
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::csv::{Cell, CsvLink};
use crate::components::filter_bar::{DashboardHead, use_filters};
use crate::components::live::use_live_feed;
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::filters::QueryPairs;
use crate::format;
use crate::format::or_missing;
use crate::wire::{CampaignPerformanceResponse, CreativeRow};

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let filters = use_filters();
    let feed = use_live_feed(filters);
    let change = ServerAction::<ChangeCampaign>::new();
    let change_creative = ServerAction::<ChangeCreative>::new();
    let pause_low = ServerAction::<PauseLowCreatives>::new();
    let boost_top = ServerAction::<BoostTopCreatives>::new();
    close_menus_after(move || change.version().get() + change_creative.version().get() + pause_low.version().get() + boost_top.version().get());
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let detail = Resource::new(
        move || (id.get(), filters.with(QueryPairs::encode), feed.leaderboard_version.get(), change.version().get(), change_creative.version().get(), (pause_low.version().get(), boost_top.version().get())),
        |(id, query, _, _, _, _)| async move {
            let id = uuid::Uuid::parse_str(&id).map_err(|_| ServerFnError::new(format!("'{id}' is not a campaign id")))?;
            load_campaign(id, query).await
        },
    );
    view! {
        <DashboardHead title="Campaign detail" feed/>
        <ChangeOutcome change/>
        <CreativeOutcome change=change_creative/>
        {move || pause_low.value().get().map(|outcome| match outcome {
            Ok(names) if names.is_empty() => view! { <p class="notice notice--info" role="status">"No active creative was below 3.0× ROAS; nothing was paused."</p> }.into_any(),
            Ok(names) => view! { <p class="notice notice--info" role="status">{format!("Paused {} low performer(s): {}.", names.len(), names.join(", "))}</p> }.into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The change was refused: {err}")}</p> }.into_any(),
        })}
        {move || boost_top.value().get().map(|outcome| match outcome {
            Ok(names) if names.is_empty() => view! { <p class="notice notice--info" role="status">"No active creative has a ROAS yet; nothing was boosted."</p> }.into_any(),
            Ok(names) => view! { <p class="notice notice--info" role="status">{format!("Boosted by 30%: {}.", names.join(", "))}</p> }.into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The change was refused: {err}")}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <div class="grid"><Panel title="Campaign" span=12><Skeleton lines=8/></Panel></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <CampaignDetail detail filters=filters.get_untracked() change change_creative pause_low boost_top/> }.into_any(),
                    Err(err) => view! { <div class="grid"><Panel title="Campaign" span=12><ErrorState message=err.to_string()/></Panel></div> }.into_any(),
                }
            })}
        </Transition>
    }
}


fn period(detail: &CampaignPerformanceResponse) -> String {
    format!("{} to {} UTC", detail.from.format("%d %b %Y %H:%M"), detail.to.format("%d %b %Y %H:%M"))
}

#[component]
fn CampaignDetail(
    detail: CampaignPerformanceResponse,
    filters: QueryPairs,
    change: ServerAction<ChangeCampaign>,
    change_creative: ServerAction<ChangeCreative>,
    pause_low: ServerAction<PauseLowCreatives>,
    boost_top: ServerAction<BoostTopCreatives>,
) -> AnyView {
    let c = detail.campaign.clone();
    let t = detail.totals.clone();
    let id = c.id.to_string();
    let period = period(&detail);
    let back = filters.href("/campaigns");
    let incrementality = filters.with_param("campaign", Some(&id)).href("/insights");
    let csv = filters.with_param("campaign", Some(&id)).href("/api/v1/exports/campaigns.csv");
    let pdf = filters.with_param("campaign", None).href(&format!("/api/v1/reports/campaign/{id}.pdf"));
    let query = filters.encode();
    let (pause_id, boost_id, pause_query, boost_query) = (id.clone(), id.clone(), query.clone(), query);
    let tiles: Vec<(&str, String)> = vec![
        ("Impressions", format::count(t.impressions as i64)),
        ("Clicks", format::count(t.clicks as i64)),
        ("CTR", or_missing(t.ctr, format::percent)),
        ("Cost / click", or_missing(t.cost_per_click, format::money)),
        ("Conversions", format::count(t.conversions as i64)),
        ("Conv rate", or_missing(t.conversion_rate, format::percent)),
        ("Revenue", format::money(t.revenue)),
        ("ROAS", or_missing(t.roas, format::ratio)),
    ];
    // Spec Module 4's real-time tiles: the period's last 24 hours (now, for a period ending now).
    let day = last_day(&detail.hourly);
    let day_tiles: Vec<(&str, String)> = vec![
        ("Sends", format::count(day.sends as i64)),
        ("Impressions", format::count(day.impressions as i64)),
        ("Clicks", format::count(day.clicks as i64)),
        ("CTR", or_missing((day.impressions > 0).then(|| 100.0 * day.clicks as f64 / day.impressions as f64), format::percent)),
        ("Conversions", format::count(day.orders as i64)),
        ("Revenue", format::money(day.revenue)),
    ];
    let peaks = busiest_hours(&detail.hourly, 3);
    let segments = detail.segments.clone();
    let targeted: Vec<String> = c.target_segments.iter().map(|s| s.as_str().to_owned()).collect();
    let day_labels: Vec<String> = detail.daily.iter().map(|p| p.from.format("%d %b").to_string()).collect();
    let daily = ChartData {
        kind: ChartKind::Area,
        labels: day_labels.clone(),
        series: vec![
            Series { name: "Impressions".into(), values: detail.daily.iter().map(|p| Some(p.impressions as f64)).collect() },
            Series { name: "Clicks".into(), values: detail.daily.iter().map(|p| Some(p.clicks as f64)).collect() },
            Series { name: "Conversions".into(), values: detail.daily.iter().map(|p| Some(p.orders as f64)).collect() },
        ],
        y_unit: "count".into(),
    };
    let revenue = ChartData {
        kind: ChartKind::Bar,
        labels: day_labels,
        series: vec![Series { name: "Revenue".into(), values: detail.daily.iter().map(|p| Some(p.revenue)).collect() }],
        y_unit: "US$".into(),
    };
    // The last 48 hours as a day × hour grid of clicks (spec Module 4's hourly heatmap).
    let mut days: Vec<(chrono::NaiveDate, Vec<Option<f64>>)> = Vec::new();
    for p in &detail.hourly {
        let date = p.from.date_naive();
        if days.last().is_none_or(|(d, _)| *d != date) {
            days.push((date, vec![None; 24]));
        }
        if let Some((_, hours)) = days.last_mut() {
            hours[chrono::Timelike::hour(&p.from) as usize] = Some(p.clicks as f64);
        }
    }
    let hourly = ChartData {
        kind: ChartKind::Heatmap,
        labels: (0..24).map(|h| format!("{h:02}")).collect(),
        series: days.into_iter().map(|(d, values)| Series { name: d.format("%a %d %b").to_string(), values }).collect(),
        y_unit: "clicks".into(),
    };
    let frequency = ChartData {
        kind: ChartKind::Bar,
        labels: detail.frequency.buckets.iter().map(|b| format!("{}×", b.impressions)).collect(),
        series: vec![Series { name: "Users".into(), values: detail.frequency.buckets.iter().map(|b| b.share).collect() }],
        y_unit: "% of users".into(),
    };
    let average = or_missing(detail.frequency.average, |a| format!("{a:.1}× per user"));
    let creatives = detail.creatives.clone();
    let notes = detail.notes.clone();
    view! {
        <div class="grid">
            <Panel title=c.name.clone() subtitle=format!("{} · {}", c.campaign_type.as_str(), period) span=12>
                <div class="campaign-head">
                    <dl class="facts">
                        <dt>"Status"</dt>
                        <dd><span class=format!("pill pill--{}", c.status.as_str())>{c.status.as_str()}</span></dd>
                        <dt>"Budget"</dt>
                        <dd>{format!("{} · spent {}", format::money(c.budget_cents as f64 / 100.0), format::money(detail.budget_spent))}</dd>
                        <dt>"Channels"</dt>
                        <dd>{c.channels.iter().map(|ch| ch.as_str()).collect::<Vec<_>>().join(", ")}</dd>
                        <dt>"Segments targeted"</dt>
                        <dd>{if targeted.is_empty() { "All".to_owned() } else { targeted.join(", ") }}</dd>
                        <dt>"Consent"</dt>
                        <dd data-testid="audience-consent"><AudienceLine campaign_id=c.id/></dd>
                        <dt>"Holdout"</dt>
                        <dd>{format!("{:.1}% of users", c.holdout_percent)}</dd>
                        <dt>"Created"</dt>
                        <dd>{format!("{} by {} · updated {}", c.created_at.format("%d %b %Y"), c.created_by, c.updated_at.format("%d %b %Y %H:%M UTC"))}</dd>
                    </dl>
                    <div class="campaign-head__actions" role="group" aria-label="Campaign actions">
                        {c.next_statuses.iter().map(|to| view! { <StepForm campaign_id=c.id from=c.status to=*to change/> }).collect_view()}
                        <BudgetForm campaign_id=c.id budget=c.budget_cents as f64 / 100.0 change/>
                        <a class="button button--quiet" href=incrementality>"View incrementality data"</a>
                        <a class="button button--quiet" href=csv download="">"Download report (CSV)"</a>
                        <a class="button button--quiet" href=pdf download="">"Download report (PDF)"</a>
                        <A href=back attr:class="button button--quiet">"Back to leaderboard"</A>
                    </div>
                </div>
                {(!notes.is_empty()).then(|| view! { <ul class="notes">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul> })}
            </Panel>
            <section class="tiles span-12" aria-label="The period's last 24 hours">
                {day_tiles.into_iter().map(|(label, value)| view! {
                    <div class="tile">
                        <p class="tile__label">{format!("{label} · 24 h")}</p>
                        <p class="tile__value">{value}</p>
                    </div>
                }).collect_view()}
            </section>
            <section class="tiles span-12" aria-label="Campaign figures over the period">
                {tiles.into_iter().map(|(label, value)| view! {
                    <div class="tile">
                        <p class="tile__label">{label}</p>
                        <p class="tile__value">{value}</p>
                    </div>
                }).collect_view()}
            </section>
            <Panel title="Performance over time" subtitle=format!("Per UTC day · {period}") span=8>
                <Chart id="campaign-daily-chart" label="Impressions, clicks and conversions per day" data=Signal::derive(move || daily.clone())/>
            </Panel>
            <Panel title="Revenue per day" subtitle="Attributed revenue, US$" span=4>
                <Chart id="campaign-revenue-chart" label="Attributed revenue per day" data=Signal::derive(move || revenue.clone())/>
            </Panel>
            <Panel title="Hourly breakdown" subtitle="Clicks by UTC hour over the period's last 48 hours" span=8>
                <Chart id="campaign-hourly-chart" label="Clicks by day and hour" data=Signal::derive(move || hourly.clone()) empty="No click in the period's last 48 hours."/>
                {(!peaks.is_empty()).then(|| view! {
                    <ol class="peaks" aria-label="Busiest hours">
                        {peaks.into_iter().map(|(from, clicks)| view! {
                            <li>{format!("{} {:02}:00–{:02}:00 UTC · {} clicks", from.format("%a %d %b"), chrono::Timelike::hour(&from), (chrono::Timelike::hour(&from) + 1) % 24, format::count(clicks as i64))}</li>
                        }).collect_view()}
                    </ol>
                })}
            </Panel>
            <Panel title="Frequency distribution" subtitle=format!("Users by impressions seen · average {average}") span=4>
                <Chart id="campaign-frequency-chart" label="Share of users by impressions seen" data=Signal::derive(move || frequency.clone()) empty="No user saw this campaign in the period."/>
            </Panel>
            <Panel title="Segments reached" subtitle="The campaign's figures within each segment" span=12>
                <SegmentTable segments/>
            </Panel>
            <Panel title="Creative breakdown" subtitle=format!("Every creative of the campaign · {period}") span=12>
                <div class="toolbar" role="group" aria-label="Bulk actions">
                    <details class="menu__confirm">
                        <summary>"Pause low performers (ROAS < 3.0×)…"</summary>
                        <ActionForm action=pause_low attr:class="form">
                            <input type="hidden" name="campaign_id" value=pause_id/>
                            <input type="hidden" name="query" value=pause_query/>
                            <input type="hidden" name="below" value="3.0"/>
                            <label class="field">
                                <span class="field__label">"Reason (kept in the audit log)"</span>
                                <input type="text" name="reason" maxlength="500"/>
                            </label>
                            <button type="submit" class="button">"Pause every active creative below 3.0×"</button>
                        </ActionForm>
                    </details>
                    <details class="menu__confirm">
                        <summary>"Boost top 2 creatives (+30% share)…"</summary>
                        <ActionForm action=boost_top attr:class="form">
                            <input type="hidden" name="campaign_id" value=boost_id/>
                            <input type="hidden" name="query" value=boost_query/>
                            <label class="field">
                                <span class="field__label">"Reason (kept in the audit log)"</span>
                                <input type="text" name="reason" maxlength="500"/>
                            </label>
                            <button type="submit" class="button">"Boost the two best by ROAS"</button>
                        </ActionForm>
                    </details>
                </div>
                <CreativeTable creatives filters=filters.clone() change=change_creative/>
            </Panel>
        </div>
    }
    .into_any()
}

#[component]
fn SegmentTable(segments: Vec<analytics::metrics::views::SegmentPerformance>) -> impl IntoView {
    if segments.iter().all(|s| s.performance.sends == 0 && s.performance.impressions == 0) {
        return view! { <EmptyState title="No segment reached" detail="The campaign sent nothing in the period."/> }.into_any();
    }
    let csv_rows: Vec<Vec<Cell>> = segments
        .iter()
        .map(|s| {
            let p = &s.performance;
            vec![s.segment.as_str().into(), p.sends.into(), p.impressions.into(), p.ctr.into(), p.conversion_rate.into(), p.revenue.into(), p.roas.into()]
        })
        .collect();
    view! {
        <div class="toolbar">
            <CsvLink filename="campaign-segments.csv" rows=csv_rows header=&["segment", "sends", "impressions", "ctr_percent", "conversion_rate_percent", "revenue_usd", "roas"]/>
        </div>
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Segments reached">
                <thead>
                    <tr>
                        <th scope="col">"Segment"</th>
                        <th scope="col" class="num">"Sends"</th>
                        <th scope="col" class="num">"Impressions"</th>
                        <th scope="col" class="num">"CTR"</th>
                        <th scope="col" class="num">"Conv rate"</th>
                        <th scope="col" class="num">"Revenue"</th>
                        <th scope="col" class="num">"ROAS"</th>
                    </tr>
                </thead>
                <tbody>
                    {segments.into_iter().filter(|s| s.performance.sends > 0 || s.performance.impressions > 0).map(|s| {
                        let p = s.performance;
                        view! {
                            <tr>
                                <th scope="row">{s.segment.as_str()}</th>
                                <td class="num">{format::count(p.sends as i64)}</td>
                                <td class="num">{format::count(p.impressions as i64)}</td>
                                <td class="num">{or_missing(p.ctr, format::percent)}</td>
                                <td class="num">{or_missing(p.conversion_rate, format::percent)}</td>
                                <td class="num">{format::money(p.revenue)}</td>
                                <td class="num">{or_missing(p.roas, format::ratio)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Module 5: one row per creative, in the catalogue's order, with its notes and actions.
#[component]
fn CreativeTable(creatives: Vec<CreativeRow>, filters: QueryPairs, change: ServerAction<ChangeCreative>) -> AnyView {
    if creatives.is_empty() {
        return view! { <EmptyState title="No creatives" detail="This campaign has no creatives in the catalogue."/> }.into_any();
    }
    let csv_rows: Vec<Vec<Cell>> = creatives
        .iter()
        .map(|c| {
            let p = &c.performance;
            vec![
                c.creative_id.to_string().into(),
                c.name.clone().into(),
                c.headline.clone().into(),
                c.body.clone().into(),
                c.call_to_action.clone().into(),
                c.status.as_str().into(),
                c.assignment_share.into(),
                p.impressions.into(),
                p.ctr.into(),
                p.conversions.into(),
                p.conversion_rate.into(),
                p.revenue.into(),
                p.roas.into(),
                c.notes.join("; ").into(),
            ]
        })
        .collect();
    // Only roles that may run tests see the way to one (the server checks again).
    let can_test = crate::session::signed_in().is_some_and(|me| me.can(crate::access::Capability::RunExperiments));
    let snippet = |body: &str| {
        let short: String = body.chars().take(40).collect();
        if short.len() < body.len() { format!("{short}…") } else { short }
    };
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Creative breakdown">
                <thead>
                    <tr>
                        <th scope="col" class="num">"#"</th>
                        <th scope="col">"Headline"</th>
                        <th scope="col">"Body"</th>
                        <th scope="col">"CTA"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">"Share"</th>
                        <th scope="col" class="num">"Impressions"</th>
                        <th scope="col" class="num">"CTR"</th>
                        <th scope="col" class="num">"Conversions"</th>
                        <th scope="col" class="num">"Conv rate"</th>
                        <th scope="col" class="num">"Revenue"</th>
                        <th scope="col" class="num">"ROAS"</th>
                        <th scope="col">"Notes"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {creatives.into_iter().enumerate().map(|(i, row)| {
                        let p = row.performance.clone();
                        let name = row.name.clone();
                        let creative_id = row.creative_id.to_string();
                        let incrementality = filters.with_param("creative", Some(&creative_id)).href("/insights");
                        let by_segment = filters.with_param("segment", None).with_param("creative", Some(&creative_id)).href("/segments");
                        let notes = row.notes.join(" · ");
                        let warn = row.notes.iter().any(|n| n.contains("Low"));
                        view! {
                            <tr>
                                <td class="num">{i + 1}</td>
                                <th scope="row" class="table__name">{row.headline.clone()}<span class="table__sub">{name.clone()}</span></th>
                                <td>{snippet(&row.body)}</td>
                                <td>{row.call_to_action.clone()}</td>
                                <td><span class=format!("pill pill--{}", row.status.as_str())>{row.status.as_str()}</span></td>
                                <td class="num" title=format!("Weight {}% of a normal share", row.weight_percent)>{format::percent(row.assignment_share)}</td>
                                <td class="num">{format::count(p.impressions as i64)}</td>
                                <td class="num">{or_missing(p.ctr, format::percent)}</td>
                                <td class="num">{format::count(p.conversions as i64)}</td>
                                <td class="num">{or_missing(p.conversion_rate, format::percent)}</td>
                                <td class="num">{format::money(p.revenue)}</td>
                                <td class="num">{or_missing(p.roas, format::ratio)}</td>
                                <td class=if warn { "note note--warn" } else { "note" }>{if warn { format!("⚠ {notes}") } else { notes }}</td>
                                <td>
                                    <details class="menu">
                                        <summary class="menu__button" aria-label=format!("Actions for creative {name}")>"⋮"</summary>
                                        <div class="menu__items">
                                            <a href=by_segment>"View by segment"</a>
                                            <a href=incrementality>"View incrementality"</a>
                                            {can_test.then(|| view! { <a href=format!("/experiments/new?campaign={}&creative={}", row.campaign_id, row.creative_id)>"A/B test (clone + modify)"</a> })}
                                            <CreativeStatusForm creative_id=row.creative_id name=name.clone() status=row.status change/>
                                            <CreativeWeightForms creative_id=row.creative_id name=name.clone() weight_percent=row.weight_percent change/>
                                        </div>
                                    </details>
                                </td>
                            </tr>
                        }
                        // Erased: without it the release build (no `erase_components`) overflows
                        // rustc's query depth on this row's type.
                        .into_any()
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p class="freshness">"Paused creatives are no longer assigned to users; their figures so far stay in the table."</p>
        <CsvLink filename="creatives.csv" rows=csv_rows
            header=&["creative_id", "name", "headline", "body", "call_to_action", "status", "assignment_share_percent", "impressions", "ctr_percent", "conversions", "conversion_rate_percent", "revenue_usd", "roas", "notes"]/>
    }
    .into_any()
}

/// The share of the audience the campaign may reach under the consent rules, as approval sees
/// it (a launch below the threshold is refused).
#[component]
fn AudienceLine(campaign_id: uuid::Uuid) -> impl IntoView {
    let consent = Resource::new(move || campaign_id, crate::api::load_audience_consent);
    view! {
        <Suspense fallback=|| "…">
            {move || Suspend::new(async move {
                match consent.await {
                    Ok(a) => {
                        let class = if a.launch_allowed { "status status--text status--good" } else { "status status--text status--bad" };
                        view! { <span class=class>{a.summary}</span> }.into_any()
                    }
                    Err(err) => view! { <span class="status status--text status--warning">{format!("not available: {err}")}</span> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The totals of the last 24 hourly points (the period's last day).
fn last_day(hourly: &[analytics::metrics::views::SeriesPoint]) -> analytics::metrics::views::SeriesPoint {
    let tail = &hourly[hourly.len().saturating_sub(24)..];
    let mut day = analytics::metrics::views::SeriesPoint {
        from: tail.first().map_or_else(chrono::Utc::now, |p| p.from),
        to: tail.last().map_or_else(chrono::Utc::now, |p| p.to),
        sends: 0,
        impressions: 0,
        clicks: 0,
        orders: 0,
        revenue: 0.0,
    };
    for p in tail {
        day.sends += p.sends;
        day.impressions += p.impressions;
        day.clicks += p.clicks;
        day.orders += p.orders;
        day.revenue += p.revenue;
    }
    day
}

/// The `n` hours with the most clicks (ties: the later first), busiest first; hours without a
/// click are no peak.
fn busiest_hours(hourly: &[analytics::metrics::views::SeriesPoint], n: usize) -> Vec<(chrono::DateTime<chrono::Utc>, u64)> {
    let mut hours: Vec<(chrono::DateTime<chrono::Utc>, u64)> = hourly.iter().filter(|p| p.clicks > 0).map(|p| (p.from, p.clicks)).collect();
    hours.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    hours.truncate(n);
    hours
}

#[cfg(test)]
mod tests {
    use super::*;
    use analytics::metrics::views::SeriesPoint;
    use chrono::{Duration, TimeZone, Utc};

    fn hours(clicks: &[u64]) -> Vec<SeriesPoint> {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        clicks
            .iter()
            .enumerate()
            .map(|(h, c)| SeriesPoint { from: start + Duration::hours(h as i64), to: start + Duration::hours(h as i64 + 1), sends: 2 * c, impressions: 10 * c, clicks: *c, orders: c / 2, revenue: *c as f64 })
            .collect()
    }

    #[test]
    fn the_last_day_adds_the_last_24_hours_and_peaks_are_the_busiest_hours() {
        let mut clicks = vec![1; 48];
        clicks[10] = 9;
        clicks[30] = 7;
        clicks[47] = 7;
        let series = hours(&clicks);
        let day = last_day(&series);
        assert_eq!((day.clicks, day.impressions, day.from), (22 + 7 + 7, 360, series[24].from));
        let peaks = busiest_hours(&series, 3);
        assert_eq!(peaks.iter().map(|p| p.1).collect::<Vec<_>>(), [9, 7, 7]);
        assert_eq!(peaks[1].0, series[47].from, "a tie goes to the later hour");
        assert!(busiest_hours(&hours(&[0, 0]), 3).is_empty());
    }
}
