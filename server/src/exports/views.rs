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
            col("revenue_per_incremental_conversion_usd", "Revenue per incremental conversion", Money),
            col("cost_per_incremental_conversion_usd", "Cost per incremental conversion", Money),
            col("net_per_incremental_conversion_usd", "Net per incremental conversion", Money),
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
            r.revenue_per_incremental_conversion.into(),
            r.cost_per_incremental_conversion.into(),
            r.net_per_incremental_conversion.into(),
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

fn unit_name(unit: analytics::metrics::Unit) -> &'static str {
    use analytics::metrics::Unit as U;
    match unit {
        U::Ratio => "multiple",
        U::Percent => "percent",
        U::Dollars => "dollars",
        U::Count => "count",
        U::Months => "months",
        U::Hours => "hours",
        U::Minutes => "minutes",
    }
}

/// Module 10's queue: every recommendation the filters allow (its `limit` when given), highest
/// priority first, with its score's three factors and, once measured, its outcome; a second
/// table has each one's projected figures.
pub fn recommendations(list: &[app::wire::RecommendationView], as_of: DateTime<Utc>, filters: &[(String, String)]) -> Workbook {
    let mut table = Table::new(
        "Recommendations",
        &[
            col("recommendation_id", "Recommendation ID", Text),
            col("status", "Status", Text),
            col("type", "Type", Text),
            col("priority_level", "Priority", Text),
            col("priority_score", "Priority score", Number),
            col("impact", "Impact (0–100)", Number),
            col("urgency", "Urgency (×)", Number),
            col("feasibility", "Feasibility (×)", Number),
            col("title", "Recommendation", Text),
            col("target_kind", "Target kind", Text),
            col("target", "Target", Text),
            col("target_id", "Target ID", Text),
            col("trigger", "Trigger", Text),
            col("primary_reason", "Why", Text),
            col("evidence", "Evidence", Text),
            col("projected_net_weekly_usd", "Projected net effect per week", Money),
            col("confidence_percent", "Confidence", Percent),
            col("first_found_at", "First found", Time),
            col("updated_at", "Updated", Time),
            col("scheduled_for", "Scheduled for", Time),
            col("executed_at", "Executed", Time),
            col("executed_by", "Executed by", Text),
            col("dismissed_reason", "Dismissal reason", Text),
            col("closed_reason", "Closed because", Text),
            col("outcome_error_percent", "Outcome error", Percent),
            col("outcome_hit", "Outcome within tolerance", Text),
        ],
    );
    let mut figures = Table::new(
        "Projections",
        &[
            col("recommendation_id", "Recommendation ID", Text),
            col("case", "Case", Text),
            col("figure", "Figure", Text),
            col("unit", "Unit", Text),
            col("value", "Value", Number),
        ],
    );
    for v in list {
        let r = &v.recommendation;
        let target_kind = serde_json::to_value(r.target.kind).ok().and_then(|k| k.as_str().map(str::to_owned)).unwrap_or_default();
        let hit = v.outcome.as_ref().and_then(|o| o.hit).map_or("", |hit| if hit { "yes" } else { "no" });
        table.push(vec![
            v.id.to_string().into(),
            v.status.as_str().into(),
            r.kind.as_str().into(),
            r.score.level.as_str().into(),
            r.score.priority.into(),
            r.score.impact.into(),
            r.score.urgency.into(),
            r.score.feasibility.into(),
            r.title.clone().into(),
            target_kind.into(),
            r.target.name.clone().into(),
            r.target.id.clone().into(),
            r.trigger.clone().into(),
            r.primary_reason.clone().into(),
            r.evidence.join(" ").into(),
            r.projection.net_weekly_dollars.into(),
            (100.0 * r.projection.confidence).into(),
            v.created_at.into(),
            v.updated_at.into(),
            v.scheduled_for.into(),
            v.executed_at.into(),
            v.executed_by.clone().unwrap_or_default().into(),
            v.dismissed_reason.clone().unwrap_or_default().into(),
            v.closed_reason.clone().unwrap_or_default().into(),
            v.outcome.as_ref().and_then(|o| o.error_percent).into(),
            hit.into(),
        ]);
        for (case, list) in [("if you act", &r.projection.if_act), ("if you don't", &r.projection.if_not)] {
            for f in list {
                figures.push(vec![v.id.to_string().into(), case.into(), f.label.clone().into(), unit_name(f.unit).into(), f.value.into()]);
            }
        }
    }
    let mut book = workbook("recommendations", "Action Center recommendations", None, as_of, filters);
    book.tables.push(table);
    book.tables.push(figures);
    book
}

