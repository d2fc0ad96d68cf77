//! Each view's workbook, built from the same response its API answers (so an export and the
//! screen never disagree). Rates are in percent and money in dollars, as in the API.

use app::wire::{CreativeRow, ExperimentSummary, FunnelResponse, HeatmapResponse, LeaderboardRow, RoiResponse, SegmentsResponse, TablePage};
use chrono::{DateTime, Utc};

use super::Kind::{Count, Money, Multiple, Number, Percent, Text, Time};
use super::{Cell, Column, Table, Workbook, col};

/// The figures every campaign or creative row has (`analytics::metrics::Performance`).
const PERFORMANCE: [Column; 16] = [
    col("sends", "Sends", Count),
    col("impressions", "Impressions", Count),
    col("clicks", "Clicks", Count),
    col("conversions", "Conversions", Count),
    col("new_customers", "New customers", Count),
    col("orders", "Orders", Count),
    col("spend_usd", "Spend", Money),
    col("revenue_usd", "Revenue", Money),
    col("roas", "ROAS", Multiple),
    col("ctr_percent", "CTR", Percent),
    col("conversion_rate_percent", "Conversion rate", Percent),
    col("cac_usd", "CAC", Money),
    col("aov_usd", "AOV", Money),
    col("cost_per_click_usd", "Cost per click", Money),
    col("incrementality_percent", "Incrementality", Percent),
    col("holdout_users", "Holdout users", Count),
];

fn performance(p: &analytics::metrics::Performance) -> Vec<Cell> {
    vec![
        p.sends.into(),
        p.impressions.into(),
        p.clicks.into(),
        p.conversions.into(),
        p.new_customers.into(),
        p.orders.into(),
        p.spend.into(),
        p.revenue.into(),
        p.roas.into(),
        p.ctr.into(),
        p.conversion_rate.into(),
        p.cac.into(),
        p.aov.into(),
        p.cost_per_click.into(),
        p.incrementality.into(),
        p.holdout_users.into(),
    ]
}

fn columns(head: &[Column], tail: &[Column]) -> Vec<Column> {
    head.iter().chain(tail).copied().collect()
}

fn workbook(view: &'static str, title: &'static str, period: Option<(DateTime<Utc>, DateTime<Utc>)>, as_of: DateTime<Utc>, filters: &[(String, String)]) -> Workbook {
    Workbook { view, title, period, as_of, filters: filters.to_vec(), notes: Vec::new(), tables: Vec::new() }
}

/// Module 2: every campaign the filters allow, in the leaderboard's order.
pub fn campaigns(page: &TablePage<LeaderboardRow>, filters: &[(String, String)]) -> Workbook {
    let head = [
        col("rank", "Rank", Count),
        col("campaign_id", "Campaign ID", Text),
        col("campaign", "Campaign", Text),
        col("type", "Type", Text),
        col("status", "Status", Text),
        col("channels", "Channels", Text),
        col("budget_usd", "Budget", Money),
        col("budget_spent_usd", "Budget spent", Money),
    ];
    let mut table = Table { name: "Campaigns", columns: columns(&head, &PERFORMANCE), rows: Vec::new() };
    for row in &page.rows {
        let channels: Vec<&str> = row.channels.iter().map(|c| c.as_str()).collect();
        let mut cells: Vec<Cell> = vec![
            row.rank.into(),
            row.campaign_id.to_string().into(),
            row.name.clone().into(),
            row.campaign_type.as_str().into(),
            row.status.as_str().into(),
            channels.join(" ").into(),
            row.budget.into(),
            row.budget_spent.into(),
        ];
        cells.extend(performance(&row.performance));
        table.push(cells);
    }
    let mut book = workbook("campaigns", "Campaign leaderboard", Some((page.from, page.to)), page.as_of, filters);
    book.tables.push(table);
    book
}

