//! Per-campaign and per-creative performance rows (the leaderboard, Module 2, and the creative
//! breakdown, Module 5), with sorting by any column.

use std::cmp::Ordering;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::compute::CampaignTally;
use crate::domain::UnknownName;

/// The figures of one campaign or creative over a window, by the definitions of docs/metrics.md.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    pub sends: u64,
    pub impressions: u64,
    pub clicks: u64,
    /// Users who purchased after a click (metric 3's numerator).
    pub conversions: u64,
    pub new_customers: u64,
    /// Dollars: spend (split by sends under a dimension filter) and attributed revenue.
    pub spend: f64,
    pub revenue: f64,
    pub orders: u64,
    pub roas: Option<f64>,
    /// Percent.
    pub ctr: Option<f64>,
    pub conversion_rate: Option<f64>,
    pub cac: Option<f64>,
    pub aov: Option<f64>,
    /// Spend ÷ clicks, dollars (Module 4's "Cost/Click").
    pub cost_per_click: Option<f64>,
    /// Metric 18 for this campaign: incremental ÷ treatment conversions × 100.
    pub incrementality: Option<f64>,
    pub treated_users: u64,
    pub holdout_users: u64,
}

impl Performance {
    pub fn of(c: &CampaignTally, split: bool) -> Performance {
        let spend_cents = c.spend(split);
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        Performance {
            sends: c.sends_matching,
            impressions: c.impressions,
            clicks: c.clicks,
            conversions: c.converters,
            new_customers: c.new_customers,
            spend: spend_cents / 100.0,
            revenue: c.attributed_cents as f64 / 100.0,
            orders: c.attributed_orders,
            roas: ratio(c.attributed_cents as f64, spend_cents),
            ctr: ratio(100.0 * c.clicks as f64, c.impressions as f64),
            conversion_rate: ratio(100.0 * c.converters as f64, c.clickers as f64),
            cac: if spend_cents > 0.0 { ratio(spend_cents / 100.0, c.new_customers as f64) } else { None },
            aov: ratio(c.attributed_cents as f64 / 100.0, c.attributed_orders as f64),
            cost_per_click: ratio(spend_cents / 100.0, c.clicks as f64),
            incrementality: c.incremental_conversions().and_then(|i| ratio(100.0 * i, c.treated_converted as f64)),
            treated_users: c.treated,
            holdout_users: c.held,
        }
    }

    /// The value a column sorts by (`None` sorts last whatever the order).
    pub fn sort_key(&self, column: SortColumn) -> Option<f64> {
        match column {
            SortColumn::Name | SortColumn::Status | SortColumn::Type => None,
            SortColumn::Sends => Some(self.sends as f64),
            SortColumn::Impressions => Some(self.impressions as f64),
            SortColumn::Clicks => Some(self.clicks as f64),
            SortColumn::Conversions => Some(self.conversions as f64),
            SortColumn::Spend => Some(self.spend),
            SortColumn::Revenue => Some(self.revenue),
            SortColumn::Roas => self.roas,
            SortColumn::Ctr => self.ctr,
            SortColumn::ConversionRate => self.conversion_rate,
            SortColumn::Cac => self.cac,
            SortColumn::Aov => self.aov,
            SortColumn::Incrementality => self.incrementality,
        }
    }
}

macro_rules! columns {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// A column the leaderboard and creative table sort by.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum SortColumn {
            $(#[serde(rename = $name)] $variant,)+
        }

        impl FromStr for SortColumn {
            type Err = UnknownName;
            fn from_str(value: &str) -> Result<SortColumn, UnknownName> {
                match value {
                    $($name => Ok(SortColumn::$variant),)+
                    other => Err(UnknownName { kind: "sort column", value: other.to_owned(), expected: [$($name),+].join(", ") }),
                }
            }
        }
    };
}

columns! {
    Name => "name",
    Status => "status",
    Type => "type",
    Sends => "sends",
    Impressions => "impressions",
    Clicks => "clicks",
    Conversions => "conversions",
    Spend => "spend",
    Revenue => "revenue",
    Roas => "roas",
    Ctr => "ctr",
    ConversionRate => "conversion_rate",
    Cac => "cac",
    Aov => "aov",
    Incrementality => "incrementality",
}

