//! A report as a PDF: a cover page, then its blocks (headings, text, KPI cards, tables, charts)
//! flowed down A4 pages with a running header and "Page n of N" footers. Everything is vector:
//! text in the embedded DejaVu Sans subsets (`server/assets/fonts`), charts as paths.
//!
//! Two steps, so page numbers can say "of N": [`layout`] places every block as drawing
//! operations on pages; [`render`] draws them with krilla.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use skrifa::MetadataProvider;

use crate::error::{AppError, Result};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Where the running header's rule sits and where the body starts on pages after the cover.
const BODY_TOP: f32 = MARGIN + 22.0;
/// The body ends above the footer.
const BODY_BOTTOM: f32 = PAGE_H - MARGIN - 18.0;
/// The most lines a table cell wraps onto before it is cut with "…".
const MAX_CELL_LINES: usize = 6;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Colours of the light theme (docs: ../shared/DESIGN.md): text, muted text, hairlines, the
/// accent, status colours and the Okabe–Ito series palette.
type Colour = (u8, u8, u8);
const INK: Colour = (0x1a, 0x1d, 0x24);
const MUTED: Colour = (0x5b, 0x61, 0x70);
const HAIRLINE: Colour = (0xd9, 0xdc, 0xe3);
const SURFACE: Colour = (0xf3, 0xf4, 0xf7);
const ACCENT: Colour = (0x00, 0x72, 0xb2);
const SERIES: [Colour; 6] = [(0x00, 0x72, 0xb2), (0xe6, 0x9f, 0x00), (0x00, 0x9e, 0x73), (0xcc, 0x79, 0xa7), (0x56, 0xb4, 0xe9), (0xd5, 0x5e, 0x00)];

/// What a figure's colour says: only status is coloured, and always with words beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Good,
    Bad,
    Warn,
}

impl Tone {
    fn colour(self) -> Colour {
        match self {
            Tone::Neutral => MUTED,
            Tone::Good => (0x1a, 0x7f, 0x37),
            Tone::Bad => (0xc6, 0x28, 0x28),
            Tone::Warn => (0x9a, 0x5b, 0x00),
        }
    }
}

/// A KPI card: the metric, its value, the change and target, and its status.
#[derive(Debug, Clone)]
pub struct Kpi {
    pub label: String,
    pub value: String,
    /// "▲ 4.2% vs previous period", coloured by whether the change is good for the metric.
    pub delta: Option<(String, Tone)>,
    pub target: String,
    /// "On target", "Below target for 3 days"…
    pub status: (String, Tone),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub align: Align,
    /// A share of the table's width, against the other columns'.
    pub weight: f32,
}

pub fn column(title: &str, align: Align, weight: f32) -> Column {
    Column { title: title.to_owned(), align, weight }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

/// One bar: its label, its value (the bar's length), the value in words, an optional interval
/// drawn as an error bar, and its tone.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    pub interval: Option<(f64, f64)>,
    pub tone: Tone,
}

/// Horizontal bars on one scale that always includes zero (so a negative lift points left).
#[derive(Debug, Clone)]
pub struct Bars {
    pub title: String,
    /// What the axis measures, with its unit ("Lift in conversion rate, percentage points").
    pub axis: String,
    pub bars: Vec<Bar>,
}

/// Lines over shared x labels (days), each series in its palette colour, with a y axis in the
/// values' unit.
#[derive(Debug, Clone)]
pub struct Lines {
    pub title: String,
    pub x_labels: Vec<String>,
    pub series: Vec<(String, Vec<Option<f64>>)>,
    pub y_unit: AxisUnit,
}

/// How a chart's value axis is labelled; its decimals follow the tick step, so a narrow range
/// still reads as distinct ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisUnit {
    Multiple,
    Dollars,
    Percent,
    Count,
}