/// Module 5: every creative of the campaigns the filters allow, with its notes.
pub fn creatives(page: &TablePage<CreativeRow>, filters: &[(String, String)]) -> Workbook {
    let head = [
        col("creative_id", "Creative ID", Text),
        col("campaign_id", "Campaign ID", Text),
        col("campaign", "Campaign", Text),
        col("creative", "Creative", Text),
        col("headline", "Headline", Text),
        col("call_to_action", "Call to action", Text),
        col("status", "Status", Text),
        col("weight_percent", "Weight", Percent),
        col("assignment_share_percent", "Share of deliveries", Percent),
    ];
    let tail = [col("notes", "Notes", Text)];
    let mut table = Table { name: "Creatives", columns: columns(&columns(&head, &PERFORMANCE), &tail), rows: Vec::new() };
    for row in &page.rows {
        let mut cells: Vec<Cell> = vec![
            row.creative_id.to_string().into(),
            row.campaign_id.to_string().into(),
            row.campaign_name.clone().into(),
            row.name.clone().into(),
            row.headline.clone().into(),
            row.call_to_action.clone().into(),
            row.status.as_str().into(),
            f64::from(row.weight_percent).into(),
            // Already in percent (`CreativeRow::assignment_share`).
            row.assignment_share.into(),
        ];
        cells.extend(performance(&row.performance));
        cells.push(row.notes.join("; ").into());
        table.push(cells);
    }
    let mut book = workbook("creatives", "Creative breakdown", Some((page.from, page.to)), page.as_of, filters);
    book.tables.push(table);
    book
}

/// Module 3: the eight segments with their economics.
pub fn segments(response: &SegmentsResponse, filters: &[(String, String)]) -> Workbook {
    let mut table = Table::new(
        "Segments",
        &[
            col("segment", "Segment", Text),
            col("definition", "Definition", Text),
            col("users", "Users", Count),
            col("ltv_usd", "LTV", Money),
            col("cac_usd", "CAC", Money),
            col("ltv_to_cac", "LTV ÷ CAC", Multiple),
            col("aov_usd", "AOV", Money),
            col("ctr_percent", "CTR", Percent),
            col("conversion_rate_percent", "Conversion rate", Percent),
            col("impressions", "Impressions", Count),
            col("clicks", "Clicks", Count),
            col("revenue_usd", "Attributed revenue", Money),
            col("previous_revenue_usd", "Previous period revenue", Money),
            col("revenue_trend_percent", "Revenue trend", Percent),
            col("purchase_revenue_usd", "All purchase revenue", Money),
            col("purchasers", "Purchasers", Count),
            col("why_empty", "Why a figure is empty", Text),
        ],
    );
    for s in &response.segments {
        let ratio = match (s.ltv, s.cac) {
            (Some(ltv), Some(cac)) if cac > 0.0 => Some(ltv / cac),
            _ => None,
        };
        let reasons: Vec<String> = s.reasons.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        table.push(vec![
            s.segment.as_str().into(),
            s.definition.clone().into(),
            s.size.into(),
            s.ltv.into(),
            s.cac.into(),
            ratio.into(),
            s.aov.into(),
            s.ctr.into(),
            s.conversion_rate.into(),
            s.impressions.into(),
            s.clicks.into(),
            s.revenue.into(),
            s.previous_revenue.into(),
            s.trend.map(|t| t * 100.0).into(),
            s.purchase_revenue.into(),
            s.purchasers.into(),
            reasons.join("; ").into(),
        ]);
    }
    let mut book = workbook("segments", "Segments", Some((response.from, response.to)), response.as_of, filters);
    book.tables.push(table);
    book
}

const FUNNEL_STEP: [Column; 8] = [
    col("funnel", "Funnel", Text),
    col("step", "Step", Text),
    col("users", "Users", Count),
    col("step_rate_percent", "Rate from previous step", Percent),
    col("rate_from_first_percent", "Rate from first step", Percent),
    col("drop_off_users", "Drop-off", Count),
    col("drop_off_percent", "Drop-off rate", Percent),
    col("median_seconds_from_previous", "Median seconds from previous step", Number),
];

