//! Funnel: the conversion funnel (Module 6) and the engagement heatmap (Module 7) for the global
//! filters. The funnel shows each step's users, rates and drop-off with the reading the server
//! derives from them, and compares up to four segments or campaigns; the heatmap shows clicks by
//! day of week and UTC hour with the peak windows named, for a segment when one is chosen.

use leptos::prelude::*;
use leptos_router::components::{A, Form};

use analytics::SegmentType;
use analytics::metrics::views::Funnel;

use crate::api::{load_funnel, load_heatmap, load_leaderboard};
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::csv::{Cell, CsvLink, ExcelLink};
use crate::components::filter_bar::{DashboardHead, carried, use_filters, use_query_pairs};
use crate::components::live::use_live_feed;
use crate::components::panel::{ErrorState, Panel, Skeleton};
use crate::filters::{FILTER_KEYS, QueryPairs};
use crate::format;
use crate::format::or_missing;
use crate::wire::{FunnelResponse, HeatmapResponse, LeaderboardRow};

#[component]
pub fn FunnelPage() -> impl IntoView {
    let pairs = use_query_pairs();
    let filters = use_filters();
    let feed = use_live_feed(filters);
    let funnel_query = Memo::new(move |_| pairs.with(|p| p.only(&[FILTER_KEYS, &["compare"]].concat())));
    let funnel = Resource::new(move || (funnel_query.with(QueryPairs::encode), feed.leaderboard_version.get()), |(q, _)| load_funnel(q));
    let heatmap = Resource::new(move || (filters.with(QueryPairs::encode), feed.leaderboard_version.get()), |(q, _)| load_heatmap(q));
    // The campaigns a comparison may pick: the period's 100 biggest by spend.
    let campaigns = Resource::new(
        move || filters.with(|f| f.with_param("sort", Some("spend")).with_param("per_page", Some("100")).encode()),
        load_leaderboard,
    );
    view! {
        <DashboardHead title="Funnel" feed/>
        <div class="grid">
            <Transition fallback=|| view! { <Panel title="Conversion funnel" span=12><Skeleton lines=6/></Panel> }>
                {move || Suspend::new(async move {
                    // Without the campaign list the comparison offers segments alone.
                    let campaigns = campaigns.await.map(|page| page.rows).unwrap_or_default();
                    match funnel.await {
                        Ok(data) => view! { <FunnelModule data pairs=pairs.get_untracked() campaigns/> }.into_any(),
                        Err(err) => view! { <Panel title="Conversion funnel" span=12><ErrorState message=err.to_string()/></Panel> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <Panel title="Engagement heatmap" span=12><Skeleton lines=6/></Panel> }>
                {move || Suspend::new(async move {
                    match heatmap.await {
                        Ok(data) => view! { <HeatmapModule data filters=filters.get_untracked()/> }.into_any(),
                        Err(err) => view! { <Panel title="Engagement heatmap" span=12><ErrorState message=err.to_string()/></Panel> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}


fn period(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} to {} UTC", from.format("%d %b %Y %H:%M"), to.format("%d %b %Y %H:%M"))
}

#[component]
fn FunnelModule(data: FunnelResponse, pairs: QueryPairs, campaigns: Vec<LeaderboardRow>) -> AnyView {
    let f = data.funnel.clone();
    let chart = ChartData {
        kind: ChartKind::Funnel,
        labels: f.steps.iter().map(|s| s.label.clone()).collect(),
        series: vec![Series { name: "Users".into(), values: f.steps.iter().map(|s| Some(s.users as f64)).collect() }],
        y_unit: "users".into(),
    };
    let compared: Vec<String> = pairs.all("compare");
    let excel_query = pairs.only(&[FILTER_KEYS, &["compare"]].concat());
    let period = period(data.from, data.to);
    view! {
        <Panel title="Conversion funnel" subtitle=format!("Users at each step · {period}") span=12>
            <p class="insight" role="note">{f.insight.clone()}</p>
            <div class="split">
                <div class="split__chart">
                    <Chart id="funnel-chart" label="Users at each step of the funnel" data=Signal::derive(move || chart.clone())
                        empty="No impression in scope in this period."/>
                </div>
                <div class="split__table">
                    <StepTable funnel=f.clone()/>
                </div>
            </div>
            {(f.insights.len() > 1).then(|| view! {
                <ul class="notes">{f.insights.iter().skip(1).map(|i| view! { <li>{i.clone()}</li> }).collect_view()}</ul>
            })}
            <dl class="facts facts--inline">
                <dt>"Overall (impression → purchase)"</dt><dd>{or_missing(f.overall_rate, format::percent)}</dd>
                <dt>"Click → purchase"</dt><dd>{or_missing(f.click_to_purchase_rate, format::percent)}</dd>
                <dt>"Revenue"</dt><dd>{format::money(f.revenue)}</dd>
                <dt>"AOV"</dt><dd>{or_missing(f.aov, format::money)}</dd>
            </dl>
        </Panel>
        <Panel title="Compare funnels" subtitle="Up to four segments or campaigns side by side, each with the other filters" span=12>
            <Form method="GET" action="/funnel" attr:class="form">
                {carried(&pairs, &["compare"])}
                <fieldset class="checks">
                    <legend>"Segments to compare"</legend>
                    {SegmentType::ALL.iter().map(|s| {
                        let value = format!("segment:{}", s.as_str());
                        let checked = compared.contains(&value);
                        view! { <label><input type="checkbox" name="compare" value=value checked=checked/>{s.as_str()}</label> }
                    }).collect_view()}
                </fieldset>
                {(!campaigns.is_empty()).then(|| view! {
                    <div class="field">
                        <label for="compare-campaigns">"Campaigns to compare"</label>
                        <select id="compare-campaigns" name="compare" multiple size="6" aria-describedby="compare-campaigns-hint">
                            {campaigns.iter().map(|c| {
                                let value = format!("campaign:{}", c.campaign_id);
                                let selected = compared.contains(&value);
                                // The attribute for the server's page, the property for the
                                // browser's own renders (an attribute alone keeps one pick).
                                view! { <option value=value selected=selected prop:selected=selected>{c.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                        <p id="compare-campaigns-hint" class="field__hint">"The period's biggest campaigns by spend. Hold Ctrl (⌘ on a Mac) to pick several; four items at most, segments and campaigns together."</p>
                    </div>
                })}
                <button type="submit" class="button">"Compare"</button>
            </Form>
            <div class="toolbar"><ExcelLink view="funnel" query=excel_query/></div>
            {(!data.compare.is_empty()).then(|| view! { <Comparison data=data.clone()/> })}
        </Panel>
    }
    .into_any()
}

#[component]
fn StepTable(funnel: Funnel) -> impl IntoView {
    let csv_rows: Vec<Vec<Cell>> = funnel
        .steps
        .iter()
        .map(|s| {
            vec![
                s.label.clone().into(),
                s.users.into(),
                s.rate.into(),
                s.rate_from_first.into(),
                s.drop_off.map(|d| d as f64).into(),
                s.drop_off_rate.into(),
                s.median_seconds_from_previous.into(),
            ]
        })
        .collect();
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Funnel steps">
                <thead>
                    <tr>
                        <th scope="col">"Step"</th>
                        <th scope="col" class="num">"Users"</th>
                        <th scope="col" class="num">"Step rate"</th>
                        <th scope="col" class="num">"Of first step"</th>
                        <th scope="col" class="num">"Drop-off"</th>
                        <th scope="col" class="num">"Median time"</th>
                    </tr>
                </thead>
                <tbody>
                    {funnel.steps.into_iter().map(|s| {
                        let drop = match (s.drop_off, s.drop_off_rate) {
                            (Some(users), Some(rate)) => format!("{} ({})", format::count(users as i64), format::percent(rate)),
                            (Some(users), None) => format::count(users as i64),
                            _ => format::MISSING.to_owned(),
                        };
                        view! {
                            <tr>
                                <th scope="row">{s.label.clone()}</th>
                                <td class="num">{format::count(s.users as i64)}</td>
                                <td class="num" title=s.reason.clone()>{or_missing(s.rate, format::percent)}</td>
                                <td class="num">{or_missing(s.rate_from_first, format::percent)}</td>
                                <td class="num">{drop}</td>
                                <td class="num" title=s.reason.clone()>{or_missing(s.median_seconds_from_previous, |v| format::duration(v.round() as i64))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <CsvLink filename="funnel.csv" rows=csv_rows
            header=&["step", "users", "step_rate_percent", "of_first_step_percent", "drop_off_users", "drop_off_percent", "median_seconds_from_previous"]/>
    }
}

#[component]
fn Comparison(data: FunnelResponse) -> impl IntoView {
    let steps: Vec<String> = data.funnel.steps.iter().map(|s| s.label.clone()).collect();
    let best = data.best.clone();
    let csv_rows: Vec<Vec<Cell>> = data
        .compare
        .iter()
        .flat_map(|c| c.funnel.steps.iter().map(move |s| vec![c.label.clone().into(), s.label.clone().into(), s.users.into(), s.rate.into(), c.funnel.overall_rate.into()]))
        .collect();
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Funnels side by side">
                <thead>
                    <tr>
                        <th scope="col">"Funnel"</th>
                        {steps.iter().map(|s| view! { <th scope="col" class="num">{s.clone()}</th> }).collect_view()}
                        <th scope="col" class="num">"Overall"</th>
                    </tr>
                </thead>
                <tbody>
                    {data.compare.into_iter().map(|c| {
                        let is_best = best.as_deref() == Some(c.item.as_str());
                        view! {
                            <tr>
                                <th scope="row">{c.label.clone()}{is_best.then(|| view! { <span class="pill pill--active">"best"</span> })}</th>
                                {c.funnel.steps.iter().map(|s| view! {
                                    <td class="num">{format::count(s.users as i64)}<span class="table__sub">{or_missing(s.rate, format::percent)}</span></td>
                                }).collect_view()}
                                <td class="num">{or_missing(c.funnel.overall_rate, format::percent)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <CsvLink filename="funnels-compared.csv" rows=csv_rows header=&["funnel", "step", "users", "step_rate_percent", "overall_rate_percent"]/>
    }
}

#[component]
fn HeatmapModule(data: HeatmapResponse, filters: QueryPairs) -> AnyView {
    let h = data.heatmap.clone();
    let chart = ChartData {
        kind: ChartKind::Heatmap,
        labels: (0..24).map(|hour| format!("{hour:02}")).collect(),
        series: h
            .cells
            .iter()
            .zip(&h.days)
            .map(|(row, day)| Series { name: day.clone(), values: row.iter().map(|c| Some(c.engagement.clicks as f64)).collect() })
            .collect(),
        y_unit: "clicks".into(),
    };
    let overlay = filters.all("segment");
    let csv_rows: Vec<Vec<Cell>> = h
        .cells
        .iter()
        .flatten()
        .map(|c| {
            let e = &c.engagement;
            vec![h.days[c.day as usize].clone().into(), f64::from(c.hour).into(), e.impressions.into(), e.clicks.into(), e.click_rate.into(), e.conversions.into(), e.revenue.into()]
        })
        .collect();
    let period = period(data.from, data.to);
    let subtitle = match overlay.as_slice() {
        [] => format!("Clicks by day of week and UTC hour, all segments · {period}"),
        list => format!("Clicks by day of week and UTC hour, {} · {period}", list.join(", ")),
    };
    view! {
        <Panel title="Engagement heatmap" subtitle=subtitle span=12>
            <nav class="segmented" aria-label="Segment overlay">
                <A href=filters.with_param("segment", None).href("/funnel") attr:class="segmented__item" attr:aria-current=overlay.is_empty().then_some("true")>"All"</A>
                {SegmentType::ALL.iter().map(|s| {
                    let code = s.as_str();
                    let current = overlay.len() == 1 && overlay[0] == code;
                    view! {
                        <A href=filters.with_param("segment", Some(code)).href("/funnel") attr:class="segmented__item" attr:aria-current=current.then_some("true")>{code}</A>
                    }
                }).collect_view()}
            </nav>
            <p class="insight" role="note">{h.insight.clone()}</p>
            <Chart id="heatmap-chart" label="Clicks by day of week and hour" data=Signal::derive(move || chart.clone())
                empty="No click in scope in this period."/>
            <CsvLink filename="heatmap.csv" rows=csv_rows header=&["day", "utc_hour", "impressions", "clicks", "click_rate_percent", "conversions", "revenue_usd"]/>
            <ExcelLink view="heatmap" query=filters.clone()/>
            <h3 class="subheading">"Peak windows"</h3>
            {if h.peaks.is_empty() {
                view! { <p class="freshness">"No clicks in this period, so no peak."</p> }.into_any()
            } else {
                view! {
                    <ol class="peaks" aria-label="Peak windows">
                        {h.peaks.iter().map(|p| view! {
                            <li>
                                <strong>{p.label.clone()}</strong>
                                {format!(" · {} clicks ({} of the week's) · CTR {}", format::count(p.clicks as i64), format::percent(p.share), or_missing(p.click_rate, format::percent))}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </Panel>
    }
    .into_any()
}
