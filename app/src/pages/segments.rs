//! Segments (Module 3): the eight segments with their size and economics for the global filters.
//! Choosing a segment sets the global `segment` filter, so every module of every page narrows to
//! it (the chip in the filter bar clears it); ticking two or three sets them side by side.

use leptos::prelude::*;
use leptos_router::components::{A, Form};

use analytics::metrics::views::SegmentSummary;

use crate::api::load_segments;
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::csv::{Cell, CsvLink, ExcelLink};
use crate::components::filter_bar::{DashboardHead, carried, use_filters, use_query_pairs};
use crate::components::live::use_live_feed;
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::filters::{FILTER_KEYS, QueryPairs};
use crate::format;
use crate::format::or_missing;
use crate::wire::SegmentsResponse;

/// How many segments may stand side by side.
const MAX_COMPARE: usize = 3;

#[component]
pub fn Segments() -> impl IntoView {
    let pairs = use_query_pairs();
    let filters = use_filters();
    let feed = use_live_feed(filters);
    // Every segment is listed whatever the segment filter says; the filter only highlights.
    let query = Memo::new(move |_| filters.with(|f| f.with_param("segment", None)));
    let data = Resource::new(move || (query.with(QueryPairs::encode), feed.leaderboard_version.get()), |(query, _)| load_segments(query));
    view! {
        <DashboardHead title="Segments" feed/>
        <Transition fallback=|| view! { <div class="grid"><Panel title="Segment picker" span=12><Skeleton lines=8/></Panel></div> }>
            // The highlight and the comparison follow the link even when the figures need no refetch.
            {move || {
                let pairs = pairs.get();
                Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <SegmentViews data pairs/> }.into_any(),
                    Err(err) => view! { <div class="grid"><Panel title="Segment picker" span=12><ErrorState message=err.to_string()/></Panel></div> }.into_any(),
                }
                })
            }}
        </Transition>
    }
}


/// LTV ÷ CAC, when both are known and CAC is above zero.
fn ltv_to_cac(s: &SegmentSummary) -> Option<f64> {
    s.ltv.zip(s.cac).and_then(|(ltv, cac)| (cac > 0.0).then(|| ltv / cac))
}

