//! Module 1, the executive KPI cards: value, change against the previous period coloured by
//! whether it is good for that metric, the target, a 7-day sparkline, freshness, and a red strip
//! that says so when the value has been off target for 3 days or more. Hover or focus shows the
//! formula and the data's freshness; a click drills into the module behind the number.

use leptos::prelude::*;

use analytics::metrics::{Direction, MetricId, MetricValue, Status};

use crate::components::live::LiveFeed;
use crate::filters::QueryPairs;
use crate::format;
use crate::wire::{KpiBoard, KpiCard, KpiPoint};

/// Days off target before a card turns red (spec Module 1).
pub const ALERT_DAYS: u32 = 3;

/// Where a card drills to, keeping the page's filters.
fn drill(id: MetricId, filters: &QueryPairs) -> (String, &'static str) {
    match id {
        // "Drill into campaigns with ROAS < 2.5x": the leaderboard, worst first.
        MetricId::Roas => (
            filters.with_param("sort", Some("roas")).with_param("order", Some("asc")).with_param("roas_below", Some("2.5")).href("/campaigns"),
            "campaigns with ROAS below 2.5×",
        ),
        MetricId::Incrementality => (filters.href("/insights"), "the holdout comparison"),
        MetricId::Cac | MetricId::Ltv => (filters.href("/segments"), "segment economics"),
        _ => (filters.href("/funnel"), "engagement by step and hour"),
    }
}

/// Whether a change is good news for a metric: up for higher-is-better, down for lower-is-better.
fn change_is_good(direction: Direction, trend: f64) -> Option<bool> {
    match direction {
        Direction::Higher => Some(trend > 0.0),
        Direction::Lower => Some(trend < 0.0),
        Direction::Range => None,
    }
}

/// The length of a metric's window in words, for "vs previous 7 days".
fn window_words(metric: &MetricValue) -> Option<String> {
    let from = metric.from?;
    let hours = (metric.to - from).num_hours();
    Some(if hours % 24 == 0 { format!("previous {} days", hours / 24) } else { format!("previous {hours} hours") })
}

#[component]
pub fn KpiCards(board: KpiBoard, feed: LiveFeed, filters: QueryPairs) -> impl IntoView {
    board
        .cards
        .into_iter()
        .map(|card| view! { <KpiCardView card feed filters=filters.clone()/> })
        .collect_view()
}