impl AxisUnit {
    fn tick(self, value: f64, step: f64) -> String {
        // Enough decimals that the step itself shows (0.25 needs two), at most four.
        let mut decimals = if step > 0.0 { (-step.log10()).ceil().max(0.0) as i32 } else { 1 };
        let scaled = step * 10f64.powi(decimals);
        if step > 0.0 && (scaled - scaled.round()).abs() > 1e-6 {
            decimals += 1;
        }
        // Dollars and counts in whole units once the step is one or more.
        if step >= 1.0 && matches!(self, AxisUnit::Dollars | AxisUnit::Count) {
            decimals = 0;
        }
        let text = app::format::fixed(value.abs(), decimals.clamp(0, 4) as usize);
        let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
        let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
        let grouped = format!("{sign}{}{}", app::format::count(whole.parse().unwrap_or(0)), fraction.map(|f| format!(".{f}")).unwrap_or_default());
        match self {
            AxisUnit::Multiple => format!("{grouped}×"),
            AxisUnit::Dollars => format!("${grouped}"),
            AxisUnit::Percent => format!("{grouped}%"),
            AxisUnit::Count => grouped,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// Small muted text: a method, a caveat.
    Note(String),
    Kpis(Vec<Kpi>),
    Table(Table),
    Bars(Bars),
    Lines(Lines),
}

/// A whole report: the cover's title, subtitle and facts (period, generation time, data
/// freshness, filters), the running header's text, and the body.
#[derive(Debug, Clone)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    pub facts: Vec<(String, String)>,
    /// Right of the running header: the period, say.
    pub header: String,
    /// Left of every footer: when it was generated and how fresh the data is.
    pub footer: String,
    pub blocks: Vec<Block>,
}

// ---------------------------------------------------------------------------------------------
// Measuring text

struct Face {
    data: &'static [u8],
}

impl Face {
    /// The advance of `text` at `size` points (the fonts' horizontal metrics; these fonts
    /// kern little, and numbers not at all).
    fn width(&self, text: &str, size: f32) -> f32 {
        let font = skrifa::FontRef::new(self.data).expect("the embedded font parses");
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(skrifa::instance::Size::new(size), skrifa::instance::LocationRef::default());
        text.chars().map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)).unwrap_or(size * 0.6)).sum()
    }
}

static FACES: [Face; 2] = [Face { data: REGULAR }, Face { data: BOLD }];

fn width(text: &str, size: f32, bold: bool) -> f32 {
    FACES[usize::from(bold)].width(text, size)
}

/// `text` cut to fit `max` points, ending in "…" when cut.
fn fit(text: &str, size: f32, bold: bool, max: f32) -> String {
    if width(text, size, bold) <= max {
        return text.to_owned();
    }
    let mut out: String = text.to_owned();
    while !out.is_empty() && width(&format!("{out}…"), size, bold) > max {
        out.pop();
    }
    format!("{}…", out.trim_end())
}

/// Greedy line breaking at spaces; a word longer than a line is broken across lines (an id or
/// an audit action is kept whole, never cut).
fn wrap(text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if width(&candidate, size, bold) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for ch in word.chars() {
                if !line.is_empty() && width(&format!("{line}{ch}"), size, bold) > max {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(ch);
            }
        }
        lines.push(line);
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// Layout: blocks to drawing operations on pages

#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// `y` is the baseline.
    Text { x: f32, y: f32, size: f32, bold: bool, colour: Colour, text: String },
    Rect { x: f32, y: f32, w: f32, h: f32, colour: Colour },
    Line { points: Vec<(f32, f32)>, width: f32, colour: Colour },
}

struct Pages {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pages {
    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = BODY_TOP + 8.0;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn room(&mut self, height: f32) {
        if self.y + height > BODY_BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, colour: Colour, text: &str) {
        self.ops().push(Op::Text { x, y, size, bold, colour, text: text.to_owned() });
    }

    /// Right-aligned at `right`.
    fn text_right(&mut self, right: f32, y: f32, size: f32, bold: bool, colour: Colour, text: &str) {
        let x = right - width(text, size, bold);
        self.text(x, y, size, bold, colour, text);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) {
        if w > 0.0 && h > 0.0 {
            self.ops().push(Op::Rect { x, y, w, h, colour });
        }
    }

    fn line(&mut self, points: Vec<(f32, f32)>, width: f32, colour: Colour) {
        if points.len() >= 2 {
            self.ops().push(Op::Line { points, width, colour });
        }
    }

    fn paragraph(&mut self, text: &str, size: f32, colour: Colour) {
        let leading = size * 1.45;
        for line in wrap(text, size, false, CONTENT_W) {
            self.room(leading);
            self.y += leading;
            self.text(MARGIN, self.y - size * 0.3, size, false, colour, &line);
        }
        self.y += size * 0.6;
    }

