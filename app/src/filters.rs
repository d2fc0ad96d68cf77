//! The dashboard's global filters (date range, segment, campaign type, status and the rest of the
//! metrics API's filters), kept in the URL query string so that a view is a link: shared,
//! bookmarked and restored by back and forward.
//!
//! The page hands the raw values to the server, which validates them with the metrics API's own
//! rules (`server/src/http/metrics.rs`), so a bad link gets the same error, naming the parameter,
//! as a bad API call. Here they are only read leniently, to draw the filter chips.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

use analytics::{CampaignStatus, CampaignType, SegmentType};

/// The parameters every metrics query takes, in the order links write them.
pub const FILTER_KEYS: &[&str] = &["range", "from", "to", "segment", "type", "status", "campaign", "region", "platform", "creative"];

/// The leaderboard's own parameters: sorting, paging and its ROAS threshold.
pub const TABLE_KEYS: &[&str] = &["sort", "order", "page", "per_page", "roas_below"];

/// The pages' own comparison parameter (segments, funnel, ROI deep dive): what to set side by side.
pub const VIEW_KEYS: &[&str] = &["compare"];

/// A period ending now (or at `to`): the last `n` days, or the year to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Days(u32),
    YearToDate,
}

impl Range {
    /// The presets of the filter bar and the KPI cards' period buttons (spec Module 1).
    pub const PRESETS: [Range; 4] = [Range::Days(7), Range::Days(30), Range::Days(90), Range::YearToDate];

    /// The longest `Nd` range accepted.
    pub const MAX_DAYS: u32 = 3_660;

    /// Where a range ending at `end` starts.
    pub fn start(self, end: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Range::Days(n) => end - Duration::days(i64::from(n)),
            Range::YearToDate => Utc.with_ymd_and_hms(end.year(), 1, 1, 0, 0, 0).single().unwrap_or(end),
        }
    }

    /// Short label for buttons: `7d`, `YTD`.
    pub fn short(self) -> String {
        match self {
            Range::Days(n) => format!("{n}d"),
            Range::YearToDate => "YTD".to_owned(),
        }
    }

    /// What the range covers, in words.
    pub fn describe(self) -> String {
        match self {
            Range::Days(1) => "Last 24 hours".to_owned(),
            Range::Days(n) => format!("Last {n} days"),
            Range::YearToDate => "Year to date".to_owned(),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::Days(n) => write!(f, "{n}d"),
            Range::YearToDate => f.write_str("ytd"),
        }
    }
}

impl FromStr for Range {
    type Err = String;

    fn from_str(value: &str) -> Result<Range, String> {
        let bad = || format!("'{value}' is not a range: use 7d, 30d, 90d (any 1d to {}d) or ytd", Range::MAX_DAYS);
        if value.eq_ignore_ascii_case("ytd") {
            return Ok(Range::YearToDate);
        }
        let days = value.strip_suffix('d').ok_or_else(bad)?.parse::<u32>().map_err(|_| bad())?;
        if (1..=Range::MAX_DAYS).contains(&days) { Ok(Range::Days(days)) } else { Err(bad()) }
    }
}