#[component]
fn KpiCardView(card: KpiCard, feed: LiveFeed, filters: QueryPairs) -> impl IntoView {
    let id = card.metric.id;
    let code = id.as_str();
    let tip_id = format!("kpi-tip-{code}");
    let (href, drill_words) = drill(id, &filters);
    // The value pushed live, when one has arrived; otherwise the one the page was rendered with.
    let base = card.metric.clone();
    let metric = Memo::new(move |_| feed.metric(id).unwrap_or_else(|| base.clone()));
    let off_target_days = card.off_target_days;
    let history = card.history.clone();

    let value_text = move || metric.with(|m| m.value.map_or_else(|| format::MISSING.to_owned(), |v| format::metric(v, m.unit, true)));
    let value_title = move || metric.with(|m| m.reason.clone().unwrap_or_default());
    let delta = move || {
        metric.with(|m| {
            let trend = m.trend?;
            let good = change_is_good(m.direction, trend);
            let arrow = if trend > 0.0 { "▲" } else if trend < 0.0 { "▼" } else { "■" };
            let class = match good {
                Some(true) if trend != 0.0 => "kpi__delta kpi__delta--good",
                Some(false) if trend != 0.0 => "kpi__delta kpi__delta--bad",
                _ => "kpi__delta",
            };
            let words = window_words(m).map(|w| format!(" vs {w}")).unwrap_or_default();
            Some(view! {
                <span class=class>
                    <span aria-hidden="true">{arrow}" "</span>
                    {format::change(trend)}
                    <span class="kpi__delta-words">{words}</span>
                </span>
            })
        })
    };
    let status_text = move || {
        metric.with(|m| match m.status {
            Some(Status::OffTarget) if off_target_days >= ALERT_DAYS => format!("Off target for {off_target_days} days"),
            Some(Status::OffTarget) => "Off target".to_owned(),
            Some(Status::OnTarget) => "On target".to_owned(),
            None => "No value yet".to_owned(),
        })
    };
    let state = move || {
        metric.with(|m| match m.status {
            Some(Status::OffTarget) if off_target_days >= ALERT_DAYS => "alert",
            Some(Status::OffTarget) => "off",
            Some(Status::OnTarget) => "on",
            None => "none",
        })
    };
    let freshness = move || {
        metric.with(|m| {
            let age = m.freshness_seconds.map(|s| format!(" · newest event {} ago", format::duration(s))).unwrap_or_default();
            format!("as of {} UTC{age}", m.as_of.format("%H:%M"))
        })
    };
    let completeness = move || {
        metric.with(|m| {
            if m.complete {
                "Data complete for the window.".to_owned()
            } else {
                format!("Incomplete: {:.0}% of the expected data is in.", m.confidence * 100.0)
            }
        })
    };
    let name = card.metric.name.clone();
    let target = format::target(card.metric.target, card.metric.unit);
    let formula = card.metric.formula.clone();
    view! {
        <article class="kpi" data-state=state aria-label=name.clone() data-testid=format!("kpi-{code}")>
            <a class="kpi__link" href=href aria-describedby=tip_id.clone()>
                <span class="kpi__label">{name.clone()}</span>
                <span class="kpi__value" title=value_title data-testid="kpi-value">{value_text}</span>
                <span class="kpi__meta">{delta}</span>
                <span class="kpi__target">"Target " {target}</span>
                <Sparkline points=history unit=card.metric.unit/>
                <span class="kpi__status">{status_text}</span>
                <span class="kpi__freshness">{freshness}</span>
                <span class="visually-hidden">{format!(". Opens {drill_words}.")}</span>
            </a>
            <div class="kpi__tip" role="tooltip" id=tip_id>
                <p><strong>"Formula: "</strong>{formula}</p>
                <p>{freshness}</p>
                <p>{completeness}</p>
                {move || metric.with(|m| m.reason.clone()).map(|r| view! { <p>"No value: " {r}</p> })}
            </div>
        </article>
    }
}

/// Seven points as a small line, drawn on the server (no script, no layout shift); missing days
/// are gaps. The points are also given as text for screen readers.
#[component]
fn Sparkline(points: Vec<KpiPoint>, unit: analytics::metrics::Unit) -> impl IntoView {
    const WIDTH: f64 = 120.0;
    const HEIGHT: f64 = 28.0;
    let values: Vec<f64> = points.iter().filter_map(|p| p.value).collect();
    let described = points
        .iter()
        .map(|p| format!("{}: {}", p.at.format("%d %b"), p.value.map_or_else(|| "no value".to_owned(), |v| format::metric(v, unit, true))))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() < 2 {
        return view! { <span class="kpi__spark kpi__spark--empty">"Not enough history for a trend line"</span> }.into_any();
    }
    let (low, high) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    let span = if high > low { high - low } else { 1.0 };
    let step = WIDTH / (points.len().max(2) - 1) as f64;
    // One polyline per run of consecutive known values.
    let mut runs: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, point) in points.iter().enumerate() {
        match point.value {
            Some(v) => {
                let y = HEIGHT - 2.0 - (v - low) / span * (HEIGHT - 4.0);
                current.push_str(&format!("{:.1},{:.1} ", i as f64 * step, y));
            }
            None if !current.is_empty() => runs.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    view! {
        <svg class="kpi__spark" viewBox=format!("0 0 {WIDTH} {HEIGHT}") width=WIDTH height=HEIGHT role="img" aria-label=format!("Last 7 days: {described}")>
            {runs.into_iter().map(|points| view! { <polyline points=points fill="none" stroke="currentColor" stroke-width="1.5"/> }).collect_view()}
        </svg>
    }
    .into_any()
}