#[component]
fn SegmentViews(data: SegmentsResponse, pairs: QueryPairs) -> AnyView {
    let selected: Vec<String> = pairs.all("segment");
    let compared: Vec<String> = pairs.all("compare");
    let period = format!("{} to {} UTC", data.from.format("%d %b %Y %H:%M"), data.to.format("%d %b %Y %H:%M"));
    let revenue = ChartData {
        kind: ChartKind::Bar,
        labels: data.segments.iter().map(|s| s.segment.as_str().to_owned()).collect(),
        series: vec![
            Series { name: "Attributed revenue".into(), values: data.segments.iter().map(|s| Some(s.revenue)).collect() },
            Series { name: "Previous period".into(), values: data.segments.iter().map(|s| Some(s.previous_revenue)).collect() },
        ],
        y_unit: "US$".into(),
    };
    let side_by_side: Vec<SegmentSummary> = data.segments.iter().filter(|s| compared.iter().any(|c| c == s.segment.as_str())).cloned().collect();
    let too_many = (compared.len() > MAX_COMPARE).then_some(compared.len());
    let rows = data.segments.clone();
    let csv_rows: Vec<Vec<Cell>> = data
        .segments
        .iter()
        .map(|s| {
            vec![
                s.segment.as_str().into(),
                s.size.into(),
                s.ltv.into(),
                s.cac.into(),
                ltv_to_cac(s).into(),
                s.aov.into(),
                s.ctr.into(),
                s.conversion_rate.into(),
                s.revenue.into(),
                s.previous_revenue.into(),
                s.trend.map(|t| 100.0 * t).into(),
            ]
        })
        .collect();
    view! {
        <div class="grid">
            <Panel title="Segment picker" subtitle=format!("All 8 segments · {period}") span=12>
                <Form method="GET" action="/segments" attr:class="form">
                    {carried(&pairs, &["compare"])}
                    <div class="table-scroll" tabindex="0">
                        <table class="table" aria-label="Segments">
                            <thead>
                                <tr>
                                    <th scope="col"><span class="visually-hidden">"Compare"</span></th>
                                    <th scope="col">"Segment"</th>
                                    <th scope="col" class="num">"Users"</th>
                                    <th scope="col" class="num">"LTV"</th>
                                    <th scope="col" class="num">"CAC"</th>
                                    <th scope="col" class="num">"LTV ÷ CAC"</th>
                                    <th scope="col" class="num">"AOV"</th>
                                    <th scope="col" class="num">"CTR"</th>
                                    <th scope="col" class="num">"Conv rate"</th>
                                    <th scope="col" class="num">"Revenue"</th>
                                    <th scope="col" class="num">"Trend"</th>
                                    <th scope="col">"Open in"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|s| {
                                    let code = s.segment.as_str().to_owned();
                                    let chosen = selected.contains(&code);
                                    let pick = pairs.only(FILTER_KEYS).with_param("segment", if chosen { None } else { Some(&code) }).href("/segments");
                                    let narrowed = pairs.only(FILTER_KEYS).with_param("segment", Some(&code));
                                    let reason = |name: &str| s.reasons.get(name).cloned();
                                    view! {
                                        <tr class:row--selected=chosen aria-selected=if chosen { "true" } else { "false" }>
                                            <td>
                                                <input type="checkbox" name="compare" value=code.clone() checked=compared.contains(&code)
                                                    aria-label=format!("Compare {code}")/>
                                            </td>
                                            <th scope="row" class="table__name">
                                                <A href=pick attr:title=if chosen { "Clear the segment filter" } else { "Show every module for this segment" }>{code.clone()}</A>
                                                <span class="table__sub">{s.definition.clone()}</span>
                                            </th>
                                            <td class="num">{format::count(s.size as i64)}</td>
                                            <td class="num" title=reason("ltv")>{or_missing(s.ltv, format::money)}</td>
                                            <td class="num" title=reason("cac")>{or_missing(s.cac, format::money)}</td>
                                            <td class="num">{or_missing(ltv_to_cac(&s), format::ratio)}</td>
                                            <td class="num" title=reason("aov")>{or_missing(s.aov, format::money)}</td>
                                            <td class="num" title=reason("ctr")>{or_missing(s.ctr, format::percent)}</td>
                                            <td class="num" title=reason("conversion_rate")>{or_missing(s.conversion_rate, format::percent)}</td>
                                            <td class="num">{format::money(s.revenue)}</td>
                                            <td class="num" title=reason("trend")>{or_missing(s.trend, format::change)}</td>
                                            <td class="links">
                                                <A href=narrowed.href("/campaigns")>"Campaigns"</A>
                                                " · "
                                                <A href=narrowed.href("/funnel")>"Heatmap"</A>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <div class="toolbar">
                        <button type="submit" class="button">"Compare selected"</button>
                        <CsvLink filename="segments.csv" rows=csv_rows
                            header=&["segment", "users", "ltv_usd", "cac_usd", "ltv_to_cac", "aov_usd", "ctr_percent", "conversion_rate_percent", "revenue_usd", "previous_revenue_usd", "trend_percent"]/>
                        <ExcelLink view="segments" query=pairs.only(FILTER_KEYS)/>
                    </div>
                </Form>
            </Panel>
            <Panel title="Segments side by side" subtitle="Tick two or three segments above, then Compare selected" span=12>
                {if let Some(ticked) = too_many {
                    view! { <p class="notice notice--error" role="alert">{format!("Compare at most {MAX_COMPARE} segments at a time; {ticked} are ticked.")}</p> }.into_any()
                } else if side_by_side.len() < 2 {
                    view! { <EmptyState title="Nothing to compare yet" detail="Tick two or three segments in the picker and choose Compare selected."/> }.into_any()
                } else {
                    view! { <Comparison segments=side_by_side/> }.into_any()
                }}
            </Panel>
            <Panel title="Attributed revenue by segment" subtitle=format!("This period and the one of equal length before · {period}") span=12>
                <Chart id="segment-revenue-chart" label="Attributed revenue by segment, this period and the previous one" data=Signal::derive(move || revenue.clone())
                    empty="No purchase was attributed to a campaign in this period."/>
            </Panel>
        </div>
    }
    .into_any()
}

#[component]
fn Comparison(segments: Vec<SegmentSummary>) -> impl IntoView {
    let csv_rows: Vec<Vec<Cell>> = segments
        .iter()
        .map(|s| vec![s.segment.as_str().into(), s.size.into(), s.ltv.into(), s.cac.into(), ltv_to_cac(s).into(), s.aov.into(), s.ctr.into(), s.conversion_rate.into(), s.revenue.into(), s.trend.map(|t| 100.0 * t).into()])
        .collect();
    type Figure = (&'static str, fn(&SegmentSummary) -> String);
    let figures: [Figure; 9] = [
        ("Users", |s| format::count(s.size as i64)),
        ("LTV", |s| or_missing(s.ltv, format::money)),
        ("CAC", |s| or_missing(s.cac, format::money)),
        ("LTV ÷ CAC", |s| or_missing(ltv_to_cac(s), format::ratio)),
        ("AOV", |s| or_missing(s.aov, format::money)),
        ("CTR", |s| or_missing(s.ctr, format::percent)),
        ("Conv rate", |s| or_missing(s.conversion_rate, format::percent)),
        ("Revenue", |s| format::money(s.revenue)),
        ("Trend", |s| or_missing(s.trend, format::change)),
    ];
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Segments side by side">
                <thead>
                    <tr>
                        <th scope="col">"Figure"</th>
                        {segments.iter().map(|s| view! { <th scope="col" class="num">{s.segment.as_str()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {figures.into_iter().map(|(label, show)| view! {
                        <tr>
                            <th scope="row">{label}</th>
                            {segments.iter().map(|s| view! { <td class="num">{show(s)}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <CsvLink filename="segments-compared.csv" rows=csv_rows
            header=&["segment", "users", "ltv_usd", "cac_usd", "ltv_to_cac", "aov_usd", "ctr_percent", "conversion_rate_percent", "revenue_usd", "trend_percent"]/>
    }
}