/// The Action Center's outcomes: every executed recommendation with its headline projected
/// against actual, per type the uptake and track record, and every compared figure.
pub fn recommendation_outcomes(report: &app::wire::OutcomeReport, filters: &[(String, String)]) -> Workbook {
    let mut executed = Table::new(
        "Executed",
        &[
            col("recommendation_id", "Recommendation ID", Text),
            col("type", "Type", Text),
            col("title", "Recommendation", Text),
            col("target", "Target", Text),
            col("executed_by", "Executed by", Text),
            col("executed_at", "Executed", Time),
            col("due_at", "Evaluated after", Time),
            col("evaluated_at", "Evaluated", Time),
            col("headline", "Headline figure", Text),
            col("unit", "Unit", Text),
            col("projected", "Projected", Number),
            col("actual", "Actual", Number),
            col("error_percent", "Error", Percent),
            col("hit", "Within tolerance", Text),
        ],
    );
    let mut figures = Table::new(
        "Figures",
        &[
            col("recommendation_id", "Recommendation ID", Text),
            col("figure", "Figure", Text),
            col("unit", "Unit", Text),
            col("projected", "Projected", Number),
            col("actual", "Actual", Number),
            col("difference", "Actual − projected", Number),
        ],
    );
    for item in &report.items {
        let headline = item.outcome.as_ref().and_then(|o| o.headline.as_ref());
        let hit = item.outcome.as_ref().and_then(|o| o.hit).map_or("", |hit| if hit { "yes" } else { "no" });
        executed.push(vec![
            item.id.to_string().into(),
            item.kind.as_str().into(),
            item.title.clone().into(),
            item.target.name.clone().into(),
            item.executed_by.clone().unwrap_or_default().into(),
            item.executed_at.into(),
            item.due_at.into(),
            item.evaluated_at.into(),
            headline.map(|h| h.label.clone()).unwrap_or_default().into(),
            headline.map_or("", |h| unit_name(h.unit)).into(),
            headline.and_then(|h| h.projected).into(),
            headline.and_then(|h| h.actual).into(),
            item.outcome.as_ref().and_then(|o| o.error_percent).into(),
            hit.into(),
        ]);
        for f in item.outcome.iter().flat_map(|o| &o.figures) {
            figures.push(vec![item.id.to_string().into(), f.label.clone().into(), unit_name(f.unit).into(), f.projected.into(), f.actual.into(), f.error().into()]);
        }
    }
    let mut by_kind = Table::new(
        "By type",
        &[
            col("type", "Type", Text),
            col("shown", "Shown", Count),
            col("executed", "Executed", Count),
            col("dismissed", "Dismissed", Count),
            col("expired", "Expired", Count),
            col("pending", "Pending", Count),
            col("failed", "Failed", Count),
            col("acceptance_percent", "Acceptance", Percent),
            col("awaiting_evaluation", "Awaiting evaluation", Count),
            col("evaluated", "Evaluated", Count),
            col("hits", "Within tolerance", Count),
            col("mean_absolute_error_percent", "Mean absolute error", Percent),
        ],
    );
    let a = &report.acceptance;
    for (kind, a, awaiting, record, mae) in std::iter::once(("all types", a, None, None, None))
        .chain(report.by_kind.iter().map(|k| (k.kind.as_str(), &k.acceptance, Some(k.awaiting_evaluation), Some(&k.track_record), k.mean_absolute_error_percent)))
    {
        by_kind.push(vec![
            kind.into(),
            a.shown.into(),
            a.executed.into(),
            a.dismissed.into(),
            a.expired.into(),
            a.pending.into(),
            a.failed.into(),
            a.rate.map(|r| 100.0 * r).into(),
            awaiting.into(),
            record.map(|r| u64::from(r.evaluated)).into(),
            record.map(|r| u64::from(r.hits)).into(),
            mae.into(),
        ]);
    }
    let period = report.from.zip(report.to);
    let mut book = workbook("recommendation-outcomes", "Action Center outcomes: projected against actual", period, report.as_of, filters);
    book.notes.push(format!(
        "Each executed recommendation is measured {} days after it ran; an outcome within {:.0}% of its projection counts as within tolerance. The acceptance target is {:.0}%.",
        report.window_days,
        100.0 * report.tolerance,
        100.0 * report.acceptance_target
    ));
    book.tables.push(executed);
    book.tables.push(by_kind);
    book.tables.push(figures);
    book
}