/// The query string of the current page as ordered pairs (repeated keys kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// Reads the pairs whose keys are in `keys` from the router's query map, in `keys` order.
    pub fn from_params(params: &leptos_router::params::ParamsMap, keys: &[&str]) -> QueryPairs {
        let mut pairs = Vec::new();
        for key in keys {
            // An empty form field (`segment=`) means "no filter".
            for value in params.get_all(key).unwrap_or_default().into_iter().filter(|v| !v.trim().is_empty()) {
                pairs.push(((*key).to_owned(), value));
            }
        }
        QueryPairs(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, repeated keys and comma-separated lists alike, in order.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect::<Vec<_>>())
            .collect()
    }

    /// Only the pairs whose keys are in `keys`.
    pub fn only(&self, keys: &[&str]) -> QueryPairs {
        QueryPairs(self.0.iter().filter(|(k, _)| keys.contains(&k.as_str())).cloned().collect())
    }

    /// These pairs with `key` set to `value` (or removed when `None`); the position of an
    /// existing key is kept so links stay stable.
    pub fn with_param(&self, key: &str, value: Option<&str>) -> QueryPairs {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut placed = false;
        for (k, v) in &self.0 {
            if k == key {
                if let (Some(value), false) = (value, placed) {
                    pairs.push((k.clone(), value.to_owned()));
                }
                placed = true;
            } else {
                pairs.push((k.clone(), v.clone()));
            }
        }
        if let (Some(value), false) = (value, placed) {
            pairs.push((key.to_owned(), value.to_owned()));
        }
        QueryPairs(pairs)
    }

    /// `a=1&b=2`, percent-encoded, without the `?`.
    pub fn encode(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{}={}", escape(k), escape(v))).collect::<Vec<_>>().join("&")
    }

    /// `path?a=1&b=2`, or just `path` when there are no pairs.
    pub fn href(&self, path: &str) -> String {
        if self.0.is_empty() { path.to_owned() } else { format!("{path}?{}", self.encode()) }
    }

    /// The date range chosen: a preset, a custom `from`/`to`, or none (each metric's own window).
    pub fn period(&self) -> Period {
        if let Some(range) = self.get("range").and_then(|r| r.parse::<Range>().ok()) {
            return Period::Range(range);
        }
        match (self.get("from"), self.get("to")) {
            (None, None) => Period::Default,
            (from, to) => Period::Custom { from: from.map(str::to_owned), to: to.map(str::to_owned) },
        }
    }

    pub fn segment(&self) -> Option<SegmentType> {
        self.get("segment").and_then(|s| s.parse().ok())
    }

    pub fn campaign_type(&self) -> Option<CampaignType> {
        self.get("type").and_then(|s| s.parse().ok())
    }

    pub fn status(&self) -> Option<CampaignStatus> {
        self.get("status").and_then(|s| s.parse().ok())
    }
}

/// The period a page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    /// No date filter: each metric over the spec's default window, tables over the last 7 days.
    Default,
    Range(Range),
    Custom { from: Option<String>, to: Option<String> },
}

impl Period {
    pub fn describe(&self) -> String {
        match self {
            Period::Default => "Default windows".to_owned(),
            Period::Range(range) => range.describe(),
            Period::Custom { from, to } => format!(
                "{} to {}",
                from.as_deref().unwrap_or("the beginning"),
                to.as_deref().map_or("now".to_owned(), |t| format!("{t} (exclusive)"))
            ),
        }
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay as they are).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_the_presets_and_name_a_bad_value() {
        assert_eq!("7d".parse::<Range>(), Ok(Range::Days(7)));
        assert_eq!("YTD".parse::<Range>(), Ok(Range::YearToDate));
        assert!("0d".parse::<Range>().unwrap_err().contains("'0d' is not a range"));
        assert!("week".parse::<Range>().is_err());
        for preset in Range::PRESETS {
            assert_eq!(preset.to_string().parse::<Range>(), Ok(preset));
        }
    }

    #[test]
    fn year_to_date_starts_on_the_first_of_january() {
        let end = Utc.with_ymd_and_hms(2026, 11, 30, 9, 30, 0).unwrap();
        assert_eq!(Range::YearToDate.start(end), Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(Range::Days(7).start(end), Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap());
    }

    #[test]
    fn links_keep_other_filters_and_encode_values() {
        let pairs = QueryPairs(vec![("range".into(), "30d".into()), ("segment".into(), "HIGH_SPENDER".into())]);
        assert_eq!(pairs.with_param("range", Some("7d")).encode(), "range=7d&segment=HIGH_SPENDER");
        assert_eq!(pairs.with_param("range", None).href("/campaigns"), "/campaigns?segment=HIGH_SPENDER");
        assert_eq!(pairs.with_param("status", Some("active")).encode(), "range=30d&segment=HIGH_SPENDER&status=active");
        assert_eq!(QueryPairs::default().with_param("region", Some("US CA&x")).encode(), "region=US%20CA%26x");
        assert_eq!(QueryPairs::default().href("/"), "/");
    }

    #[test]
    fn the_period_is_a_preset_a_custom_window_or_the_defaults() {
        assert_eq!(QueryPairs::default().period(), Period::Default);
        let custom = QueryPairs(vec![("from".into(), "2026-11-01".into())]);
        assert_eq!(custom.period().describe(), "2026-11-01 to now");
        let range = QueryPairs(vec![("range".into(), "90d".into())]);
        assert_eq!(range.period(), Period::Range(Range::Days(90)));
    }
}
