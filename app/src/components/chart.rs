//! One chart component for the whole app. Data arrives typed ([`ChartData`]); the server renders
//! an accessible placeholder, and the browser draws with charming (ECharts) after hydration,
//! redrawing whenever the data or the theme changes. A chart with nothing to plot shows an empty
//! state saying why instead of a blank box.

use leptos::prelude::*;

use crate::theme::ThemeState;

/// The colour-blind-safe categorical palette (Okabe–Ito order), light theme.
pub const PALETTE_LIGHT: [&str; 7] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];
/// The same order, brightened where the dark surface needs more contrast.
pub const PALETTE_DARK: [&str; 7] = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442"];

/// How [`ChartData`] is drawn. Line and bar: one line or bar set per series along the labels.
/// Area: lines filled down to zero, each from zero (not stacked on one another: a campaign's
/// clicks are among its impressions, so a stack would count them twice). Funnel: the first
/// series, one stage per label. Heatmap: one row per series (its name on the y axis), one column
/// per label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    Area,
    Bar,
    Funnel,
    Heatmap,
}

/// One named series of values, aligned with [`ChartData::labels`]. `None` is a gap.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// What a chart plots: category labels along x and one or more series.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub kind: ChartKind,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    /// The unit of the values, e.g. `events`, `ms` or `US$` (the y axis name, the heatmap legend).
    pub y_unit: String,
}

impl ChartData {
    /// Whether there is anything to draw: at least one value that is neither missing nor zero.
    pub fn is_empty(&self) -> bool {
        !self.series.iter().flat_map(|s| &s.values).any(|v| v.is_some_and(|v| v != 0.0))
    }
}