/// Module 6: the funnel's steps (and those of each compared segment or campaign).
pub fn funnel(response: &FunnelResponse, filters: &[(String, String)]) -> Workbook {
    let mut table = Table::new("Funnel", &FUNNEL_STEP);
    let all = std::iter::once(("All", &response.funnel)).chain(response.compare.iter().map(|c| (c.label.as_str(), &c.funnel)));
    for (label, funnel) in all {
        for step in &funnel.steps {
            table.push(vec![
                label.into(),
                step.label.clone().into(),
                step.users.into(),
                step.rate.into(),
                step.rate_from_first.into(),
                step.drop_off.into(),
                step.drop_off_rate.into(),
                step.median_seconds_from_previous.into(),
            ]);
        }
    }
    let mut book = workbook("funnel", "Conversion funnel", Some((response.from, response.to)), response.as_of, filters);
    book.notes = response.funnel.insights.clone();
    book.tables.push(table);
    book
}

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Module 7: the 7 × 24 grid as rows, the days, the hours and the peaks.
pub fn heatmap(response: &HeatmapResponse, filters: &[(String, String)]) -> Workbook {
    let engagement = [
        col("impressions", "Impressions", Count),
        col("clicks", "Clicks", Count),
        col("click_rate_percent", "Click rate", Percent),
        col("conversions", "Conversions", Count),
        col("revenue_usd", "Revenue", Money),
    ];
    let figures = |e: &analytics::metrics::views::Engagement| -> Vec<Cell> {
        vec![e.impressions.into(), e.clicks.into(), e.click_rate.into(), e.conversions.into(), e.revenue.into()]
    };
    let map = &response.heatmap;
    let mut cells = Table {
        name: "Hours of the week",
        columns: columns(&[col("day", "Day", Text), col("hour_utc", "Hour (UTC)", Count), col("hours_in_window", "Hours in the period", Count)], &engagement),
        rows: Vec::new(),
    };
    for cell in map.cells.iter().flatten() {
        let mut row: Vec<Cell> = vec![WEEKDAYS[cell.day as usize % 7].into(), u64::from(cell.hour).into(), u64::from(cell.hours_in_window).into()];
        row.extend(figures(&cell.engagement));
        cells.push(row);
    }
    let mut days = Table { name: "Days", columns: columns(&[col("day", "Day", Text)], &engagement), rows: Vec::new() };
    for (d, e) in map.by_day.iter().enumerate() {
        let mut row: Vec<Cell> = vec![WEEKDAYS[d % 7].into()];
        row.extend(figures(e));
        days.push(row);
    }
    let mut hours = Table { name: "Hours", columns: columns(&[col("hour_utc", "Hour (UTC)", Count)], &engagement), rows: Vec::new() };
    for (h, e) in map.by_hour.iter().enumerate() {
        let mut row: Vec<Cell> = vec![(h as u64).into()];
        row.extend(figures(e));
        hours.push(row);
    }
    let mut peaks = Table::new(
        "Peaks",
        &[
            col("window", "Window", Text),
            col("clicks", "Clicks", Count),
            col("share_of_clicks_percent", "Share of clicks", Percent),
            col("impressions", "Impressions", Count),
            col("click_rate_percent", "Click rate", Percent),
        ],
    );
    for p in &map.peaks {
        peaks.push(vec![p.label.clone().into(), p.clicks.into(), p.share.into(), p.impressions.into(), p.click_rate.into()]);
    }
    let mut book = workbook("heatmap", "Engagement heatmap", Some((response.from, response.to)), response.as_of, filters);
    book.notes = vec![map.insight.clone()];
    book.tables = vec![cells, days, hours, peaks];
    book
}

