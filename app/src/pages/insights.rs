//! Insights: the ROI deep dive (Module 8) for the global filters. Treatment against holdout per
//! campaign with 95% intervals and a verdict in words, the economics of each (incremental revenue
//! against spend), two or more campaigns side by side, and the credit each attribution model gives.
//! Drilling is by the global filters: a segment, a creative or a period narrows every figure.

use leptos::prelude::*;
use leptos_router::components::{A, Form};

use analytics::metrics::RoiRow;
use analytics::stats::Interval;

use crate::api::{load_attribution, load_roi};
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::csv::{Cell, CsvLink, ExcelLink};
use crate::components::filter_bar::{DashboardHead, carried, use_filters, use_query_pairs};
use crate::components::live::use_live_feed;
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::filters::{FILTER_KEYS, QueryPairs};
use crate::format;
use crate::format::or_missing;
use crate::wire::{AttributionResponse, RoiResponse};

#[component]
pub fn Insights() -> impl IntoView {
    let pairs = use_query_pairs();
    let filters = use_filters();
    let feed = use_live_feed(filters);
    let roi = Resource::new(move || (filters.with(QueryPairs::encode), feed.leaderboard_version.get()), |(q, _)| load_roi(q));
    let attribution = Resource::new(move || (filters.with(QueryPairs::encode), feed.leaderboard_version.get()), |(q, _)| load_attribution(q));
    view! {
        <DashboardHead title="Insights" feed/>
        <div class="grid">
            <Transition fallback=|| view! { <Panel title="Incrementality: treatment vs holdout" span=12><Skeleton lines=8/></Panel> }>
                {move || Suspend::new(async move {
                    match roi.await {
                        Ok(data) => view! { <RoiModule data pairs=pairs.get_untracked()/> }.into_any(),
                        Err(err) => view! { <Panel title="Incrementality: treatment vs holdout" span=12><ErrorState message=err.to_string()/></Panel> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <Panel title="Attribution models" span=12><Skeleton lines=6/></Panel> }>
                {move || Suspend::new(async move {
                    match attribution.await {
                        Ok(data) => view! { <AttributionModule data/> }.into_any(),
                        Err(err) => view! { <Panel title="Attribution models" span=12><ErrorState message=err.to_string()/></Panel> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}


/// A rate (a fraction) as a percentage.
fn rate(value: f64) -> String {
    format::percent(100.0 * value)
}

/// A difference of rates (fractions) in percentage points, signed.
fn points(value: f64) -> String {
    let pp = 100.0 * value;
    if pp.is_finite() { format!("{}{} pp", if pp > 0.0 { "+" } else { "" }, format::fixed(pp, 1)) } else { format::MISSING.to_owned() }
}

fn interval(i: Option<Interval>, show: impl Fn(f64) -> String) -> String {
    i.map_or_else(String::new, |i| format!("95% CI {} to {}", show(i.low), show(i.high)))
}

/// The verdict in plain words and its tone class (`RoiRow::verdict`).
pub fn verdict(row: &RoiRow) -> (&'static str, &'static str) {
    use analytics::metrics::roi::Verdict;
    let v = row.verdict();
    (v.words(), match v {
        Verdict::Unbalanced | Verdict::LikelyNegative => "bad",
        Verdict::LikelyPositive => "good",
        Verdict::NoEvidenceYet | Verdict::NotEnoughData => "warning",
    })
}

#[component]
fn RoiModule(data: RoiResponse, pairs: QueryPairs) -> AnyView {
    let period = format!("{} to {} UTC", data.from.format("%d %b %Y %H:%M"), data.to.format("%d %b %Y %H:%M"));
    if data.campaigns.is_empty() {
        return view! {
            <Panel title="Incrementality: treatment vs holdout" subtitle=period span=12>
                <EmptyState title="No campaign with users assigned" detail="No user was first assigned to a campaign's treatment or holdout group in this period for these filters."/>
            </Panel>
        }
        .into_any();
    }
    let chosen = pairs.all("campaign");
    let lift = ChartData {
        kind: ChartKind::Bar,
        labels: data.campaigns.iter().map(|r| r.name.clone()).collect(),
        series: vec![
            Series { name: "Incremental revenue".into(), values: data.campaigns.iter().map(|r| r.incremental_revenue).collect() },
            Series { name: "Spend".into(), values: data.campaigns.iter().map(|r| Some(r.spend)).collect() },
        ],
        y_unit: "US$".into(),
    };
    // Module 8's "over time" drill: the lift of each day's newly assigned users.
    let single = data.over_time.iter().all(|d| d.campaigns <= 1);
    let mut over_time_series = vec![Series { name: "Incrementality".into(), values: data.over_time.iter().map(|d| d.incrementality_percent).collect() }];
    if single {
        over_time_series.push(Series { name: "95% low".into(), values: data.over_time.iter().map(|d| d.incrementality_interval.map(|i| i.low)).collect() });
        over_time_series.push(Series { name: "95% high".into(), values: data.over_time.iter().map(|d| d.incrementality_interval.map(|i| i.high)).collect() });
    }
    let over_time = ChartData {
        kind: ChartKind::Line,
        labels: data.over_time.iter().map(|d| d.from.format("%d %b").to_string()).collect(),
        series: over_time_series,
        y_unit: "%".into(),
    };
    let rows = data.campaigns.clone();
    let lo = |i: Option<Interval>| i.map(|i| i.low);
    let hi = |i: Option<Interval>| i.map(|i| i.high);
    let csv_rows: Vec<Vec<Cell>> = data
        .campaigns
        .iter()
        .map(|r| {
            vec![
                r.campaign_id.to_string().into(),
                r.name.clone().into(),
                r.treated_users.into(),
                r.treated_converted.into(),
                r.holdout_users.into(),
                r.holdout_converted.into(),
                r.treated_rate.into(),
                r.holdout_rate.into(),
                r.absolute_lift.into(),
                lo(r.absolute_lift_interval).into(),
                hi(r.absolute_lift_interval).into(),
                r.relative_lift.into(),
                lo(r.relative_lift_interval).into(),
                hi(r.relative_lift_interval).into(),
                r.lift_test.map(|t| t.p_value).into(),
                r.incrementality_percent.into(),
                lo(r.incrementality_interval).into(),
                hi(r.incrementality_interval).into(),
                r.incremental_revenue.into(),
                r.spend.into(),
                r.net_incremental_revenue.into(),
                verdict(r).0.into(),
            ]
        })
        .collect();
    view! {
        <Panel title="Incrementality: treatment vs holdout" subtitle=format!("Users first assigned in the period · {period}") span=12>
            <Form method="GET" action="/insights" attr:class="form">
                {carried(&pairs, &["campaign"])}
                <div class="table-scroll" tabindex="0">
                    <table class="table" aria-label="Treatment vs holdout">
                        <thead>
                            <tr>
                                <th scope="col"><span class="visually-hidden">"Compare"</span></th>
                                <th scope="col">"Campaign"</th>
                                <th scope="col" class="num">"Treatment"</th>
                                <th scope="col" class="num">"Holdout"</th>
                                <th scope="col" class="num">"Lift"</th>
                                <th scope="col" class="num">"Relative lift"</th>
                                <th scope="col" class="num">"Incrementality"</th>
                                <th scope="col">"Verdict"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let id = r.campaign_id.to_string();
                                let (words, tone) = verdict(&r);
                                let p_value = r.lift_test.map(|t| format!("p = {:.3}", t.p_value)).unwrap_or_default();
                                view! {
                                    <tr>
                                        <td><input type="checkbox" name="campaign" value=id.clone() checked=chosen.contains(&id) aria-label=format!("Compare {}", r.name)/></td>
                                        <th scope="row" class="table__name"><A href=pairs.only(FILTER_KEYS).with_param("campaign", None).href(&format!("/campaigns/{id}"))>{r.name.clone()}</A></th>
                                        <td class="num">
                                            {or_missing(r.treated_rate, rate)}
                                            <span class="table__sub">{format!("{} of {} users", format::count(r.treated_converted as i64), format::count(r.treated_users as i64))}</span>
                                            <span class="table__sub">{interval(r.treated_rate_interval, rate)}</span>
                                        </td>
                                        <td class="num">
                                            {or_missing(r.holdout_rate, rate)}
                                            <span class="table__sub">{format!("{} of {} users", format::count(r.holdout_converted as i64), format::count(r.holdout_users as i64))}</span>
                                            <span class="table__sub">{interval(r.holdout_rate_interval, rate)}</span>
                                        </td>
                                        <td class="num">
                                            {or_missing(r.absolute_lift, points)}
                                            <span class="table__sub">{interval(r.absolute_lift_interval, points)}</span>
                                        </td>
                                        <td class="num">
                                            {or_missing(r.relative_lift, format::change)}
                                            <span class="table__sub">{interval(r.relative_lift_interval, format::change)}</span>
                                        </td>
                                        <td class="num">
                                            {or_missing(r.incrementality_percent, format::percent)}
                                            <span class="table__sub">{interval(r.incrementality_interval, format::percent)}</span>
                                        </td>
                                        <td>
                                            <span class=format!("status status--{tone}")><span class="status__dot" aria-hidden="true"></span>{words}</span>
                                            <span class="table__sub">{p_value}</span>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <div class="toolbar">
                    <button type="submit" class="button">"Compare selected campaigns"</button>
                    <CsvLink filename="incrementality.csv" rows=csv_rows header=&[
                        "campaign_id", "campaign", "treated_users", "treated_converted", "holdout_users", "holdout_converted", "treated_rate", "holdout_rate",
                        "absolute_lift", "absolute_lift_low_95", "absolute_lift_high_95", "relative_lift", "relative_lift_low_95", "relative_lift_high_95",
                        "p_value", "incrementality_percent", "incrementality_low_95", "incrementality_high_95", "incremental_revenue_usd", "spend_usd", "net_incremental_revenue_usd", "verdict",
                    ]/>
                    <ExcelLink view="roi" query=pairs.only(FILTER_KEYS)/>
                </div>
            </Form>
        </Panel>
        <Panel title="Economics" subtitle=format!("Incremental revenue against spend · {period}") span=12>
            <EconomicsTable rows=data.campaigns.clone()/>
            <Chart id="roi-economics-chart" label="Incremental revenue and spend per campaign" data=Signal::derive(move || lift.clone())
                empty="No spend and no incremental revenue in this period."/>
        </Panel>
        <Panel title="Incrementality over time"
            subtitle=format!("Users first assigned each UTC day · {}", if single { "with its 95% interval" } else { "pooled over the campaigns (pick one for its interval)" })
            span=12>
            <Chart id="roi-over-time-chart" label="Incrementality of each day's newly assigned users" data=Signal::derive(move || over_time.clone())
                empty="No day had both treatment and holdout users with a conversion."/>
            <ul class="notes"><li>"The latest days' users have had less of their 7-day measurement window yet."</li></ul>
        </Panel>
    }
    .into_any()
}

#[component]
fn EconomicsTable(rows: Vec<RoiRow>) -> impl IntoView {
    let csv_rows: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                r.campaign_id.to_string().into(),
                r.name.clone().into(),
                r.incremental_conversions.into(),
                r.treated_revenue_per_user.into(),
                r.holdout_revenue_per_user.into(),
                r.incremental_revenue.into(),
                r.spend.into(),
                r.net_incremental_revenue.into(),
                r.revenue_per_incremental_conversion.into(),
                r.cost_per_incremental_conversion.into(),
                r.net_per_incremental_conversion.into(),
                r.minimum_detectable_effect.into(),
            ]
        })
        .collect();
    view! {
        <div class="toolbar">
            <CsvLink filename="economics.csv" rows=csv_rows header=&[
                "campaign_id", "campaign", "incremental_conversions", "revenue_per_user_treatment_usd", "revenue_per_user_holdout_usd",
                "incremental_revenue_usd", "spend_usd", "net_incremental_revenue_usd", "revenue_per_incremental_conversion_usd",
                "cost_per_incremental_conversion_usd", "net_per_incremental_conversion_usd", "minimum_detectable_lift",
            ]/>
        </div>
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Economics">
                <thead>
                    <tr>
                        <th scope="col">"Campaign"</th>
                        <th scope="col" class="num">"Incremental conversions"</th>
                        <th scope="col" class="num">"Revenue / user, treatment"</th>
                        <th scope="col" class="num">"Revenue / user, holdout"</th>
                        <th scope="col" class="num">"Incremental revenue"</th>
                        <th scope="col" class="num">"Spend"</th>
                        <th scope="col" class="num">"Net incremental revenue"</th>
                        <th scope="col" class="num">"Revenue / incremental conversion"</th>
                        <th scope="col" class="num">"Cost / incremental conversion"</th>
                        <th scope="col" class="num">"Net / incremental conversion"</th>
                        <th scope="col" class="num">"Smallest detectable lift"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <th scope="row">{r.name.clone()}</th>
                            <td class="num">{or_missing(r.incremental_conversions, |v| format!("{v:.1}"))}</td>
                            <td class="num">{or_missing(r.treated_revenue_per_user, format::money)}</td>
                            <td class="num">{or_missing(r.holdout_revenue_per_user, format::money)}</td>
                            <td class="num">{or_missing(r.incremental_revenue, format::money)}</td>
                            <td class="num">{format::money(r.spend)}</td>
                            <td class="num">{or_missing(r.net_incremental_revenue, format::money)}</td>
                            <td class="num">{or_missing(r.revenue_per_incremental_conversion, format::money)}</td>
                            <td class="num">{or_missing(r.cost_per_incremental_conversion, format::money)}</td>
                            <td class="num">{or_missing(r.net_per_incremental_conversion, format::money)}</td>
                            <td class="num">{or_missing(r.minimum_detectable_effect, points)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn AttributionModule(data: AttributionResponse) -> AnyView {
    let a = data.attribution.clone();
    let period = format!("{} to {} UTC", data.from.format("%d %b %Y %H:%M"), data.to.format("%d %b %Y %H:%M"));
    let subtitle = format!("Revenue credited by each model · lookback {} h, time-decay half-life {} h · {period}", a.lookback_hours, a.half_life_hours);
    if a.campaigns.is_empty() {
        return view! {
            <Panel title="Attribution models" subtitle=subtitle span=12>
                <EmptyState title="No purchase to credit" detail="No purchase in this period followed a campaign touch within the lookback."/>
            </Panel>
        }
        .into_any();
    }
    let models: Vec<&str> = a.total.each().iter().map(|(name, _)| *name).collect();
    let csv_rows: Vec<Vec<Cell>> = a
        .campaigns
        .iter()
        .map(|c| {
            let mut row: Vec<Cell> = vec![c.campaign_id.to_string().into(), c.name.clone().into()];
            row.extend(c.models.each().iter().map(|(_, credit)| Cell::from(credit.revenue)));
            row.push(c.revenue_spread_percent.into());
            row
        })
        .collect();
    view! {
        <Panel title="Attribution models" subtitle=subtitle span=12>
            <div class="table-scroll" tabindex="0">
                <table class="table" aria-label="Attribution by model">
                    <thead>
                        <tr>
                            <th scope="col">"Campaign"</th>
                            {models.iter().map(|m| view! { <th scope="col" class="num">{m.replace('_', " ")}</th> }).collect_view()}
                            <th scope="col" class="num">"Spread"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {a.campaigns.iter().map(|c| view! {
                            <tr>
                                <th scope="row">{c.name.clone()}</th>
                                {c.models.each().iter().map(|(_, credit)| view! { <td class="num">{format::money(credit.revenue)}</td> }).collect_view()}
                                <td class="num">{or_missing(c.revenue_spread_percent, format::percent)}</td>
                            </tr>
                        }).collect_view()}
                        <tr>
                            <th scope="row">"All campaigns"</th>
                            {a.total.each().iter().map(|(_, credit)| view! { <td class="num">{format::money(credit.revenue)}</td> }).collect_view()}
                            <td class="num">{or_missing(a.total.revenue_spread_percent(), format::percent)}</td>
                        </tr>
                    </tbody>
                </table>
            </div>
            <CsvLink filename="attribution.csv" rows=csv_rows
                header=&["campaign_id", "campaign", "first_touch_usd", "last_touch_usd", "linear_usd", "time_decay_usd", "spread_percent"]/>
        </Panel>
    }
    .into_any()
}