    fn heading(&mut self, text: &str) {
        // A heading keeps company with at least a few lines of what follows.
        self.room(90.0);
        self.y += 22.0;
        self.text(MARGIN, self.y, 14.0, true, INK, text);
        self.y += 6.0;
        self.line(vec![(MARGIN, self.y), (MARGIN + CONTENT_W, self.y)], 0.6, HAIRLINE);
        self.y += 8.0;
    }

    fn kpis(&mut self, cards: &[Kpi]) {
        let (gap, per_row, h) = (12.0, 3, 122.0);
        let w = (CONTENT_W - gap * (per_row as f32 - 1.0)) / per_row as f32;
        for row in cards.chunks(per_row) {
            self.room(h + gap);
            let top = self.y;
            for (i, card) in row.iter().enumerate() {
                let x = MARGIN + i as f32 * (w + gap);
                self.rect(x, top, w, h, SURFACE);
                // The status strip: red when off target, with the words beside it.
                self.rect(x, top, 3.0, h, card.status.1.colour());
                let inner = x + 12.0;
                // The metric's name on up to two lines.
                for (k, line) in wrap(&card.label, 8.5, false, w - 20.0).iter().take(2).enumerate() {
                    self.text(inner, top + 16.0 + 11.0 * k as f32, 8.5, false, MUTED, line);
                }
                self.text(inner, top + 53.0, 20.0, true, INK, &fit(&card.value, 20.0, true, w - 20.0));
                if let Some((delta, tone)) = &card.delta {
                    self.text(inner, top + 67.0, 8.0, false, tone.colour(), &fit(delta, 8.0, false, w - 20.0));
                }
                self.text(inner, top + 80.0, 8.0, false, MUTED, &fit(&card.target, 8.0, false, w - 20.0));
                self.text(inner, top + 93.0, 8.0, true, card.status.1.colour(), &fit(&card.status.0, 8.0, true, w - 20.0));
            }
            self.y = top + h + gap;
        }
    }

    fn table(&mut self, table: &Table) {
        let (size, row_h) = (8.0, 15.0);
        let total: f32 = table.columns.iter().map(|c| c.weight).sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = table.columns.iter().map(|c| CONTENT_W * c.weight / total).collect();
        let header = |pages: &mut Pages| {
            let top = pages.y;
            pages.rect(MARGIN, top, CONTENT_W, row_h + 2.0, SURFACE);
            let mut x = MARGIN;
            for (c, w) in table.columns.iter().zip(&widths) {
                let title = fit(&c.title, size, true, w - 8.0);
                match c.align {
                    Align::Left => pages.text(x + 4.0, top + 11.5, size, true, INK, &title),
                    Align::Right => pages.text_right(x + w - 4.0, top + 11.5, size, true, INK, &title),
                }
                x += w;
            }
            pages.y = top + row_h + 2.0;
        };
        self.room(3.0 * row_h);
        header(self);
        for row in &table.rows {
            // Text columns wrap (up to six lines); numbers stay on one.
            let cells: Vec<Vec<String>> = table
                .columns
                .iter()
                .zip(&widths)
                .zip(row)
                .map(|((c, w), cell)| match c.align {
                    Align::Left => {
                        let mut lines = wrap(cell, size, false, w - 8.0);
                        if lines.len() > MAX_CELL_LINES {
                            lines.truncate(MAX_CELL_LINES);
                            let last = format!("{}…", lines[MAX_CELL_LINES - 1]);
                            lines[MAX_CELL_LINES - 1] = fit(&last, size, false, w - 8.0);
                        }
                        lines
                    }
                    Align::Right => vec![fit(cell, size, false, w - 8.0)],
                })
                .collect();
            let height = row_h + 10.0 * (cells.iter().map(Vec::len).max().unwrap_or(1).max(1) - 1) as f32;
            if self.y + height > BODY_BOTTOM {
                self.new_page();
                header(self);
            }
            let top = self.y;
            let mut x = MARGIN;
            for ((c, w), lines) in table.columns.iter().zip(&widths).zip(&cells) {
                for (k, line) in lines.iter().enumerate() {
                    let y = top + 10.5 + 10.0 * k as f32;
                    match c.align {
                        Align::Left => self.text(x + 4.0, y, size, false, INK, line),
                        Align::Right => self.text_right(x + w - 4.0, y, size, false, INK, line),
                    }
                }
                x += w;
            }
            self.y = top + height;
            self.line(vec![(MARGIN, self.y), (MARGIN + CONTENT_W, self.y)], 0.4, HAIRLINE);
        }
        self.y += 10.0;
    }

