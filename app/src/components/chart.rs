//! One chart component for the whole app. Data arrives typed ([`ChartData`]); the server renders
//! an accessible placeholder, and the browser draws with charming (ECharts) after hydration,
//! redrawing whenever the data or the theme changes.

use leptos::prelude::*;

use crate::theme::ThemeState;

/// The colour-blind-safe categorical palette (Okabe–Ito order), light theme.
pub const PALETTE_LIGHT: [&str; 7] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];
/// The same order, brightened where the dark surface needs more contrast.
pub const PALETTE_DARK: [&str; 7] = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    Bar,
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
    /// The unit of the y axis, e.g. `events` or `ms`.
    pub y_unit: String,
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
) -> impl IntoView {
    let theme = use_context::<ThemeState>();
    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        // The effect keeps the ECharts instance: drawn once, then updated in place.
        Effect::new(move |instance: Option<Option<charming::Echarts>>| {
            let data = data.get();
            let dark = theme.is_some_and(|t| t.0.get() == crate::theme::Theme::Dark);
            let chart = draw::build(&data, dark);
            match instance.flatten() {
                Some(echarts) => {
                    charming::WasmRenderer::update(&echarts, &chart);
                    Some(echarts)
                }
                None => draw::render(&id, &chart),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (theme, data);
    view! { <div id=id class="chart" role="img" aria-label=label></div> }
}

#[cfg(feature = "hydrate")]
mod draw {
    use super::{ChartData, ChartKind, PALETTE_DARK, PALETTE_LIGHT};
    use charming::{
        Chart, WasmRenderer,
        component::{Axis, Grid},
        element::{AxisType, Color, LineStyle, SplitLine, TextStyle, Tooltip, Trigger},
        series::{Bar, Line},
    };

    pub fn build(data: &ChartData, dark: bool) -> Chart {
        let text = if dark { "#a3a9b7" } else { "#4b5263" };
        let rule = if dark { "#2a2f3b" } else { "#dde1e8" };
        let palette = if dark { PALETTE_DARK } else { PALETTE_LIGHT };
        let mut chart = Chart::new()
            .background_color("transparent")
            .color(palette.iter().map(|c| Color::from(*c)).collect())
            .grid(Grid::new().left(48).right(16).top(24).bottom(32))
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .x_axis(
                Axis::new()
                    .type_(AxisType::Category)
                    .data(data.labels.clone())
                    .axis_label(charming::element::AxisLabel::new().color(text)),
            )
            .y_axis(
                Axis::new()
                    .type_(AxisType::Value)
                    .name(data.y_unit.clone())
                    .name_text_style(TextStyle::new().color(text))
                    .axis_label(charming::element::AxisLabel::new().color(text))
                    .split_line(SplitLine::new().line_style(LineStyle::new().color(rule))),
            );
        // With few points a line is hard to see (one point draws nothing): show the markers.
        let few_points = data.labels.len() < 30;
        for series in &data.series {
            let values: Vec<charming::datatype::DataPoint> = series
                .values
                .iter()
                .map(|v| match v {
                    Some(v) => charming::datatype::DataPoint::from(*v),
                    None => charming::datatype::DataPoint::from("-"),
                })
                .collect();
            chart = match data.kind {
                ChartKind::Line => chart.series(Line::new().name(series.name.clone()).show_symbol(few_points).data(values)),
                ChartKind::Bar => chart.series(Bar::new().name(series.name.clone()).data(values)),
            };
        }
        chart
    }

    /// Draws into the element `id`; the width follows the element, the height is fixed.
    pub fn render(id: &str, chart: &Chart) -> Option<charming::Echarts> {
        match WasmRenderer::new_opt(None, Some(260)).render(id, chart) {
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
