//! The Action Center's outcomes tab (`/actions/outcomes`, issue #9): what each executed
//! recommendation projected against what really happened once its evaluation window passed, per
//! type, with the uptake (executed ÷ shown) against the spec's 30% target. The measuring is the
//! server's (`analytics::recommend::outcome`); the page shows it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

use analytics::metrics::Unit;
use analytics::recommend::RecommendationKind;
use analytics::recommend::outcome::{Compared, Outcome};

use crate::api::load_recommendation_outcomes;
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::filters::QueryPairs;
use crate::format;
use crate::wire::{Acceptance, OutcomeItem, OutcomeReport};

const FILTERS: [&str; 3] = ["kind", "from", "to"];

/// Queue | Outcomes, on both of the Action Center's pages (plain links: the router's `A` would
/// mark "/actions" current under "/actions/outcomes" too).
#[component]
pub fn ActionCenterTabs(outcomes: bool) -> impl IntoView {
    view! {
        <nav class="segmented" aria-label="Action Center views">
            <a href="/actions" class="segmented__item" aria-current=(!outcomes).then_some("true")>"Queue"</a>
            <a href="/actions/outcomes" class="segmented__item" aria-current=outcomes.then_some("true")>"Outcomes"</a>
        </nav>
    }
}

/// The recommendation-type filter of both Action Center pages (`kind`).
#[component]
pub fn KindSelect(chosen: String) -> impl IntoView {
    view! {
        <label class="field">
            <span class="field__label">"Type"</span>
            <select name="kind">
                <option value="">"All"</option>
                {RecommendationKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=chosen == k.as_str()>{k.title()}</option> }).collect_view()}
            </select>
        </label>
    }
}

fn value(c: &Compared, v: Option<f64>) -> String {
    format::or_missing(v, |v| format::metric(v, c.unit, false))
}

fn rate(acceptance: &Acceptance) -> String {
    format::or_missing(acceptance.rate, |r| format::percent(100.0 * r))
}

fn error(o: &Outcome) -> String {
    format::or_missing(o.error_percent, |e| format!("{}{}%", if e > 0.0 { "+" } else { "" }, format::fixed(e, 1)))
}

fn verdict(o: &Outcome) -> &'static str {
    match o.hit {
        Some(true) => "✓ Within tolerance",
        Some(false) => "✗ Missed",
        None => "— Not judged",
    }
}

/// The dollar headlines side by side: one pair of bars per measured recommendation.
fn chart_of(items: &[OutcomeItem]) -> ChartData {
    let measured: Vec<(&OutcomeItem, &Compared)> = items
        .iter()
        .filter_map(|i| Some((i, i.outcome.as_ref()?.headline.as_ref().filter(|h| h.unit == Unit::Dollars)?)))
        .collect();
    ChartData {
        kind: ChartKind::Bar,
        labels: measured.iter().map(|(i, _)| i.title.chars().take(40).collect()).collect(),
        series: vec![
            Series { name: "Projected".to_owned(), values: measured.iter().map(|(_, h)| h.projected).collect() },
            Series { name: "Actual".to_owned(), values: measured.iter().map(|(_, h)| h.actual).collect() },
        ],
        y_unit: "US$ (7 days)".to_owned(),
    }
}