    fn chart_title(&mut self, title: &str, height: f32) {
        self.room(height + 24.0);
        self.y += 14.0;
        self.text(MARGIN, self.y, 10.0, true, INK, title);
        self.y += 8.0;
    }

    fn bars(&mut self, chart: &Bars) {
        let (bar_h, gap, label_w, value_w) = (12.0, 6.0, 150.0, 110.0);
        let height = chart.bars.len() as f32 * (bar_h + gap) + 24.0;
        self.chart_title(&chart.title, height.min(BODY_BOTTOM - BODY_TOP - 40.0));
        let ends = chart.bars.iter().flat_map(|b| [b.value, b.interval.map_or(b.value, |i| i.0), b.interval.map_or(b.value, |i| i.1)]);
        let (lo, hi) = ends.fold((0.0f64, 0.0f64), |(lo, hi), v| if v.is_finite() { (lo.min(v), hi.max(v)) } else { (lo, hi) });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let plot_x = MARGIN + label_w;
        let plot_w = CONTENT_W - label_w - value_w;
        let at = |v: f64| plot_x + ((v - lo) / span) as f32 * plot_w;
        let top = self.y;
        for bar in &chart.bars {
            self.room(bar_h + gap);
            let y = self.y;
            self.text(MARGIN, y + 9.5, 8.5, false, INK, &fit(&bar.label, 8.5, false, label_w - 8.0));
            let (a, b) = (at(0.0), at(bar.value));
            let colour = if bar.tone == Tone::Neutral { ACCENT } else { bar.tone.colour() };
            self.rect(a.min(b), y + 1.0, (b - a).abs().max(0.8), bar_h - 2.0, colour);
            if let Some((l, h)) = bar.interval {
                let (l, h) = (at(l), at(h));
                let mid = y + bar_h / 2.0;
                self.line(vec![(l, mid), (h, mid)], 0.9, INK);
                self.line(vec![(l, mid - 3.5), (l, mid + 3.5)], 0.9, INK);
                self.line(vec![(h, mid - 3.5), (h, mid + 3.5)], 0.9, INK);
            }
            self.text(plot_x + plot_w + 8.0, y + 9.5, 8.5, false, INK, &fit(&bar.text, 8.5, false, value_w - 8.0));
            self.y += bar_h + gap;
        }
        // The zero line, and the axis's meaning under it.
        let zero = at(0.0);
        self.line(vec![(zero, top - 2.0), (zero, self.y - gap + 2.0)], 0.6, MUTED);
        self.y += 4.0;
        self.text(plot_x, self.y + 8.0, 7.5, false, MUTED, &fit(&chart.axis, 7.5, false, plot_w + value_w));
        self.y += 16.0;
    }