#[component]
pub fn Chart(
    /// Unique in the page: the element ECharts draws into.
    #[prop(into)]
    id: String,
    /// Says what is plotted, for screen readers.
    #[prop(into)]
    label: String,
    #[prop(into)] data: Signal<ChartData>,
    /// Why the chart can be empty, shown in its place when it is (e.g. "No clicks in the period").
    #[prop(into, default = "Nothing was recorded for these filters in this period.".to_owned())]
    empty: String,
) -> impl IntoView {
    let theme = use_context::<ThemeState>();
    // The placeholder is swapped for the empty state only when emptiness flips, so the element
    // ECharts draws into survives ordinary data updates.
    let empty_now = Memo::new(move |_| data.with(ChartData::is_empty));
    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        // A page rendered in the browser (client-side navigation) may run this before its element
        // is in the document: try again on the next frames until it is.
        let attempt = RwSignal::new(0u32);
        // The effect keeps the ECharts instance: drawn once, then updated in place.
        Effect::new(move |instance: Option<Option<charming::Echarts>>| {
            let data = data.get();
            attempt.track();
            if data.is_empty() {
                // The element is not in the page; a later non-empty update draws afresh.
                return None;
            }
            let dark = theme.is_some_and(|t| t.0.get() == crate::theme::Theme::Dark);
            let chart = draw::build(&data, dark);
            match instance.flatten() {
                Some(echarts) => {
                    charming::WasmRenderer::update(&echarts, &chart);
                    Some(echarts)
                }
                None if !draw::in_document(&id) => {
                    if attempt.get_untracked() < 60 {
                        request_animation_frame(move || attempt.update(|n| *n += 1));
                    }
                    None
                }
                None => draw::render(&id, &chart, data.kind == ChartKind::Heatmap),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
    let tall = matches!(data.get_untracked().kind, ChartKind::Heatmap);
    move || {
        if empty_now.get() {
            view! { <crate::components::panel::EmptyState title=format!("{label}: no data") detail=empty.clone()/> }.into_any()
        } else {
            let class = if tall { "chart chart--tall" } else { "chart" };
            view! { <div id=id.clone() class=class role="img" aria-label=label.clone()></div> }.into_any()
        }
    }
}

#[cfg(feature = "hydrate")]
mod draw {
    use super::{ChartData, ChartKind, PALETTE_DARK, PALETTE_LIGHT};

    use charming::{
        Chart, WasmRenderer,
        component::{Axis, Grid, Legend, VisualMap, VisualMapChannel},
        datatype::{DataPoint, DataPointItem},
        element::{AreaStyle, AxisLabel, AxisType, Color, ItemStyle, JsFunction, Label, LabelLine, LabelPosition, LineStyle, Orient, Sort, SplitLine, TextStyle, Tooltip, Trigger},
        series::{Bar, Funnel, Heatmap, Line},
    };

    pub fn build(data: &ChartData, dark: bool) -> Chart {
        let text = if dark { "#a3a9b7" } else { "#4b5263" };
        let rule = if dark { "#2a2f3b" } else { "#dde1e8" };
        let palette = if dark { PALETTE_DARK } else { PALETTE_LIGHT };
        let base = Chart::new().background_color("transparent").color(palette.iter().map(|c| Color::from(*c)).collect());
        match data.kind {
            ChartKind::Line | ChartKind::Area | ChartKind::Bar => cartesian(base, data, text, rule),
            ChartKind::Funnel => funnel(base, data, dark),
            ChartKind::Heatmap => heatmap(base, data, text, dark),
        }
    }

    fn point(v: &Option<f64>) -> DataPoint {
        match v {
            Some(v) => DataPoint::from(*v),
            None => DataPoint::from("-"),
        }
    }

    /// The body of a JavaScript function of `v` that writes a value in the reader's locale: money
    /// with its currency and 2 decimals, percentages with 1, counts and the rest with separators.
    fn value_format(unit: &str, compact: bool) -> String {
        let options = if unit.starts_with("US$") {
            if compact { "{style:'currency',currency:'USD',notation:'compact',maximumFractionDigits:1}" } else { "{style:'currency',currency:'USD',minimumFractionDigits:2,maximumFractionDigits:2}" }
        } else if unit.starts_with('%') {
            "{maximumFractionDigits:1}"
        } else {
            "{maximumFractionDigits:2}"
        };
        let suffix = if unit.starts_with('%') { "+'%'" } else { "" };
        format!("if (v === null || v === undefined || v === '-' || isNaN(v)) {{ return '—'; }} return new Intl.NumberFormat(undefined, {options}).format(v){suffix};")
    }

    fn cartesian(chart: Chart, data: &ChartData, text: &str, rule: &str) -> Chart {
        let mut chart = chart
            .grid(Grid::new().left(56).right(16).top(32).bottom(32))
            .tooltip(Tooltip::new().trigger(Trigger::Axis).value_formatter(JsFunction::new_with_args("v", &value_format(&data.y_unit, false))))
            .x_axis(Axis::new().type_(AxisType::Category).data(data.labels.clone()).axis_label(AxisLabel::new().color(text)))
            .y_axis(
                Axis::new()
                    .type_(AxisType::Value)
                    .name(data.y_unit.clone())
                    .name_text_style(TextStyle::new().color(text))
                    .axis_label(AxisLabel::new().color(text).formatter(JsFunction::new_with_args("v", &value_format(&data.y_unit, true))))
                    .split_line(SplitLine::new().line_style(LineStyle::new().color(rule))),
            );
        if data.series.len() > 1 {
            chart = chart.legend(Legend::new().text_style(TextStyle::new().color(text)));
        }
        // With few points a line is hard to see (one point draws nothing): show the markers.
        let few_points = data.labels.len() < 30;
        for series in &data.series {
            let values: Vec<DataPoint> = series.values.iter().map(point).collect();
            chart = match data.kind {
                ChartKind::Line => chart.series(Line::new().name(series.name.clone()).show_symbol(few_points).data(values)),
                ChartKind::Area => chart.series(Line::new().name(series.name.clone()).show_symbol(few_points).area_style(AreaStyle::new().opacity(0.25)).data(values)),
                _ => chart.series(Bar::new().name(series.name.clone()).data(values)),
            };
        }
        chart
    }

    fn funnel(chart: Chart, data: &ChartData, dark: bool) -> Chart {
        // One colour for every stage, with a label colour that reads on it in each theme.
        let (fill, ink) = if dark { ("#56B4E9", "#0f1115") } else { ("#0072B2", "#ffffff") };
        let Some(series) = data.series.first() else { return chart };
        let stages: Vec<DataPointItem> = data
            .labels
            .iter()
            .zip(&series.values)
            .map(|(label, v)| DataPointItem::new(v.unwrap_or(0.0)).name(label.clone()))
            .collect();
        chart
            .tooltip(Tooltip::new().trigger(Trigger::Item).formatter(JsFunction::new_with_args("p", &format!("var f = function(v) {{ {} }}; return p.name + ': ' + f(p.value) + ' {}';", value_format(&data.y_unit, false), data.y_unit.replace('\'', "")))))
            .series(
                Funnel::new()
                    .name(series.name.clone())
                    .sort(Sort::None)
                    .left("10%")
                    .width("80%")
                    .gap(2)
                    .item_style(ItemStyle::new().color(fill).border_color(fill))
                    .label(Label::new().show(true).position(LabelPosition::Inside).color(ink).formatter("{b}: {c}"))
                    .label_line(LabelLine::new().show(false))
                    .data(stages),
            )
    }

    fn heatmap(chart: Chart, data: &ChartData, text: &str, dark: bool) -> Chart {
        let rows: Vec<String> = data.series.iter().map(|s| s.name.clone()).collect();
        let mut cells: Vec<Vec<DataPoint>> = Vec::new();
        let mut max: f64 = 0.0;
        for (y, series) in data.series.iter().enumerate() {
            for (x, v) in series.values.iter().enumerate() {
                if let Some(v) = v {
                    max = max.max(*v);
                    cells.push(vec![DataPoint::from(x as f64), DataPoint::from(y as f64), DataPoint::from(*v)]);
                }
            }
        }
        // Sequential, one hue (blue), light to dark: readable for every colour vision.
        let low = if dark { "#1b2230" } else { "#eef4fb" };
        let high = if dark { "#56B4E9" } else { "#08467a" };
        chart
            .grid(Grid::new().left(88).right(16).top(8).bottom(72))
            .tooltip(Tooltip::new().trigger(Trigger::Item))
            .x_axis(Axis::new().type_(AxisType::Category).data(data.labels.clone()).axis_label(AxisLabel::new().color(text)))
            .y_axis(Axis::new().type_(AxisType::Category).data(rows).inverse(true).axis_label(AxisLabel::new().color(text)))
            .visual_map(
                VisualMap::new()
                    .min(0.0)
                    .max(max.max(1.0))
                    .calculable(true)
                    .orient(Orient::Horizontal)
                    .left("center")
                    .bottom(0)
                    .text_style(TextStyle::new().color(text))
                    .in_range(VisualMapChannel::new().color(vec![Color::from(low), Color::from(high)])),
            )
            .series(Heatmap::new().name(data.y_unit.clone()).data(cells))
    }

    /// Whether the element `id` is in the document yet.
    pub fn in_document(id: &str) -> bool {
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)).is_some()
    }

    /// Draws into the element `id`; the width follows the element, the height is fixed.
    pub fn render(id: &str, chart: &Chart, tall: bool) -> Option<charming::Echarts> {
        match WasmRenderer::new_opt(None, Some(if tall { 320 } else { 260 })).render(id, chart) {
            Ok(echarts) => Some(echarts),
            Err(err) => {
                log_error(&format!("chart {id} could not be drawn: {err:?}"));
                None
            }
        }
    }

    fn log_error(message: &str) {
        web_sys::console::error_1(&message.into());
    }
}