/// Orders rows by a numeric column, or by a text one through `text`; missing values last, ties
/// by `text` so the order is stable.
pub fn sort_rows<T>(rows: &mut [T], column: SortColumn, descending: bool, performance: impl Fn(&T) -> &Performance, text: impl Fn(&T, SortColumn) -> String) {
    rows.sort_by(|a, b| {
        let primary = match (performance(a).sort_key(column), performance(b).sort_key(column)) {
            (Some(x), Some(y)) => {
                let o = x.total_cmp(&y);
                if descending { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => {
                let o = text(a, column).cmp(&text(b, column));
                if descending && matches!(column, SortColumn::Name | SortColumn::Status | SortColumn::Type) { o.reverse() } else { o }
            }
        };
        primary.then_with(|| text(a, SortColumn::Name).cmp(&text(b, SortColumn::Name)))
    });
}

/// Module 5's bulk action pauses creatives below this ROAS; the table flags them.
pub const LOW_ROAS: f64 = 3.0;
/// A creative converting this much worse than its campaign (relative) is flagged.
pub const LOWER_CONVERSION_SHARE: f64 = 0.9;

/// Module 5's notes for each creative, among the creatives of the same campaign: the best CTR
/// (when the campaign has several with impressions), a conversion rate under 90% of the
/// campaign's, a ROAS under 3.0x. `rows` is (campaign key, creative, campaign) per creative.
pub fn creative_notes<K: PartialEq>(rows: &[(K, &Performance, &Performance)]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|(campaign, creative, whole)| {
            let mut notes = Vec::new();
            let siblings: Vec<&Performance> = rows.iter().filter(|(k, p, _)| k == campaign && p.ctr.is_some()).map(|r| r.1).collect();
            if siblings.len() > 1
                && let Some(ctr) = creative.ctr
                && siblings.iter().all(|p| p.ctr.unwrap_or(f64::MIN) <= ctr)
            {
                notes.push("Best CTR".to_owned());
            }
            if let (Some(mine), Some(all)) = (creative.conversion_rate, whole.conversion_rate)
                && mine < all * LOWER_CONVERSION_SHARE
            {
                notes.push("Lower conv rate".to_owned());
            }
            if creative.roas.is_some_and(|r| r < LOW_ROAS) {
                notes.push("Low ROAS".to_owned());
            }
            notes
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        let mut rows = vec![
            ("b", Performance { roas: Some(2.0), ..Performance::default() }),
            ("a", Performance { roas: None, ..Performance::default() }),
            ("c", Performance { roas: Some(5.0), ..Performance::default() }),
        ];
        let name = |r: &(&str, Performance), _: SortColumn| r.0.to_owned();
        sort_rows(&mut rows, SortColumn::Roas, true, |r| &r.1, name);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ["c", "b", "a"]);
        sort_rows(&mut rows, SortColumn::Roas, false, |r| &r.1, name);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ["b", "c", "a"]);
        sort_rows(&mut rows, SortColumn::Name, true, |r| &r.1, name);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ["c", "b", "a"]);
        assert!("romance".parse::<SortColumn>().unwrap_err().to_string().contains("roas"));
    }

    #[test]
    fn notes_name_the_best_ctr_and_the_weak_creatives_of_each_campaign() {
        let whole = Performance { conversion_rate: Some(10.0), ..Performance::default() };
        let a = Performance { ctr: Some(4.1), conversion_rate: Some(10.0), roas: Some(4.3), ..Performance::default() };
        let b = Performance { ctr: Some(2.8), conversion_rate: Some(7.2), roas: Some(2.8), ..Performance::default() };
        let alone = Performance { ctr: Some(1.0), roas: Some(5.0), ..Performance::default() };
        let notes = creative_notes(&[(1, &a, &whole), (1, &b, &whole), (2, &alone, &whole)]);
        assert_eq!(notes[0], ["Best CTR"]);
        assert_eq!(notes[1], ["Lower conv rate", "Low ROAS"]);
        assert!(notes[2].is_empty(), "a campaign's only creative is not 'best'");
    }

    #[test]
    fn performance_follows_the_definitions() {
        let c = CampaignTally {
            sends_all: 100,
            sends_matching: 50,
            spend_cents: 10_000,
            impressions: 40,
            clicks: 4,
            clickers: 4,
            converters: 1,
            attributed_cents: 5_000,
            attributed_orders: 2,
            new_customers: 1,
            treated: 90,
            held: 10,
            treated_converted: 30,
            held_converted: 2,
            ..CampaignTally::default()
        };
        let whole = Performance::of(&c, false);
        assert_eq!((whole.spend, whole.roas, whole.ctr, whole.cac, whole.aov), (100.0, Some(0.5), Some(10.0), Some(100.0), Some(25.0)));
        // 30 − 90 × 2/10 = 12 incremental of 30.
        assert!((whole.incrementality.unwrap() - 40.0).abs() < 1e-12);
        let split = Performance::of(&c, true);
        assert_eq!((split.spend, split.roas), (50.0, Some(1.0)), "spend follows the share of sends");
    }
}