    fn lines(&mut self, chart: &Lines) {
        let (h, axis_w) = (150.0, 56.0);
        self.chart_title(&chart.title, h + 40.0);
        let values: Vec<f64> = chart.series.iter().flat_map(|(_, s)| s.iter().flatten().copied()).filter(|v| v.is_finite()).collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let hi = if hi > lo { hi } else { lo + 1.0 };
        let (plot_x, plot_w, top) = (MARGIN + axis_w, CONTENT_W - axis_w, self.y);
        let y_of = |v: f64| top + h - ((v - lo) / (hi - lo)) as f32 * h;
        for k in 0..=4 {
            let v = lo + (hi - lo) * f64::from(k) / 4.0;
            let y = y_of(v);
            self.line(vec![(plot_x, y), (plot_x + plot_w, y)], 0.4, HAIRLINE);
            self.text_right(plot_x - 6.0, y + 3.0, 7.5, false, MUTED, &chart.y_unit.tick(v, (hi - lo) / 4.0));
        }
        let n = chart.x_labels.len();
        let step = if n > 1 { plot_w / (n - 1) as f32 } else { 0.0 };
        for (i, (_, series)) in chart.series.iter().enumerate() {
            let colour = SERIES[i % SERIES.len()];
            let mut run = Vec::new();
            for (j, v) in series.iter().enumerate() {
                match v.filter(|v| v.is_finite()) {
                    Some(v) => run.push((plot_x + j as f32 * step, y_of(v))),
                    None => self.line(std::mem::take(&mut run), 1.5, colour),
                }
            }
            self.line(run, 1.5, colour);
        }
        // First, middle and last dates under the axis.
        for j in [0, n / 2, n.saturating_sub(1)].into_iter().filter(|j| *j < n) {
            let label = &chart.x_labels[j];
            let x = (plot_x + j as f32 * step - width(label, 7.5, false) / 2.0).clamp(plot_x, plot_x + plot_w - width(label, 7.5, false));
            self.text(x, top + h + 12.0, 7.5, false, MUTED, label);
        }
        self.y = top + h + 18.0;
        if chart.series.len() > 1 {
            let mut x = plot_x;
            for (i, (name, _)) in chart.series.iter().enumerate() {
                self.rect(x, self.y + 2.0, 10.0, 3.0, SERIES[i % SERIES.len()]);
                self.text(x + 14.0, self.y + 6.5, 8.0, false, INK, name);
                x += 24.0 + width(name, 8.0, false);
            }
            self.y += 14.0;
        }
        self.y += 8.0;
    }
}

fn cover(report: &Report) -> Vec<Op> {
    let mut pages = Pages { pages: vec![Vec::new()], y: 0.0 };
    pages.rect(0.0, 0.0, PAGE_W, 8.0, ACCENT);
    pages.text(MARGIN, 140.0, 11.0, true, ACCENT, "SwipeSavvy Analytics");
    let mut y = 190.0;
    for line in wrap(&report.title, 28.0, true, CONTENT_W) {
        pages.text(MARGIN, y, 28.0, true, INK, &line);
        y += 36.0;
    }
    for line in wrap(&report.subtitle, 13.0, false, CONTENT_W) {
        pages.text(MARGIN, y, 13.0, false, MUTED, &line);
        y += 19.0;
    }
    y += 30.0;
    pages.line(vec![(MARGIN, y), (MARGIN + CONTENT_W, y)], 0.6, HAIRLINE);
    y += 24.0;
    for (label, value) in &report.facts {
        pages.text(MARGIN, y, 9.5, true, MUTED, label);
        for line in wrap(value, 10.0, false, CONTENT_W - 130.0) {
            pages.text(MARGIN + 130.0, y, 10.0, false, INK, &line);
            y += 15.0;
        }
        y += 6.0;
    }
    pages.pages.remove(0)
}

/// Every page's drawing operations, the cover first; headers and footers are added in
/// [`render`] once the page count is known.
fn layout(report: &Report) -> Vec<Vec<Op>> {
    let mut pages = Pages { pages: Vec::new(), y: 0.0 };
    pages.new_page();
    for block in &report.blocks {
        match block {
            Block::Heading(text) => pages.heading(text),
            Block::Paragraph(text) => pages.paragraph(text, 9.5, INK),
            Block::Note(text) => pages.paragraph(text, 8.0, MUTED),
            Block::Kpis(cards) => pages.kpis(cards),
            Block::Table(table) => pages.table(table),
            Block::Bars(chart) => pages.bars(chart),
            Block::Lines(chart) => pages.lines(chart),
        }
    }
    let mut all = vec![cover(report)];
    all.extend(pages.pages.into_iter().filter(|p| !p.is_empty()));
    all
}

fn fill(colour: Colour) -> Fill {
    Fill { paint: rgb::Color::new(colour.0, colour.1, colour.2).into(), opacity: NormalizedF32::ONE, ..Fill::default() }
}

/// The report as PDF bytes.
pub fn render(report: &Report) -> Result<Vec<u8>> {
    let fonts = [REGULAR, BOLD].map(|data| Font::new(krilla::Data::from(data), 0));
    let [Some(regular), Some(bold)] = fonts else {
        return Err(AppError::Internal(anyhow::anyhow!("the embedded report fonts do not load")));
    };
    let pages = layout(report);
    let count = pages.len();
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(report.title.clone()).creator("SwipeSavvy Analytics".to_owned()));
    for (n, mut ops) in pages.into_iter().enumerate() {
        // The running header and footer (not on the cover's header).
        if n > 0 {
            ops.push(Op::Text { x: MARGIN, y: MARGIN + 8.0, size: 8.0, bold: true, colour: MUTED, text: fit(&report.title, 8.0, true, CONTENT_W / 2.0) });
            let header = fit(&report.header, 8.0, false, CONTENT_W / 2.0);
            ops.push(Op::Text { x: PAGE_W - MARGIN - width(&header, 8.0, false), y: MARGIN + 8.0, size: 8.0, bold: false, colour: MUTED, text: header });
            ops.push(Op::Line { points: vec![(MARGIN, MARGIN + 14.0), (PAGE_W - MARGIN, MARGIN + 14.0)], width: 0.5, colour: HAIRLINE });
        }
        let page_number = format!("Page {} of {count}", n + 1);
        ops.push(Op::Text { x: MARGIN, y: PAGE_H - MARGIN + 4.0, size: 7.5, bold: false, colour: MUTED, text: fit(&report.footer, 7.5, false, CONTENT_W - 80.0) });
        ops.push(Op::Text { x: PAGE_W - MARGIN - width(&page_number, 7.5, false), y: PAGE_H - MARGIN + 4.0, size: 7.5, bold: false, colour: MUTED, text: page_number });

        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a page size");
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, bold: b, colour, text } => {
                    surface.set_fill(Some(fill(colour)));
                    let font = if b { bold.clone() } else { regular.clone() };
                    surface.draw_text(Point::from_xy(x, y), font, size, &text, false, TextDirection::Auto);
                }
                Op::Rect { x, y, w, h, colour } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(fill(colour)));
                        surface.draw_path(&path);
                    }
                }
                Op::Line { points, width: w, colour } => {
                    let mut path = PathBuilder::new();
                    path.move_to(points[0].0, points[0].1);
                    for (x, y) in &points[1..] {
                        path.line_to(*x, *y);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke { paint: rgb::Color::new(colour.0, colour.1, colour.2).into(), width: w, ..Stroke::default() }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| AppError::Internal(anyhow::anyhow!("the PDF could not be written: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_wrapped_and_cut_to_fit() {
        assert!(width("Revenue", 10.0, true) > width("Revenue", 10.0, false));
        assert!((width("00", 10.0, false) - 2.0 * width("0", 10.0, false)).abs() < 1e-4);
        let lines = wrap("the quick brown fox jumps over the lazy dog", 10.0, false, 80.0);
        assert!(lines.len() > 2 && lines.iter().all(|l| width(l, 10.0, false) <= 80.0), "{lines:?}");
        assert_eq!(lines.join(" "), "the quick brown fox jumps over the lazy dog");
        let broken = wrap("export.campaign-report:6f1c0d2e", 8.0, false, 50.0);
        assert!(broken.len() > 1 && broken.concat() == "export.campaign-report:6f1c0d2e", "{broken:?}");
        let cut = fit("A campaign with a very long name indeed", 8.0, false, 60.0);
        assert!(cut.ends_with('…') && width(&cut, 8.0, false) <= 60.0, "{cut}");
    }

    #[test]
    fn a_long_table_runs_onto_further_pages_each_with_its_header() {
        let table = Table { columns: vec![column("Campaign", Align::Left, 3.0), column("Revenue", Align::Right, 1.0)], rows: (0..120).map(|i| vec![format!("Campaign {i}"), format!("${i}.00")]).collect() };
        let report = Report { title: "T".into(), subtitle: "S".into(), facts: vec![], header: "H".into(), footer: "F".into(), blocks: vec![Block::Heading("Campaigns".into()), Block::Table(table)] };
        let pages = layout(&report);
        assert!(pages.len() >= 4, "a cover and three pages of rows: {}", pages.len());
        for page in &pages[1..] {
            let headers = page.iter().filter(|op| matches!(op, Op::Text { text, bold: true, .. } if text == "Revenue")).count();
            assert_eq!(headers, 1, "each page of the table repeats its header");
        }
        let bytes = render(&report).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }

    #[test]
    fn axis_ticks_have_the_decimals_their_step_needs() {
        assert_eq!(AxisUnit::Multiple.tick(0.125, 0.025), "0.125×");
        assert_eq!(AxisUnit::Multiple.tick(2.0, 0.5), "2.0×");
        assert_eq!(AxisUnit::Dollars.tick(12_345.0, 2_500.0), "$12,345");
        assert_eq!(AxisUnit::Percent.tick(-0.5, 0.25), "-0.50%");
        assert_eq!(AxisUnit::Count.tick(1_500_000.0, 250_000.0), "1,500,000");
        assert_eq!(AxisUnit::Dollars.tick(1_461.2, 365.3), "$1,461");
    }
}