/// `/actions/outcomes`.
#[component]
pub fn ActionOutcomes() -> impl IntoView {
    let query = use_query_map();
    let query_string = Memo::new(move |_| query.with(|q| QueryPairs::from_params(q, &FILTERS).encode()));
    let report = Resource::new(move || query_string.get(), load_recommendation_outcomes);
    let param = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    view! {
        <Title text="Action Center · Outcomes"/>
        <div class="page-head">
            <h1 class="page-title">"Action Center"</h1>
            <p class="page-lede">"What executed recommendations projected against what really happened once their evaluation window passed, and how many of those shown were taken up. Each type's record feeds back into its confidence."</p>
        </div>
        <ActionCenterTabs outcomes=true/>
        <div class="toolbar">
            <Form method="GET" action="/actions/outcomes" attr:class="form form--inline">
                <KindSelect chosen=param("kind")/>
                <label class="field">
                    <span class="field__label">"Shown from"</span>
                    <input type="date" name="from" value=param("from")/>
                </label>
                <label class="field">
                    <span class="field__label">"Shown before"</span>
                    <input type="date" name="to" value=param("to")/>
                </label>
                <button type="submit" class="button">"Filter"</button>
            </Form>
        </div>
        <Transition fallback=|| view! { <div class="grid"><Panel title="Outcomes" span=12><Skeleton lines=6/></Panel></div> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <Report report/> }.into_any(),
                    Err(err) => view! { <div class="grid"><Panel title="Outcomes" span=12><ErrorState message=err.to_string()/></Panel></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Report(report: OutcomeReport) -> impl IntoView {
    let a = report.acceptance.clone();
    let target = format::percent(100.0 * report.acceptance_target);
    let uptake = format!(
        "{} of {} shown were executed ({}; the target is {} or more) · {} dismissed · {} expired · {} pending",
        a.executed,
        a.shown,
        rate(&a),
        target,
        a.dismissed,
        a.expired,
        a.pending
    );
    let judged: u32 = report.by_kind.iter().map(|k| k.track_record.evaluated).sum();
    let hits: u32 = report.by_kind.iter().map(|k| k.track_record.hits).sum();
    let subtitle = format!(
        "Measured {} days after execution against the 7 days before; a hit is within {} of the projection · {} of {} judged were hits",
        report.window_days,
        format::percent(100.0 * report.tolerance),
        hits,
        judged
    );
    let chart = chart_of(&report.items);
    let items = report.items.clone();
    view! {
        <p class="verdict" role="status">{uptake}</p>
        <div class="grid">
            <Panel title="By type" subtitle=subtitle.clone() span=12>
                {if report.by_kind.is_empty() {
                    view! { <EmptyState title="No recommendation yet" detail="Nothing was shown in this period."/> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll" tabindex="0">
                            <table class="table" aria-label="Outcomes by type">
                                <thead><tr>
                                    <th scope="col">"Type"</th>
                                    <th scope="col" class="num">"Shown"</th>
                                    <th scope="col" class="num">"Executed"</th>
                                    <th scope="col" class="num">"Acceptance"</th>
                                    <th scope="col" class="num">"Dismissed"</th>
                                    <th scope="col" class="num">"Awaiting measurement"</th>
                                    <th scope="col" class="num">"Hits / judged"</th>
                                    <th scope="col" class="num">"Mean absolute error"</th>
                                </tr></thead>
                                <tbody>
                                    {report.by_kind.iter().map(|k| view! {
                                        <tr>
                                            <th scope="row">{k.kind.title()}</th>
                                            <td class="num">{k.acceptance.shown}</td>
                                            <td class="num">{k.acceptance.executed}</td>
                                            <td class="num">{rate(&k.acceptance)}</td>
                                            <td class="num">{k.acceptance.dismissed}</td>
                                            <td class="num">{k.awaiting_evaluation}</td>
                                            <td class="num">{format!("{} / {}", k.track_record.hits, k.track_record.evaluated)}</td>
                                            <td class="num">{format::or_missing(k.mean_absolute_error_percent, format::percent)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </Panel>
            <Panel title="Projected vs actual" subtitle="The net weekly dollar effect of each measured recommendation" span=12>
                <Chart id="outcomes-chart" label="Projected against actual net weekly effect per executed recommendation" data=Signal::derive(move || chart.clone()) empty="No executed recommendation has been measured yet: each is measured once its evaluation window has passed."/>
            </Panel>
            <Panel title="Executed recommendations" subtitle="Newest first; each links to its detail" span=12>
                {if items.is_empty() {
                    view! { <EmptyState title="Nothing executed yet" detail="Execute a recommendation from the queue; its outcome is measured after the evaluation window."/> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll" tabindex="0">
                            <table class="table" aria-label="Executed recommendations">
                                <thead><tr>
                                    <th scope="col">"Recommendation"</th>
                                    <th scope="col">"Executed"</th>
                                    <th scope="col">"Judged on"</th>
                                    <th scope="col" class="num">"Projected"</th>
                                    <th scope="col" class="num">"Actual"</th>
                                    <th scope="col" class="num">"Error"</th>
                                    <th scope="col">"Verdict"</th>
                                </tr></thead>
                                <tbody>
                                    {items.into_iter().map(|i| {
                                        let executed = format!("{} by {}", i.executed_at.format("%Y-%m-%d %H:%M UTC"), i.executed_by.clone().unwrap_or_default());
                                        let row = match i.outcome.as_ref().and_then(|o| Some((o, o.headline.as_ref()?))) {
                                            Some((o, h)) => view! {
                                                <td>{h.label.clone()}</td>
                                                <td class="num">{value(h, h.projected)}</td>
                                                <td class="num">{value(h, h.actual)}</td>
                                                <td class="num">{error(o)}</td>
                                                <td>{verdict(o)}</td>
                                            }.into_any(),
                                            None if i.outcome.is_some() => view! { <td colspan="5">"Measured: nothing to judge (see the detail)"</td> }.into_any(),
                                            None => view! { <td colspan="5">{format!("Measured after {}", i.due_at.format("%Y-%m-%d %H:%M UTC"))}</td> }.into_any(),
                                        };
                                        view! {
                                            <tr>
                                                <th scope="row"><A href=format!("/actions/{}", i.id)>{i.title.clone()}</A></th>
                                                <td>{executed}</td>
                                                {row}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </Panel>
        </div>
    }
}

/// The detail view's outcome: every compared figure, or that it is still to come.
#[component]
pub fn OutcomePanel(outcome: Option<Outcome>) -> impl IntoView {
    match outcome {
        None => view! {
            <Panel title="Outcome" subtitle="Projected against actual" span=12>
                <p>"Not measured yet: the outcome is measured once the evaluation window after the execution has passed (the Outcomes tab says when)."</p>
            </Panel>
        }
        .into_any(),
        Some(o) => {
            let subtitle = format!("{} · {}", verdict(&o), o.method);
            view! {
                <Panel title="Outcome" subtitle=subtitle span=12>
                    <div class="table-scroll" tabindex="0">
                        <table class="table" aria-label="Outcome">
                            <thead><tr><th scope="col">"Figure"</th><th scope="col" class="num">"Projected"</th><th scope="col" class="num">"Actual"</th><th scope="col" class="num">"Difference"</th></tr></thead>
                            <tbody>
                                {o.figures.iter().map(|f| view! {
                                    <tr>
                                        <th scope="row">{f.label.clone()}</th>
                                        <td class="num">{value(f, f.projected)}</td>
                                        <td class="num">{value(f, f.actual)}</td>
                                        <td class="num">{value(f, f.error())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </Panel>
            }
            .into_any()
        }
    }
}
