//! Reports as PDF documents (`GET /api/v1/reports/*.pdf`): each builder turns the dashboard's own
//! API responses for a query into a [`pdf::Report`]; [`pdf::render`] lays it out and writes it.
//! docs/reports.md describes them.

pub mod board;
pub mod campaign;
pub mod compliance;
pub mod pdf;

use analytics::metrics::{MetricValue, RoiRow};
use app::format;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::http::metrics::parse_scope;
use crate::state::AppState;

/// The keys that set a report's period rather than filter it.
const PERIOD_KEYS: [&str; 3] = ["from", "to", "range"];

/// A report's period, `[from, to)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
    /// The period a query gives (`from`/`to`, or `range`; by default the last 30 days, ending
    /// now), and the query with that period made explicit so every section reads the same one.
    pub fn of(pairs: &[(String, String)], now: DateTime<Utc>) -> Result<(Vec<(String, String)>, Period)> {
        let mut pairs = pairs.to_vec();
        if !pairs.iter().any(|(k, _)| k == "from" || k == "range") {
            pairs.push(("range".to_owned(), "30d".to_owned()));
        }
        let scope = parse_scope(&pairs, &[], now)?;
        let to = scope.to.unwrap_or(now).min(now);
        let from = scope.from.unwrap_or(to - chrono::Duration::days(30));
        let mut explicit: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| !PERIOD_KEYS.contains(&k.as_str())).collect();
        explicit.push(("from".to_owned(), from.to_rfc3339()));
        explicit.push(("to".to_owned(), to.to_rfc3339()));
        Ok((explicit, Period { from, to }))
    }

    pub fn words(&self) -> String {
        format!("{} to {} UTC", self.from.format("%d %b %Y %H:%M"), self.to.format("%d %b %Y %H:%M"))
    }

    /// For file names: the first and last day (`to` is exclusive).
    pub fn days(&self) -> String {
        let last = if self.to > self.from { self.to - chrono::Duration::nanoseconds(1) } else { self.to };
        format!("{}_to_{}", self.from.format("%Y-%m-%d"), last.format("%Y-%m-%d"))
    }
}

/// The filters of a query in words ("segment HIGH_SPENDER · type DISCOUNT"), or "none".
pub fn describe_filters(pairs: &[(String, String)]) -> String {
    let filters: Vec<String> = pairs.iter().filter(|(k, v)| !PERIOD_KEYS.contains(&k.as_str()) && !v.trim().is_empty()).map(|(k, v)| format!("{k} {v}")).collect();
    if filters.is_empty() { "None: every campaign, segment, region and platform".to_owned() } else { filters.join(" · ") }
}

/// How fresh the data is: the newest event and its age.
pub async fn freshness(state: &AppState) -> Result<String> {
    let now = state.clock.now();
    let report = crate::services::quality::report(&state.db, now, 1).await?;
    Ok(match report.overall.data_freshness_minutes {
        Some(minutes) => format!("the newest event arrived {} before generation", format::duration((minutes * 60.0).round() as i64)),
        None => "no event has arrived yet".to_owned(),
    })
}

/// What a reader should know before trusting the figures: metrics without a value or with
/// incomplete data, holdout splits that fail the sample-ratio check, stale data.
pub async fn caveats<'a>(state: &AppState, metrics: impl Iterator<Item = &'a MetricValue>, roi: &[RoiRow]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for m in metrics {
        if let Some(reason) = &m.reason {
            out.push(format!("{} has no value: {reason}", m.name));
        } else if !m.complete {
            out.push(format!(
                "{} is computed on incomplete data: less than 90% of the events expected for its window have arrived (confidence {}).",
                m.name,
                format::percent(100.0 * m.confidence)
            ));
        }
    }
    for r in roi.iter().filter(|r| r.balanced == Some(false)) {
        out.push(format!(
            "{}: its holdout split differs from the planned {} (sample-ratio test p < 0.001), so its lift is not reliable until the assignment is checked.",
            r.name,
            format::percent(100.0 * r.planned_holdout_share)
        ));
    }
    let quality = crate::services::quality::report(&state.db, state.clock.now(), 24).await?;
    if let Some(minutes) = quality.overall.data_freshness_minutes.filter(|m| *m > 30.0) {
        out.push(format!("The newest event is {} old: recent hours may be missing.", format::duration((minutes * 60.0).round() as i64)));
    }
    if quality.counts.received > 0 {
        let rejected = quality.counts.received - quality.counts.valid;
        if rejected > 0 {
            out.push(format!(
                "In the last 24 hours {} of {} events received were rejected by validation ({}).",
                format::count(rejected),
                format::count(quality.counts.received),
                format::percent(100.0 * rejected as f64 / quality.counts.received as f64)
            ));
        }
    }
    if out.is_empty() {
        out.push("No data-quality problem affects these figures: every headline metric has complete data, every holdout split is balanced and the data is fresh.".to_owned());
    }
    Ok(out)
}