/// Module 8: treatment against holdout per campaign, with 95% intervals.
pub fn roi(response: &RoiResponse, filters: &[(String, String)]) -> Workbook {
    let mut table = Table::new(
        "Incrementality",
        &[
            col("campaign_id", "Campaign ID", Text),
            col("campaign", "Campaign", Text),
            col("treated_users", "Treated users", Count),
            col("holdout_users", "Holdout users", Count),
            col("treated_converted", "Treated converted", Count),
            col("holdout_converted", "Holdout converted", Count),
            col("treated_rate_percent", "Treated conversion rate", Percent),
            col("holdout_rate_percent", "Holdout conversion rate", Percent),
            col("absolute_lift_points", "Lift (points)", Number),
            col("absolute_lift_low_points", "Lift 95% low (points)", Number),
            col("absolute_lift_high_points", "Lift 95% high (points)", Number),
            col("lift_p_value", "Lift p-value", Number),
            col("relative_lift_percent", "Relative lift", Percent),
            col("incremental_conversions", "Incremental conversions", Number),
            col("incrementality_percent", "Incrementality", Percent),
            col("treated_revenue_per_user_usd", "Treated revenue per user", Money),
            col("holdout_revenue_per_user_usd", "Holdout revenue per user", Money),
            col("incremental_revenue_usd", "Incremental revenue", Money),
            col("spend_usd", "Spend", Money),
            col("net_incremental_revenue_usd", "Net incremental revenue", Money),
            col("planned_holdout_percent", "Planned holdout", Percent),
            col("sample_ratio_p_value", "Sample ratio p-value", Number),
            col("significant", "Significant at 95%", Text),
        ],
    );
    // The rates and lifts are fractions (`analytics::metrics::RoiRow`): in percent and points here.
    let percent = |v: Option<f64>| -> Cell { Cell::Number(v.map(|v| v * 100.0)) };
    for r in &response.campaigns {
        let yes_no = |b: Option<bool>| -> Cell { b.map_or(Cell::Text(String::new()), |b| if b { "yes".into() } else { "no".into() }) };
        table.push(vec![
            r.campaign_id.to_string().into(),
            r.name.clone().into(),
            r.treated_users.into(),
            r.holdout_users.into(),
            r.treated_converted.into(),
            r.holdout_converted.into(),
            percent(r.treated_rate),
            percent(r.holdout_rate),
            percent(r.absolute_lift),
            percent(r.absolute_lift_interval.map(|i| i.low)),
            percent(r.absolute_lift_interval.map(|i| i.high)),
            r.lift_test.map(|t| t.p_value).into(),
            percent(r.relative_lift),
            r.incremental_conversions.into(),
            r.incrementality_percent.into(),
            r.treated_revenue_per_user.into(),
            r.holdout_revenue_per_user.into(),
            r.incremental_revenue.into(),
            r.spend.into(),
            r.net_incremental_revenue.into(),
            (r.planned_holdout_share * 100.0).into(),
            r.sample_ratio.map(|t| t.p_value).into(),
            yes_no(r.significant),
        ]);
    }
    let mut book = workbook("roi", "ROI deep dive: treatment against holdout", Some((response.from, response.to)), response.as_of, filters);
    book.tables.push(table);
    book
}

/// The experiments with their verdicts.
pub fn experiments(list: &[ExperimentSummary], as_of: DateTime<Utc>, filters: &[(String, String)]) -> Workbook {
    let mut table = Table::new(
        "Experiments",
        &[
            col("experiment_id", "Experiment ID", Text),
            col("name", "Name", Text),
            col("kind", "Kind", Text),
            col("status", "Status", Text),
            col("campaign", "Campaign", Text),
            col("primary_metric", "Primary metric", Text),
            col("arms", "Arms", Text),
            col("started_at", "Started", Time),
            col("planned_end", "Planned end", Time),
            col("members", "Members", Count),
            col("verdict", "Verdict", Text),
        ],
    );
    for e in list {
        table.push(vec![
            e.id.to_string().into(),
            e.name.clone().into(),
            e.kind.as_str().into(),
            e.status.as_str().into(),
            e.campaign_name.clone().unwrap_or_default().into(),
            e.primary_metric.clone().into(),
            e.arms.join(" | ").into(),
            e.started_at.into(),
            e.ends_at.into(),
            e.users.into(),
            e.verdict.clone().unwrap_or_default().into(),
        ]);
    }
    let mut book = workbook("experiments", "Experiments", None, as_of, filters);
    book.tables.push(table);
    book
}
